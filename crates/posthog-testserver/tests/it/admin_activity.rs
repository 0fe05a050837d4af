//! Private API: flag activity pages, the project activity log, usage dashboards, billed
//! flag lists, batch export run windows and person pages.

use posthog_testserver::TestServer;
use serde_json::{Value, json};

use crate::admin_support::{KEY, all_pages, call, capture, get, patch, post};

const FLAGS: &str = "/api/projects/1/feature_flags/";

fn flag(port: u16, key: &str) -> i64 {
    let r = post(port, FLAGS, &json!({"key": key}));
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()["id"].as_i64().unwrap()
}

#[test]
fn flag_activity_needs_activity_log_read_and_pages_by_page_and_limit() {
    let server = TestServer::spawn();
    let port = server.port();
    let id = flag(port, "paged");
    for i in 0..11 {
        patch(
            port,
            &format!("{FLAGS}{id}/"),
            &json!({"name": format!("n{i}")}),
        );
    }
    server.register_key("phx_flags", &["feature_flag:read"]);
    server.register_key("phx_activity", &["activity_log:read"]);
    let target = format!("{FLAGS}{id}/activity/");
    let r = call(port, "GET", &target, "phx_flags", None);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["detail"],
        "API key missing required scope 'activity_log:read'"
    );
    let first = call(port, "GET", &target, "phx_activity", None);
    assert_eq!(first.status, 200);
    let first = first.json();
    assert_eq!(first["total_count"], 12);
    assert_eq!(
        first["results"].as_array().unwrap().len(),
        10,
        "default limit 10"
    );
    assert_eq!(first["previous"], Value::Null);
    assert_eq!(
        first["next"],
        format!("http://127.0.0.1:{port}{target}?page=2&limit=10")
    );
    let second = get(port, &format!("{target}?limit=5&page=3")).json();
    assert_eq!(second["results"].as_array().unwrap().len(), 2);
    assert_eq!(second["next"], Value::Null);
    assert_eq!(
        second["previous"],
        format!("http://127.0.0.1:{port}{target}?limit=5&page=2")
    );
    assert_eq!(second["results"][1]["activity"], "created");
    let (all, pages) = all_pages(port, &format!("{target}?limit=5"));
    assert_eq!((all.len(), pages), (12, 3));
    for bad in ["page=0", "limit=abc", "page=-1", "limit="] {
        let r = get(port, &format!("{target}?{bad}"));
        assert_eq!(r.status, 400, "{bad}");
        assert_eq!(r.json()["type"], "validation_error");
    }
    let r = get(port, &format!("{FLAGS}999999/activity/"));
    assert_eq!((r.status, r.json()), (404, json!("")));
    // every flag's activity
    flag(port, "other");
    assert_eq!(
        get(port, &format!("{FLAGS}activity/")).json()["total_count"],
        13
    );
}

