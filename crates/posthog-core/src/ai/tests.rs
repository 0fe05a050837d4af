use super::*;
use serde_json::json;

fn call(v: Value) -> AiEvent {
    build_event(&serde_json::from_value(v).unwrap()).unwrap()
}

#[test]
fn chat_completion_python_shape() {
    let e = call(json!({
        "profile": "posthog-python", "api": "chat",
        "request": {"model": "gpt-4o-mini", "temperature": 0.5,
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [{"type": "function", "function": {"name": "f"}}]},
        "response": {"id": "c1", "model": "gpt-4o-mini-2024", "service_tier": null,
            "choices": [{"index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": "hello", "refusal": null, "tool_calls": null, "audio": null}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12,
                "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": null},
                "completion_tokens_details": {"reasoning_tokens": 0}}},
        "latency": 0.5, "base_url": "http://x/v1/", "trace_id": "t1", "lib_version": "1"
    }));
    let p = &e.properties;
    assert_eq!(e.event, "$ai_generation");
    assert_eq!(e.distinct_id, "t1");
    assert_eq!(p["$process_person_profile"], false);
    assert_eq!(p["$ai_model"], "gpt-4o-mini");
    assert_eq!(p["$ai_model_parameters"], json!({"temperature": 0.5}));
    assert_eq!(p["$ai_input"], json!([{"role": "user", "content": "hi"}]));
    assert_eq!(
        p["$ai_output_choices"],
        json!([{"role": "assistant", "content": [{"type": "text", "text": "hello"}]}])
    );
    assert_eq!(p["$ai_input_tokens"], 10);
    assert_eq!(p["$ai_output_tokens"], 2);
    assert_eq!(p["$ai_cache_read_input_tokens"], 4);
    assert!(p.get("$ai_reasoning_tokens").is_none());
    assert_eq!(p["$ai_stop_reason"], "stop");
    assert_eq!(p["$ai_tools"][0]["function"]["name"], "f");
    assert_eq!(p["$ai_tokens_source"], "sdk");
    assert_eq!(p["$ai_usage"]["total_tokens"], 12);
    assert_eq!(p["$ai_http_status"], 200);
}

#[test]
fn privacy_mode_withholds_content_and_error_text() {
    let e = call(json!({
        "profile": "posthog-python", "api": "chat", "privacy_mode": true,
        "request": {"model": "m", "messages": [{"role": "user", "content": "secret"}]},
        "error": {"status": 400, "name": "BadRequestError", "message": "secret echoed"},
        "distinct_id": "u"
    }));
    let p = &e.properties;
    assert_eq!(p["$ai_input"], Value::Null);
    assert_eq!(p["$ai_output_choices"], Value::Null);
    assert_eq!(p["$ai_error"], "BadRequestError: 400");
    assert_eq!(p["$ai_is_error"], true);
    assert_eq!(p["$ai_http_status"], 400);
    assert!(p.get("$process_person_profile").is_none());
}

#[test]
fn chat_stream_accumulates_text_tools_and_usage() {
    let chunk = |delta: Value, finish: Value| json!({"id": "c", "model": "gpt", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], "usage": null});
    let chunks = vec![
        chunk(json!({"role": "assistant", "content": "Hel"}), Value::Null),
        chunk(json!({"content": "lo"}), Value::Null),
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "call1", "type": "function", "function": {"name": "f", "arguments": "{\"a\""}}]}),
            Value::Null,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": ":1}"}}]}),
            json!("tool_calls"),
        ),
        json!({"id": "c", "model": "gpt", "choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}),
    ];
    for profile in ["posthog-python", "posthog-node"] {
        let e = call(
            json!({"profile": profile, "api": "chat", "request": {"model": "gpt", "stream": true, "messages": []},
            "chunks": chunks, "distinct_id": "u", "time_to_first_token": 0.1}),
        );
        let p = &e.properties;
        assert_eq!(p["$ai_input_tokens"], 5, "{profile}");
        assert_eq!(p["$ai_output_tokens"], 3);
        assert_eq!(p["$ai_stop_reason"], "tool_calls");
        assert_eq!(p["$ai_output_choices"][0]["content"][0]["text"], "Hello");
        assert_eq!(
            p["$ai_output_choices"][0]["content"][1]["function"]["arguments"],
            "{\"a\":1}"
        );
        assert_eq!(p["$ai_model_parameters"]["stream"], true);
        assert_eq!(
            p.contains_key("$ai_time_to_first_token"),
            profile == "posthog-node"
        );
    }
}

