//! The pure local evaluator (`posthog_core::flags`), synchronous: no I/O, microseconds.
//! Definitions and property maps arrive as JSON text, so serde_json sees the caller's number
//! literals (`5` is not `5.0`).

use crate::errors;
use crate::flags::string_arg;
use napi::bindgen_prelude::*;
use posthog_core::Error as CoreError;
use posthog_core::flags::{Definitions, EvalContext, FlagValue, hash, match_property};
use serde_json::{Map, Value};

fn invalid(msg: impl Into<String>) -> CoreError {
    CoreError::InvalidInput(msg.into())
}

/// An optional JSON object given as text; `{}` when absent.
fn json_map(
    text: Option<String>,
    name: &str,
) -> std::result::Result<Map<String, Value>, CoreError> {
    match text {
        None => Ok(Map::new()),
        Some(t) => match serde_json::from_str::<Value>(&t) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(invalid(format!("{name} must be an object"))),
        },
    }
}

/// The result of a local evaluation: the value and the payload's JSON text.
#[napi(object)]
pub struct NativeEvaluation {
    pub value: Either<bool, String>,
    pub payload: Option<String>,
}

/// Loaded definitions (`{ flags, group_type_mapping, cohorts, property_matching_version? }`).
#[napi]
pub struct NativeLocalEvaluator {
    defs: Definitions,
}

#[napi]
impl NativeLocalEvaluator {
    /// Parses the definitions JSON text. Throws `invalid_input` when it cannot be parsed.
    #[napi(factory)]
    pub fn from_json(env: Env, #[napi(ts_arg_type = "string")] text: Unknown) -> Result<Self> {
        let parse = || -> std::result::Result<Self, CoreError> {
            let text = string_arg(text, "definitions")?;
            Definitions::from_slice(text.as_bytes())
                .map(|defs| NativeLocalEvaluator { defs })
                .map_err(|e| invalid(e.to_string()))
        };
        parse().map_err(|e| errors::to_js(&env, &e))
    }

    /// Evaluates `key`; property maps as JSON text. Throws `inconclusive` (with `reason`) when
    /// local evaluation cannot decide, `invalid_input` for bad arguments.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate(
        &self,
        env: Env,
        key: String,
        distinct_id: String,
        device_id: Option<String>,
        person_properties: Option<String>,
        groups: Option<String>,
        group_properties: Option<String>,
    ) -> Result<NativeEvaluation> {
        let run = || -> std::result::Result<NativeEvaluation, CoreError> {
            let ctx = EvalContext {
                distinct_id,
                device_id,
                person_properties: json_map(person_properties, "personProperties")?,
                groups: json_map(groups, "groups")?,
                group_properties: json_map(group_properties, "groupProperties")?,
            };
            let ev = self.defs.evaluate(&key, &ctx).map_err(CoreError::from)?;
            Ok(NativeEvaluation {
                value: match ev.value {
                    FlagValue::Bool(b) => Either::A(b),
                    FlagValue::Variant(s) => Either::B(s),
                },
                payload: ev.payload.map(|p| p.to_string()),
            })
        };
        run().map_err(|e| errors::to_js(&env, &e))
    }

    /// Every loaded flag (or `keys`) as JSON text `{ "flags": { key: value }, "payloads":
    /// { key: payload }, "unresolved": { key: reason } }`: one conversion of the context for
    /// all flags.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn evaluate_all(
        &self,
        env: Env,
        distinct_id: String,
        device_id: Option<String>,
        person_properties: Option<String>,
        groups: Option<String>,
        group_properties: Option<String>,
        keys: Option<Vec<String>>,
    ) -> Result<String> {
        let run = || -> std::result::Result<String, CoreError> {
            let ctx = EvalContext {
                distinct_id,
                device_id,
                person_properties: json_map(person_properties, "personProperties")?,
                groups: json_map(groups, "groups")?,
                group_properties: json_map(group_properties, "groupProperties")?,
            };
            let results = match keys {
                Some(keys) => keys
                    .into_iter()
                    .map(|k| {
                        let r = self.defs.evaluate(&k, &ctx);
                        (k, r)
                    })
                    .collect(),
                None => self.defs.evaluate_all(&ctx),
            };
            let (mut flags, mut payloads, mut unresolved) = (Map::new(), Map::new(), Map::new());
            for (k, r) in results {
                match r {
                    Ok(ev) => {
                        if let Some(p) = ev.payload {
                            payloads.insert(k.clone(), p);
                        }
                        flags.insert(k, ev.value.to_json());
                    }
                    Err(inc) => {
                        unresolved.insert(k, Value::String(inc.reason.as_str().to_string()));
                    }
                }
            }
            let mut m = Map::new();
            m.insert("flags".into(), Value::Object(flags));
            m.insert("payloads".into(), Value::Object(payloads));
            m.insert("unresolved".into(), Value::Object(unresolved));
            Ok(Value::Object(m).to_string())
        };
        run().map_err(|e| errors::to_js(&env, &e))
    }

    /// The number of loaded flags.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.defs.len()).unwrap_or(u32::MAX)
    }

    /// The loaded flag keys, in the order served.
    #[napi(getter)]
    pub fn keys(&self) -> Vec<String> {
        self.defs.keys().map(str::to_string).collect()
    }
}

/// Matches one property filter (JSON text) against `values` (JSON text). Throws
/// `inconclusive` (with `reason`) or `invalid_input`.
#[napi(js_name = "matchProperty")]
pub fn match_property_json(
    env: Env,
    property: String,
    values: String,
    property_matching_version: Option<u32>,
) -> Result<bool> {
    let run = || -> std::result::Result<bool, CoreError> {
        let property: Value =
            serde_json::from_str(&property).map_err(|_| invalid("property must be JSON"))?;
        let values = json_map(Some(values), "values")?;
        match_property(&property, &values, property_matching_version.unwrap_or(1))
            .map_err(CoreError::from)
    };
    run().map_err(|e| errors::to_js(&env, &e))
}

/// The bucketing hash of `key` + `separator` + `bucketingValue` + `salt`, in [0, 1).
#[napi(js_name = "flagHash")]
pub fn flag_hash(
    key: String,
    bucketing_value: String,
    salt: Option<String>,
    separator: Option<String>,
) -> f64 {
    hash::hash_with(
        &key,
        separator.as_deref().unwrap_or("."),
        &bucketing_value,
        salt.as_deref().unwrap_or(""),
    )
}

/// Private (tests): the JSON text of top-level fields of an object given as JSON text, as
/// serde_json writes them (numbers keep their integer/float kind; absent fields are left out).
#[napi(js_name = "_jsonFields")]
pub fn json_fields(
    env: Env,
    text: String,
    names: Vec<String>,
) -> Result<std::collections::HashMap<String, String>> {
    let v: Value =
        serde_json::from_str(&text).map_err(|_| errors::to_js(&env, &invalid("not JSON")))?;
    Ok(names
        .into_iter()
        .filter_map(|n| v.get(&n).map(|f| (n, f.to_string())))
        .collect())
}
