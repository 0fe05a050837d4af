//! OpenAI: chat completions, the responses API and embeddings, streamed or not.

use super::usage::{Usage, count, nested};
use super::{AiCall, Api, Extracted, Flavor, field, some, truthy};
use serde_json::{Map, Value, json};

/// Reads one OpenAI call.
pub(crate) fn extract(call: &AiCall, flavor: Flavor) -> Extracted {
    let req = &call.request;
    let mut ex = Extracted {
        tools: tools(req, flavor),
        ..Extracted::default()
    };
    if call.api == Api::Embeddings {
        ex.model = some(req, "model").cloned();
        ex.input = req.get("input").cloned().unwrap_or(Value::Null);
        if let Some(resp) = &call.response
            && let Some(u) = some(resp, "usage")
        {
            ex.usage.input = match flavor {
                Flavor::Python => count(u.get("prompt_tokens")),
                Flavor::Node => Some(count(u.get("prompt_tokens")).unwrap_or(0)),
            };
            ex.usage.raw = Some(u.clone());
        }
        ex.tools = None;
        ex.output = Value::Null;
        if flavor == Flavor::Node {
            ex.usage.cache_reporting_exclusive = Some(false);
        }
        return ex;
    }
    ex.input = match flavor {
        Flavor::Python => python_input(req),
        Flavor::Node if call.api == Api::Chat => {
            req.get("messages").cloned().unwrap_or(Value::Null)
        }
        Flavor::Node => node_responses_input(req),
    };
    let model_from_request = some(req, "model").filter(|m| truthy(m)).cloned();
    match (&call.chunks, &call.response) {
        (Some(chunks), _) => match call.api {
            Api::Chat => chat_stream(chunks, flavor, &mut ex),
            _ => responses_stream(chunks, flavor, &mut ex),
        },
        (None, Some(resp)) => whole(resp, call.api, flavor, &mut ex),
        (None, None) => {
            ex.output = json!([]);
        }
    }
    if flavor == Flavor::Node {
        // @posthog/ai declares OpenAI's inclusive cache accounting on every event.
        ex.usage.cache_reporting_exclusive = Some(false);
    }
    ex.model = model_from_request
        .or(ex.model.take())
        .or_else(|| (call.chunks.is_some() && flavor == Flavor::Python).then(|| json!("unknown")));
    if call.error.is_some() && flavor == Flavor::Node {
        ex.output = json!([]);
        ex.stop_reason = None;
        ex.service_tier = None;
    }
    ex
}

fn tools(req: &Value, flavor: Flavor) -> Option<Value> {
    match flavor {
        Flavor::Python => match field(req, "tools") {
            Some(t) => Some(t.clone()),
            None => field(req, "functions").cloned(),
        },
        Flavor::Node => field(req, "tools").cloned(),
    }
    .filter(truthy)
}

/// Drops the null fields of an object, one level deep (posthog-python's `to_plain` of a dict).
fn shallow_plain(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Drops null fields at every depth (a pydantic model's `model_dump(exclude_none=True)`).
pub(crate) fn deep_plain(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), deep_plain(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(deep_plain).collect()),
        other => other.clone(),
    }
}

