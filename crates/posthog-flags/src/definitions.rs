//! The flag-definitions response, parsed once into typed, pre-compiled definitions.

use crate::cohort::{self, Node};
use crate::context::{ContextRef, EvalContext};
use crate::engine;
use crate::error::{Error, Inconclusive, InconclusiveReason};
use crate::evaluate::Evaluation;
use crate::matching::PropertyFilter;
use crate::rollout::{self, Holdout, VariantSlice};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// One flag definition as served by the definitions endpoint.
#[derive(Debug, Clone)]
pub struct FlagDefinition {
    /// The flag's id.
    pub id: i64,
    /// The flag's key.
    pub key: String,
    /// Whether the flag is on.
    pub active: bool,
    /// Whether the flag was deleted.
    pub deleted: bool,
    /// The definition's version, when served.
    pub version: Option<i64>,
    /// Whether the flag needs the server (experience continuity).
    pub ensure_experience_continuity: bool,
    pub(crate) compiled: Compiled,
}

/// Whose properties and key a flag or condition uses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Aggregation {
    /// The person (distinct id).
    Person,
    /// A group type, by name.
    Group(String),
    /// A group type index the mapping does not know.
    UnknownGroup,
}

/// The pre-compiled parts of a flag.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub(crate) aggregation: Aggregation,
    pub(crate) bucket_by_device: bool,
    pub(crate) holdout: Option<Holdout>,
    pub(crate) early_exit: bool,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) variants: Vec<VariantSlice>,
    pub(crate) payloads: HashMap<String, Value>,
}

/// One release condition.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub(crate) filters: Vec<Filter>,
    pub(crate) rollout: Option<f64>,
    /// The override, only when it names a real variant.
    pub(crate) variant: Option<String>,
    /// A condition-level aggregation (mixed targeting), when set.
    pub(crate) aggregation: Option<Aggregation>,
}

/// One filter of a condition or cohort.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    /// A person property (or, in a group-aggregated scope, the group's).
    Person(PropertyFilter),
    /// A group property of a given group type.
    Group(Aggregation, PropertyFilter),
    /// Membership of a cohort: its index in [`Definitions::cohorts`], or `None` when the
    /// cohort has no local definition (static).
    Cohort { cohort: Option<usize>, negate: bool },
    /// Another flag's value.
    Flag(Dependency),
    /// A filter local evaluation does not know.
    Unsupported,
}

/// A `flag_evaluates_to` dependency.
#[derive(Debug, Clone)]
pub(crate) struct Dependency {
    /// Flag indices to decide first (the chain), or why the chain is unusable.
    pub(crate) chain: Result<Vec<usize>, ()>,
    /// The flag whose value is compared.
    pub(crate) target: Option<usize>,
    pub(crate) expected: Value,
}

/// Every loaded definition, with the group type mapping and cohorts. Immutable once built:
/// share it behind an `Arc` and swap it whole.
#[derive(Debug, Clone, Default)]
pub struct Definitions {
    pub(crate) flags: Vec<FlagDefinition>,
    pub(crate) by_key: HashMap<String, usize>,
    pub(crate) cohorts: Vec<Node<Filter>>,
}

impl Definitions {
    /// The payload the flag's definition gives `value` (`true` or a variant key; `false` has
    /// none), without evaluating anything; `None` for an unknown flag or no payload.
    pub fn payload_for(&self, key: &str, value: &crate::FlagValue) -> Option<Value> {
        let flag = &self.flags[*self.by_key.get(key)?];
        let k = match value {
            crate::FlagValue::Bool(true) => "true",
            crate::FlagValue::Bool(false) => return None,
            crate::FlagValue::Variant(v) => v.as_str(),
        };
        flag.compiled.payloads.get(k).cloned()
    }

