//! The result of evaluating a flag, and the single-filter matcher.

use crate::error::{Inconclusive, InconclusiveReason};
use crate::matching::PropertyFilter;
use crate::value::FlagValue;
use serde_json::{Map, Value};

/// The result of evaluating one flag locally.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The flag's key.
    pub key: String,
    /// `true`, `false` or the variant key (a held-out user gets `"holdout-<id>"`).
    pub value: FlagValue,
    /// The payload for this value, decoded from its JSON text, when the flag defines one.
    pub payload: Option<Value>,
    /// The index of the condition that decided, when one did.
    pub condition_index: Option<usize>,
    /// PostHog's reason code: `condition_match`, `no_condition_match`,
    /// `out_of_rollout_bound`, `holdout`, `flag_disabled`.
    pub reason: String,
    /// The flag's id.
    pub flag_id: i64,
    /// The flag's version, when served.
    pub version: Option<i64>,
}

/// Matches one property filter (as it appears in a flag condition) against `values`.
/// No `distinct_id` or `$group_key` is added here. Compiles the filter on every call: the
/// flag evaluator compiles its filters once, at load.
pub fn match_property(
    property: &Value,
    values: &Map<String, Value>,
    property_matching_version: u32,
) -> Result<bool, Inconclusive> {
    let filter = PropertyFilter::compile(property, property_matching_version);
    filter
        .matches(values.get(&filter.key))
        .map_err(|reason| inconclusive(reason, "the property filter cannot be decided locally"))
}

pub(crate) fn inconclusive(reason: InconclusiveReason, detail: &str) -> Inconclusive {
    Inconclusive {
        reason,
        detail: detail.to_string(),
    }
}
