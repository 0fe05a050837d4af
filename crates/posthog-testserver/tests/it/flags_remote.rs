//! `POST /flags`: request rules, v1/v2 shapes, overrides, quota, faults, `/decide`.
//! Tests marked "evaluates" need the posthog-flags evaluator.

use std::io::Write;

use posthog_testserver::{Fault, TestServer};
use serde_json::{Value, json};

use crate::http::{RawResponse, post_json, request};

fn flags(server: &TestServer, target: &str, body: &Value) -> RawResponse {
    post_json(server.port(), target, body).unwrap()
}

fn body(keys: &[&str]) -> Value {
    json!({"api_key": "phc_test", "distinct_id": "user-1", "flag_keys_to_evaluate": keys})
}

#[test]
fn v2_and_v1_shapes_with_overrides() {
    let server = TestServer::spawn();
    server.set_flag_override(
        "exp-checkout-flow",
        json!("test"),
        Some(json!({"color": "red"})),
    );
    server.set_flag_override("not-defined", json!(true), None);
    server.set_flag_override("off", json!(false), Some(json!(1)));
    let keys = ["exp-checkout-flow", "not-defined", "off", "missing"];

    for target in ["/flags/?v=2", "/flags?v=2"] {
        let r = flags(&server, target, &body(&keys));
        assert_eq!(r.status, 200, "{target}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let b = r.json();
        assert_eq!(b["errorsWhileComputingFlags"], false);
        assert!(uuid::Uuid::parse_str(b["requestId"].as_str().unwrap()).is_ok());
        assert!(b.get("quotaLimited").is_none());
        let f = b["flags"].as_object().unwrap();
        assert_eq!(
            f.keys().collect::<Vec<_>>(),
            ["exp-checkout-flow", "not-defined", "off"]
        );
        assert_eq!(
            f["exp-checkout-flow"],
            json!({"key": "exp-checkout-flow", "enabled": true, "variant": "test",
                   "reason": {"code": "condition_match", "condition_index": 0,
                              "description": "Matched condition set 1"},
                   "metadata": {"id": 1033, "version": 1, "payload": "{\"color\":\"red\"}"}})
        );
        assert_eq!(f["not-defined"]["enabled"], true);
        assert_eq!(f["not-defined"]["variant"], Value::Null);
        assert_eq!(f["not-defined"]["metadata"]["payload"], Value::Null);
        assert_eq!(f["off"]["enabled"], false);
        assert_eq!(f["off"]["reason"]["code"], "no_condition_match");
    }
    for target in ["/flags/", "/flags/?v=1", "/flags"] {
        let b = flags(&server, target, &body(&keys)).json();
        assert_eq!(
            b,
            json!({"featureFlags": {"exp-checkout-flow": "test", "not-defined": true, "off": false},
                   "featureFlagPayloads": {"exp-checkout-flow": "{\"color\":\"red\"}"},
                   "errorsWhileComputingFlags": false}),
            "{target}"
        );
    }
    server.clear_flag_overrides();
    let b = flags(&server, "/flags/?v=2", &body(&["not-defined"])).json();
    assert_eq!(b["flags"], json!({}));
    assert_eq!(server.stats().flags_requests, 6);
}

#[test]
fn gzip_bodies_and_the_token_alias_are_read() {
    let server = TestServer::spawn();
    server.set_flag_override("a", json!(true), None);
    let raw = json!({"token": "phc_test", "distinct_id": "u", "flag_keys_to_evaluate": ["a"]});
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(raw.to_string().as_bytes()).unwrap();
    let bytes = gz.finish().unwrap();
    let r = request(
        server.port(),
        "POST",
        "/flags/?v=2",
        &[("Content-Type", "application/json")],
        Some(&bytes),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["flags"]["a"]["enabled"], true);
    assert!(server.requests()[0].gzip);
    assert_eq!(server.requests()[0].json().unwrap(), raw);
}

#[test]
fn request_errors() {
    let server = TestServer::spawn();
    let cases = [
        (json!({"distinct_id": "u"}), 401, "authentication_error"),
        (
            json!({"api_key": "", "distinct_id": "u"}),
            401,
            "authentication_error",
        ),
        (
            json!({"api_key": "phx_testpersonalkey", "distinct_id": "u"}),
            401,
            "authentication_error",
        ),
        (json!({"api_key": "phc_test"}), 400, "validation_error"),
        (
            json!({"api_key": "phc_test", "distinct_id": "u", "person_properties": 3}),
            400,
            "validation_error",
        ),
    ];
    for (body, status, kind) in cases {
        let r = flags(&server, "/flags/?v=2", &body);
        assert_eq!(r.status, status, "{body}");
        let b = r.json();
        assert_eq!(b["type"], kind, "{body}");
        assert!(b["code"].is_string() && b["detail"].is_string() && b.get("attr").is_some());
    }
    let r = request(server.port(), "POST", "/flags/?v=2", &[], Some(b"not json")).unwrap();
    assert_eq!(r.status, 400);
    assert_eq!(
        crate::http::get(server.port(), "/flags/?v=2")
            .unwrap()
            .status,
        405
    );
}

#[test]
fn quota_limited_answers_no_flags() {
    let server = TestServer::spawn();
    server.set_flag_override("a", json!(true), None);
    server.set_flags_quota_limited(true);
    for target in ["/flags/?v=2", "/flags/"] {
        let b = flags(&server, target, &body(&["a"])).json();
        assert_eq!(b["flags"], json!({}));
        assert_eq!(b["featureFlags"], json!({}));
        assert_eq!(b["errorsWhileComputingFlags"], false);
        assert_eq!(b["quotaLimited"], json!(["feature_flags"]));
        assert!(b["requestId"].is_string());
    }
    server.set_flags_quota_limited(false);
    assert_eq!(
        flags(&server, "/flags/?v=2", &body(&["a"])).json()["flags"]["a"]["enabled"],
        true
    );
}

#[test]
fn flags_faults_have_their_own_queue() {
    let server = TestServer::spawn();
    server.set_flag_override("a", json!(true), None);
    server.push_flags_fault(Fault::status(502));
    server.push_flags_fault(Fault::DropConnection);
    server.push_fault(Fault::status(503));
    let r = flags(&server, "/flags/?v=2", &body(&["a"]));
    assert_eq!(r.status, 502);
    assert!(post_json(server.port(), "/flags/?v=2", &body(&["a"])).is_err());
    assert_eq!(flags(&server, "/flags/?v=2", &body(&["a"])).status, 200);
    assert_eq!(server.stats().faults_pending, 1);
    let event = json!({"token": "phc_t", "event": "e", "distinct_id": "u"});
    assert_eq!(post_json(server.port(), "/e/", &event).unwrap().status, 503);
    assert_eq!(server.stats().flags_requests, 3);
}

#[test]
fn decide_is_not_served_but_recorded() {
    let server = TestServer::spawn();
    for target in ["/decide/?v=3", "/decide", "/decide/?v=4"] {
        assert_eq!(flags(&server, target, &body(&[])).status, 404, "{target}");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.path.starts_with("/decide") && r.status == 404)
    );
    assert_eq!(server.stats().flags_requests, 0);
}

