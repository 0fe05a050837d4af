//! The fixtures under `fixtures/` are real PostHog answers (written from PostHog's
//! source); the fake must answer each case with the same status and the same JSON shape:
//! the same keys, the same null-ness and JSON type at each key (values may differ).

use std::path::PathBuf;
use std::time::Duration;

use posthog_testserver::{PersonalApiKeys, QueryThrottle, Rate, TestServer};
use serde_json::{Value, json};

use crate::admin_support::{KEY, call, capture, get, patch, post};
use crate::http::RawResponse;

const OWN_LIMIT: &str = "SELECT event, count() FROM events GROUP BY event ORDER BY event LIMIT 10";
const DEFAULT_LIMIT: &str = "SELECT event, timestamp FROM events ORDER BY timestamp";
const QUERY: &str = "/api/projects/1/query/";

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Where `got` differs in shape from `want` (`None`: same shape). Arrays: both empty, or
/// both not, every element of `got` shaped like the fixture's element at the same index
/// (or its last).
fn shape_diff(want: &Value, got: &Value, at: &str) -> Option<String> {
    match (want, got) {
        (Value::Null, Value::Null)
        | (Value::Bool(_), Value::Bool(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::String(_), Value::String(_)) => None,
        (Value::Object(w), Value::Object(g)) => {
            let mut wk: Vec<&String> = w.keys().collect();
            let mut gk: Vec<&String> = g.keys().collect();
            wk.sort();
            gk.sort();
            if wk != gk {
                return Some(format!("{at}: keys {wk:?} != {gk:?}"));
            }
            w.iter()
                .find_map(|(k, v)| shape_diff(v, &g[k], &format!("{at}.{k}")))
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.is_empty() != g.is_empty() {
                return Some(format!("{at}: {} vs {} elements", w.len(), g.len()));
            }
            g.iter().enumerate().find_map(|(i, item)| {
                shape_diff(&w[i.min(w.len() - 1)], item, &format!("{at}[{i}]"))
            })
        }
        _ => Some(format!("{at}: {want} vs {got}")),
    }
}

fn seeded() -> TestServer {
    let server = TestServer::spawn();
    capture(
        server.port(),
        &[
            (
                "$pageview",
                "alice",
                "2025-11-04T09:00:00Z",
                json!({"$browser": "Chrome", "$set": {"email": "alice@example.com", "plan": "pro"}}),
            ),
            ("$pageview", "bob", "2025-11-04T09:01:00Z", json!({})),
            (
                "signed_up",
                "alice",
                "2025-11-04T09:05:00Z",
                json!({"plan": "pro"}),
            ),
            ("$pageview", "carol", "2025-11-04T09:06:00Z", json!({})),
        ],
    );
    server
}

fn hogql(text: &str, refresh: Option<&str>, id: Option<&str>) -> Value {
    let mut body = json!({"query": {"kind": "HogQLQuery", "query": text}});
    if let Some(r) = refresh {
        body["refresh"] = json!(r);
    }
    if let Some(id) = id {
        body["client_query_id"] = json!(id);
    }
    body
}

/// A legacy-API server with a key created through the API (`query:read`,
/// `personal_api_key:read`, team 1) and that key's answer.
fn legacy_with_key() -> (TestServer, Value) {
    let server = TestServer::spawn();
    server.set_personal_api_keys(PersonalApiKeys::Legacy);
    let r = post(
        server.port(),
        "/api/personal_api_keys/",
        &json!({"label": "CI exporter", "scopes": ["query:read", "personal_api_key:read"], "scoped_teams": [1], "scoped_organizations": []}),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    (server, r.json())
}

/// Drives the fake through the case a fixture names; the server lives as long as the
/// answer is checked.
fn drive(name: &str) -> (TestServer, RawResponse) {
    match name {
        "query_hogql_own_limit" => {
            let s = seeded();
            let r = post(s.port(), QUERY, &hogql(OWN_LIMIT, None, None));
            (s, r)
        }
        "query_hogql_default_limit" => {
            let s = seeded();
            let r = post(s.port(), QUERY, &hogql(DEFAULT_LIMIT, None, None));
            (s, r)
        }
        "query_hogql_cached" => {
            let s = seeded();
            post(s.port(), QUERY, &hogql(OWN_LIMIT, None, None));
            let r = post(s.port(), QUERY, &hogql(OWN_LIMIT, Some("blocking"), None));
            (s, r)
        }
        "query_async_submitted" => {
            let s = seeded();
            let r = post(s.port(), QUERY, &hogql(OWN_LIMIT, Some("async"), None));
            (s, r)
        }
        "query_force_async_submitted" => {
            let s = seeded();
            let r = post(
                s.port(),
                QUERY,
                &hogql(OWN_LIMIT, Some("force_async"), None),
            );
            (s, r)
        }
        "query_async_running" | "query_async_complete" => {
            let s = seeded();
            post(
                s.port(),
                QUERY,
                &hogql(OWN_LIMIT, Some("async"), Some("q1")),
            );
            let mut r = get(s.port(), "/api/projects/1/query/q1/");
            if name == "query_async_complete" {
                r = get(s.port(), "/api/projects/1/query/q1/");
            }
            (s, r)
        }
        "query_async_failed_400" | "query_async_failed_500" => {
            let s = seeded();
            let text = if name.ends_with("400") {
                "SELECT nope FROM events"
            } else {
                s.push_query_failure(None);
                OWN_LIMIT
            };
            let submitted = post(
                s.port(),
                QUERY,
                &hogql(text, Some("force_async"), Some("q2")),
            );
            assert_eq!(submitted.status, 202);
            get(s.port(), "/api/projects/1/query/q2/");
            let r = get(s.port(), "/api/projects/1/query/q2/");
            (s, r)
        }
        "query_cancel" => {
            let s = seeded();
            post(
                s.port(),
                QUERY,
                &hogql(OWN_LIMIT, Some("force_async"), Some("q3")),
            );
            let r = call(s.port(), "DELETE", "/api/projects/1/query/q3/", KEY, None);
            (s, r)
        }
        "query_timeout_504" => {
            let s = seeded();
            s.set_query_max_rows(Some(1));
            let r = post(s.port(), QUERY, &hogql(DEFAULT_LIMIT, None, None));
            (s, r)
        }
        "query_throttled_429" => {
            let s = seeded();
            s.set_query_throttle(QueryThrottle::Custom {
                rates: vec![Rate::new(1, Duration::from_secs(3600))],
                max_concurrent: None,
            });
            assert_eq!(
                post(s.port(), QUERY, &hogql(OWN_LIMIT, None, None)).status,
                200
            );
            let r = post(s.port(), QUERY, &hogql(OWN_LIMIT, None, None));
            let wait = r.header("retry-after").unwrap().to_owned();
            assert_eq!(
                r.json()["detail"],
                format!("Request was throttled. Expected available in {wait} seconds.")
            );
            (s, r)
        }
        "query_concurrency_429" => {
            let s = seeded();
            s.set_query_throttle(QueryThrottle::Current);
            for i in 0..3 {
                let id = format!("running-{i}");
                let r = post(
                    s.port(),
                    QUERY,
                    &hogql(OWN_LIMIT, Some("force_async"), Some(&id)),
                );
                assert_eq!(r.status, 202);
            }
            let r = post(
                s.port(),
                QUERY,
                &hogql(DEFAULT_LIMIT, Some("force_blocking"), None),
            );
            assert_eq!(
                r.header("retry-after"),
                None,
                "no wait with a concurrency 429"
            );
            (s, r)
        }
        "flag_activity_page" => {
            let s = TestServer::spawn();
            let flag = post(
                s.port(),
                "/api/projects/1/feature_flags/",
                &json!({"key": "new-checkout"}),
            )
            .json();
            let id = flag["id"].as_i64().unwrap();
            patch(
                s.port(),
                &format!("/api/projects/1/feature_flags/{id}/"),
                &json!({"active": false}),
            );
            let r = get(
                s.port(),
                &format!("/api/projects/1/feature_flags/{id}/activity/?limit=1"),
            );
            (s, r)
        }
        "flag_activity_missing_scope_403" => {
            let s = TestServer::spawn();
            s.register_key("phx_flagsonly", &["feature_flag:read"]);
            let r = call(
                s.port(),
                "GET",
                "/api/projects/1/feature_flags/1001/activity/",
                "phx_flagsonly",
                None,
            );
            (s, r)
        }
        "activity_log_page" => {
            let s = TestServer::spawn();
            let flag = post(
                s.port(),
                "/api/projects/1/feature_flags/",
                &json!({"key": "new-checkout"}),
            )
            .json();
            let id = flag["id"].as_i64().unwrap();
            for i in 0..100 {
                patch(
                    s.port(),
                    &format!("/api/projects/1/feature_flags/{id}/"),
                    &json!({"active": i % 2 == 1}),
                );
            }
            let r = get(s.port(), "/api/projects/1/activity_log/?scope=FeatureFlag");
            (s, r)
        }
        "batch_export_runs_page" | "batch_export_backfill" => {
            let s = seeded();
            let base = "/api/projects/1/batch_exports/";
            let export = post(s.port(), base, &json!({"name": "s3", "destination": {"type": "S3", "config": {}}, "interval": "hour"})).json();
            let id = export["id"].as_str().unwrap().to_owned();
            let r = post(
                s.port(),
                &format!("{base}{id}/backfills/"),
                &json!({"start_at": "2025-11-04T09:00:00Z", "end_at": "2025-11-04T10:00:00Z"}),
            );
            if name == "batch_export_backfill" {
                return (s, r);
            }
            let r = get(s.port(), &format!("{base}{id}/runs/"));
            (s, r)
        }
        "persons_page" => {
            let s = seeded();
            let r = get(s.port(), "/api/projects/1/persons/?limit=1");
            (s, r)
        }
        "person_delete_202" => {
            let s = seeded();
            let people = get(s.port(), "/api/projects/1/persons/").json();
            let id = people["results"][0]["id"].as_str().unwrap().to_owned();
            let r = call(
                s.port(),
                "DELETE",
                &format!("/api/projects/1/persons/{id}/"),
                KEY,
                None,
            );
            (s, r)
        }
        "personal_key_current" => {
            let (s, key) = legacy_with_key();
            let value = key["value"].as_str().unwrap().to_owned();
            let r = call(
                s.port(),
                "GET",
                "/api/personal_api_keys/@current/",
                &value,
                None,
            );
            (s, r)
        }
        "personal_key_create" => {
            let (s, _) = legacy_with_key();
            let r = post(
                s.port(),
                "/api/personal_api_keys/",
                &json!({"label": "New key", "scopes": ["query:read", "feature_flag:read"], "scoped_teams": [1], "scoped_organizations": []}),
            );
            (s, r)
        }
        "personal_key_roll" => {
            let (s, key) = legacy_with_key();
            let (id, value) = (key["id"].as_str().unwrap(), key["value"].as_str().unwrap());
            s.register_key(value, &["*"]);
            assert_eq!(
                call(s.port(), "GET", "/api/users/@me/", value, None).status,
                200
            );
            let r = call(
                s.port(),
                "POST",
                &format!("/api/personal_api_keys/{id}/roll/"),
                value,
                None,
            );
            (s, r)
        }
        "personal_key_current_api_403" => {
            let s = TestServer::spawn();
            let r = get(s.port(), "/api/personal_api_keys/");
            (s, r)
        }
        "personal_key_legacy_scope_403" => {
            let s = TestServer::spawn();
            s.set_personal_api_keys(PersonalApiKeys::Legacy);
            s.register_key("phx_queryonly", &["query:read"]);
            let r = call(
                s.port(),
                "GET",
                "/api/personal_api_keys/",
                "phx_queryonly",
                None,
            );
            (s, r)
        }
        "users_me_missing_scope_403" => {
            let s = TestServer::spawn();
            s.register_key("phx_queryonly", &["query:read"]);
            let r = call(s.port(), "GET", "/api/users/@me/", "phx_queryonly", None);
            (s, r)
        }
        other => panic!("fixture {other} has no driver in tests/it/fixtures.rs"),
    }
}

#[test]
fn the_fake_answers_every_fixture_with_its_status_and_shape() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 25, "{names:?}");
    let mut failures = Vec::new();
    for name in &names {
        let text = std::fs::read_to_string(fixtures_dir().join(format!("{name}.json"))).unwrap();
        let fixture: Value = serde_json::from_str(&text).unwrap();
        for member in ["source", "method", "path", "status", "body"] {
            assert!(fixture.get(member).is_some(), "{name}: no {member:?}");
        }
        assert!(
            fixture["source"].as_str().unwrap().starts_with("posthog/"),
            "{name}: source is a PostHog file"
        );
        let (_server, r) = drive(name);
        if u64::from(r.status) != fixture["status"].as_u64().unwrap() {
            let body: String = String::from_utf8_lossy(&r.body).chars().take(600).collect();
            failures.push(format!(
                "{name}: status {} (want {}): {body}",
                r.status, fixture["status"]
            ));
            continue;
        }
        let want = &fixture["body"];
        if want.is_null() {
            if !r.body.is_empty() {
                failures.push(format!("{name}: a body where PostHog sends none"));
            }
            continue;
        }
        let got: Value = match serde_json::from_slice(&r.body) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: not JSON ({e})"));
                continue;
            }
        };
        if let Some(diff) = shape_diff(want, &got, name) {
            let got: String = got.to_string().chars().take(600).collect();
            failures.push(format!("{diff}\n  got: {got}…"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn shape_diff_sees_keys_nulls_and_types() {
    assert_eq!(shape_diff(&json!({"a": 1}), &json!({"a": 2}), "x"), None);
    assert!(shape_diff(&json!({"a": 1}), &json!({"a": null}), "x").is_some());
    assert!(shape_diff(&json!({"a": 1}), &json!({"a": 1, "b": 2}), "x").is_some());
    assert!(shape_diff(&json!([["a", 1]]), &json!([["a", "1"]]), "x").is_some());
    assert_eq!(
        shape_diff(&json!([["a", 1]]), &json!([["b", 2], ["c", 3]]), "x"),
        None
    );
    assert!(shape_diff(&json!([1]), &json!([]), "x").is_some());
}
