use crate::common::*;
use posthog_core::{ErrorKind, Event, OverflowPolicy};
use posthog_testserver::TestServer;
use std::time::Duration;

fn fill(policy: OverflowPolicy) -> (TestServer, posthog_core::Client, Reports) {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(
        o.flush_at(1000)
            .max_queue_size(5)
            .overflow(policy)
            .on_error(reports.hook()),
    );
    for i in 0..8 {
        c.capture(Event::new(format!("e{i}"), "u"));
    }
    (server, c, reports)
}

fn stored_names(server: &TestServer) -> Vec<String> {
    server.events().into_iter().map(|e| e.event).collect()
}

#[test]
fn drop_newest_counts_each_drop_and_reports_the_burst_once() {
    let (server, c, reports) = fill(OverflowPolicy::DropNewest);
    let s = c.stats();
    assert_eq!((s.accepted, s.queued, s.dropped_queue_full), (5, 5, 3));
    // One report when the burst starts, not one per event.
    assert_eq!(reports.kinds(), vec![ErrorKind::QueueFull]);
    flush(&c);
    assert_eq!(stored_names(&server), ["e0", "e1", "e2", "e3", "e4"]);
    // The next accepted event ends the burst with its size.
    c.capture(Event::new("after", "u"));
    let all = reports.all();
    assert_eq!(all.len(), 2);
    assert!(
        all[1].to_string().contains("3 event(s) were dropped"),
        "{}",
        all[1]
    );
}

#[test]
fn drop_oldest_keeps_the_newest() {
    let (server, c, reports) = fill(OverflowPolicy::DropOldest);
    let s = c.stats();
    assert_eq!((s.accepted, s.queued, s.dropped_queue_full), (8, 5, 3));
    assert_eq!(
        reports.kinds(),
        vec![ErrorKind::QueueFull],
        "the burst, once"
    );
    flush(&c);
    assert_eq!(stored_names(&server), ["e3", "e4", "e5", "e6", "e7"]);
}

#[test]
fn block_waits_then_drops() {
    let (server, c, _) = fill(OverflowPolicy::Block(Duration::from_millis(20)));
    let s = c.stats();
    assert_eq!((s.accepted, s.dropped_queue_full), (5, 3));
    flush(&c);
    assert_eq!(server.events().len(), 5);
}

#[test]
fn block_accepts_once_the_worker_makes_room() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(
        o.flush_at(5)
            .max_queue_size(5)
            .overflow(OverflowPolicy::Block(WAIT)),
    );
    for i in 0..50 {
        assert!(
            c.capture(Event::new("e", format!("u{i}"))).is_some(),
            "event {i} was dropped"
        );
    }
    flush(&c);
    assert_eq!(server.events().len(), 50);
    assert_eq!(c.stats().dropped(), 0);
}

#[test]
fn the_queue_is_bounded_by_bytes() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(
        o.flush_at(1000)
            .max_event_bytes(1_000)
            .max_batch_bytes(1_000)
            .max_queue_bytes(2_500),
    );
    // Offline, so the worker cuts no batch (a batch in flight would free queue bytes).
    c.set_online(false);
    let pad = "y".repeat(500); // ~700 bytes serialised: 3 fit in 2 500
    let accepted = (0..5)
        .filter(|i| {
            c.capture(Event::new("e", format!("u{i}")).property("p", pad.clone()))
                .is_some()
        })
        .count();
    assert_eq!(accepted, 3);
    assert_eq!(c.stats().dropped_queue_full, 2);
}

#[test]
fn capture_after_shutdown_is_counted() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(o.on_error(reports.hook()));
    c.capture(Event::new("before", "u"));
    let report = c.shutdown(WAIT).unwrap();
    assert_eq!(report.sent, 1);
    assert!(c.capture(Event::new("after", "u")).is_none());
    assert_eq!(c.stats().dropped_closed, 1);
    assert_eq!(reports.kinds(), vec![ErrorKind::Closed]);
    assert!(c.is_shut_down());
    assert_eq!(
        c.shutdown(WAIT).unwrap().sent,
        0,
        "a second shutdown is a no-op"
    );
}

#[test]
fn dropping_the_client_delivers_what_it_accepted() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o);
    c.capture(Event::new("last-words", "u"));
    drop(c);
    assert_eq!(server.events().len(), 1);
}

#[test]
fn shutdown_that_runs_out_of_time_reports_what_was_lost() {
    let server = TestServer::spawn();
    server.push_fault(posthog_testserver::Fault::Latency(Duration::from_secs(5)));
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(o.on_error(reports.hook()));
    c.capture(Event::new("slow", "u"));
    let err = c.shutdown(Duration::from_millis(100)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    let s = c.stats();
    assert_eq!(
        (s.failed, s.failed_batches),
        (1, 1),
        "failed events belong to a failed batch"
    );
    assert!(reports.kinds().contains(&ErrorKind::Timeout));
}
