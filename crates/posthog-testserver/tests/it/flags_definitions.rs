//! The definitions routes: keys, scopes, ETag / 304, the route-missing switch, faults.

use std::time::Duration;

use posthog_testserver::{Fault, ServerOptions, TestServer};
use serde_json::json;

use crate::http::{RawResponse, request};

const NEW: &str = "/flags/definitions?token=phc_test&send_cohorts";
const OLD: &str = "/api/feature_flag/local_evaluation/?token=phc_test&send_cohorts";

fn get_with(port: u16, target: &str, headers: &[(&str, &str)]) -> RawResponse {
    request(port, "GET", target, headers, None).unwrap()
}

fn get_as(port: u16, target: &str, key: &str) -> RawResponse {
    let auth = format!("Bearer {key}");
    get_with(port, target, &[("Authorization", &auth)])
}

#[test]
fn both_routes_serve_the_default_definitions_with_an_etag() {
    let server = TestServer::spawn();
    for target in [
        NEW,
        OLD,
        "/flags/definitions/?token=phc_x",
        "/api/feature_flag/local_evaluation?token=phc_x",
    ] {
        for key in ["phs_testsecurekey", "phx_testpersonalkey"] {
            let r = get_as(server.port(), target, key);
            assert_eq!(r.status, 200, "{target} {key}");
            assert_eq!(r.header("content-type"), Some("application/json"));
            assert_eq!(
                r.header("etag"),
                Some(server.flag_definitions_etag().as_str())
            );
            let body = r.json();
            assert_eq!(body["flags"].as_array().unwrap().len(), 53);
            assert_eq!(body["group_type_mapping"]["0"], "company");
        }
    }
    assert_eq!(server.stats().definitions_requests, 8);
}

#[test]
fn if_none_match_gets_304_until_the_definitions_change() {
    let server = TestServer::spawn();
    let port = server.port();
    let etag = server.flag_definitions_etag();
    let headers = [
        ("Authorization", "Bearer phs_testsecurekey"),
        ("If-None-Match", etag.as_str()),
    ];
    let r = get_with(port, NEW, &headers);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(get_with(port, OLD, &headers).status, 304);
    let stale = [
        ("Authorization", "Bearer phs_testsecurekey"),
        ("If-None-Match", "\"stale\""),
    ];
    assert_eq!(get_with(port, NEW, &stale).status, 200);

    let defs = json!({"flags": [{"id": 1, "key": "only", "active": true, "deleted": false,
        "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}],
        "group_type_mapping": {}, "cohorts": {}});
    server.set_flag_definitions(defs.clone());
    let new_etag = server.flag_definitions_etag();
    assert_ne!(new_etag, etag);
    let r = get_with(port, NEW, &headers);
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), defs);
    assert_eq!(r.header("etag"), Some(new_etag.as_str()));
    let fresh = [
        ("Authorization", "Bearer phs_testsecurekey"),
        ("If-None-Match", new_etag.as_str()),
    ];
    assert_eq!(get_with(port, NEW, &fresh).status, 304);

    let stats = server.stats();
    assert_eq!(
        (stats.definitions_requests, stats.definitions_not_modified),
        (5, 3)
    );
    server.reset();
    assert_eq!(server.flag_definitions_etag(), etag);
}

#[test]
fn refused_keys_get_posthog_error_bodies() {
    let server = TestServer::spawn();
    let port = server.port();
    for headers in [
        vec![],
        vec![("Authorization", "Bearer phs_unknown")],
        vec![("Authorization", "Bearer phx_unknown")],
        vec![("Authorization", "Bearer phc_test")],
        vec![("Authorization", "phs_testsecurekey")],
    ] {
        let r = get_with(port, NEW, &headers);
        assert_eq!(r.status, 401, "{headers:?}");
        let body = r.json();
        assert_eq!(body["type"], "authentication_error");
        assert_eq!(body["code"], "authentication_failed");
        assert!(body["detail"].is_string());
        assert!(body["attr"].is_null());
    }
    server.register_key("phx_insights", &["insight:read"]);
    let r = get_as(port, OLD, "phx_insights");
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"type": "authentication_error", "code": "permission_denied",
               "detail": "API key missing required scope 'feature_flag:read'", "attr": null})
    );
    server.register_key("phx_reader", &["feature_flag:read"]);
    server.register_key("phx_writer", &["feature_flag:write"]);
    server.register_key("phs_other", &[]);
    for key in ["phx_reader", "phx_writer", "phs_other"] {
        assert_eq!(get_as(port, NEW, key).status, 200, "{key}");
    }
    let r = get_as(port, "/flags/definitions?send_cohorts", "phs_testsecurekey");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["type"], "validation_error");
    assert_eq!(r.json()["attr"], "token");
    server.reset();
    assert_eq!(get_as(port, NEW, "phx_reader").status, 401);
}

#[test]
fn the_route_missing_switch_makes_only_the_new_route_404() {
    let server = TestServer::spawn();
    let port = server.port();
    server.set_definitions_route_missing(true);
    assert_eq!(get_as(port, NEW, "phs_testsecurekey").status, 404);
    assert_eq!(get_as(port, OLD, "phs_testsecurekey").status, 200);
    server.set_definitions_route_missing(false);
    assert_eq!(get_as(port, NEW, "phs_testsecurekey").status, 200);

    let old = TestServer::spawn_with(ServerOptions {
        definitions_route_missing: true,
        ..ServerOptions::default()
    });
    assert_eq!(get_as(old.port(), NEW, "phs_testsecurekey").status, 404);
    old.set_definitions_route_missing(false);
    old.reset();
    assert_eq!(get_as(old.port(), NEW, "phs_testsecurekey").status, 404);
    assert_eq!(old.stats().definitions_requests, 1);
}

#[test]
fn definitions_faults_have_their_own_queue() {
    let server = TestServer::spawn();
    let port = server.port();
    server.push_definitions_fault(Fault::retry_after(429, 3));
    server.push_definitions_fault(Fault::DropConnection);
    server.push_definitions_fault(Fault::Latency(Duration::from_millis(200)));
    // Neither ingestion nor /flags pops them.
    let event = json!({"token": "phc_t", "event": "e", "distinct_id": "u"});
    assert_eq!(
        crate::http::post_json(port, "/e/", &event).unwrap().status,
        200
    );
    assert_eq!(server.stats().faults_pending, 3);

    let r = get_as(port, NEW, "phs_testsecurekey");
    assert_eq!((r.status, r.header("retry-after")), (429, Some("3")));
    assert!(
        request(
            port,
            "GET",
            OLD,
            &[("Authorization", "Bearer phs_testsecurekey")],
            None
        )
        .is_err()
    );
    let start = std::time::Instant::now();
    assert_eq!(get_as(port, NEW, "phs_testsecurekey").status, 200);
    assert!(start.elapsed() >= Duration::from_millis(200));
    let stats = server.stats();
    assert_eq!((stats.faults_pending, stats.dropped_connections), (0, 1));
    assert_eq!(stats.definitions_requests, 3);
}
