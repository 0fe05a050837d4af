//! What a caller passes to an evaluation.

use serde_json::{Map, Value};

/// The context of one evaluation, as the public API receives it. The evaluator itself adds
/// `distinct_id` to the person properties (unless set) and `$group_key` to each group's
/// properties (unless set), as the official SDKs do.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalContext {
    /// The distinct id.
    pub distinct_id: String,
    /// The device id, for flags that bucket by device.
    pub device_id: Option<String>,
    /// Person properties.
    pub person_properties: Map<String, Value>,
    /// Group type name → group key.
    pub groups: Map<String, Value>,
    /// Group type name → that group's properties.
    pub group_properties: Map<String, Value>,
}

impl EvalContext {
    /// A context for a distinct id with nothing else.
    pub fn new(distinct_id: impl Into<String>) -> EvalContext {
        EvalContext {
            distinct_id: distinct_id.into(),
            ..EvalContext::default()
        }
    }
}

/// A borrowed view of a context, so a caller that already holds the maps evaluates without
/// copying them.
#[derive(Debug, Clone, Copy)]
pub struct ContextRef<'a> {
    /// The distinct id.
    pub distinct_id: &'a str,
    /// The device id, for flags that bucket by device.
    pub device_id: Option<&'a str>,
    /// Person properties.
    pub person_properties: &'a Map<String, Value>,
    /// Group type name → group key.
    pub groups: &'a Map<String, Value>,
    /// Group type name → that group's properties.
    pub group_properties: &'a Map<String, Value>,
}

impl EvalContext {
    /// A borrowed view of this context.
    pub fn view(&self) -> ContextRef<'_> {
        ContextRef {
            distinct_id: &self.distinct_id,
            device_id: self.device_id.as_deref(),
            person_properties: &self.person_properties,
            groups: &self.groups,
            group_properties: &self.group_properties,
        }
    }
}
