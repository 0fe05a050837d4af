//! Anthropic: `messages.create`, streamed or not.

use super::openai::deep_plain;
use super::usage::{Usage, count, nested};
use super::{AiCall, Extracted, Flavor, field, some, truthy};
use serde_json::{Map, Value, json};

/// Reads one Anthropic call.
pub(crate) fn extract(call: &AiCall, flavor: Flavor) -> Extracted {
    let req = &call.request;
    let mut ex = Extracted {
        tools: some(req, "tools").filter(|t| truthy(t)).cloned(),
        input: input(req, flavor),
        ..Extracted::default()
    };
    match (&call.chunks, &call.response) {
        (Some(chunks), _) => stream(chunks, flavor, &mut ex),
        (None, Some(resp)) => whole(resp, flavor, &mut ex),
        (None, None) => ex.output = json!([]),
    }
    ex.model = match flavor {
        Flavor::Python if call.chunks.is_some() => {
            Some(some(req, "model").cloned().unwrap_or(json!("unknown")))
        }
        Flavor::Python => some(req, "model")
            .filter(|m| truthy(m))
            .cloned()
            .or(ex.model.take()),
        Flavor::Node => some(req, "model").cloned(),
    };
    if call.error.is_some() {
        ex.output = json!([]);
    }
    ex
}

fn input(req: &Value, flavor: Flavor) -> Value {
    let mut out = Vec::new();
    let system = some(req, "system");
    match flavor {
        Flavor::Python => {
            if let Some(s) = system {
                out.push(json!({"role": "system", "content": s}));
            }
            if let Some(Value::Array(messages)) = some(req, "messages") {
                for m in messages {
                    let content = match m.get("content") {
                        Some(Value::Array(items)) => Value::Array(
                            items
                                .iter()
                                .map(|i| match i {
                                    Value::Object(o) => Value::Object(
                                        o.iter()
                                            .filter(|(_, v)| !v.is_null())
                                            .map(|(k, v)| (k.clone(), v.clone()))
                                            .collect(),
                                    ),
                                    other => other.clone(),
                                })
                                .collect(),
                        ),
                        Some(v) => v.clone(),
                        None => json!(""),
                    };
                    out.push(json!({
                        "role": m.get("role").cloned().unwrap_or(json!("user")),
                        "content": content,
                    }));
                }
            }
        }
        Flavor::Node => {
            if let Some(s) = system.filter(|s| truthy(s)) {
                out.push(json!({"role": "system", "content": s}));
            }
            if let Some(Value::Array(messages)) = some(req, "messages") {
                out.extend(messages.iter().cloned());
            }
        }
    }
    Value::Array(out)
}

fn usage_of(u: &Value, flavor: Flavor) -> Usage {
    match flavor {
        Flavor::Python => Usage {
            input: count(u.get("input_tokens")),
            output: count(u.get("output_tokens")),
            cache_read: count(u.get("cache_read_input_tokens")).filter(|n| *n > 0),
            cache_creation: count(u.get("cache_creation_input_tokens")).filter(|n| *n > 0),
            reasoning: nested(u, "output_tokens_details", "thinking_tokens").filter(|n| *n > 0),
            web_search: nested(u, "server_tool_use", "web_search_requests").filter(|n| *n > 0),
            raw: Some(u.clone()),
            ..Usage::default()
        },
        Flavor::Node => Usage {
            input: Some(count(u.get("input_tokens")).unwrap_or(0)),
            output: Some(count(u.get("output_tokens")).unwrap_or(0)),
            cache_read: Some(count(u.get("cache_read_input_tokens")).unwrap_or(0)),
            cache_creation: Some(count(u.get("cache_creation_input_tokens")).unwrap_or(0)),
            web_search: Some(nested(u, "server_tool_use", "web_search_requests").unwrap_or(0)),
            raw: Some(u.clone()),
            ..Usage::default()
        },
    }
}

