use crate::common::*;
use posthog_core::Event;
use posthog_testserver::TestServer;
use std::sync::Arc;
use std::time::Duration;

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

#[test]
fn after_fork_in_child_gives_a_fresh_client_and_a_dead_copy() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let parent = client(o.flush_at(1000));
    parent.capture(Event::new("queued-in-parent", "u"));
    // What a child does right after fork(): take a fresh client, leave the copy alone.
    let child = parent.after_fork_in_child().unwrap();
    assert_eq!(
        child.stats().queued,
        0,
        "the parent's queue is the parent's to deliver"
    );
    child.capture(Event::new("from-child", "u"));
    assert_eq!(flush(&child).sent, 1);
    assert_eq!(
        parent.shutdown(Duration::from_secs(5)).unwrap().sent,
        0,
        "the copy never waits"
    );
    drop(parent);
    let names: Vec<_> = server.events().into_iter().map(|e| e.event).collect();
    assert_eq!(names, ["from-child"]);
}
