//! The pure local evaluator (`posthog-flags`, through the core's re-exports) for apps and for the
//! shared conformance vectors: no client, no network. JSON crosses as text and is parsed here
//! by serde_json, so integers and floats keep their identity.

use crate::convert::json_object;
use crate::error::PostHogError;
use crate::flags::FlagValue;
use posthog_core::Error;
use posthog_core::flags::{Definitions, EvalContext, Evaluation, hash, match_property as matcher};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

fn invalid(m: String) -> PostHogError {
    Error::InvalidInput(m).into()
}

fn parse(text: &str, what: &str) -> Result<Value, PostHogError> {
    serde_json::from_str(text).map_err(|e| {
        invalid(format!(
            "{what} is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// One flag evaluated locally.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FlagEvaluation {
    /// The flag's key.
    pub key: String,
    /// The value (a held-out user gets the variant `holdout-<id>`).
    pub value: FlagValue,
    /// The payload for this value as JSON text, when the flag defines one.
    pub payload_json: Option<String>,
    /// PostHog's reason code: `condition_match`, `no_condition_match`, `out_of_rollout_bound`,
    /// `holdout`, `flag_disabled`.
    pub reason: String,
    /// The index of the condition that decided, when one did.
    pub condition_index: Option<u32>,
    /// The flag's id.
    pub flag_id: i64,
    /// The flag's version, when served.
    pub version: Option<i64>,
}

impl From<Evaluation> for FlagEvaluation {
    fn from(e: Evaluation) -> Self {
        FlagEvaluation {
            key: e.key,
            value: e.value.into(),
            payload_json: e.payload.map(|p| p.to_string()),
            reason: e.reason,
            condition_index: e
                .condition_index
                .map(|i| u32::try_from(i).unwrap_or(u32::MAX)),
            flag_id: e.flag_id,
            version: e.version,
        }
    }
}

/// Every loaded flag evaluated locally (`LocalEvaluator.evaluateAll`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LocalEvaluations {
    /// Decided flags by key.
    pub flags: HashMap<String, FlagEvaluation>,
    /// Undecided flags → the reason code (`missing_context`, …).
    pub unresolved: HashMap<String, String>,
}

/// Flag definitions loaded once, evaluated locally with no I/O. Thread-safe.
#[derive(uniffi::Object)]
pub struct LocalEvaluator {
    defs: Definitions,
}

impl std::fmt::Debug for LocalEvaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalEvaluator({} flags)", self.defs.len())
    }
}

/// The evaluation context from `{"distinct_id": "…", "device_id"?: "…"|null,
/// "person_properties"?: {…}, "groups"?: {…}, "group_properties"?: {…}}`.
fn context(text: &str) -> Result<EvalContext, PostHogError> {
    let obj = json_object(text, "context_json").map_err(invalid)?;
    let mut ctx = EvalContext::default();
    let mut distinct_id = None;
    let map = |v: Value, name: &str| match v {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(invalid(format!("context_json: {name} is not an object"))),
    };
    for (k, v) in obj {
        match (k.as_str(), v) {
            ("distinct_id", Value::String(s)) => distinct_id = Some(s),
            ("device_id", Value::String(s)) => ctx.device_id = Some(s),
            ("device_id", Value::Null) => {}
            ("person_properties", v) => ctx.person_properties = map(v, "person_properties")?,
            ("groups", v) => ctx.groups = map(v, "groups")?,
            ("group_properties", v) => ctx.group_properties = map(v, "group_properties")?,
            ("distinct_id" | "device_id", _) => {
                return Err(invalid(format!("context_json: {k} is not a string")));
            }
            _ => {
                return Err(invalid(format!(
                    "context_json: unknown field {:?}",
                    k.chars().take(40).collect::<String>()
                )));
            }
        }
    }
    ctx.distinct_id =
        distinct_id.ok_or_else(|| invalid("context_json: distinct_id is missing".into()))?;
    Ok(ctx)
}

#[uniffi::export]
impl LocalEvaluator {
    /// Loads definitions in the shape PostHog's definitions endpoint serves:
    /// `{"flags": [...], "group_type_mapping": {...}, "cohorts": {...},
    /// "property_matching_version"?: n}`. Throws `InvalidInput` when they cannot be read.
    #[uniffi::constructor]
    pub fn new(definitions_json: String) -> Result<Arc<Self>, PostHogError> {
        let v = parse(&definitions_json, "definitions_json")?;
        let defs = Definitions::parse(&v).map_err(|e| invalid(e.to_string()))?;
        Ok(Arc::new(LocalEvaluator { defs }))
    }

    /// Evaluates one flag for `context_json` (see the type docs: `distinct_id` required;
    /// `device_id`, `person_properties`, `groups`, `group_properties` optional). Throws
    /// `Inconclusive` when local evaluation cannot decide (`inconclusiveReason(message)` gives
    /// the reason code), `InvalidInput` for a bad context.
    pub fn evaluate(
        &self,
        key: String,
        context_json: String,
    ) -> Result<FlagEvaluation, PostHogError> {
        let ctx = context(&context_json)?;
        match self.defs.evaluate(&key, &ctx) {
            Ok(ev) => Ok(ev.into()),
            Err(inc) => Err(Error::from(inc).into()),
        }
    }

    /// Evaluates every loaded flag for `context_json`.
    pub fn evaluate_all(&self, context_json: String) -> Result<LocalEvaluations, PostHogError> {
        let ctx = context(&context_json)?;
        let mut out = LocalEvaluations {
            flags: HashMap::new(),
            unresolved: HashMap::new(),
        };
        for (k, r) in self.defs.evaluate_all(&ctx) {
            match r {
                Ok(ev) => {
                    out.flags.insert(k, ev.into());
                }
                Err(inc) => {
                    out.unresolved.insert(k, inc.reason.as_str().to_string());
                }
            }
        }
        Ok(out)
    }

    /// The keys of every loaded flag, in the order served.
    pub fn flag_keys(&self) -> Vec<String> {
        self.defs.keys().map(str::to_string).collect()
    }
}

/// Matches one property filter (as it appears in a flag condition, JSON text) against
/// `values_json` (a JSON object; an absent key was not provided). No `distinct_id` or
/// `$group_key` is added. Throws `Inconclusive` when it cannot be decided locally.
#[uniffi::export(default(property_matching_version = 1))]
pub fn match_property(
    property_json: String,
    values_json: String,
    property_matching_version: u32,
) -> Result<bool, PostHogError> {
    let property = parse(&property_json, "property_json")?;
    let values = json_object(&values_json, "values_json").map_err(invalid)?;
    matcher(&property, &values, property_matching_version).map_err(|i| Error::from(i).into())
}

/// PostHog's bucketing hash in [0, 1): `sha1(key + separator + bucketing_value + salt)`, first
/// 15 hex digits over 2^60. `salt` is `""` for rollout, `"variant"` for variants; holdouts use
/// the separator `"-"`.
#[uniffi::export(default(salt = "", separator = "."))]
pub fn flag_hash(key: String, bucketing_value: String, salt: String, separator: String) -> f64 {
    hash::hash_with(&key, &separator, &bucketing_value, &salt)
}