    /// Parses the definitions response (`{"flags": [...], "group_type_mapping": {...},
    /// "cohorts": {...}, "property_matching_version"?: n}`).
    pub fn parse(json: &Value) -> Result<Definitions, Error> {
        let obj = json
            .as_object()
            .ok_or_else(|| Error::InvalidDefinitions("not an object".into()))?;
        let raw_flags = match obj.get("flags") {
            Some(Value::Array(f)) => f.as_slice(),
            None | Some(Value::Null) => &[],
            Some(_) => return Err(Error::InvalidDefinitions("flags is not an array".into())),
        };
        let version = obj
            .get("property_matching_version")
            .and_then(Value::as_u64)
            .map_or(1, |v| u32::try_from(v).unwrap_or(1));
        let empty = Map::new();
        let mapping = obj
            .get("group_type_mapping")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let raw_cohorts = obj
            .get("cohorts")
            .and_then(Value::as_object)
            .unwrap_or(&empty);

        let mut by_key = HashMap::new();
        for (i, f) in raw_flags.iter().enumerate() {
            if let Some(k) = f.get("key").and_then(Value::as_str) {
                by_key.entry(k.to_string()).or_insert(i);
            }
        }
        let cohort_index: HashMap<&str, usize> = raw_cohorts
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let ctx = Builder {
            version,
            mapping,
            cohort_index: &cohort_index,
            by_key: &by_key,
        };

        let cohorts = raw_cohorts
            .values()
            .map(|group| cohort::build(group, &mut |leaf| ctx.filter(leaf)))
            .collect();
        let flags = raw_flags.iter().map(|f| ctx.flag(f)).collect();
        Ok(Definitions {
            flags,
            by_key,
            cohorts,
        })
    }

    /// Parses the definitions response from bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Definitions, Error> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::InvalidDefinitions(format!("not JSON: {e}")))?;
        Definitions::parse(&v)
    }

    /// How many flags are loaded.
    pub fn len(&self) -> usize {
        self.flags.len()
    }

    /// Whether no flag is loaded.
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }

    /// The keys of every loaded flag, in the order served.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.flags.iter().map(|f| f.key.as_str())
    }

    /// The definition of one flag.
    pub fn flag(&self, key: &str) -> Option<&FlagDefinition> {
        self.by_key.get(key).and_then(|i| self.flags.get(*i))
    }

    /// Evaluates one flag locally. A key that is not loaded, or whose flag was deleted, is
    /// [`InconclusiveReason::UnknownFlag`].
    pub fn evaluate(&self, key: &str, ctx: &EvalContext) -> Result<Evaluation, Inconclusive> {
        self.evaluate_ref(key, ctx.view())
    }

    /// [`Definitions::evaluate`] over a borrowed context (no copy of the caller's maps).
    pub fn evaluate_ref(&self, key: &str, ctx: ContextRef<'_>) -> Result<Evaluation, Inconclusive> {
        match self.by_key.get(key) {
            Some(&i) if !self.flags[i].deleted => engine::evaluate(self, i, ctx),
            _ => Err(Inconclusive {
                reason: InconclusiveReason::UnknownFlag,
                detail: "no definition with this key is loaded".into(),
            }),
        }
    }

    /// Evaluates every loaded (non-deleted) flag, in the order served.
    pub fn evaluate_all(
        &self,
        ctx: &EvalContext,
    ) -> Vec<(String, Result<Evaluation, Inconclusive>)> {
        self.evaluate_all_ref(ctx.view())
    }

    /// [`Definitions::evaluate_all`] over a borrowed context.
    pub fn evaluate_all_ref(
        &self,
        ctx: ContextRef<'_>,
    ) -> Vec<(String, Result<Evaluation, Inconclusive>)> {
        self.flags
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.deleted)
            .map(|(i, f)| (f.key.clone(), engine::evaluate(self, i, ctx)))
            .collect()
    }
}

struct Builder<'a> {
    version: u32,
    mapping: &'a Map<String, Value>,
    cohort_index: &'a HashMap<&'a str, usize>,
    by_key: &'a HashMap<String, usize>,
}

fn as_f64(v: Option<&Value>) -> Option<f64> {
    v.and_then(Value::as_f64)
}