fn python_input(req: &Value) -> Value {
    let mut out: Vec<Value> = Vec::new();
    if let Some(Value::Array(messages)) = some(req, "messages") {
        for msg in messages {
            let plain = match shallow_plain(msg) {
                Value::Object(o) => o,
                other => {
                    let mut o = Map::new();
                    o.insert("role".into(), json!("user"));
                    o.insert("content".into(), json!(text_of(&other)));
                    o
                }
            };
            let mut m = Map::new();
            m.insert(
                "role".into(),
                plain.get("role").cloned().unwrap_or(json!("user")),
            );
            m.insert(
                "content".into(),
                plain.get("content").cloned().unwrap_or(Value::Null),
            );
            for key in ["tool_calls", "tool_call_id", "name", "audio", "refusal"] {
                if let Some(v) = plain.get(key) {
                    m.insert(key.into(), v.clone());
                }
            }
            out.push(Value::Object(m));
        }
    }
    match some(req, "input") {
        Some(Value::Array(items)) => {
            for item in items {
                out.push(match item {
                    Value::Object(o)
                        if o.contains_key("type")
                            && !o.contains_key("role")
                            && !o.contains_key("content") =>
                    {
                        shallow_plain(item)
                    }
                    Value::Object(o) => json!({
                        "role": o.get("role").cloned().unwrap_or(json!("user")),
                        "content": o.get("content").cloned().unwrap_or(json!("")),
                    }),
                    Value::String(s) => json!({"role": "user", "content": s}),
                    other => json!({"role": "user", "content": text_of(other)}),
                });
            }
        }
        Some(Value::String(s)) => out.push(json!({"role": "user", "content": s})),
        Some(other) => out.push(json!({"role": "user", "content": text_of(other)})),
        None => {}
    }
    if let Some(system) = some(req, "system")
        && !out.iter().any(|m| m.get("role") == Some(&json!("system")))
    {
        out.insert(0, json!({"role": "system", "content": system}));
    }
    if let Some(instr) = some(req, "instructions") {
        let idx = out
            .iter()
            .position(|m| m.get("role") == Some(&json!("system")));
        match idx {
            Some(i) => {
                let prior = out[i].get("content").map(text_of).unwrap_or_default();
                out[i]["content"] = json!(format!("{prior}\n\n{}", text_of(instr)));
            }
            None => out.insert(0, json!({"role": "system", "content": instr})),
        }
    }
    Value::Array(out)
}

/// Text of a value the way the official packages print it (strings as is, others as JSON).
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn node_responses_input(req: &Value) -> Value {
    let mut out = Vec::new();
    if let Some(instr) = some(req, "instructions").filter(|v| truthy(v)) {
        out.push(json!({"role": "system", "content": instr}));
    }
    match req.get("input") {
        Some(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::String(s) => out.push(json!({"role": "user", "content": s})),
                    Value::Object(o) => {
                        let role = o
                            .get("role")
                            .and_then(Value::as_str)
                            .unwrap_or("user")
                            .to_string();
                        let content = some(item, "content")
                            .or_else(|| some(item, "text"))
                            .unwrap_or(item);
                        out.push(json!({"role": role, "content": text_of(content)}));
                    }
                    other => out.push(json!({"role": "user", "content": text_of(other)})),
                }
            }
        }
        Some(Value::String(s)) => out.push(json!({"role": "user", "content": s})),
        Some(v) if truthy(v) => out.push(json!({"role": "user", "content": text_of(v)})),
        _ => {}
    }
    Value::Array(out)
}

/// A response that was not streamed.
fn whole(resp: &Value, api: Api, flavor: Flavor, ex: &mut Extracted) {
    ex.model = some(resp, "model").cloned();
    ex.service_tier = some(resp, "service_tier").cloned();
    ex.output = match flavor {
        Flavor::Python => python_output(resp),
        Flavor::Node => node_output(resp),
    };
    ex.stop_reason = if let Some(Value::Array(choices)) = field(resp, "choices") {
        choices
            .first()
            .and_then(|c| some(c, "finish_reason"))
            .and_then(Value::as_str)
            .map(String::from)
    } else {
        responses_stop_reason(resp)
    };
    let web = web_search_count(resp);
    match flavor {
        Flavor::Python => {
            if let Some(u) = some(resp, "usage").filter(|u| truthy(u)) {
                let mut usage = python_usage(u);
                if web > 0 {
                    usage.web_search = Some(web);
                }
                usage.raw = Some(u.clone());
                ex.usage = usage;
            }
        }
        Flavor::Node => {
            let u = some(resp, "usage").cloned().unwrap_or(Value::Null);
            ex.usage = node_usage(&u, api == Api::Chat);
            ex.usage.web_search = Some(web);
            ex.completion_id = some(resp, "id").cloned();
            let mut meta = Map::new();
            if api == Api::Chat
                && let Some(fp) = some(resp, "system_fingerprint").filter(|v| truthy(v))
            {
                meta.insert("system_fingerprint".into(), fp.clone());
            }
            if let Some(id) = some(resp, "_request_id").filter(|v| truthy(v)) {
                meta.insert("request_id".into(), id.clone());
            }
            if api == Api::Responses
                && let Some(d) = some(resp, "incomplete_details")
            {
                meta.insert("incomplete_details".into(), d.clone());
            }
            ex.provider_metadata = Some(meta);
        }
    }
}

