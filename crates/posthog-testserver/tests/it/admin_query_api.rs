//! Private API: the query API's cache, async lifecycle, row limit, throttles and
//! concurrency limit.

use std::time::Duration;

use posthog_testserver::{QueryThrottle, Rate, TestServer};
use serde_json::{Value, json};

use crate::admin_support::{KEY, call, capture, get, post};
use crate::http::post_json;

const QUERY: &str = "/api/projects/1/query/";

fn body(text: &str, refresh: Option<&str>) -> Value {
    let mut b = json!({"query": {"kind": "HogQLQuery", "query": text}});
    if let Some(r) = refresh {
        b["refresh"] = json!(r);
    }
    b
}

fn one_event(port: u16, distinct_id: &str) {
    capture(
        port,
        &[("e", distinct_id, "2025-01-01T00:00:00Z", json!({}))],
    );
}

fn count(port: u16, refresh: Option<&str>) -> Value {
    let r = post(port, QUERY, &body("SELECT count() FROM events", refresh));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[test]
fn answers_are_cached_within_the_ttl_even_when_data_changes() {
    let server = TestServer::spawn();
    let port = server.port();
    one_event(port, "a");
    let first = count(port, None);
    assert_eq!(
        (first["results"].clone(), first["is_cached"].clone()),
        (json!([[1]]), json!(false))
    );
    one_event(port, "b");
    let again = count(port, None);
    assert_eq!(
        (again["results"].clone(), again["is_cached"].clone()),
        (json!([[1]]), json!(true)),
        "served from the cache although a second event arrived"
    );
    assert_eq!(again["cache_key"], first["cache_key"]);
    assert_eq!(count(port, Some("blocking"))["is_cached"], true);
    // other values are another cache entry
    let other = post(
        port,
        QUERY,
        &json!({"query": {"kind": "HogQLQuery", "query": "SELECT count() FROM events WHERE event = {e}", "values": {"e": "e"}}}),
    )
    .json();
    assert_eq!(other["is_cached"], false);
    // an async submission that hits the cache answers the full result at once
    let r = post(
        port,
        QUERY,
        &body("SELECT count() FROM events", Some("async")),
    );
    assert_eq!(r.status, 200);
    let hit = r.json();
    assert_eq!(
        (
            hit["is_cached"].clone(),
            hit["query_status"].clone(),
            hit["results"].clone()
        ),
        (json!(true), Value::Null, json!([[1]]))
    );
    // force_blocking recomputes and refreshes the cache
    let forced = count(port, Some("force_blocking"));
    assert_eq!(
        (forced["results"].clone(), forced["is_cached"].clone()),
        (json!([[2]]), json!(false))
    );
    assert_eq!(count(port, None)["results"], json!([[2]]));
    // force_async always starts a query
    let r = post(
        port,
        QUERY,
        &body("SELECT count() FROM events", Some("force_async")),
    );
    assert_eq!(r.status, 202);
    // a TTL of zero turns the cache off (control API)
    let r = post_json(port, "/_test/admin/query_cache", &json!({"ttl_seconds": 0})).unwrap();
    assert_eq!(r.json()["ttl_seconds"], 0.0);
    one_event(port, "c");
    assert_eq!(count(port, None)["results"], json!([[3]]));
    server.set_query_cache_ttl(Duration::from_secs(60));
    assert_eq!(
        count(port, None)["is_cached"],
        true,
        "stored answers age against the new TTL"
    );
    // reset restores the default
    server.reset();
    assert_eq!(count(port, None)["is_cached"], false);
}

#[test]
fn async_answers_go_to_the_cache_when_complete() {
    let server = TestServer::spawn();
    let port = server.port();
    one_event(port, "a");
    let b = json!({"query": {"kind": "HogQLQuery", "query": "SELECT count() FROM events"}, "refresh": "async", "client_query_id": "c1"});
    assert_eq!(post(port, QUERY, &b).status, 202);
    // the same id again, not forced: the existing status
    let r = post(port, QUERY, &b);
    assert_eq!(
        (r.status, r.json()["query_status"]["id"].clone()),
        (202, json!("c1"))
    );
    assert_eq!(get(port, "/api/projects/1/query/c1/").status, 202);
    let done = get(port, "/api/projects/1/query/c1/");
    assert_eq!(done.status, 200);
    assert_eq!(
        done.json()["query_status"]["results"]["results"],
        json!([[1]])
    );
    assert_eq!(count(port, None)["is_cached"], true);
}

#[test]
fn async_failures_answer_400_with_a_message_and_500_without() {
    let server = TestServer::spawn();
    let port = server.port();
    let poll_twice = |id: &str| {
        assert_eq!(get(port, &format!("{QUERY}{id}/")).status, 202);
        get(port, &format!("{QUERY}{id}/"))
    };
    let submit = |text: &str, id: &str| {
        let b = json!({"query": {"kind": "HogQLQuery", "query": text}, "refresh": "force_async", "client_query_id": id});
        assert_eq!(post(port, QUERY, &b).status, 202, "{text}");
    };
    // the query's fault
    submit("SELECT nope FROM events", "bad");
    let r = poll_twice("bad");
    assert_eq!(r.status, 400);
    let status = &r.json()["query_status"];
    assert_eq!(
        (status["complete"].clone(), status["error"].clone()),
        (json!(true), json!(true))
    );
    assert!(status["error_message"].as_str().unwrap().contains("nope"));
    // scripted: an internal error, then a message
    server.push_query_failure(None);
    let r = post_json(
        port,
        "/_test/admin/query_failures",
        &json!([{"error_message": "Out of memory"}]),
    )
    .unwrap();
    assert_eq!(r.json(), json!({"queued": 1, "pending": 2}));
    submit("SELECT count() FROM events", "internal");
    let r = poll_twice("internal");
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["query_status"]["error_message"], Value::Null);
    submit("SELECT count() FROM events", "scripted");
    let r = poll_twice("scripted");
    assert_eq!(
        (r.status, r.json()["query_status"]["error_message"].clone()),
        (400, json!("Out of memory"))
    );
    // the next one succeeds
    submit("SELECT count() FROM events", "fine");
    assert_eq!(poll_twice("fine").status, 200);
    // syntax errors of blocking queries are 400 validation errors with PostHog's codes
    let r = post(port, QUERY, &body("SELEC event FROM events", None));
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (400, json!("hogql_syntax_error"))
    );
    let r = post(
        port,
        QUERY,
        &body("SELECT x FROM events", Some("sometimes")),
    );
    assert_eq!(
        (r.status, r.json()["attr"].clone()),
        (400, json!("refresh"))
    );
}

