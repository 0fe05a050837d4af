//! Capture v1: auth, validation, per-event results.

use posthog_testserver::{Fault, TestServer};
use serde_json::json;

use crate::http::{RawResponse, request};

const PATH: &str = "/i/v1/analytics/events";

fn send(server: &TestServer, auth: Option<&str>, body: &serde_json::Value) -> RawResponse {
    let bearer = auth.map(|k| format!("Bearer {k}"));
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("PostHog-Request-Id", "0190c2a6-0000-7000-8000-000000000001"),
    ];
    if let Some(b) = &bearer {
        headers.push(("Authorization", b.as_str()));
    }
    request(
        server.port(),
        "POST",
        PATH,
        &headers,
        Some(body.to_string().as_bytes()),
    )
    .unwrap()
}

fn event(n: u32) -> serde_json::Value {
    json!({
        "event": "e", "uuid": format!("0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a{n:02}"),
        "distinct_id": "u", "timestamp": "2024-01-01T00:00:00Z",
        "properties": {"$set": {"a": 1}}, "options": {"process_person_profile": false}
    })
}

fn body(events: Vec<serde_json::Value>) -> serde_json::Value {
    json!({"created_at": "2024-01-01T00:00:00Z", "batch": events})
}

#[test]
fn accepts_and_answers_per_event() {
    let server = TestServer::spawn();
    let r = send(&server, Some("phc_key"), &body(vec![event(1), event(2)]));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("posthog-request-id"),
        Some("0190c2a6-0000-7000-8000-000000000001")
    );
    let results = &r.json()["results"];
    assert_eq!(
        results["0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a01"]["result"],
        "ok"
    );
    assert_eq!(
        results["0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a02"]["result"],
        "ok"
    );
    let events = server.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].token, "phc_key");
    assert_eq!(events[0].route, PATH);
    assert_eq!(
        events[0].options.as_ref().unwrap()["process_person_profile"],
        false
    );
    assert_eq!(
        events[0].request_id.as_deref(),
        Some("0190c2a6-0000-7000-8000-000000000001")
    );
}

#[test]
fn auth_rules() {
    let server = TestServer::spawn();
    for auth in [None, Some("phx_personal"), Some("")] {
        let r = send(&server, auth, &body(vec![event(1)]));
        assert_eq!(r.status, 401, "{auth:?}");
        let err = r.json();
        assert!(err["error"].is_string() && err["error_description"].is_string());
    }
    assert!(server.events().is_empty());
}

#[test]
fn body_rules() {
    let server = TestServer::spawn();
    let mut with_key = body(vec![event(1)]);
    with_key["api_key"] = json!("phc_key");
    let mut with_sent_at = body(vec![event(1)]);
    with_sent_at["sent_at"] = json!("2024-01-01T00:00:00Z");
    let mut bad_option = event(1);
    bad_option["options"] = json!({"process_person_profile": "false"});
    let mut no_uuid = event(1);
    no_uuid.as_object_mut().unwrap().remove("uuid");
    for bad in [
        with_key,
        with_sent_at,
        json!({"batch": [event(1)]}),
        body(vec![]),
        body(vec![event(1), bad_option]),
        body(vec![no_uuid]),
    ] {
        assert_eq!(send(&server, Some("phc_key"), &bad).status, 400, "{bad}");
    }
    assert!(server.events().is_empty());
}

#[test]
fn scripted_results_and_retry() {
    let server = TestServer::spawn();
    server.push_fault(Fault::V1Results(vec![
        "ok".into(),
        "retry".into(),
        "drop".into(),
    ]));
    let r = send(
        &server,
        Some("phc_key"),
        &body(vec![event(1), event(2), event(3), event(4)]),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("retry-after"), Some("0"));
    let results = &r.json()["results"];
    let result =
        |n: u32| results[format!("0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a{n:02}")]["result"].clone();
    assert_eq!(result(1), "ok");
    assert_eq!(result(2), "retry");
    assert_eq!(result(3), "drop");
    assert_eq!(result(4), "ok");
    let stored: Vec<_> = server.events().into_iter().filter_map(|e| e.uuid).collect();
    assert_eq!(stored.len(), 3);
    assert!(!stored.iter().any(|u| u.ends_with("7a02")));
}

#[test]
fn v1_route_is_absent_in_the_2024_profile() {
    let server = TestServer::spawn_with(posthog_testserver::ServerOptions::capture_2024());
    assert_eq!(
        send(&server, Some("phc_key"), &body(vec![event(1)])).status,
        404
    );
}