/// posthog-python's usage of a whole response: the responses fields, then the chat fields.
fn python_usage(u: &Value) -> Usage {
    let mut input = None;
    let mut output = None;
    let mut cache = None;
    let mut reasoning = None;
    for (inp, out, in_d, out_d) in [
        (
            "input_tokens",
            "output_tokens",
            "input_tokens_details",
            "output_tokens_details",
        ),
        (
            "prompt_tokens",
            "completion_tokens",
            "prompt_tokens_details",
            "completion_tokens_details",
        ),
    ] {
        if let Some(v) = field(u, inp) {
            input = Some(v.clone());
        }
        if let Some(v) = field(u, out) {
            output = Some(v.clone());
        }
        if let Some(d) = field(u, in_d).filter(|d| d.is_object())
            && let Some(v) = field(d, "cached_tokens")
        {
            cache = Some(v.clone());
        }
        if let Some(d) = field(u, out_d).filter(|d| d.is_object())
            && let Some(v) = field(d, "reasoning_tokens")
        {
            reasoning = Some(v.clone());
        }
    }
    Usage {
        input: count(input.as_ref()),
        output: count(output.as_ref()),
        cache_read: count(cache.as_ref()).filter(|n| *n > 0),
        reasoning: count(reasoning.as_ref()).filter(|n| *n > 0),
        ..Usage::default()
    }
}

/// `@posthog/ai`'s usage: every count defaults to 0.
fn node_usage(u: &Value, chat: bool) -> Usage {
    let (inp, out, in_d, out_d) = if chat {
        (
            "prompt_tokens",
            "completion_tokens",
            "prompt_tokens_details",
            "completion_tokens_details",
        )
    } else {
        (
            "input_tokens",
            "output_tokens",
            "input_tokens_details",
            "output_tokens_details",
        )
    };
    Usage {
        input: Some(count(u.get(inp)).unwrap_or(0)),
        output: Some(count(u.get(out)).unwrap_or(0)),
        reasoning: Some(nested(u, out_d, "reasoning_tokens").unwrap_or(0)),
        cache_read: Some(nested(u, in_d, "cached_tokens").unwrap_or(0)),
        cache_creation: Some(nested(u, in_d, "cache_write_tokens").unwrap_or(0)),
        raw: Some(u.clone()),
        ..Usage::default()
    }
}

/// Web searches a response reports: the exact count of `web_search_call` items, else 1 when
/// citations say a search happened.
fn web_search_count(resp: &Value) -> i64 {
    let url_citation = |holder: &Value| -> bool {
        matches!(some(holder, "annotations"), Some(Value::Array(a))
            if a.iter().any(|x| x.get("type") == Some(&json!("url_citation"))))
    };
    if let Some(Value::Array(items)) = field(resp, "output") {
        let n = items
            .iter()
            .filter(|i| i.get("type") == Some(&json!("web_search_call")))
            .count() as i64;
        if n > 0 {
            return n;
        }
    }
    for key in ["citations", "search_results"] {
        if some(resp, key).is_some_and(truthy) {
            return 1;
        }
    }
    if some(resp, "usage")
        .and_then(|u| some(u, "search_context_size"))
        .is_some_and(truthy)
    {
        return 1;
    }
    if let Some(Value::Array(choices)) = field(resp, "choices") {
        for c in choices {
            for k in ["message", "delta"] {
                if some(c, k).is_some_and(url_citation) {
                    return 1;
                }
            }
        }
    }
    if let Some(Value::Array(items)) = field(resp, "output") {
        for item in items {
            if let Some(Value::Array(content)) = field(item, "content")
                && content.iter().any(url_citation)
            {
                return 1;
            }
        }
    }
    0
}

