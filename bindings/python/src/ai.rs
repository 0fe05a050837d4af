//! LLM analytics: the core's event builder for `posthog_sdk.ai`'s OpenAI and Anthropic
//! wrappers. JSON text in, JSON text out: the wrappers serialise the provider's pydantic
//! objects themselves (`model_dump`), so nothing here knows their types.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// The event (`{"event", "distinct_id", "properties", "groups"}`, JSON text) of one wrapped
/// provider call described by `call` (JSON text of a `posthog_core::ai::AiCall`).
#[pyfunction]
pub fn ai_event(py: Python<'_>, call: &str) -> PyResult<String> {
    let call = call.to_owned();
    py.detach(move || {
        let value: serde_json::Value = serde_json::from_str(&call)
            .map_err(|e| PyValueError::new_err(format!("AI call description: {e}")))?;
        posthog_core::ai::build_event_json(value)
            .map(|v| v.to_string())
            .map_err(|e| PyValueError::new_err(e.to_string()))
    })
}

/// The properties (JSON text) of a `$ai_trace` (`kind="trace"`) or `$ai_span` (`kind="span"`)
/// from `parts` (JSON text): returns `[event name, properties]` as JSON text.
#[pyfunction]
pub fn ai_manual_event(py: Python<'_>, kind: &str, parts: &str) -> PyResult<String> {
    let kind = match kind {
        "trace" => posthog_core::ai::ManualKind::Trace,
        "span" => posthog_core::ai::ManualKind::Span,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown AI event kind {other:?}"
            )));
        }
    };
    let parts = parts.to_owned();
    py.detach(move || {
        let value: serde_json::Value = serde_json::from_str(&parts)
            .map_err(|e| PyValueError::new_err(format!("AI {kind:?} description: {e}")))?;
        posthog_core::ai::manual_event(kind, value)
            .map(|(name, props)| serde_json::json!([name, props]).to_string())
            .map_err(|e| PyValueError::new_err(e.to_string()))
    })
}