impl Builder<'_> {
    fn group(&self, index: &Value) -> Aggregation {
        let key = match index {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return Aggregation::UnknownGroup,
        };
        match self.mapping.get(&key).and_then(Value::as_str) {
            Some(name) => Aggregation::Group(name.to_string()),
            None => Aggregation::UnknownGroup,
        }
    }

    fn aggregation(&self, v: Option<&Value>) -> Option<Aggregation> {
        match v {
            None | Some(Value::Null) => None,
            Some(index) => Some(self.group(index)),
        }
    }

    fn flag(&self, f: &Value) -> FlagDefinition {
        let empty = Map::new();
        let filters = f
            .get("filters")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let bool_of = |k: &str| f.get(k).and_then(Value::as_bool).unwrap_or(false);
        let variants = rollout::variant_table(
            filters
                .get("multivariate")
                .and_then(|m| m.get("variants"))
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| {
                    let key = v.get("key")?.as_str()?.to_string();
                    Some((key, as_f64(v.get("rollout_percentage")).unwrap_or(0.0)))
                }),
        );
        let conditions = filters
            .get("groups")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|c| Condition {
                filters: c
                    .get("properties")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|p| self.filter(p))
                    .collect(),
                rollout: as_f64(c.get("rollout_percentage")),
                variant: c
                    .get("variant")
                    .and_then(Value::as_str)
                    .filter(|v| variants.iter().any(|s| s.key == *v))
                    .map(str::to_string),
                aggregation: self.aggregation(c.get("aggregation_group_type_index")),
            })
            .collect();
        let holdout = filters.get("holdout").and_then(|h| {
            let id = h.get("id")?.as_i64()?;
            Some(Holdout::new(
                id,
                as_f64(h.get("exclusion_percentage")).unwrap_or(0.0),
            ))
        });
        let payloads = filters
            .get("payloads")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                let decoded = match v {
                    Value::String(s) if s.is_empty() => return None,
                    Value::String(s) => serde_json::from_str(s).unwrap_or_else(|_| v.clone()),
                    other => other.clone(),
                };
                (!decoded.is_null()).then(|| (k.clone(), decoded))
            })
            .collect();
        let device = |v: Option<&Value>| v.and_then(Value::as_str) == Some("device_id");
        FlagDefinition {
            id: f.get("id").and_then(Value::as_i64).unwrap_or(0),
            key: f
                .get("key")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            active: bool_of("active"),
            deleted: bool_of("deleted"),
            version: f.get("version").and_then(Value::as_i64),
            ensure_experience_continuity: bool_of("ensure_experience_continuity"),
            compiled: Compiled {
                aggregation: self
                    .aggregation(filters.get("aggregation_group_type_index"))
                    .unwrap_or(Aggregation::Person),
                bucket_by_device: device(f.get("bucketing_identifier"))
                    || device(filters.get("bucketing_identifier")),
                holdout,
                early_exit: filters
                    .get("early_exit")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                conditions,
                variants,
                payloads,
            },
        }
    }

    fn filter(&self, p: &Value) -> Filter {
        match p.get("type").and_then(Value::as_str) {
            Some("cohort") => {
                let negate = match p.get("operator") {
                    None | Some(Value::Null) => false,
                    Some(Value::String(s)) if s == "in" || s.is_empty() => false,
                    Some(Value::String(s)) if s == "not_in" => true,
                    Some(_) => return Filter::Unsupported,
                };
                let id = match p.get("value") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => {
                        return Filter::Cohort {
                            cohort: None,
                            negate,
                        };
                    }
                };
                Filter::Cohort {
                    cohort: self.cohort_index.get(id.as_str()).copied(),
                    negate,
                }
            }
            Some("flag") => {
                if p.get("operator").and_then(Value::as_str) != Some("flag_evaluates_to") {
                    return Filter::Unsupported;
                }
                let chain = match p.get("dependency_chain") {
                    Some(Value::Array(keys)) if !keys.is_empty() => keys
                        .iter()
                        .map(|k| {
                            k.as_str()
                                .and_then(|k| self.by_key.get(k).copied())
                                .ok_or(())
                        })
                        .collect(),
                    _ => Err(()),
                };
                let target = p
                    .get("key")
                    .and_then(Value::as_str)
                    .and_then(|k| self.by_key.get(k).copied());
                Filter::Flag(Dependency {
                    chain,
                    target,
                    expected: p.get("value").cloned().unwrap_or(Value::Null),
                })
            }
            Some("group") => Filter::Group(
                self.group(p.get("group_type_index").unwrap_or(&Value::Null)),
                PropertyFilter::compile(p, self.version),
            ),
            _ => Filter::Person(PropertyFilter::compile(p, self.version)),
        }
    }
}
