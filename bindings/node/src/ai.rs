//! LLM analytics: the core's event builder for the `ai/` wrappers of OpenAI and Anthropic.
//! JSON text in, JSON text out: the wrappers hand over the provider's request, response or
//! chunks as they are, so nothing here knows the providers' types.

use napi::bindgen_prelude::*;

fn invalid(e: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, e.to_string())
}

/// Private (the `ai/` wrappers): the event (`{event, distinct_id, properties, groups}`, JSON
/// text) of one wrapped provider call described by `call` (JSON text of the core's `AiCall`).
#[napi(js_name = "_aiEvent")]
pub fn ai_event(call: String) -> Result<String> {
    let value: serde_json::Value = serde_json::from_str(&call).map_err(invalid)?;
    posthog_core::ai::build_event_json(value)
        .map(|v| v.to_string())
        .map_err(invalid)
}

/// Private (the `ai/` wrappers): `[event name, properties]` (JSON text) of a `$ai_trace`
/// (`kind` `"trace"`) or `$ai_span` (`"span"`) built from `parts` (JSON text).
#[napi(js_name = "_aiManualEvent")]
pub fn ai_manual_event(kind: String, parts: String) -> Result<String> {
    let kind = match kind.as_str() {
        "trace" => posthog_core::ai::ManualKind::Trace,
        "span" => posthog_core::ai::ManualKind::Span,
        other => return Err(invalid(format!("unknown AI event kind {other:?}"))),
    };
    let value: serde_json::Value = serde_json::from_str(&parts).map_err(invalid)?;
    posthog_core::ai::manual_event(kind, value)
        .map(|(name, props)| serde_json::json!([name, props]).to_string())
        .map_err(invalid)
}
