use crate::common::*;
use posthog_core::{Event, Protocol};
use posthog_testserver::{Fault, TestServer};
use serde_json::json;

#[test]
fn v0_body_is_gzipped_with_key_sent_at_and_events() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o);
    let ts = chrono::DateTime::parse_from_rfc3339("2026-03-04T10:00:00.250+02:00").unwrap();
    let uuid = c
        .capture(
            Event::new("signed_up", "user-1")
                .property("plan", "pro")
                .timestamp(ts),
        )
        .unwrap();
    flush(&c);
    let reqs = ingestion_requests(&server);
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.path, "/batch/");
    assert!(r.gzip, "gzip is on by default");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(
        r.header("authorization").is_none(),
        "v0 carries the key in the body only"
    );
    let body = r.json().unwrap();
    assert_eq!(body["api_key"], KEY);
    assert_eq!(body["historical_migration"], false);
    assert!(body["sent_at"].as_str().unwrap().ends_with('Z'));
    let ev = &body["batch"][0];
    assert_eq!(ev["event"], "signed_up");
    assert_eq!(ev["distinct_id"], "user-1");
    assert_eq!(ev["uuid"], uuid.to_string());
    assert_eq!(
        ev["timestamp"], "2026-03-04T08:00:00.250000Z",
        "any offset is sent as UTC"
    );
    assert_eq!(ev["properties"]["plan"], "pro");
    assert_eq!(ev["properties"]["$lib"], "posthog-sdk-rust");
    assert_eq!(ev["properties"]["$lib_version"], posthog_core::VERSION);
    let stored = server.events();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].uuid.as_deref(), Some(uuid.to_string().as_str()));
}

#[test]
fn gzip_can_be_turned_off() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o.gzip(false));
    c.capture(Event::new("plain", "u"));
    flush(&c);
    let r = &ingestion_requests(&server)[0];
    assert!(!r.gzip);
    assert!(r.header("content-encoding").is_none());
    assert_eq!(server.events().len(), 1);
}

#[test]
fn v1_headers_body_and_partial_retry() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(
        o.protocol(Protocol::V1)
            .flush_at(2)
            .historical_migration(true),
    );
    let a = c
        .capture(Event::new("a", "u").property("$process_person_profile", "false"))
        .unwrap();
    // The server asks to retry the second event only.
    server.push_fault(Fault::V1Results(vec!["ok".into(), "retry".into()]));
    let b = c.capture(Event::new("b", "u")).unwrap();
    flush(&c);
    let reqs = ingestion_requests(&server);
    assert_eq!(reqs.len(), 2, "one resend of the retry event");
    for r in &reqs {
        assert_eq!(r.path, "/i/v1/analytics/events");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert_eq!(
            r.header("posthog-sdk-info"),
            Some(format!("posthog-sdk-rust/{}", posthog_core::VERSION).as_str())
        );
        assert!(
            r.header("posthog-request-timestamp")
                .unwrap()
                .ends_with('Z')
        );
        let body = r.json().unwrap();
        assert!(body.get("api_key").is_none() && body.get("sent_at").is_none());
        assert_eq!(body["historical_migration"], true);
        assert!(body["created_at"].is_string());
    }
    assert_eq!(reqs[0].header("posthog-attempt"), Some("1"));
    assert_eq!(reqs[1].header("posthog-attempt"), Some("2"));
    assert_eq!(
        reqs[0].header("posthog-request-id"),
        reqs[1].header("posthog-request-id")
    );
    let first = batch(&reqs[0]);
    assert_eq!(first[0]["uuid"], a.to_string());
    assert_eq!(
        first[0]["options"],
        json!({"process_person_profile": false})
    );
    assert!(
        first[0]["properties"].get("$lib").is_none(),
        "v1 derives $lib from PostHog-Sdk-Info"
    );
    let resent = batch(&reqs[1]);
    assert_eq!(resent.len(), 1);
    assert_eq!(resent[0]["uuid"], b.to_string());
    assert_eq!(resent[0]["timestamp"], first[1]["timestamp"]);
    assert_eq!(c.stats().sent, 2);
    let mut uuids: Vec<_> = server.events().into_iter().filter_map(|e| e.uuid).collect();
    uuids.sort();
    let mut want = vec![a.to_string(), b.to_string()];
    want.sort();
    assert_eq!(uuids, want);
}

#[test]
fn v1_drop_results_are_counted_not_resent() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(
        o.protocol(Protocol::V1)
            .flush_at(2)
            .on_error(reports.hook()),
    );
    server.push_fault(Fault::V1Results(vec!["drop".into(), "ok".into()]));
    c.capture(Event::new("a", "u"));
    c.capture(Event::new("b", "u"));
    flush(&c);
    assert_eq!(ingestion_requests(&server).len(), 1);
    let s = c.stats();
    assert_eq!((s.sent, s.dropped_server), (1, 1));
    assert!(!reports.all().is_empty());
}
