//! Helpers of the private-API tests.

use serde_json::{Value, json};

use crate::http::{RawResponse, request};

pub const KEY: &str = "phx_testpersonalkey";

/// One private-API request with `Authorization: Bearer <key>`.
pub fn call(port: u16, method: &str, target: &str, key: &str, body: Option<&Value>) -> RawResponse {
    let auth = format!("Bearer {key}");
    let text = body.map(Value::to_string);
    let mut headers = vec![("Authorization", auth.as_str())];
    if text.is_some() {
        headers.push(("Content-Type", "application/json"));
    }
    request(
        port,
        method,
        target,
        &headers,
        text.as_deref().map(str::as_bytes),
    )
    .unwrap()
}

pub fn get(port: u16, target: &str) -> RawResponse {
    call(port, "GET", target, KEY, None)
}

pub fn post(port: u16, target: &str, body: &Value) -> RawResponse {
    call(port, "POST", target, KEY, Some(body))
}

pub fn patch(port: u16, target: &str, body: &Value) -> RawResponse {
    call(port, "PATCH", target, KEY, Some(body))
}

/// Follows `next` from `target` and answers every result, and how many pages it took.
pub fn all_pages(port: u16, target: &str) -> (Vec<Value>, usize) {
    let prefix = format!("http://127.0.0.1:{port}");
    let mut next = Some(target.to_owned());
    let mut out = Vec::new();
    let mut pages = 0;
    while let Some(target) = next {
        let r = get(port, &target);
        assert_eq!(
            r.status,
            200,
            "{target}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let body = r.json();
        out.extend(body["results"].as_array().unwrap().iter().cloned());
        pages += 1;
        next = body["next"].as_str().map(|url| {
            assert!(url.starts_with(&prefix), "absolute next: {url}");
            url[prefix.len()..].to_owned()
        });
    }
    (out, pages)
}

/// Runs a HogQL query (blocking); answers the raw response.
pub fn query_raw(port: u16, hogql: &str, values: Value) -> RawResponse {
    post(
        port,
        "/api/projects/1/query/",
        &json!({"query": {"kind": "HogQLQuery", "query": hogql, "values": values}}),
    )
}

/// Runs a HogQL query that must succeed.
pub fn query(port: u16, hogql: &str, values: Value) -> Value {
    let r = query_raw(port, hogql, values);
    assert_eq!(
        r.status,
        200,
        "{hogql}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

/// Captures events through `/batch/`: (event, distinct_id, timestamp, properties).
pub fn capture(port: u16, events: &[(&str, &str, &str, Value)]) {
    let batch: Vec<Value> = events
        .iter()
        .map(|(e, d, t, p)| json!({"event": e, "distinct_id": d, "timestamp": t, "properties": p}))
        .collect();
    let r = crate::http::post_json(
        port,
        "/batch/",
        &json!({"api_key": "phc_test", "batch": batch}),
    )
    .unwrap();
    assert_eq!(r.status, 200);
}
