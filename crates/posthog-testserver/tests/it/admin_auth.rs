//! Private API: keys, scopes, rate limit, faults, records.

use posthog_testserver::{Fault, ServerOptions, TestServer};
use serde_json::json;

use crate::admin_support::{KEY, call, get, post};
use crate::http::request;

#[test]
fn unauthenticated_requests_get_401_bodies() {
    let server = TestServer::spawn();
    let port = server.port();
    server.register_key("phs_other", &[]);
    let target = "/api/projects/1/feature_flags/";
    let cases = [
        request(port, "GET", target, &[], None).unwrap(),
        call(port, "GET", target, "phx_unknown", None),
        call(port, "GET", target, "phc_projectkey", None),
        call(port, "GET", target, "phs_testsecurekey", None),
        request(port, "GET", &format!("{target}?personal_api_key={KEY}"), &[], None).unwrap(),
        request(
            port,
            "POST",
            "/api/projects/1/query/",
            &[("Content-Type", "application/json")],
            Some(json!({"personal_api_key": KEY, "query": {"kind": "HogQLQuery", "query": "SELECT event FROM events"}}).to_string().as_bytes()),
        )
        .unwrap(),
        request(port, "GET", target, &[("Authorization", KEY)], None).unwrap(),
    ];
    for r in cases {
        assert_eq!(r.status, 401);
        let body = r.json();
        assert_eq!(body["type"], "authentication_error");
        assert_eq!(body["code"], "authentication_failed");
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(body["attr"], serde_json::Value::Null);
    }
}

#[test]
fn scopes_are_checked_and_write_implies_read() {
    let server = TestServer::spawn();
    let port = server.port();
    server.register_key("phx_read", &["feature_flag:read", "query:read"]);
    server.register_key("phx_write", &["cohort:write"]);
    server.register_key("phx_none", &["insight:read"]);

    assert_eq!(
        call(
            port,
            "GET",
            "/api/projects/1/feature_flags/",
            "phx_read",
            None
        )
        .status,
        200
    );
    let r = call(
        port,
        "POST",
        "/api/projects/1/feature_flags/",
        "phx_read",
        Some(&json!({"key": "x"})),
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"type": "authentication_error", "code": "permission_denied",
               "detail": "API key missing required scope 'feature_flag:write'", "attr": null})
    );
    // write implies read
    assert_eq!(
        call(port, "GET", "/api/projects/1/cohorts/", "phx_write", None).status,
        200
    );
    let r = call(
        port,
        "POST",
        "/api/projects/1/cohorts/",
        "phx_write",
        Some(&json!({"name": "c", "is_static": true})),
    );
    assert_eq!(r.status, 201);
    // the query endpoint needs query:read, even for POST
    let q = json!({"query": {"kind": "HogQLQuery", "query": "SELECT count() FROM events"}});
    assert_eq!(
        call(port, "POST", "/api/projects/1/query/", "phx_read", Some(&q)).status,
        200
    );
    let r = call(port, "POST", "/api/projects/1/query/", "phx_none", Some(&q));
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["detail"],
        "API key missing required scope 'query:read'"
    );
    for (target, scope) in [
        ("/api/users/@me/", "user:read"),
        ("/api/projects/", "project:read"),
        ("/api/projects/1/persons/", "person:read"),
        ("/api/projects/1/annotations/", "annotation:read"),
        (
            "/api/projects/1/event_definitions/",
            "event_definition:read",
        ),
        (
            "/api/projects/1/property_definitions/",
            "property_definition:read",
        ),
        ("/api/projects/1/batch_exports/", "batch_export:read"),
    ] {
        let r = call(port, "GET", target, "phx_none", None);
        assert_eq!(r.status, 403, "{target}");
        assert_eq!(
            r.json()["detail"],
            format!("API key missing required scope '{scope}'")
        );
    }
    // the key's scopes are reported
    let me = call(port, "GET", "/api/users/@me/", "phx_write", None);
    assert_eq!(me.status, 403);
    server.register_key("phx_me", &["user:read"]);
    let me = call(port, "GET", "/api/users/@me/", "phx_me", None).json();
    assert_eq!(me["scopes"], json!(["user:read"]));
    assert_eq!(me["team"]["id"], 1);
    assert!(me["organization"]["id"].is_string());
    assert!(me["email"].is_string());
}