#[test]
fn too_many_rows_is_a_504_timeout() {
    let server = TestServer::spawn();
    let port = server.port();
    server.generate_events(
        30,
        "e",
        "2024-01-01T00:00:00Z".parse().unwrap(),
        "2024-01-02T00:00:00Z".parse().unwrap(),
    );
    let r = post_json(port, "/_test/admin/query_limit", &json!({"max_rows": 10})).unwrap();
    assert_eq!(r.json()["max_rows"], 10);
    let page = |limit: u32| {
        post(
            port,
            QUERY,
            &body(
                &format!("SELECT uuid FROM events ORDER BY uuid LIMIT {limit}"),
                Some("force_blocking"),
            ),
        )
    };
    let r = page(20);
    assert_eq!(r.status, 504);
    assert_eq!(
        r.json(),
        json!({"type": "server_error", "code": "error", "detail": "Query has hit the max execution time before completing. See our docs for how to improve your query performance. You may need to materialize.", "attr": null})
    );
    assert_eq!(
        page(10).status,
        200,
        "halving the page gets under the limit"
    );
    // async: the poll answers 400 with the timeout message
    let b = json!({"query": {"kind": "HogQLQuery", "query": "SELECT uuid FROM events"}, "refresh": "force_async", "client_query_id": "slow"});
    assert_eq!(post(port, QUERY, &b).status, 202);
    get(port, "/api/projects/1/query/slow/");
    let r = get(port, "/api/projects/1/query/slow/");
    assert_eq!(r.status, 400);
    assert!(
        r.json()["query_status"]["error_message"]
            .as_str()
            .unwrap()
            .starts_with("Query has hit the max execution time")
    );
    server.set_query_max_rows(None);
    assert_eq!(page(20).status, 200);
}

