//! LLM analytics: the `$ai_generation`, `$ai_embedding`, `$ai_span` and `$ai_trace` events
//! that posthog-python's `posthog.ai` and `@posthog/ai` (npm) send, built from JSON.
//!
//! A binding's wrapper around an OpenAI or Anthropic client times the provider call, turns the
//! request, the response (or every streamed chunk) and the error into JSON and hands them to
//! [`build_event`] as one [`AiCall`]; the core formats inputs and outputs, counts tokens
//! (chat completions, responses, embeddings, Anthropic messages, streamed or not), applies
//! privacy mode and returns the event to capture ([`AiEvent`]). Where the two official
//! packages differ (which token fields appear, `$ai_time_to_first_token`, how errors read) the
//! caller's [`Profile`] decides, as everywhere in this crate.
//!
//! ```
//! use posthog_core::ai::{AiCall, build_event};
//! let call: AiCall = serde_json::from_value(serde_json::json!({
//!     "profile": "posthog-python",
//!     "api": "chat",
//!     "request": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
//!     "response": {"model": "gpt-4o-mini", "choices": [{"index": 0, "finish_reason": "stop",
//!         "message": {"role": "assistant", "content": "hello"}}],
//!         "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}},
//!     "latency": 0.25, "base_url": "https://api.openai.com/v1/", "distinct_id": "user-1",
//! })).unwrap();
//! let event = build_event(&call).unwrap();
//! assert_eq!(event.event, "$ai_generation");
//! assert_eq!(event.properties["$ai_input_tokens"], 3);
//! ```

mod anthropic;
mod manual;
mod openai;
mod usage;

pub use manual::{ManualKind, manual_event};

use crate::error::Error;
use crate::profile::Profile;
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The provider API a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// OpenAI `chat.completions.create`.
    Chat,
    /// OpenAI `responses.create`.
    Responses,
    /// OpenAI `embeddings.create`.
    Embeddings,
    /// Anthropic `messages.create`.
    AnthropicMessages,
}

impl Api {
    /// The `$ai_provider` default of this API.
    pub fn provider(self) -> &'static str {
        match self {
            Api::AnthropicMessages => "anthropic",
            _ => "openai",
        }
    }
}

/// A failed provider call, as the binding saw it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AiError {
    /// The HTTP status of the provider's answer, when the error carries one.
    #[serde(default)]
    pub status: Option<u16>,
    /// The error's class name (`APIStatusError`, `BadRequestError`…).
    #[serde(default)]
    pub name: Option<String>,
    /// The error's text (Python `str(exc)`; JavaScript `error.message`).
    #[serde(default)]
    pub message: Option<String>,
    /// Extra fields of the error, as JSON (the JavaScript error's own enumerable fields).
    #[serde(default)]
    pub detail: Option<Value>,
    /// The call was cancelled rather than failed (Python `asyncio.CancelledError`).
    #[serde(default)]
    pub cancelled: bool,
}

/// `posthogCostOverride`: the price of one token, in USD.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
pub struct CostOverride {
    /// USD per input token.
    #[serde(default, alias = "inputCost")]
    pub input_cost: Option<f64>,
    /// USD per output token.
    #[serde(default, alias = "outputCost")]
    pub output_cost: Option<f64>,
}

/// One wrapped provider call: everything [`build_event`] needs, as JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct AiCall {
    /// The calling binding's compatibility profile name (`posthog-python`, `posthog-node`).
    #[serde(default = "default_profile")]
    pub profile: String,
    /// Which API was called.
    pub api: Api,
    /// The request parameters as sent to the provider (the `posthog*` ones removed).
    #[serde(default)]
    pub request: Value,
    /// The whole response of a call that was not streamed.
    #[serde(default)]
    pub response: Option<Value>,
    /// Every chunk of a streamed response, in order (present for a streamed call).
    #[serde(default)]
    pub chunks: Option<Vec<Value>>,
    /// The error the call (or its stream) raised.
    #[serde(default)]
    pub error: Option<AiError>,
    /// Seconds from the call to its end (the last chunk for a stream).
    #[serde(default)]
    pub latency: f64,
    /// Seconds from the call to the first content chunk of a stream (else read from
    /// `chunk_times`).
    #[serde(default)]
    pub time_to_first_token: Option<f64>,
    /// Seconds from the call to the arrival of each chunk, in the order of `chunks`.
    #[serde(default)]
    pub chunk_times: Option<Vec<f64>>,
    /// `posthogCostOverride`: USD per input and per output token.
    #[serde(default)]
    pub cost_override: Option<CostOverride>,
    /// The provider client's base URL.
    #[serde(default)]
    pub base_url: Option<String>,
    /// `posthog_distinct_id` / `posthogDistinctId`.
    #[serde(default)]
    pub distinct_id: Option<String>,
    /// `posthog_trace_id` / `posthogTraceId`; a new id when absent.
    #[serde(default)]
    pub trace_id: Option<String>,
    /// `posthog_properties` / `posthogProperties`, merged over the built ones.
    #[serde(default)]
    pub properties: Option<Map<String, Value>>,
    /// Per-call privacy mode.
    #[serde(default)]
    pub privacy_mode: bool,
    /// The client's own `privacy_mode`.
    #[serde(default)]
    pub client_privacy_mode: bool,
    /// `posthog_groups` / `posthogGroups`.
    #[serde(default)]
    pub groups: Option<Map<String, Value>>,
    /// `posthog_provider_override` / `posthogProviderOverride`.
    #[serde(default)]
    pub provider_override: Option<String>,
    /// `posthogModelOverride`.
    #[serde(default)]
    pub model_override: Option<String>,
    /// The `$ai_lib_version` to report.
    #[serde(default)]
    pub lib_version: Option<String>,
}