fn responses_stop_reason(resp: &Value) -> Option<String> {
    let status = some(resp, "status")?.as_str()?;
    if !matches!(status, "completed" | "failed" | "cancelled" | "incomplete") {
        return None;
    }
    let reason = some(resp, "incomplete_details")
        .and_then(|d| some(d, "reason"))
        .and_then(Value::as_str)
        .filter(|r| !r.is_empty());
    match (status, reason) {
        ("incomplete", Some(r)) => Some(r.to_string()),
        _ => Some(status.to_string()),
    }
}

fn python_output(resp: &Value) -> Value {
    let mut out = Vec::new();
    if let Some(Value::Array(choices)) = field(resp, "choices") {
        let mut role = json!("assistant");
        let mut content = Vec::new();
        for choice in choices {
            let Some(msg) = some(choice, "message").filter(|m| truthy(m)) else {
                continue;
            };
            if let Some(r) = some(msg, "role").filter(|r| truthy(r)) {
                role = r.clone();
            }
            if let Some(text) = some(msg, "content").filter(|c| truthy(c)) {
                content.push(json!({"type": "text", "text": text}));
            }
            if let Some(refusal) = some(msg, "refusal").filter(|c| truthy(c)) {
                content.push(json!({"type": "refusal", "refusal": refusal}));
            }
            if let Some(Value::Array(calls)) = some(msg, "tool_calls") {
                for tc in calls {
                    let custom = tc.get("type") == Some(&json!("custom"));
                    let Some(f) = some(tc, if custom { "custom" } else { "function" }) else {
                        continue;
                    };
                    content.push(json!({
                        "type": "function",
                        "id": tc.get("id").cloned().unwrap_or(Value::Null),
                        "function": {
                            "name": f.get("name").cloned().unwrap_or(Value::Null),
                            "arguments": f.get(if custom { "input" } else { "arguments" })
                                .cloned().unwrap_or(Value::Null),
                        },
                    }));
                }
            }
            if let Some(Value::Object(audio)) = some(msg, "audio").filter(|a| truthy(a)) {
                let mut block = Map::new();
                block.insert("type".into(), json!("audio"));
                for (k, v) in audio {
                    block.insert(k.clone(), v.clone());
                }
                content.push(Value::Object(block));
            }
        }
        if !content.is_empty() {
            out.push(json!({"role": role, "content": content}));
        }
    }
    if let Some(Value::Array(items)) = field(resp, "output") {
        let content = python_output_items(items);
        if !content.is_empty() {
            out.push(json!({"role": output_role(items), "content": content}));
        }
    }
    Value::Array(out)
}

fn output_role(items: &[Value]) -> Value {
    let mut role = json!("assistant");
    for item in items {
        if item.get("type") == Some(&json!("message"))
            && let Some(r) = some(item, "role")
        {
            role = r.clone();
        }
    }
    role
}