#[test]
fn legacy_teams_get_120_hogql_queries_an_hour() {
    let server = TestServer::spawn();
    let port = server.port();
    let r = post_json(port, "/_test/admin/rate_limit", &json!({"query": "legacy"})).unwrap();
    assert_eq!(r.status, 200);
    let q = body("SELECT count() FROM events", Some("force_blocking"));
    for i in 0..120 {
        assert_eq!(post(port, QUERY, &q).status, 200, "request {i}");
    }
    let r = post(port, QUERY, &q);
    assert_eq!(r.status, 429);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&wait), "{wait}");
    assert_eq!(
        r.json(),
        json!({"type": "throttled_error", "code": "throttled", "detail": format!("Request was throttled. Expected available in {wait} seconds."), "attr": null})
    );
    // polls are throttled by the ClickHouse classes, not the HogQL one
    assert_eq!(get(port, "/api/projects/1/query/none/").status, 404);
    // another key has its own window
    server.register_key("phx_other", &["query:read"]);
    assert_eq!(call(port, "POST", QUERY, "phx_other", Some(&q)).status, 200);
    // other resources are not throttled; the general budget was left alone
    assert_eq!(get(port, "/api/projects/").status, 200);
    server.set_query_throttle(QueryThrottle::Off);
    assert_eq!(post(port, QUERY, &q).status, 200);
}

#[test]
fn custom_rates_answer_the_longest_wait() {
    let server = TestServer::spawn();
    let port = server.port();
    server.set_query_throttle(QueryThrottle::Custom {
        rates: vec![
            Rate::new(2, Duration::from_secs(60)),
            Rate::parse("3/hour").unwrap(),
        ],
        max_concurrent: None,
    });
    let q = body("SELECT count() FROM events", None);
    assert_eq!(post(port, QUERY, &q).status, 200);
    assert_eq!(post(port, QUERY, &q).status, 200);
    let r = post(port, QUERY, &q);
    assert_eq!(r.status, 429);
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((59..=60).contains(&wait), "{wait}");
    // one a second: after the first a 1-second wait, singular
    server.set_query_throttle(QueryThrottle::Custom {
        rates: vec![Rate::parse("1/second").unwrap()],
        max_concurrent: None,
    });
    assert_eq!(post(port, QUERY, &q).status, 200);
    let r = post(port, QUERY, &q);
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    assert_eq!(
        r.json()["detail"],
        "Request was throttled. Expected available in 1 second."
    );
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(post(port, QUERY, &q).status, 200);
}

#[test]
fn current_teams_run_at_most_three_queries_at_once() {
    let server = TestServer::spawn();
    let port = server.port();
    let r = post_json(
        port,
        "/_test/admin/rate_limit",
        &json!({"query": "current"}),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    for i in 0..3 {
        let b = json!({"query": {"kind": "HogQLQuery", "query": "SELECT count() FROM events"}, "refresh": "force_async", "client_query_id": format!("slot-{i}")});
        assert_eq!(post(port, QUERY, &b).status, 202);
    }
    let blocked = json!({"query": {"kind": "HogQLQuery", "query": "SELECT event FROM events"}, "client_query_id": "fourth"});
    let r = post(port, QUERY, &blocked);
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), None);
    assert_eq!(
        r.json()["detail"],
        "Exceeded maximum concurrency limit: 3 for key: api:query:per-team:1 and task: fourth"
    );
    // a poll completes one: a slot is free again
    assert_eq!(get(port, "/api/projects/1/query/slot-0/").status, 202);
    assert_eq!(post(port, QUERY, &blocked).status, 200);
    // a cancel frees one too
    assert_eq!(
        call(port, "DELETE", "/api/projects/1/query/slot-1/", KEY, None).status,
        200
    );
}

#[test]
fn slow_blocking_queries_hold_their_slots() {
    let server = TestServer::spawn();
    let port = server.port();
    server.set_query_throttle(QueryThrottle::Custom {
        rates: Vec::new(),
        max_concurrent: Some(2),
    });
    let r = post_json(port, "/_test/admin/query_limit", &json!({"delay_ms": 400})).unwrap();
    assert_eq!(r.json()["delay_ms"], 400);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|i| {
                s.spawn(move || {
                    std::thread::sleep(Duration::from_millis(i * 100));
                    post(
                        port,
                        QUERY,
                        &body(
                            &format!("SELECT count() FROM events WHERE event = 'e{i}'"),
                            None,
                        ),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses, [200, 200, 429]);
    server.set_query_delay(Duration::ZERO);
    assert_eq!(
        post(port, QUERY, &body("SELECT count() FROM events", None)).status,
        200
    );
}
