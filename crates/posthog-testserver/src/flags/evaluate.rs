//! Remote evaluation: every (requested) flag through `posthog-flags`, overrides first.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use posthog_flags::{Evaluation, FlagValue};
use serde_json::Value;

use super::request::FlagsRequest;
use super::store::{Loaded, Override};

/// One flag of a `/flags` answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlagResult {
    pub(crate) key: String,
    pub(crate) enabled: bool,
    pub(crate) variant: Option<String>,
    pub(crate) reason: String,
    pub(crate) condition_index: Option<usize>,
    pub(crate) id: i64,
    pub(crate) version: Option<i64>,
    pub(crate) payload: Option<Value>,
}

/// The flags of one answer, and whether some could not be computed (the evaluator failed).
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) flags: Vec<FlagResult>,
    pub(crate) errors: bool,
}

/// Evaluates the request's flags. Overrides win (and may name flags the definitions lack);
/// an inconclusive local result answers `false` / `no_condition_match`; a flag whose
/// evaluation fails or panics is left out and sets `errors`.
pub(crate) fn evaluate(
    loaded: &Loaded,
    overrides: &BTreeMap<String, Override>,
    request: &FlagsRequest,
) -> Outcome {
    let mut outcome = Outcome::default();
    let parsed = loaded.definitions();
    let raw_keys = loaded.raw_keys();
    let keys: Vec<String> = match &request.only {
        Some(only) => only.clone(),
        None => {
            let mut keys: Vec<String> = match &parsed {
                Ok(defs) => defs.keys().map(str::to_owned).collect(),
                Err(_) => raw_keys.clone(),
            };
            let extra: Vec<String> = overrides
                .keys()
                .filter(|k| !keys.contains(k))
                .cloned()
                .collect();
            keys.extend(extra);
            keys
        }
    };
    for key in keys {
        let meta = loaded.raw_meta(&key);
        if let Some(over) = overrides.get(&key) {
            outcome.flags.push(from_override(&key, over, meta));
            continue;
        }
        let defs = match &parsed {
            Ok(defs) => defs,
            Err(_) => {
                outcome.errors |= raw_keys.contains(&key);
                continue;
            }
        };
        let Some(flag) = defs.flag(&key).filter(|f| !f.deleted) else {
            continue;
        };
        match catch_unwind(AssertUnwindSafe(|| defs.evaluate(&key, &request.context))) {
            Ok(Ok(evaluation)) => outcome.flags.push(from_evaluation(evaluation)),
            Ok(Err(_inconclusive)) => outcome.flags.push(FlagResult {
                key: key.clone(),
                enabled: false,
                variant: None,
                reason: "no_condition_match".to_owned(),
                condition_index: None,
                id: flag.id,
                version: flag.version,
                payload: None,
            }),
            Err(_panic) => outcome.errors = true,
        }
    }
    outcome
}

fn from_evaluation(e: Evaluation) -> FlagResult {
    let variant = match &e.value {
        FlagValue::Variant(v) => Some(v.clone()),
        FlagValue::Bool(_) => None,
    };
    FlagResult {
        enabled: e.value.is_enabled(),
        variant,
        key: e.key,
        reason: e.reason,
        condition_index: e.condition_index,
        id: e.flag_id,
        version: e.version,
        payload: e.payload,
    }
}

fn from_override(key: &str, over: &Override, meta: Option<(i64, Option<i64>)>) -> FlagResult {
    let (enabled, variant) = match &over.value {
        Value::Bool(b) => (*b, None),
        Value::Null => (false, None),
        Value::String(v) => (true, Some(v.clone())),
        other => (true, Some(other.to_string())),
    };
    let (id, version) = meta.unwrap_or((0, None));
    FlagResult {
        key: key.to_owned(),
        enabled,
        variant,
        reason: if enabled {
            "condition_match"
        } else {
            "no_condition_match"
        }
        .to_owned(),
        condition_index: enabled.then_some(0),
        id,
        version,
        payload: over.payload.clone(),
    }
}

/// PostHog's human description of a reason code.
pub(crate) fn describe(reason: &str, condition_index: Option<usize>) -> String {
    match (reason, condition_index) {
        ("condition_match", Some(i)) => format!("Matched condition set {}", i + 1),
        ("condition_match", None) => "Matched conditions".to_owned(),
        ("no_condition_match", _) => "No matching condition set".to_owned(),
        ("out_of_rollout_bound", Some(i)) => {
            format!("Matched condition set {} but out of rollout bound", i + 1)
        }
        ("out_of_rollout_bound", None) => "Out of rollout bound".to_owned(),
        ("flag_disabled", _) => "Feature flag is disabled".to_owned(),
        ("holdout", _) => "Holdout condition value".to_owned(),
        (other, _) => other.replace('_', " "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn overrides_decide_their_shape() {
        let variant = Override {
            value: json!("test"),
            payload: Some(json!({"a": 1})),
        };
        let r = from_override("k", &variant, Some((7, Some(2))));
        assert_eq!(
            (r.enabled, r.variant.as_deref(), r.id, r.version),
            (true, Some("test"), 7, Some(2))
        );
        assert_eq!(
            (r.reason.as_str(), r.condition_index),
            ("condition_match", Some(0))
        );
        let off = from_override(
            "k",
            &Override {
                value: json!(false),
                payload: None,
            },
            None,
        );
        assert_eq!((off.enabled, off.variant, off.id), (false, None, 0));
        assert_eq!(off.reason, "no_condition_match");
    }

    #[test]
    fn descriptions() {
        assert_eq!(
            describe("condition_match", Some(1)),
            "Matched condition set 2"
        );
        assert_eq!(
            describe("no_condition_match", None),
            "No matching condition set"
        );
    }
}