#[test]
fn rate_limit_answers_429_with_retry_after_then_refills() {
    let server = TestServer::spawn_with(ServerOptions {
        admin_rate_limit: Some(2),
        admin_retry_after_secs: 3,
        ..ServerOptions::default()
    });
    let port = server.port();
    let statuses: Vec<u16> = (0..6).map(|_| get(port, "/api/projects/").status).collect();
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429]);
    let r = get(port, "/api/projects/");
    assert_eq!(r.status, 200);
    let _ = get(port, "/api/projects/");
    let r = get(port, "/api/projects/");
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("3"));
    assert_eq!(
        r.json(),
        json!({"type": "throttled_error", "code": "throttled",
               "detail": "Request was throttled. Expected available in 3 seconds.", "attr": null})
    );
    // other routes are not counted
    assert_eq!(
        crate::http::post_json(
            port,
            "/batch/",
            &json!({"api_key": "phc_x", "batch": [{"event": "e", "distinct_id": "d"}]})
        )
        .unwrap()
        .status,
        200
    );

    server.set_admin_rate_limit(None, 0);
    assert!((0..5).all(|_| get(port, "/api/projects/").status == 200));
    // through the control API
    let r = crate::http::post_json(
        port,
        "/_test/admin/rate_limit",
        &json!({"limit": 0, "retry_after": 9}),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let r = get(port, "/api/projects/");
    assert_eq!((r.status, r.header("retry-after")), (429, Some("9")));
    server.reset();
    assert_eq!(get(port, "/api/projects/").status, 200);
}

#[test]
fn admin_faults_have_their_own_queue() {
    let server = TestServer::spawn();
    let port = server.port();
    server.push_admin_fault(Fault::status(503));
    server.push_admin_fault(Fault::DropConnection);
    assert_eq!(get(port, "/api/projects/").status, 503);
    assert!(
        crate::http::request(
            port,
            "GET",
            "/api/projects/",
            &[("Authorization", "Bearer phx_testpersonalkey")],
            None
        )
        .is_err()
    );
    assert_eq!(get(port, "/api/projects/").status, 200);
    // the control API's "admin" route
    let r = crate::http::post_json(
        port,
        "/_test/faults",
        &json!([{"route": "admin", "status": 502}]),
    )
    .unwrap();
    assert_eq!(r.json()["queued"], 1);
    // ingestion does not pop it
    assert_eq!(
        crate::http::post_json(
            port,
            "/batch/",
            &json!({"api_key": "phc_x", "batch": [{"event": "e", "distinct_id": "d"}]})
        )
        .unwrap()
        .status,
        200
    );
    assert_eq!(
        post(
            port,
            "/api/projects/1/query/",
            &json!({"query": {"kind": "HogQLQuery", "query": "SELECT event FROM events"}})
        )
        .status,
        502
    );
    assert_eq!(server.stats().faults_pending, 0);
}

#[test]
fn admin_requests_are_recorded_with_headers() {
    let server = TestServer::spawn();
    let port = server.port();
    get(port, "/api/projects/1/feature_flags/?limit=5");
    let recorded = server.requests();
    let last = recorded.last().unwrap();
    assert_eq!(last.path, "/api/projects/1/feature_flags/");
    assert_eq!(last.query, "limit=5");
    assert_eq!(
        last.header("authorization"),
        Some("Bearer phx_testpersonalkey")
    );
    assert!(!last.query.contains("phx_"));
    assert_eq!(last.status, 200);
}

#[test]
fn unknown_paths_and_projects_are_404() {
    let server = TestServer::spawn();
    let port = server.port();
    for target in [
        "/api/projects/2/feature_flags/",
        "/api/projects/1/nothing/",
        "/api/nope/",
    ] {
        let r = get(port, target);
        assert_eq!(r.status, 404, "{target}");
        assert_eq!(r.json()["code"], "not_found");
    }
    assert_eq!(get(port, "/api/projects/@current/").json()["id"], 1);
    assert_eq!(get(port, "/api/environments/1/").json()["id"], 1);
    assert_eq!(
        get(port, "/api/environments/1/insights/").json()["count"],
        2
    );
}