fn default_profile() -> String {
    Profile::PosthogPython.name().to_string()
}

/// The event to capture: hand it to the client's ordinary `capture`.
#[derive(Debug, Clone, PartialEq)]
pub struct AiEvent {
    /// `$ai_generation` or `$ai_embedding`.
    pub event: String,
    /// The caller's distinct id, else the trace id (with `$process_person_profile: false`).
    pub distinct_id: String,
    /// The event's properties.
    pub properties: Map<String, Value>,
    /// The caller's groups.
    pub groups: Option<Map<String, Value>>,
}

impl AiEvent {
    /// The event as one JSON object (`event`, `distinct_id`, `properties`, `groups`).
    pub fn to_json(&self) -> Value {
        json!({
            "event": self.event,
            "distinct_id": self.distinct_id,
            "properties": self.properties,
            "groups": self.groups,
        })
    }
}

/// Which official package's event shape to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// posthog-python's `posthog.ai`.
    Python,
    /// `@posthog/ai`.
    Node,
}

impl Flavor {
    /// posthog-node's profile follows `@posthog/ai`; every other profile follows
    /// posthog-python's `posthog.ai` (the older and more complete of the two).
    fn of(profile: Profile) -> Flavor {
        match profile {
            Profile::PosthogNode => Flavor::Node,
            _ => Flavor::Python,
        }
    }
}

/// What the provider-specific code extracts from one call.
#[derive(Debug, Default)]
pub(crate) struct Extracted {
    pub model: Option<Value>,
    pub input: Value,
    pub output: Value,
    pub usage: usage::Usage,
    pub stop_reason: Option<String>,
    pub service_tier: Option<Value>,
    pub tools: Option<Value>,
    /// Node only: `$ai_completion_id`.
    pub completion_id: Option<Value>,
    /// Node only: `$ai_provider_metadata`.
    pub provider_metadata: Option<Map<String, Value>>,
}