fn python_output_items(items: &[Value]) -> Vec<Value> {
    let mut content = Vec::new();
    for item in items {
        match item.get("type").and_then(Value::as_str) {
            Some("message") => match field(item, "content") {
                Some(Value::Array(parts)) => {
                    for part in parts {
                        let ty = part.get("type").and_then(Value::as_str);
                        let text = some(part, "text");
                        if let (Some("output_text"), Some(t)) = (ty, text) {
                            content.push(json!({"type": "text", "text": t}));
                        } else if let (Some("refusal"), Some(r)) = (ty, some(part, "refusal")) {
                            content.push(json!({"type": "refusal", "refusal": r}));
                        } else if let Some(t) = text {
                            content.push(json!({"type": "text", "text": t}));
                        } else if let (Some("input_image"), Some(u)) = (ty, some(part, "image_url"))
                        {
                            content.push(json!({"type": "image", "image": u}));
                        }
                    }
                }
                Some(v) if !v.is_null() => {
                    content.push(json!({"type": "text", "text": text_of(v)}));
                }
                _ => {}
            },
            Some("function_call") => {
                let id = some(item, "call_id")
                    .or_else(|| some(item, "id"))
                    .cloned()
                    .unwrap_or(json!(""));
                content.push(json!({
                    "type": "function",
                    "id": id,
                    "function": {
                        "name": item.get("name").cloned().unwrap_or(Value::Null),
                        "arguments": item.get("arguments").cloned().unwrap_or(json!({})),
                    },
                }));
            }
            Some("image_generation_call") => content.push(json!({
                "type": "image_generation_call",
                "result": item.get("result").cloned().unwrap_or(Value::Null),
                "status": item.get("status").cloned().unwrap_or(Value::Null),
            })),
            Some(_) => content.push(deep_plain(item)),
            None => {}
        }
    }
    content
}

fn node_output(resp: &Value) -> Value {
    let mut out = Vec::new();
    if let Some(Value::Array(choices)) = field(resp, "choices") {
        for choice in choices {
            let mut content = Vec::new();
            let mut role = json!("assistant");
            if let Some(msg) = some(choice, "message") {
                if let Some(r) = some(msg, "role").filter(|r| truthy(r)) {
                    role = r.clone();
                }
                if let Some(t) = some(msg, "content").filter(|c| truthy(c)) {
                    content.push(json!({"type": "text", "text": t}));
                }
                if let Some(Value::Array(calls)) = some(msg, "tool_calls") {
                    for tc in calls {
                        let f = tc.get("function").cloned().unwrap_or(json!({}));
                        content.push(json!({
                            "type": "function",
                            "id": tc.get("id").cloned().unwrap_or(Value::Null),
                            "function": {"name": f.get("name"), "arguments": f.get("arguments")},
                        }));
                    }
                }
                if let Some(Value::Object(audio)) = some(msg, "audio") {
                    let mut block = Map::new();
                    block.insert("type".into(), json!("audio"));
                    for (k, v) in audio {
                        block.insert(k.clone(), v.clone());
                    }
                    content.push(Value::Object(block));
                }
            }
            if !content.is_empty() {
                out.push(json!({"role": role, "content": content}));
            }
        }
    }
    if let Some(Value::Array(items)) = field(resp, "output") {
        let mut content = Vec::new();
        let mut role = json!("assistant");
        for item in items {
            match item.get("type").and_then(Value::as_str) {
                Some("message") => {
                    role = item.get("role").cloned().unwrap_or(Value::Null);
                    match field(item, "content") {
                        Some(Value::Array(parts)) => {
                            for part in parts {
                                if let Some(t) = some(part, "text").filter(|t| truthy(t)) {
                                    content.push(json!({"type": "text", "text": t}));
                                } else if part.get("type") == Some(&json!("input_image"))
                                    && let Some(u) = some(part, "image_url").filter(|u| truthy(u))
                                {
                                    content.push(json!({"type": "image", "image": u}));
                                }
                            }
                        }
                        Some(v) if truthy(v) => {
                            content.push(json!({"type": "text", "text": text_of(v)}));
                        }
                        _ => {}
                    }
                }
                Some("function_call") => {
                    let id = some(item, "call_id")
                        .filter(|v| truthy(v))
                        .or_else(|| some(item, "id").filter(|v| truthy(v)))
                        .cloned()
                        .unwrap_or(json!(""));
                    let args = some(item, "arguments")
                        .filter(|v| truthy(v))
                        .cloned()
                        .unwrap_or(json!({}));
                    content.push(json!({"type": "function", "id": id,
                        "function": {"name": item.get("name"), "arguments": args}}));
                }
                Some("image_generation_call") => {
                    if let Some(r) = some(item, "result").filter(|v| truthy(v)) {
                        content.push(json!({"type": "image", "image": r}));
                    }
                }
                _ => {}
            }
        }
        if !content.is_empty() {
            out.push(json!({"role": role, "content": content}));
        }
    }
    Value::Array(out)
}

