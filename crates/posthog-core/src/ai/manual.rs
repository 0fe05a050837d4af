//! `$ai_trace` and `$ai_span` events built from their parts (what posthog-python's LangChain
//! callback sends for a chain and its steps), for callers that instrument their own code.

use crate::error::Error;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// Which manual event to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ManualKind {
    /// `$ai_trace`: the root of a trace.
    Trace,
    /// `$ai_span`: one step inside a trace.
    Span,
}

/// The parts of a trace or span.
#[derive(Debug, Clone, Deserialize)]
struct Parts {
    trace_id: String,
    #[serde(default)]
    span_id: Option<String>,
    #[serde(default)]
    parent_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    input_state: Option<Value>,
    #[serde(default)]
    output_state: Option<Value>,
    #[serde(default)]
    latency: Option<f64>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    privacy_mode: bool,
    #[serde(default)]
    properties: Option<Map<String, Value>>,
}

/// The properties of a `$ai_trace` or `$ai_span` from `parts` (`trace_id` required; `span_id`,
/// `parent_id`, `name`, `input_state`, `output_state`, `latency`, `error`, `privacy_mode`,
/// `properties` optional). Returns `(event name, properties)`.
pub fn manual_event(kind: ManualKind, parts: Value) -> Result<(String, Map<String, Value>), Error> {
    let parts: Parts = serde_json::from_value(parts)
        .map_err(|e| Error::InvalidInput(format!("AI {kind:?} description: {e}")))?;
    if parts.trace_id.is_empty() {
        return Err(Error::InvalidInput("an AI trace needs a trace id".into()));
    }
    let hide = |v: Option<Value>| {
        if parts.privacy_mode {
            Value::Null
        } else {
            v.unwrap_or(Value::Null)
        }
    };
    let mut p = Map::new();
    p.insert("$ai_trace_id".into(), json!(parts.trace_id));
    p.insert("$ai_input_state".into(), hide(parts.input_state.clone()));
    if parts.output_state.is_some() {
        p.insert("$ai_output_state".into(), hide(parts.output_state.clone()));
    }
    if let Some(l) = parts.latency {
        p.insert("$ai_latency".into(), json!(l));
    }
    if let Some(n) = &parts.name {
        p.insert("$ai_span_name".into(), json!(n));
    }
    if let Some(id) = &parts.span_id {
        p.insert("$ai_span_id".into(), json!(id));
    }
    if kind == ManualKind::Span
        && let Some(parent) = &parts.parent_id
    {
        p.insert("$ai_parent_id".into(), json!(parent));
    }
    if let Some(extra) = parts.properties {
        p.extend(extra);
    }
    if let Some(e) = parts.error {
        p.insert("$ai_error".into(), json!(e));
        p.insert("$ai_is_error".into(), json!(true));
    }
    let name = match kind {
        ManualKind::Trace => "$ai_trace",
        ManualKind::Span => "$ai_span",
    };
    Ok((name.to_string(), p))
}