#[test]
fn anthropic_stream_counts_tokens() {
    let chunks = vec![
        json!({"type": "message_start", "message": {"model": "claude", "usage": {"input_tokens": 20, "output_tokens": 1, "cache_read_input_tokens": 7, "cache_creation_input_tokens": null}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}}),
        json!({"type": "message_stop"}),
    ];
    let e = call(
        json!({"profile": "posthog-python", "api": "anthropic_messages",
        "request": {"model": "claude", "system": "be nice", "messages": [{"role": "user", "content": "hey"}], "stream": true, "max_tokens": 10},
        "chunks": chunks, "distinct_id": "u"}),
    );
    let p = &e.properties;
    assert_eq!(p["$ai_provider"], "anthropic");
    assert_eq!(p["$ai_input_tokens"], 20);
    assert_eq!(p["$ai_output_tokens"], 9);
    assert_eq!(p["$ai_cache_read_input_tokens"], 7);
    assert_eq!(p["$ai_cache_creation_input_tokens"], 0);
    assert_eq!(p["$ai_stop_reason"], "end_turn");
    assert_eq!(
        p["$ai_input"][0],
        json!({"role": "system", "content": "be nice"})
    );
    assert_eq!(
        p["$ai_output_choices"],
        json!([{"role": "assistant", "content": [{"type": "text", "text": "Hi"}]}])
    );
}

#[test]
fn embeddings_and_responses() {
    let e = call(json!({"profile": "posthog-python", "api": "embeddings",
        "request": {"model": "text-embedding-3-small", "input": "abc"},
        "response": {"data": [], "model": "x", "usage": {"prompt_tokens": 3, "total_tokens": 3}}, "distinct_id": "u"}));
    assert_eq!(e.event, "$ai_embedding");
    assert_eq!(e.properties["$ai_input_tokens"], 3);
    assert!(!e.properties.contains_key("$ai_output_choices"));
    let r = call(json!({"profile": "posthog-python", "api": "responses",
        "request": {"model": "gpt-4.1", "input": "hi", "instructions": "short"},
        "response": {"id": "r", "model": "gpt-4.1", "status": "completed",
            "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "yo", "annotations": []}]}],
            "usage": {"input_tokens": 4, "output_tokens": 1, "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 2}}},
        "distinct_id": "u"}));
    let p = &r.properties;
    assert_eq!(
        p["$ai_input"],
        json!([{"role": "system", "content": "short"}, {"role": "user", "content": "hi"}])
    );
    assert_eq!(p["$ai_instructions"], "short");
    assert_eq!(p["$ai_reasoning_tokens"], 2);
    assert_eq!(p["$ai_stop_reason"], "completed");
    assert_eq!(p["$ai_output_choices"][0]["content"][0]["text"], "yo");
}

#[test]
fn caller_properties_override_and_mark_passthrough() {
    let e = call(
        json!({"profile": "posthog-node", "api": "chat", "request": {"model": "m", "messages": []},
        "response": {"choices": [], "usage": {"prompt_tokens": 1}},
        "properties": {"$ai_input_tokens": 99, "team": "a"}, "distinct_id": "u"}),
    );
    assert_eq!(e.properties["$ai_input_tokens"], 99);
    assert_eq!(e.properties["$ai_tokens_source"], "passthrough");
    assert_eq!(e.properties["team"], "a");
}

#[test]
fn manual_span() {
    let (name, p) = manual_event(ManualKind::Span, json!({"trace_id": "t", "span_id": "s", "parent_id": "t", "name": "step", "input_state": {"q": 1}, "latency": 0.2})).unwrap();
    assert_eq!(name, "$ai_span");
    assert_eq!(p["$ai_parent_id"], "t");
    assert_eq!(p["$ai_span_name"], "step");
}

#[test]
fn node_time_to_first_token_and_cost_override() {
    let chunks = vec![
        json!({"choices": [{"index": 0, "delta": {"role": "assistant"}}]}),
        json!({"choices": [{"index": 0, "delta": {"content": "x"}}]}),
        json!({"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 2}}),
    ];
    let e = call(
        json!({"profile": "posthog-node", "api": "chat", "request": {"model": "m", "stream": true},
        "chunks": chunks, "chunk_times": [0.1, 0.2, 0.3], "distinct_id": "u",
        "cost_override": {"inputCost": 0.5, "outputCost": 1.0}}),
    );
    let p = &e.properties;
    assert_eq!(p["$ai_time_to_first_token"], 0.2);
    assert_eq!(p["$ai_input_cost_usd"], 5.0);
    assert_eq!(p["$ai_total_cost_usd"], 7.0);
    assert_eq!(p["$ai_cache_reporting_exclusive"], false);
}