/// One choice of a streamed chat completion, accumulated.
#[derive(Default)]
struct ChoiceAcc {
    text: String,
    audio_id: Option<Value>,
    audio_data: String,
    audio_transcript: String,
    has_audio: bool,
    refusal: String,
    /// `(key, id, type, name, arguments)` in first-seen order.
    tools: Vec<(String, String, String, String, String)>,
}

fn chat_stream(chunks: &[Value], flavor: Flavor, ex: &mut Extracted) {
    let mut choices: std::collections::BTreeMap<i64, ChoiceAcc> = Default::default();
    let mut model = None;
    let mut tier: Option<Value> = None;
    let mut usage = Usage::default();
    let mut node_usage_seen = None;
    let mut web = 0;
    let mut completion_id = None;
    let mut fingerprint = None;
    for chunk in chunks {
        if model.is_none() {
            model = some(chunk, "model")
                .filter(|m| flavor == Flavor::Python || truthy(m))
                .cloned();
        }
        match flavor {
            Flavor::Python => {
                if tier.is_none() {
                    tier = some(chunk, "service_tier").cloned();
                }
            }
            Flavor::Node => {
                if let Some(t) = some(chunk, "service_tier") {
                    tier = Some(t.clone());
                }
                if completion_id.is_none() {
                    completion_id = some(chunk, "id").filter(|v| truthy(v)).cloned();
                }
                if fingerprint.is_none() {
                    fingerprint = some(chunk, "system_fingerprint")
                        .filter(|v| truthy(v))
                        .cloned();
                }
            }
        }
        let w = web_search_count(chunk);
        web = web.max(w);
        if let Some(u) = some(chunk, "usage").filter(|u| truthy(u)) {
            match flavor {
                Flavor::Python => {
                    let mut part = Usage {
                        input: Some(count(u.get("prompt_tokens")).unwrap_or(0)),
                        output: Some(count(u.get("completion_tokens")).unwrap_or(0)),
                        cache_read: nested(u, "prompt_tokens_details", "cached_tokens"),
                        reasoning: nested(u, "completion_tokens_details", "reasoning_tokens"),
                        raw: Some(u.clone()),
                        ..Usage::default()
                    };
                    if field(u, "prompt_tokens").is_some_and(Value::is_null) {
                        part.input = None;
                    }
                    if field(u, "completion_tokens").is_some_and(Value::is_null) {
                        part.output = None;
                    }
                    usage.add(&part);
                }
                Flavor::Node => node_usage_seen = Some(node_usage(u, true)),
            }
        }
        let Some(Value::Array(cs)) = field(chunk, "choices") else {
            continue;
        };
        for (pos, choice) in cs.iter().enumerate() {
            let index = match flavor {
                Flavor::Python => choice.get("index").and_then(Value::as_i64).unwrap_or(0),
                // @posthog/ai reads the first choice of each chunk only.
                Flavor::Node if pos == 0 => 0,
                Flavor::Node => break,
            };
            if let Some(reason) = some(choice, "finish_reason").and_then(Value::as_str)
                && index == 0
                && (flavor == Flavor::Python || !reason.is_empty())
            {
                ex.stop_reason = Some(reason.to_string());
            }
            let Some(delta) = some(choice, "delta").filter(|d| truthy(d)) else {
                continue;
            };
            let acc = choices.entry(index).or_default();
            if let Some(t) = some(delta, "content")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                acc.text.push_str(t);
            } else if flavor == Flavor::Python {
                if let Some(audio) = some(delta, "audio") {
                    acc.has_audio = true;
                    if acc.audio_id.is_none() {
                        acc.audio_id = some(audio, "id").filter(|v| truthy(v)).cloned();
                    }
                    if let Some(d) = some(audio, "data").and_then(Value::as_str) {
                        acc.audio_data.push_str(d);
                    }
                    if let Some(d) = some(audio, "transcript").and_then(Value::as_str) {
                        acc.audio_transcript.push_str(d);
                    }
                } else if let Some(r) = some(delta, "refusal").and_then(Value::as_str) {
                    acc.refusal.push_str(r);
                }
            }
            if let Some(Value::Array(calls)) = some(delta, "tool_calls") {
                for tc in calls {
                    apply_tool_delta(acc, tc, flavor);
                }
            }
        }
    }
    ex.model = model;
    ex.service_tier = tier;
    let mut content = Vec::new();
    for acc in choices.values() {
        if !acc.text.is_empty() {
            content.push(json!({"type": "text", "text": acc.text}));
        }
        if flavor == Flavor::Python {
            if acc.has_audio && (!acc.audio_data.is_empty() || !acc.audio_transcript.is_empty()) {
                let mut block = Map::new();
                block.insert("type".into(), json!("audio"));
                if let Some(id) = &acc.audio_id {
                    block.insert("id".into(), id.clone());
                }
                if !acc.audio_data.is_empty() {
                    block.insert("data".into(), json!(acc.audio_data));
                }
                if !acc.audio_transcript.is_empty() {
                    block.insert("transcript".into(), json!(acc.audio_transcript));
                }
                content.push(Value::Object(block));
            }
            if !acc.refusal.is_empty() {
                content.push(json!({"type": "refusal", "refusal": acc.refusal}));
            }
        }
        for (_, id, _ty, name, args) in &acc.tools {
            if flavor == Flavor::Node && name.is_empty() {
                continue;
            }
            content.push(json!({"type": "function", "id": id,
                "function": {"name": name, "arguments": args}}));
        }
    }
    if flavor == Flavor::Node && content.is_empty() {
        content.push(json!({"type": "text", "text": ""}));
    }
    ex.output = json!([{"role": "assistant", "content": content}]);
    match flavor {
        Flavor::Python => {
            if web > 0 {
                usage.web_search = Some(web);
            }
            ex.usage = usage;
        }
        Flavor::Node => {
            let mut u = node_usage_seen.unwrap_or_default();
            u.web_search = Some(web);
            ex.usage = u;
            ex.completion_id = completion_id;
            let mut meta = Map::new();
            if let Some(fp) = fingerprint {
                meta.insert("system_fingerprint".into(), fp);
            }
            ex.provider_metadata = Some(meta);
        }
    }
}