/// Builds the event for one wrapped provider call.
pub fn build_event(call: &AiCall) -> Result<AiEvent, Error> {
    let profile = Profile::parse(&call.profile)?;
    let flavor = Flavor::of(profile);
    let streamed = call.chunks.is_some();
    let ex = match call.api {
        Api::Chat | Api::Responses | Api::Embeddings => openai::extract(call, flavor),
        Api::AnthropicMessages => anthropic::extract(call, flavor),
    };
    let trace_id = call
        .trace_id
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let privacy = call.privacy_mode || call.client_privacy_mode;
    let hide = |v: Value| if privacy { Value::Null } else { v };
    let provider = call
        .provider_override
        .clone()
        .unwrap_or_else(|| call.api.provider().to_string());
    let event = if call.api == Api::Embeddings {
        "$ai_embedding"
    } else {
        "$ai_generation"
    };
    let http_status = match &call.error {
        None => 200,
        Some(e) => match (flavor, e.status) {
            (_, Some(s)) => s,
            (Flavor::Python, None) => 0,
            (Flavor::Node, None) => 500,
        },
    };
    let mut p = Map::new();
    p.insert("$ai_lib".into(), json!("posthog-ai"));
    p.insert(
        "$ai_lib_version".into(),
        json!(call.lib_version.clone().unwrap_or_default()),
    );
    p.insert("$ai_provider".into(), json!(provider));
    let model = call
        .model_override
        .clone()
        .map(Value::String)
        .or(ex.model.clone())
        .unwrap_or(Value::Null);
    p.insert("$ai_model".into(), model);
    let request_params = if flavor == Flavor::Node && call.api == Api::Embeddings {
        model_params(&call.request, None, flavor)
    } else {
        model_params(&call.request, ex.service_tier.as_ref(), flavor)
    };
    if call.api != Api::Embeddings || flavor == Flavor::Node {
        p.insert("$ai_model_parameters".into(), Value::Object(request_params));
    }
    if let Some(tier) = &ex.service_tier {
        p.insert("$ai_service_tier".into(), tier.clone());
    }
    p.insert("$ai_input".into(), hide(ex.input.clone()));
    if call.api != Api::Embeddings || flavor == Flavor::Node {
        p.insert("$ai_output_choices".into(), hide(ex.output.clone()));
    }
    p.insert("$ai_http_status".into(), json!(http_status));
    usage::insert_counts(&mut p, &ex.usage, call.api, flavor, streamed);
    p.insert("$ai_latency".into(), json!(call.latency));
    if flavor == Flavor::Node
        && let Some(t) = call.time_to_first_token.or_else(|| first_token_time(call))
    {
        p.insert("$ai_time_to_first_token".into(), json!(t));
    }
    p.insert("$ai_trace_id".into(), json!(trace_id));
    p.insert(
        "$ai_base_url".into(),
        json!(call.base_url.clone().unwrap_or_default()),
    );
    if let Some(tools) = &ex.tools {
        p.insert("$ai_tools".into(), tools.clone());
    }
    if let Some(reason) = &ex.stop_reason {
        p.insert("$ai_stop_reason".into(), json!(reason));
    }
    if call.api == Api::Responses
        && flavor == Flavor::Python
        && let Some(instr) = call.request.get("instructions").filter(|v| !v.is_null())
    {
        p.insert("$ai_instructions".into(), hide(instr.clone()));
    }
    if let Some(id) = &ex.completion_id {
        p.insert("$ai_completion_id".into(), id.clone());
    }
    if let Some(meta) = &ex.provider_metadata
        && !meta.is_empty()
    {
        p.insert("$ai_provider_metadata".into(), Value::Object(meta.clone()));
    }
    if call.distinct_id.is_none() {
        p.insert("$process_person_profile".into(), json!(false));
    }
    let caller = call.properties.clone().unwrap_or_default();
    let tokens_overridden = caller.keys().any(|k| usage::is_token_key(k, flavor));
    if flavor == Flavor::Node && ex.usage.cache_reporting_exclusive.is_some() && tokens_overridden {
        p.remove("$ai_cache_reporting_exclusive");
    }
    // posthog-python builds a non-streamed generation from context tags, and its capture
    // lists their names in `$context_tags`: every built property but the library's own.
    let context_tags: Option<Vec<String>> =
        (flavor == Flavor::Python && !streamed && call.api != Api::Embeddings).then(|| {
            p.keys()
                .filter(|k| !matches!(k.as_str(), "$ai_lib" | "$ai_lib_version"))
                .cloned()
                .collect()
        });
    for (k, v) in caller {
        p.insert(k, v);
    }
    if let Some(e) = &call.error {
        p.insert("$ai_is_error".into(), json!(true));
        p.insert("$ai_error".into(), json!(error_text(e, flavor, privacy)));
    }
    if flavor == Flavor::Node
        && let Some(cost) = call.cost_override
    {
        let mut total = None;
        if let Some(n) = ex.usage.input {
            let c = cost.input_cost.unwrap_or(0.0) * n as f64;
            p.insert("$ai_input_cost_usd".into(), json!(c));
            total = Some(c);
        }
        if let Some(n) = ex.usage.output {
            let c = cost.output_cost.unwrap_or(0.0) * n as f64;
            p.insert("$ai_output_cost_usd".into(), json!(c));
            total = Some(total.unwrap_or(0.0) + c);
        }
        if let Some(t) = total {
            p.insert("$ai_total_cost_usd".into(), json!(t));
        }
    }
    let tokens_source = if tokens_overridden {
        "passthrough"
    } else {
        "sdk"
    };
    if call.api != Api::Embeddings || flavor == Flavor::Node {
        p.insert("$ai_tokens_source".into(), json!(tokens_source));
    }
    if let Some(mut tags) = context_tags {
        tags.sort();
        p.insert("$context_tags".into(), json!(tags));
    }
    Ok(AiEvent {
        event: event.to_string(),
        distinct_id: call.distinct_id.clone().unwrap_or(trace_id),
        properties: p,
        groups: call.groups.clone(),
    })
}

