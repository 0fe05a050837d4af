//! The HTTP control API under /_test/.

use std::time::Duration;

use posthog_testserver::TestServer;
use serde_json::json;

use crate::http::{get, post_json, request};

#[test]
fn control_api_round_trip() {
    let server = TestServer::spawn();
    let port = server.port();
    let faults = json!([{"status": 503}, {"status": 429, "headers": {"Retry-After": "1"}},
                        {"latency_ms": 10}, {"v1_results": ["ok"]}]);
    let r = post_json(port, "/_test/faults", &faults).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["queued"], 4);
    assert_eq!(
        get(port, "/_test/stats").unwrap().json()["faults_pending"],
        4
    );
    assert_eq!(
        post_json(port, "/_test/faults", &json!([{"bogus": 1}]))
            .unwrap()
            .status,
        400
    );

    let event = json!({"token": "phc_t", "event": "e", "distinct_id": "u", "uuid": "0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a81"});
    assert_eq!(post_json(port, "/e/", &event).unwrap().status, 503);
    let r = post_json(port, "/e/", &event).unwrap();
    assert_eq!((r.status, r.header("retry-after")), (429, Some("1")));
    assert_eq!(post_json(port, "/e/", &event).unwrap().status, 200);
    assert_eq!(post_json(port, "/e/", &event).unwrap().status, 200);

    let events = get(port, "/_test/events").unwrap().json();
    assert_eq!(events.as_array().unwrap().len(), 2);
    assert_eq!(events[0]["event"], "e");
    assert_eq!(events[0]["raw"]["token"], "phc_t");
    let requests = get(port, "/_test/requests").unwrap().json();
    assert_eq!(
        requests.as_array().unwrap().len(),
        4,
        "control routes are not recorded"
    );
    assert_eq!(requests[0]["status"], 503);
    assert_eq!(requests[0]["gzip"], false);
    assert_eq!(requests[0]["headers"]["content-type"], "application/json");
    assert!(requests[0]["body"].as_str().unwrap().contains("phc_t"));
    let stats = get(port, "/_test/stats").unwrap().json();
    assert_eq!(stats["events_stored"], 2);
    assert_eq!(stats["duplicate_events"], 1);
    assert_eq!(stats["unique_uuids"], 1);
    assert_eq!(stats["statuses"]["200"], 2);

    let r = get(port, "/_test/wait?events=2&timeout_ms=10")
        .unwrap()
        .json();
    assert_eq!(r, json!({"ok": true, "events": 2, "requests": 4}));
    let r = get(port, "/_test/wait?events=3&timeout_ms=50")
        .unwrap()
        .json();
    assert_eq!(r["ok"], false);

    assert_eq!(
        request(port, "POST", "/_test/reset", &[], Some(b""))
            .unwrap()
            .status,
        200
    );
    assert!(server.events().is_empty());
    assert_eq!(get(port, "/_test/stats").unwrap().json()["requests"], 0);
}

#[test]
fn wait_long_polls_until_events_arrive() {
    let server = TestServer::spawn();
    let port = server.port();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(150));
        post_json(
            port,
            "/e",
            &json!({"token": "phc_t", "event": "e", "distinct_id": "u"}),
        )
        .unwrap()
    });
    let r = get(port, "/_test/wait?events=1&timeout_ms=10000")
        .unwrap()
        .json();
    assert_eq!(r["ok"], true);
    assert_eq!(r["events"], 1);
    sender.join().unwrap();
}

#[test]
fn routes_methods_and_cors() {
    let server = TestServer::spawn();
    let port = server.port();
    assert_eq!(get(port, "/_readiness").unwrap().body, b"capture");
    assert_eq!(get(port, "/nope").unwrap().status, 404);
    assert_eq!(
        request(port, "DELETE", "/batch/", &[], None)
            .unwrap()
            .status,
        405
    );
    let r = request(
        port,
        "OPTIONS",
        "/i/v0/e/",
        &[
            ("Origin", "https://a.example"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        None,
    )
    .unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://a.example")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("content-type")
    );
    for path in ["/capture/", "/track", "/engage/"] {
        let ev = json!({"token": "phc_t", "event": "e", "distinct_id": "u"});
        assert_eq!(post_json(port, path, &ev).unwrap().status, 200, "{path}");
    }
}