fn apply_tool_delta(acc: &mut ChoiceAcc, tc: &Value, flavor: Flavor) {
    let id = some(tc, "id").and_then(Value::as_str).unwrap_or("");
    let f = some(tc, "function");
    let name = f
        .and_then(|f| some(f, "name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let args = f
        .and_then(|f| some(f, "arguments"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let key = match tc.get("index").and_then(Value::as_i64) {
        Some(i) => i.to_string(),
        None if flavor == Flavor::Node => return,
        None => {
            let by_id = (!id.is_empty())
                .then(|| acc.tools.iter().find(|t| t.1 == id).map(|t| t.0.clone()))
                .flatten();
            match by_id {
                Some(k) => k,
                None if !acc.tools.is_empty() && id.is_empty() && name.is_empty() => {
                    acc.tools.last().map(|t| t.0.clone()).unwrap_or_default()
                }
                None => format!("no-index-{}", acc.tools.len()),
            }
        }
    };
    let pos = match acc.tools.iter().position(|t| t.0 == key) {
        Some(p) => p,
        None => {
            acc.tools.push((
                key,
                String::new(),
                "function".into(),
                String::new(),
                String::new(),
            ));
            acc.tools.len() - 1
        }
    };
    let t = &mut acc.tools[pos];
    if !id.is_empty() {
        t.1 = id.to_string();
    }
    if let Some(ty) = some(tc, "type")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        t.2 = ty.to_string();
    }
    if !name.is_empty() {
        t.3 = name.to_string();
    }
    t.4.push_str(args);
}

fn responses_stream(chunks: &[Value], flavor: Flavor, ex: &mut Extracted) {
    let mut usage = Usage::default();
    let mut output: Vec<Value> = Vec::new();
    let mut model = None;
    let mut tier: Option<Value> = None;
    let mut web = 0;
    let mut completion_id = None;
    let mut node_u: Option<Usage> = None;
    for chunk in chunks {
        let Some(resp) = some(chunk, "response").filter(|r| truthy(r)) else {
            continue;
        };
        if model.is_none() {
            model = some(resp, "model")
                .filter(|m| flavor == Flavor::Python || truthy(m))
                .cloned();
        }
        match flavor {
            Flavor::Python => {
                if tier.is_none() {
                    tier = some(resp, "service_tier").cloned();
                }
            }
            Flavor::Node => {
                if let Some(t) = some(resp, "service_tier") {
                    tier = Some(t.clone());
                }
                if completion_id.is_none() {
                    completion_id = some(resp, "id").filter(|v| truthy(v)).cloned();
                }
            }
        }
        let ty = chunk.get("type").and_then(Value::as_str).unwrap_or("");
        let terminal = matches!(
            ty,
            "response.completed" | "response.incomplete" | "response.failed"
        );
        match flavor {
            Flavor::Python => {
                if terminal {
                    if let Some(u) = some(resp, "usage").filter(|u| truthy(u)) {
                        let part = Usage {
                            input: Some(count(u.get("input_tokens")).unwrap_or(0)),
                            output: Some(count(u.get("output_tokens")).unwrap_or(0)),
                            cache_read: nested(u, "input_tokens_details", "cached_tokens"),
                            reasoning: nested(u, "output_tokens_details", "reasoning_tokens"),
                            web_search: Some(web_search_count(resp)).filter(|n| *n > 0),
                            raw: Some(u.clone()),
                            ..Usage::default()
                        };
                        usage.add(&part);
                    }
                    if let Some(Value::Array(items)) = some(resp, "output") {
                        output.extend(items.iter().cloned());
                    }
                }
                if let Some(r) = responses_stop_reason(resp) {
                    ex.stop_reason = Some(r);
                }
            }
            Flavor::Node => {
                web = web.max(web_search_count(resp));
                if let Some(u) = some(resp, "usage").filter(|u| truthy(u)) {
                    node_u = Some(node_usage(u, false));
                }
                if let Some(r) = responses_stop_reason(resp) {
                    output = match some(resp, "output") {
                        Some(Value::Array(items)) => items.clone(),
                        _ => Vec::new(),
                    };
                    ex.stop_reason = Some(r);
                }
            }
        }
    }
    ex.model = model;
    ex.service_tier = tier;
    match flavor {
        Flavor::Python => {
            let content = python_output_items(&output);
            ex.output = if content.is_empty() {
                json!([])
            } else {
                json!([{"role": output_role(&output), "content": content}])
            };
            ex.usage = usage;
        }
        Flavor::Node => {
            // @posthog/ai sends a streamed response's output items as the API gave them.
            ex.output = Value::Array(output);
            let mut u = node_u.unwrap_or_default();
            u.web_search = Some(web);
            ex.usage = u;
            ex.completion_id = completion_id;
        }
    }
}