/// Builds the event of [`build_event`] from the JSON of an [`AiCall`] and returns it as JSON
/// (what the bindings call).
pub fn build_event_json(call: Value) -> Result<Value, Error> {
    let call: AiCall = serde_json::from_value(call)
        .map_err(|e| Error::InvalidInput(format!("AI call description: {e}")))?;
    Ok(build_event(&call)?.to_json())
}

/// The `$ai_model_parameters` read from the request (the served service tier from the response).
fn model_params(
    request: &Value,
    served_tier: Option<&Value>,
    flavor: Flavor,
) -> Map<String, Value> {
    const COMMON: [&str; 10] = [
        "temperature",
        "max_tokens",
        "max_completion_tokens",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "n",
        "stop",
        "stream",
        "streaming",
    ];
    const NODE_EXTRA: [&str; 3] = ["language", "response_format", "timestamp_granularities"];
    let mut out = Map::new();
    let keys = COMMON.iter().chain(if flavor == Flavor::Node {
        NODE_EXTRA.iter()
    } else {
        [].iter()
    });
    for key in keys {
        if let Some(v) = request.get(*key)
            && !v.is_null()
        {
            out.insert((*key).to_string(), v.clone());
        }
    }
    if let Some(tier) = served_tier {
        out.insert("service_tier".into(), tier.clone());
    }
    out
}

/// `$ai_time_to_first_token` read from `chunk_times`: when the first chunk carrying content
/// arrived (text or a tool call; for the responses API any output, reasoning, audio or refusal
/// delta), as `@posthog/ai` counts it.
fn first_token_time(call: &AiCall) -> Option<f64> {
    let chunks = call.chunks.as_ref()?;
    let times = call.chunk_times.as_ref()?;
    let first = chunks.iter().position(|c| match call.api {
        Api::Chat => {
            let delta = c
                .get("choices")
                .and_then(|cs| cs.get(0))
                .and_then(|c| c.get("delta"));
            delta.is_some_and(|d| {
                d.get("content").is_some_and(truthy)
                    || d.get("tool_calls").is_some_and(Value::is_array)
            })
        }
        Api::Responses => matches!(
            c.get("type").and_then(Value::as_str),
            Some(
                "response.output_item.added"
                    | "response.content_part.added"
                    | "response.output_text.delta"
                    | "response.reasoning_text.delta"
                    | "response.reasoning_summary_text.delta"
                    | "response.audio.delta"
                    | "response.audio.transcript.delta"
                    | "response.refusal.delta"
            )
        ),
        Api::AnthropicMessages => {
            c.get("delta").and_then(|d| d.get("text")).is_some()
                || (c.get("type") == Some(&json!("content_block_start"))
                    && c.get("content_block").and_then(|b| b.get("type"))
                        == Some(&json!("tool_use")))
        }
        Api::Embeddings => false,
    })?;
    times.get(first).copied()
}

/// `$ai_error`: the error's text, or with privacy mode (posthog-python) a summary without it.
fn error_text(e: &AiError, flavor: Flavor, privacy: bool) -> String {
    if e.cancelled {
        return "cancelled".into();
    }
    let name = e.name.clone().unwrap_or_else(|| "Error".into());
    match flavor {
        Flavor::Python if privacy => {
            let mut s = if is_class_name(&name) {
                name
            } else {
                "Exception".into()
            };
            if let Some(status) = e.status {
                s.push_str(&format!(": {status}"));
            }
            s
        }
        Flavor::Python => e.message.clone().unwrap_or_default(),
        Flavor::Node => {
            let mut obj = Map::new();
            obj.insert("name".into(), json!(name));
            obj.insert(
                "message".into(),
                json!(e.message.clone().unwrap_or_default()),
            );
            if let Some(Value::Object(extra)) = &e.detail {
                for (k, v) in extra {
                    obj.insert(k.clone(), v.clone());
                }
            }
            Value::Object(obj).to_string()
        }
    }
}

fn is_class_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && s.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// `value[key]` when `value` is an object holding `key` (null included).
pub(crate) fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.as_object().and_then(|o| o.get(key))
}

/// `value[key]` when present and not null.
pub(crate) fn some<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    field(value, key).filter(|v| !v.is_null())
}

/// JavaScript/Python truthiness of a JSON value.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests;