/// Evaluates: every default flag through posthog-flags.
#[test]
fn evaluates_every_flag_with_posthog_flags() {
    let server = TestServer::spawn();
    let b = flags(
        &server,
        "/flags/?v=2",
        &json!({"api_key": "phc_test", "distinct_id": "user-1"}),
    )
    .json();
    assert_eq!(b["errorsWhileComputingFlags"], false, "{b}");
    let f = b["flags"].as_object().unwrap();
    assert_eq!(f.len(), 53);
    assert_eq!(f["rollout-100-pct"]["enabled"], true);
    assert_eq!(f["rollout-100-pct"]["reason"]["code"], "condition_match");
    assert_eq!(f["rollout-100-pct"]["reason"]["condition_index"], 0);
    assert_eq!(f["rollout-100-pct"]["metadata"]["id"], 1010);
    assert_eq!(f["rollout-000-pct"]["enabled"], false);
    assert_eq!(f["old-killswitch"]["enabled"], false);

    let v1 = flags(
        &server,
        "/flags/",
        &json!({"api_key": "phc_test", "distinct_id": "user-1"}),
    )
    .json();
    assert_eq!(v1["featureFlags"].as_object().unwrap().len(), 53);
    assert_eq!(v1["featureFlags"]["rollout-100-pct"], true);
}

/// Evaluates: only the requested keys; an override wins over evaluation.
#[test]
fn evaluates_only_requested_keys_and_overrides_win() {
    let server = TestServer::spawn();
    let keys = ["rollout-100-pct", "rollout-000-pct"];
    let f = flags(&server, "/flags/?v=2", &body(&keys)).json()["flags"].clone();
    assert_eq!(f.as_object().unwrap().keys().collect::<Vec<_>>(), keys);
    assert_eq!(f["rollout-100-pct"]["enabled"], true);
    server.set_flag_override("rollout-100-pct", json!(false), None);
    let f = flags(&server, "/flags/?v=2", &body(&keys)).json()["flags"].clone();
    assert_eq!(f["rollout-100-pct"]["enabled"], false);
}

/// Evaluates: a flag local evaluation cannot decide answers false / no_condition_match.
#[test]
fn inconclusive_flags_answer_false() {
    let server = TestServer::spawn();
    server.set_flag_definitions(json!({"flags": [{"id": 9, "key": "odd", "active": true,
        "deleted": false, "version": 4, "filters": {"groups": [{"properties": [
            {"key": "plan", "type": "person", "operator": "no_such_operator", "value": "x"}],
            "rollout_percentage": 100}]}}], "group_type_mapping": {}, "cohorts": {}}));
    let b = flags(
        &server,
        "/flags/?v=2",
        &json!({"api_key": "phc_test", "distinct_id": "u",
        "person_properties": {"plan": "x"}}),
    )
    .json();
    assert_eq!(b["errorsWhileComputingFlags"], false, "{b}");
    assert_eq!(b["flags"]["odd"]["enabled"], false);
    assert_eq!(b["flags"]["odd"]["reason"]["code"], "no_condition_match");
    assert_eq!(b["flags"]["odd"]["metadata"]["id"], 9);
    assert_eq!(b["flags"]["odd"]["metadata"]["version"], 4);
}