#[test]
fn the_activity_log_pages_by_cursor_and_filters() {
    let server = TestServer::spawn();
    let port = server.port();
    let a = flag(port, "a");
    for i in 0..120 {
        patch(
            port,
            &format!("{FLAGS}{a}/"),
            &json!({"active": i % 2 == 1}),
        );
    }
    let b = flag(port, "b");
    patch(port, &format!("{FLAGS}{b}/"), &json!({"deleted": true}));
    server.register_key("phx_log", &["activity_log:read"]);
    assert_eq!(
        call(
            port,
            "GET",
            "/api/projects/1/activity_log/",
            "phx_flags_none",
            None
        )
        .status,
        401
    );
    let first = call(
        port,
        "GET",
        "/api/projects/1/activity_log/",
        "phx_log",
        None,
    )
    .json();
    assert!(first.get("count").is_none());
    assert_eq!(first["results"].as_array().unwrap().len(), 100);
    assert_eq!(first["previous"], Value::Null);
    assert_eq!(first["results"][0]["activity"], "deleted", "newest first");
    let next = first["next"].as_str().unwrap();
    assert!(next.contains("cursor="), "{next}");
    let (all, pages) = all_pages(port, "/api/projects/1/activity_log/");
    assert_eq!((all.len(), pages), (123, 2));
    let created: Vec<&Value> = all.iter().filter(|e| e["activity"] == "created").collect();
    assert_eq!(created.len(), 2);
    // previous of the second page leads back to the first
    let prefix = format!("http://127.0.0.1:{port}");
    let second = get(port, &next[prefix.len()..]).json();
    assert_eq!(second["results"].as_array().unwrap().len(), 23);
    assert_eq!(second["next"], Value::Null);
    let back = get(port, &second["previous"].as_str().unwrap()[prefix.len()..]).json();
    assert_eq!(back["results"], first["results"]);
    // filters
    let only_b = get(port, &format!("/api/projects/1/activity_log/?item_id={b}")).json();
    assert_eq!(only_b["results"].as_array().unwrap().len(), 2);
    assert_eq!(
        get(port, "/api/projects/1/activity_log/?scope=Person").json()["results"],
        json!([])
    );
    assert_eq!(
        get(port, "/api/projects/1/activity_log/?user=2").json()["results"],
        json!([])
    );
    assert_eq!(
        get(
            port,
            &format!("/api/projects/1/activity_log/?user=1&item_id={b}")
        )
        .json()["results"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        get(port, "/api/projects/1/activity_log/?cursor=%21%21").status,
        404
    );
    // a person deletion is logged too
    capture(port, &[("e", "someone", "2025-01-01T00:00:00Z", json!({}))]);
    let person = get(port, "/api/projects/1/persons/").json()["results"][0]["id"].clone();
    let person = person.as_str().unwrap();
    assert_eq!(
        call(
            port,
            "DELETE",
            &format!("/api/projects/1/persons/{person}/"),
            KEY,
            None
        )
        .status,
        202
    );
    let log = get(port, "/api/projects/1/activity_log/?scope=Person").json();
    assert_eq!(log["results"][0]["item_id"], person);
    assert_eq!(log["results"][0]["activity"], "deleted");
}

#[test]
fn creates_make_usage_dashboards_and_lists_are_billed() {
    let server = TestServer::spawn();
    let port = server.port();
    let with = post(port, FLAGS, &json!({"key": "with-dashboard"})).json();
    assert!(with["usage_dashboard"].is_i64(), "{with}");
    let without = post(
        port,
        FLAGS,
        &json!({"key": "without", "_should_create_usage_dashboard": false}),
    )
    .json();
    assert_eq!(without["usage_dashboard"], Value::Null);
    let bad = post(
        port,
        FLAGS,
        &json!({"key": "bad", "_should_create_usage_dashboard": "no"}),
    );
    assert_eq!(
        (bad.status, bad.json()["attr"].clone()),
        (400, json!("_should_create_usage_dashboard"))
    );
    assert_eq!(
        get(port, &format!("{FLAGS}{}/", with["id"])).json()["usage_dashboard"],
        with["usage_dashboard"]
    );
    for _ in 0..3 {
        get(port, FLAGS);
    }
    get(port, &format!("{FLAGS}{}/", with["id"]));
    let stats = server.stats();
    assert_eq!(
        (stats.usage_dashboards_created, stats.flag_list_requests),
        (1, 3)
    );
    let over_http = crate::http::get(port, "/_test/stats").unwrap().json();
    assert_eq!(
        (
            over_http["usage_dashboards_created"].clone(),
            over_http["flag_list_requests"].clone()
        ),
        (json!(1), json!(3))
    );
    server.reset();
    assert_eq!(server.stats().flag_list_requests, 0);
}

#[test]
fn batch_export_runs_are_windowed_and_cursor_paged() {
    let server = TestServer::spawn();
    let port = server.port();
    let base = "/api/projects/1/batch_exports/";
    let export = post(
        port,
        base,
        &json!({"name": "s3", "destination": {"type": "S3", "config": {}}, "interval": "hour"}),
    )
    .json();
    let id = export["id"].as_str().unwrap().to_owned();
    let r = post(
        port,
        &format!("{base}{id}/backfills/"),
        &json!({"start_at": "2025-01-01T00:00:00Z", "end_at": "2025-01-07T06:00:00Z"}),
    );
    assert_eq!(r.status, 200);
    let runs = format!("{base}{id}/runs/");
    let first = get(port, &runs).json();
    assert!(first.get("count").is_none());
    assert_eq!(first["results"].as_array().unwrap().len(), 100);
    let (all, pages) = all_pages(port, &runs);
    assert_eq!((all.len(), pages), (150, 2));
    assert_eq!(
        all[0]["data_interval_start"], "2025-01-07T05:00:00.000000Z",
        "newest first"
    );
    // created now: outside a window in the future or the past
    assert_eq!(
        get(port, &format!("{runs}?after=2100-01-01T00:00:00Z")).json()["results"],
        json!([])
    );
    assert_eq!(
        get(port, &format!("{runs}?before=2000-01-01T00:00:00Z")).json()["results"],
        json!([])
    );
    assert_eq!(
        get(
            port,
            &format!("{runs}?after=-1d&before=2100-01-01T00:00:00Z")
        )
        .json()["results"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
    // backfill errors as PostHog words them
    let future = post(
        port,
        &format!("{base}{id}/backfills/"),
        &json!({"start_at": "2025-01-01T00:00:00Z", "end_at": "2999-01-01T00:00:00Z"}),
    );
    assert_eq!(future.status, 400);
    assert!(
        future.json()["detail"]
            .as_str()
            .unwrap()
            .ends_with("is in the future")
    );
    let naive = post(
        port,
        &format!("{base}{id}/backfills/"),
        &json!({"start_at": "2025-01-01 00:00:00", "end_at": "2025-01-02T00:00:00Z"}),
    );
    assert_eq!(
        naive.json()["detail"],
        "Input 2025-01-01 00:00:00 is naive."
    );
}

#[test]
fn person_pages_link_by_offset_without_a_count() {
    let server = TestServer::spawn();
    let port = server.port();
    capture(
        port,
        &[
            ("e", "p1", "2025-01-01T00:00:00Z", json!({})),
            ("e", "p2", "2025-01-01T00:01:00Z", json!({})),
            ("e", "p3", "2025-01-01T00:02:00Z", json!({})),
        ],
    );
    let prefix = format!("http://127.0.0.1:{port}");
    let first = get(port, "/api/projects/1/persons/?limit=2").json();
    assert_eq!(
        first["next"],
        format!("{prefix}/api/projects/1/persons/?limit=2&offset=2")
    );
    assert_eq!(first["previous"], Value::Null);
    let second = get(port, "/api/projects/1/persons/?limit=2&offset=2").json();
    assert_eq!(second["results"].as_array().unwrap().len(), 1);
    assert_eq!(second["next"], Value::Null);
    // PostHog leaves an offset of 0 out of the link: previous keeps the URL as it was
    assert_eq!(
        second["previous"],
        format!("{prefix}/api/projects/1/persons/?limit=2&offset=2")
    );
    // a full last page still links a next one
    let full = get(port, "/api/projects/1/persons/?limit=3").json();
    assert_eq!(
        full["next"],
        format!("{prefix}/api/projects/1/persons/?limit=3&offset=3")
    );
    assert_eq!(
        get(port, "/api/projects/1/persons/?limit=3&offset=3").json()["results"],
        json!([])
    );
}