fn whole(resp: &Value, flavor: Flavor, ex: &mut Extracted) {
    ex.model = some(resp, "model").cloned();
    ex.stop_reason = some(resp, "stop_reason")
        .and_then(Value::as_str)
        .map(String::from);
    if let Some(u) = some(resp, "usage") {
        ex.usage = usage_of(u, flavor);
    }
    let mut content = Vec::new();
    if let Some(Value::Array(blocks)) = field(resp, "content") {
        for b in blocks {
            let ty = b.get("type").and_then(Value::as_str);
            match ty {
                Some("text") if some(b, "text").is_some_and(truthy) => {
                    content.push(json!({"type": "text", "text": b["text"]}));
                }
                Some("tool_use")
                    if flavor == Flavor::Python
                        || (some(b, "name").is_some_and(truthy)
                            && some(b, "id").is_some_and(truthy)) =>
                {
                    let args = match flavor {
                        Flavor::Python => b.get("input").cloned().unwrap_or(json!({})),
                        Flavor::Node => some(b, "input")
                            .filter(|v| truthy(v))
                            .cloned()
                            .unwrap_or(json!({})),
                    };
                    content.push(json!({"type": "function", "id": b.get("id"),
                        "function": {"name": b.get("name"), "arguments": args}}));
                }
                _ if flavor == Flavor::Node => {}
                Some("thinking") => content.push(json!({"type": "thinking",
                    "thinking": b.get("thinking"), "signature": b.get("signature")})),
                Some("redacted_thinking") => {
                    content.push(json!({"type": "redacted_thinking", "data": b.get("data")}));
                }
                Some(_) => content.push(deep_plain(b)),
                None => {}
            }
        }
    }
    ex.output = if content.is_empty() {
        json!([])
    } else {
        json!([{"role": "assistant", "content": content}])
    };
}

/// One content block of a stream.
struct Block {
    value: Map<String, Value>,
    /// The tool input's JSON so far (tool blocks).
    json: Option<String>,
    /// Kept in the output (posthog-python drops server tool blocks).
    shown: bool,
}

