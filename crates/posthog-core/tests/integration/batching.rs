use crate::common::*;
use posthog_core::Event;
use posthog_testserver::TestServer;
use std::time::Duration;

#[test]
fn sends_a_batch_when_flush_at_events_are_queued() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o.flush_at(5));
    for i in 0..10 {
        assert!(c.capture(Event::new("e", format!("u{i}"))).is_some());
    }
    assert!(server.wait_for_events(10, WAIT), "no flush() was called");
    assert!(server.wait_for_requests(2, WAIT));
    let reqs = ingestion_requests(&server);
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|r| batch(r).len() == 5));
    // Fewer than flush_at stay queued (no timer due, no flush).
    for i in 0..3 {
        c.capture(Event::new("late", format!("u{i}")));
    }
    assert_eq!(c.stats().queued, 3);
}

#[test]
fn a_request_takes_up_to_max_batch_size_of_what_is_queued() {
    // posthog-node's maxBatchSize: flush_at starts a send; one request carries up to
    // max_batch_size of what is queued by then.
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o.flush_at(20).max_batch_size(50).max_in_flight(1));
    c.set_online(false);
    for i in 0..120 {
        assert!(c.capture(Event::new("e", format!("u{i}"))).is_some());
    }
    c.set_online(true);
    assert!(server.wait_for_events(120, WAIT));
    assert!(server.wait_for_requests(3, WAIT));
    let sizes: Vec<usize> = ingestion_requests(&server)
        .iter()
        .map(|r| batch(r).len())
        .collect();
    assert_eq!(sizes, vec![50, 50, 20], "{sizes:?}");
    // Never below flush_at: a smaller max_batch_size is raised to it.
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o.flush_at(30).max_batch_size(10).max_in_flight(1));
    c.set_online(false);
    for i in 0..60 {
        c.capture(Event::new("e", format!("u{i}")));
    }
    c.set_online(true);
    assert!(server.wait_for_events(60, WAIT));
    assert!(server.wait_for_requests(2, WAIT));
    let sizes: Vec<usize> = ingestion_requests(&server)
        .iter()
        .map(|r| batch(r).len())
        .collect();
    assert_eq!(sizes, vec![30, 30], "{sizes:?}");
}

#[test]
fn sends_when_the_interval_elapses() {
    let server = TestServer::spawn();
    // The system clock (the manual one of `opts` only moves by hand: see schedule.rs).
    let c = client(
        posthog_core::ClientOptions::new(KEY)
            .host(server.url())
            .flush_interval(Duration::from_millis(50)),
    );
    c.capture(Event::new("timed", "u1"));
    assert!(
        server.wait_for_events(1, WAIT),
        "the timer never sent the event"
    );
    assert!(
        wait_until(|| c.stats().sent == 1),
        "the client never counted the delivery"
    );
}

#[test]
fn cuts_batches_by_bytes() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o.max_event_bytes(1_000).max_batch_bytes(2_000).gzip(false));
    let pad = "x".repeat(600);
    for i in 0..6 {
        c.capture(Event::new("big", format!("u{i}")).property("pad", pad.clone()));
    }
    flush(&c);
    let reqs = ingestion_requests(&server);
    assert!(
        reqs.len() >= 3,
        "6 events of ~700 bytes need 3+ requests under 2000 bytes, got {}",
        reqs.len()
    );
    let total: usize = reqs.iter().map(|r| batch(r).len()).sum();
    assert_eq!(total, 6);
    for r in &reqs {
        let event_bytes: usize = batch(r).iter().map(|e| e.to_string().len()).sum();
        assert!(event_bytes <= 2_000, "batch of {event_bytes} bytes");
    }
}

#[test]
fn a_flush_with_nothing_queued_sends_nothing() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o);
    let report = flush(&c);
    assert_eq!(report.sent, 0);
    assert!(ingestion_requests(&server).is_empty());
}

#[test]
fn slow_batches_do_not_stall_the_rest() {
    let server = TestServer::spawn();
    server.push_fault(posthog_testserver::Fault::Latency(Duration::from_secs(2)));
    let (o, _) = opts(&server);
    let c = client(o.flush_at(1).max_in_flight(2));
    c.capture(Event::new("slow", "u1"));
    // The slow request has reached the server once it took the latency fault.
    assert!(wait_until(|| server.stats().faults_pending == 0));
    c.capture(Event::new("fast", "u2"));
    assert!(server.wait_for_events(1, WAIT));
    assert_eq!(
        server.events()[0].event,
        "fast",
        "the second batch waited behind the slow one"
    );
    flush(&c);
    assert_eq!(server.events().len(), 2);
}
