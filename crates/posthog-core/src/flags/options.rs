//! Per-call options of a flag lookup.

use posthog_flags::{ContextRef, EvalContext};
use serde_json::{Map, Value};

/// Options of one flag lookup; everything defaults to "not given".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlagOptions {
    /// Group type → group key.
    pub groups: Map<String, Value>,
    /// Person properties for evaluation.
    pub person_properties: Map<String, Value>,
    /// Group type → that group's properties.
    pub group_properties: Map<String, Value>,
    /// Overrides the client's `disable_geoip` for this lookup.
    pub disable_geoip: Option<bool>,
    /// Never ask the server: an undecidable flag gives `None`.
    pub only_evaluate_locally: bool,
    /// Ignore local definitions and ask the server.
    pub force_remote: bool,
    /// Overrides the client's `send_feature_flag_events` for this lookup.
    pub send_feature_flag_events: Option<bool>,
    /// The device id, for flags that bucket by device.
    pub device_id: Option<String>,
}

impl FlagOptions {
    /// A borrowed evaluation context for `distinct_id` (no copies).
    pub(crate) fn view<'a>(&'a self, distinct_id: &'a str) -> ContextRef<'a> {
        ContextRef {
            distinct_id,
            device_id: self.device_id.as_deref(),
            person_properties: &self.person_properties,
            groups: &self.groups,
            group_properties: &self.group_properties,
        }
    }

    /// The evaluation context for `distinct_id`, owned.
    pub fn context(&self, distinct_id: &str) -> EvalContext {
        EvalContext {
            distinct_id: distinct_id.to_string(),
            device_id: self.device_id.clone(),
            person_properties: self.person_properties.clone(),
            groups: self.groups.clone(),
            group_properties: self.group_properties.clone(),
        }
    }
}

/// posthog-python's `capture(send_feature_flags=True | {...})`: evaluate the event's distinct
/// id's flags and add `$feature/<key>` and `$active_feature_flags` to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaptureFlags {
    /// `Some(true)`: local only; `Some(false)`: ask `/flags`; `None`: local when definitions
    /// are loaded, else `/flags`.
    pub only_evaluate_locally: Option<bool>,
    /// Person properties for evaluation.
    pub person_properties: Map<String, Value>,
    /// Group type → that group's properties.
    pub group_properties: Map<String, Value>,
    /// Only these flags (`flag_keys_filter`).
    pub flag_keys: Option<Vec<String>>,
}