fn stream(chunks: &[Value], flavor: Flavor, ex: &mut Extracted) {
    let mut blocks: Vec<Block> = Vec::new();
    let mut current: Option<usize> = None;
    let mut text = String::new();
    let mut usage = Usage::default();
    let mut raw = Map::new();
    for ev in chunks {
        let ty = ev.get("type").and_then(Value::as_str).unwrap_or("");
        match ty {
            "message_start" => {
                if let Some(u) = ev.get("message").and_then(|m| some(m, "usage")) {
                    usage.input = Some(count(u.get("input_tokens")).unwrap_or(0));
                    usage.cache_creation =
                        Some(count(u.get("cache_creation_input_tokens")).unwrap_or(0));
                    usage.cache_read = Some(count(u.get("cache_read_input_tokens")).unwrap_or(0));
                    if flavor == Flavor::Node {
                        usage.web_search =
                            nested(u, "server_tool_use", "web_search_requests").or(Some(0));
                    }
                    if let Value::Object(o) = u {
                        raw.extend(o.clone());
                    }
                }
            }
            "content_block_start" => {
                let b = ev.get("content_block").cloned().unwrap_or(Value::Null);
                let bt = b.get("type").and_then(Value::as_str).unwrap_or("");
                let new = match bt {
                    "text" => Some((json!({"type": "text", "text": ""}), None)),
                    "tool_use" => Some((
                        json!({"type": "function", "id": b.get("id").cloned().unwrap_or(json!("")),
                            "function": {"name": b.get("name").cloned().unwrap_or(json!("")), "arguments": {}}}),
                        Some(String::new()),
                    )),
                    "thinking" if flavor == Flavor::Python => {
                        let mut v = json!({"type": "thinking",
                            "thinking": some(&b, "thinking").cloned().unwrap_or(json!(""))});
                        if let Some(s) = some(&b, "signature").filter(|s| truthy(s)) {
                            v["signature"] = s.clone();
                        }
                        Some((v, None))
                    }
                    "redacted_thinking" if flavor == Flavor::Python => Some((
                        json!({"type": "redacted_thinking", "data": b.get("data")}),
                        None,
                    )),
                    _ => None,
                };
                match new {
                    Some((Value::Object(value), json)) => {
                        let is_text = matches!(bt, "text" | "thinking");
                        blocks.push(Block {
                            value,
                            json,
                            shown: true,
                        });
                        current = is_text.then(|| blocks.len() - 1);
                    }
                    _ => {
                        if flavor == Flavor::Python {
                            blocks.push(Block {
                                value: Map::new(),
                                json: None,
                                shown: false,
                            });
                        }
                        current = None;
                    }
                }
            }
            "content_block_delta" => {
                let d = ev.get("delta").cloned().unwrap_or(Value::Null);
                if let Some(t) = field(&d, "text") {
                    let t = t.as_str().unwrap_or("");
                    text.push_str(t);
                    if let Some(b) = current.and_then(|i| blocks.get_mut(i))
                        && b.value.get("type") == Some(&json!("text"))
                    {
                        let prior = b
                            .value
                            .get("text")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                        b.value.insert("text".into(), json!(prior + t));
                    }
                } else if d.get("type") == Some(&json!("input_json_delta")) {
                    let idx = ev.get("index").and_then(Value::as_u64).unwrap_or(u64::MAX) as usize;
                    if let Some(j) = blocks.get_mut(idx).and_then(|b| b.json.as_mut()) {
                        j.push_str(d.get("partial_json").and_then(Value::as_str).unwrap_or(""));
                    }
                } else if flavor == Flavor::Python {
                    for key in ["thinking", "signature"] {
                        if let Some(v) = field(&d, key) {
                            if let Some(b) = current.and_then(|i| blocks.get_mut(i))
                                && b.value.get("type") == Some(&json!("thinking"))
                            {
                                let prior = b
                                    .value
                                    .get(key)
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string();
                                b.value
                                    .insert(key.into(), json!(prior + v.as_str().unwrap_or("")));
                            }
                            break;
                        }
                    }
                }
            }
            "content_block_stop" => {
                current = None;
                let idx = ev.get("index").and_then(Value::as_u64).unwrap_or(u64::MAX) as usize;
                if let Some(b) = blocks.get_mut(idx)
                    && let Some(j) = b.json.take()
                    && let Ok(args) = serde_json::from_str::<Value>(&j)
                    && let Some(f) = b.value.get_mut("function")
                {
                    f["arguments"] = args;
                }
            }
            "message_delta" => {
                if let Some(u) = some(ev, "usage") {
                    match flavor {
                        Flavor::Python => {
                            for (k, slot) in [
                                ("input_tokens", &mut usage.input),
                                ("cache_creation_input_tokens", &mut usage.cache_creation),
                                ("cache_read_input_tokens", &mut usage.cache_read),
                            ] {
                                if let Some(n) = count(u.get(k)) {
                                    *slot = Some(slot.unwrap_or(0).max(n));
                                }
                            }
                            usage.output = Some(count(u.get("output_tokens")).unwrap_or(0));
                            if let Some(r) = nested(u, "output_tokens_details", "thinking_tokens")
                                .filter(|n| *n > 0)
                            {
                                usage.reasoning = Some(r);
                            }
                            if let Some(w) = nested(u, "server_tool_use", "web_search_requests")
                                .filter(|n| *n > 0)
                            {
                                usage.web_search = Some(usage.web_search.unwrap_or(0).max(w));
                            }
                            if let Value::Object(o) = u {
                                raw.extend(o.clone());
                            }
                        }
                        Flavor::Node => {
                            usage.output = Some(count(u.get("output_tokens")).unwrap_or(0));
                            if let Some(w) = nested(u, "server_tool_use", "web_search_requests") {
                                usage.web_search = Some(w);
                            }
                            if let Value::Object(o) = u {
                                raw.extend(
                                    o.iter()
                                        .filter(|(_, v)| !v.is_null())
                                        .map(|(k, v)| (k.clone(), v.clone())),
                                );
                            }
                        }
                    }
                }
                if let Some(r) = ev
                    .get("delta")
                    .and_then(|d| some(d, "stop_reason"))
                    .and_then(Value::as_str)
                    .filter(|r| !r.is_empty())
                {
                    ex.stop_reason = Some(r.to_string());
                }
            }
            _ => {}
        }
    }
    if !raw.is_empty() || flavor == Flavor::Node {
        usage.raw = Some(Value::Object(raw));
    }
    ex.usage = usage;
    let content: Vec<Value> = blocks
        .into_iter()
        .filter(|b| b.shown)
        .map(|b| {
            let mut v = Value::Object(b.value);
            if flavor == Flavor::Python && v.get("type") == Some(&json!("thinking")) {
                let sig = v.get("signature").cloned().unwrap_or(Value::Null);
                v = json!({"type": "thinking", "thinking": v["thinking"], "signature": sig});
            }
            if flavor == Flavor::Python && v.get("type") == Some(&json!("function")) {
                let f = v.get("function").cloned().unwrap_or(json!({}));
                v = json!({"type": "function", "id": v.get("id"), "function": f});
            }
            v
        })
        .collect();
    ex.output = if content.is_empty() {
        json!([{"role": "assistant", "content": [{"type": "text", "text": text}]}])
    } else {
        json!([{"role": "assistant", "content": content}])
    };
}
