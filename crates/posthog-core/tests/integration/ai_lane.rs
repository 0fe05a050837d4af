use crate::common::*;
use posthog_core::Event;
use posthog_testserver::TestServer;
use serde_json::json;

#[test]
fn capture_ai_travels_on_its_own_lane_and_capture_never_reroutes() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    // Both wait for the flush (a report counts what resolved while it waited).
    let c = client(o.flush_at(100).protocol(posthog_core::Protocol::V0));
    let mut sup = serde_json::Map::new();
    sup.insert("app".into(), json!("demo"));
    c.register(sup);
    let ai = c
        .capture_ai(Event::new("$ai_generation", "u1").property("$ai_model", "gpt-4o"))
        .unwrap();
    let plain = c.capture(Event::new("$ai_generation", "u2")).unwrap();
    let report = flush(&c);
    assert_eq!(report.sent, 2, "flush covers both lanes: {report:?}");
    let reqs = server.requests();
    let ai_reqs: Vec<_> = reqs
        .iter()
        .filter(|r| r.path == "/i/v0/ai/batch/")
        .collect();
    assert_eq!(ai_reqs.len(), 1);
    let events = batch(ai_reqs[0]);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["uuid"], ai.to_string());
    assert_eq!(events[0]["properties"]["$ai_model"], "gpt-4o");
    assert_eq!(
        events[0]["properties"]["app"], "demo",
        "super properties as for capture"
    );
    let plain_reqs = ingestion_requests(&server);
    assert_eq!(plain_reqs.len(), 1);
    assert_eq!(batch(&plain_reqs[0])[0]["uuid"], plain.to_string());
    let stats = c.stats();
    assert_eq!((stats.accepted, stats.sent), (2, 2));
    c.shutdown(WAIT).unwrap();
    assert!(
        c.capture_ai(Event::new("$ai_span", "u1")).is_none(),
        "closed after shutdown"
    );
}

#[test]
fn the_ai_lane_takes_events_larger_than_the_ordinary_bound() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o.max_event_bytes(64 * 1024));
    let big = "x".repeat(200 * 1024);
    assert!(
        c.capture(Event::new("$ai_generation", "u").property("$ai_input", big.clone()))
            .is_none()
    );
    assert!(
        c.capture_ai(Event::new("$ai_generation", "u").property("$ai_input", big))
            .is_some()
    );
    assert_eq!(flush(&c).sent, 1);
}
