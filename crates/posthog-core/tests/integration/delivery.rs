use crate::common::*;
use posthog_core::Event;
use posthog_testserver::TestServer;
use std::sync::Arc;

#[test]
fn many_threads_capture_and_everything_arrives() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = Arc::new(client(o.flush_at(50)));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let c = c.clone();
            std::thread::spawn(move || {
                for i in 0..500 {
                    assert!(c.capture(Event::new("mt", format!("t{t}-{i}"))).is_some());
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let report = flush(&c);
    let s = c.stats();
    assert_eq!(
        (s.accepted, s.sent, s.queued, s.pending),
        (2000, 2000, 0, 0)
    );
    assert!(report.sent <= 2000);
    assert_eq!(server.stats().unique_uuids, 2000);
}

#[test]
fn flush_waits_only_for_events_queued_before_it() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o);
    for i in 0..7 {
        c.capture(Event::new("e", format!("u{i}")));
    }
    let report = flush(&c);
    assert_eq!(report.sent, 7);
    assert_eq!(server.events().len(), 7);
    assert_eq!(c.stats().pending, 0);
}
