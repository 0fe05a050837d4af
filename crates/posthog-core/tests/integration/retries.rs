use crate::common::*;
use posthog_core::{ClientOptions, ErrorKind, Event};
use posthog_testserver::{Fault, TestServer};
use std::sync::Arc;
use std::time::Duration;

fn status(s: u16) -> Fault {
    Fault::Status {
        status: s,
        headers: vec![],
        body: String::new(),
    }
}

#[test]
fn retries_every_retryable_status_with_the_same_uuid_and_timestamp() {
    for s in [408, 429, 500, 502, 503, 504] {
        let server = TestServer::spawn();
        server.push_fault(status(s));
        let (o, clock) = opts(&server);
        let c = client(o);
        c.capture(Event::new("retry-me", "u"));
        let report = flush(&c);
        assert_eq!((report.sent, report.retried), (1, 1), "status {s}");
        let reqs = ingestion_requests(&server);
        assert_eq!(reqs.len(), 2, "status {s}");
        let (first, second) = (batch(&reqs[0]), batch(&reqs[1]));
        assert_eq!(first[0]["uuid"], second[0]["uuid"]);
        assert_eq!(first[0]["timestamp"], second[0]["timestamp"]);
        assert_eq!(server.events().len(), 1);
        let sleeps = clock.sleeps();
        assert_eq!(sleeps.len(), 1);
        assert!(
            sleeps[0] >= Duration::from_millis(100),
            "first retry waits at least 100 ms"
        );
    }
}

#[test]
fn retries_dropped_connections() {
    let server = TestServer::spawn();
    server.push_fault(Fault::DropConnection);
    let (o, _) = opts(&server);
    let c = client(o);
    c.capture(Event::new("e", "u"));
    assert_eq!(flush(&c).sent, 1);
    assert_eq!(server.events().len(), 1);
}

#[test]
fn never_retries_client_errors() {
    for (s, kind) in [
        (400, ErrorKind::InvalidRequest),
        (401, ErrorKind::Unauthorized),
        (402, ErrorKind::QuotaLimited),
        (403, ErrorKind::Forbidden),
        (415, ErrorKind::InvalidRequest),
    ] {
        let server = TestServer::spawn();
        server.push_fault(status(s));
        let (o, clock) = opts(&server);
        let reports = Reports::default();
        let c = client(o.on_error(reports.hook()));
        c.capture(Event::new("e", "u"));
        let report = flush(&c);
        assert_eq!(
            (report.sent, report.failed, report.retried),
            (0, 1, 0),
            "status {s}"
        );
        assert_eq!(ingestion_requests(&server).len(), 1, "status {s}");
        assert_eq!(reports.kinds(), vec![kind], "status {s}");
        assert!(clock.sleeps().is_empty());
        assert_eq!(c.stats().failed_batches, 1);
    }
}

#[test]
fn retry_after_is_a_floor() {
    let server = TestServer::spawn();
    server.push_fault(Fault::Status {
        status: 429,
        headers: vec![("Retry-After".into(), "7".into())],
        body: String::new(),
    });
    let date = (chrono::Utc::now() + chrono::Duration::seconds(3600)).to_rfc2822();
    server.push_fault(Fault::Status {
        status: 503,
        headers: vec![("Retry-After".into(), date)],
        body: String::new(),
    });
    let (o, clock) = opts(&server);
    let c = client(o);
    c.capture(Event::new("e", "u"));
    assert_eq!(flush(&c).sent, 1);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 2);
    assert!(sleeps[0] >= Duration::from_secs(7), "{sleeps:?}");
    assert_eq!(
        sleeps[1],
        Duration::from_secs(30),
        "an HTTP date an hour away is clamped to 30 s"
    );
}

#[test]
fn max_retries_is_exact() {
    let server = TestServer::spawn();
    server.push_faults((0..6).map(|_| status(503)));
    let (o, clock) = opts(&server);
    let reports = Reports::default();
    let c = client(o.max_retries(2).on_error(reports.hook()));
    c.capture(Event::new("e", "u"));
    let report = flush(&c);
    assert_eq!((report.sent, report.failed, report.retried), (0, 1, 2));
    assert_eq!(
        ingestion_requests(&server).len(),
        3,
        "1 attempt + 2 retries"
    );
    assert_eq!(clock.sleeps().len(), 2);
    assert_eq!(reports.kinds(), vec![ErrorKind::Server]);
    let s = clock.sleeps();
    assert!(s[1] >= Duration::from_millis(200), "backoff grows: {s:?}");
}

#[test]
fn a_413_splits_the_batch_in_halves() {
    let server = TestServer::spawn();
    server.push_fault(status(413));
    let (o, _) = opts(&server);
    let c = client(o.flush_at(4));
    for i in 0..4 {
        c.capture(Event::new("e", format!("u{i}")));
    }
    let report = flush(&c);
    assert_eq!(report.sent, 4);
    let sizes: Vec<usize> = ingestion_requests(&server)
        .iter()
        .map(|r| batch(r).len())
        .collect();
    assert_eq!(sizes, vec![4, 2, 2]);
    assert_eq!(server.stats().duplicate_events, 0);
}

#[test]
fn a_413_for_one_event_drops_it() {
    let server = TestServer::spawn();
    server.push_fault(status(413));
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(o.on_error(reports.hook()));
    c.capture(Event::new("e", "u"));
    flush(&c);
    assert_eq!(ingestion_requests(&server).len(), 1);
    assert_eq!(c.stats().dropped_too_large, 1);
    assert_eq!(reports.kinds(), vec![ErrorKind::TooLarge]);
}

#[test]
fn repeated_auth_failures_say_the_key_was_rejected() {
    let server = TestServer::spawn();
    server.push_faults((0..3).map(|_| status(401)));
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(o.flush_at(1).max_in_flight(1).on_error(reports.hook()));
    for i in 0..3 {
        c.capture(Event::new("e", format!("u{i}")));
        flush(&c);
    }
    assert_eq!(c.stats().consecutive_auth_failures, 3);
    let last = reports.all().pop().unwrap();
    assert_eq!(last.kind(), ErrorKind::Unauthorized);
    let text = last.to_string();
    assert!(text.contains("3 time(s) in a row"), "{text}");
    assert!(!text.contains(KEY));
    // A success resets the streak.
    c.capture(Event::new("ok", "u"));
    flush(&c);
    assert_eq!(c.stats().consecutive_auth_failures, 0);
}

#[test]
fn ack_loss_only_produces_uuid_identical_duplicates() {
    let server = TestServer::spawn();
    server.push_faults([Fault::AckLoss, Fault::AckLoss]);
    let (o, _) = opts(&server);
    let c = client(o.flush_at(3));
    for i in 0..3 {
        c.capture(Event::new("e", format!("u{i}")));
    }
    let r = flush(&c);
    assert_eq!((r.sent, r.failed), (3, 0));
    let ours = c.stats();
    assert_eq!(
        (ours.sent, ours.failed, ours.failed_batches),
        (3, 0, 0),
        "stored by the server, so never counted failed"
    );
    let stats = server.stats();
    assert_eq!(stats.unique_uuids, 3);
    assert_eq!(
        stats.duplicate_events, 6,
        "two lost acks resend the same three uuids twice"
    );
    assert_eq!(server.events().len(), 9);
}

#[test]
fn nothing_is_lost_under_thirty_percent_503s() {
    let server = TestServer::spawn();
    // A deterministic pattern: 3 of every 10 requests fail.
    let pattern = (0..200).map(|i| {
        if i % 10 < 3 {
            status(503)
        } else {
            Fault::Latency(Duration::ZERO)
        }
    });
    server.push_faults(pattern);
    let (o, _) = opts(&server);
    let c = client(o.flush_at(10).max_retries(5));
    let mut uuids = std::collections::HashSet::new();
    for i in 0..300 {
        uuids.insert(
            c.capture(Event::new("load", format!("u{}", i % 17)))
                .unwrap()
                .to_string(),
        );
    }
    let report = c.shutdown(WAIT).unwrap();
    assert_eq!(report.failed, 0);
    let stats = c.stats();
    assert_eq!((stats.sent, stats.failed, stats.dropped()), (300, 0, 0));
    let stored: std::collections::HashSet<_> =
        server.events().into_iter().filter_map(|e| e.uuid).collect();
    assert_eq!(stored, uuids);
}

#[test]
fn a_failed_batch_reaches_on_error_batch_with_its_events() {
    use std::sync::{Arc, Mutex};
    let server = TestServer::spawn();
    server.push_fault(status(400));
    let (o, _) = opts(&server);
    type Seen = Vec<(ErrorKind, Vec<serde_json::Value>)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let sink = seen.clone();
    let c = client(o.on_error_batch(Arc::new(move |e, batch| {
        sink.lock().unwrap().push((e.kind(), batch.to_vec()));
    })));
    let a = c.capture(Event::new("first", "u")).unwrap();
    let b = c.capture(Event::new("second", "u")).unwrap();
    assert_eq!(flush(&c).failed, 2);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "one report for the batch");
    let (kind, batch) = &seen[0];
    assert_eq!(*kind, ErrorKind::InvalidRequest);
    let uuids: Vec<&str> = batch.iter().map(|m| m["uuid"].as_str().unwrap()).collect();
    assert_eq!(uuids, [a.to_string(), b.to_string()]);
    assert_eq!(batch[0]["event"], "first");
}

/// An outage of about a minute (on the injected clock): with the defaults (no retry count,
/// a 10-minute deadline) every accepted event arrives, once.
#[test]
fn an_outage_of_a_minute_loses_nothing_at_defaults() {
    let server = TestServer::spawn();
    server.push_faults((0..12).map(|_| status(503)));
    let (o, clock) = opts(&server);
    let c = client(o.flush_at(1000));
    let uuids: Vec<String> = (0..50)
        .map(|i| {
            c.capture(Event::new("e", format!("u{i}")))
                .unwrap()
                .to_string()
        })
        .collect();
    let report = flush(&c);
    assert_eq!((report.sent, report.failed, report.retried), (50, 0, 12));
    let waited: Duration = clock.sleeps().iter().sum();
    assert!(
        waited >= Duration::from_secs(60),
        "the outage lasted {waited:?}"
    );
    let stored: std::collections::HashSet<String> =
        server.events().into_iter().filter_map(|e| e.uuid).collect();
    assert_eq!(stored.len(), 50);
    assert!(uuids.iter().all(|u| stored.contains(u)));
    assert_eq!(server.stats().events_stored, 50, "no duplicate stored");
}

#[test]
fn a_batch_gives_up_at_its_deadline_not_before() {
    let server = TestServer::spawn();
    server.push_faults((0..200).map(|_| status(503)));
    let (o, clock) = opts(&server);
    let reports = Reports::default();
    let c = client(
        o.retry_for(Duration::from_secs(20))
            .on_error(reports.hook()),
    );
    c.capture(Event::new("e", "u"));
    let report = flush(&c);
    assert_eq!((report.sent, report.failed), (0, 1));
    let waited: Duration = clock.sleeps().iter().sum();
    assert!(
        waited <= Duration::from_secs(20),
        "waited {waited:?} past the deadline"
    );
    assert!(
        waited >= Duration::from_secs(5),
        "gave up early: {waited:?}"
    );
    assert_eq!(reports.kinds(), vec![ErrorKind::Server]);
    assert_eq!(c.stats().failed_batches, 1);
}

#[test]
fn a_retry_after_past_the_deadline_gives_up_at_once() {
    let server = TestServer::spawn();
    server.push_fault(Fault::Status {
        status: 429,
        headers: vec![("Retry-After".into(), "25".into())],
        body: String::new(),
    });
    let (o, clock) = opts(&server);
    let c = client(o.retry_for(Duration::from_secs(10)));
    c.capture(Event::new("e", "u"));
    assert_eq!(flush(&c).failed, 1);
    assert!(
        clock.sleeps().is_empty(),
        "no wait that could not end in time"
    );
    assert_eq!(ingestion_requests(&server).len(), 1);
}

/// The same outage with `storage_dir` and a memory window far smaller than what arrives
/// meanwhile: events wait on disk, none is lost or sent twice.
#[test]
fn an_outage_with_storage_dir_loses_nothing_past_the_memory_window() {
    let server = TestServer::spawn();
    server.push_faults((0..12).map(|_| status(503)));
    let dir = std::env::temp_dir().join(format!("posthog-outage-{}", uuid::Uuid::new_v4()));
    let (o, clock) = opts(&server);
    let c = client(
        o.storage_dir(&dir)
            .fsync(posthog_core::FsyncPolicy::Never)
            .max_in_flight(1)
            .max_queue_size(200),
    );
    let n = 5_000;
    for i in 0..n {
        assert!(c.capture(Event::new("e", format!("u{i}"))).is_some());
    }
    assert!(c.stats().spilled > 0, "the window overflowed to disk");
    let report = flush(&c);
    assert_eq!((report.failed, report.undelivered), (0, 0));
    let waited: Duration = clock.sleeps().iter().sum();
    assert!(
        waited >= Duration::from_secs(60),
        "the outage lasted {waited:?}"
    );
    let stats = server.stats();
    assert_eq!(stats.events_stored, n, "each stored once");
    let s = c.stats();
    assert_eq!((s.accepted, s.sent, s.dropped(), s.spilled), (n, n, 0, 0));
    drop(c);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A clock whose retry waits never end on their own; each one says it began.
struct StuckClock(std::sync::Mutex<std::sync::mpsc::Sender<Duration>>);

impl posthog_core::Clock for StuckClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now()
    }
    fn sleep(
        &self,
        d: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        if let Ok(tx) = self.0.lock() {
            let _ = tx.send(d);
        }
        Box::pin(std::future::pending())
    }
    fn timer(
        &self,
        _d: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
        Box::pin(std::future::pending())
    }
}

/// A client on a [`StuckClock`] (batches of `flush_at`) and the receiver of its waits.
fn stuck_client(
    server: &TestServer,
    flush_at: usize,
) -> (posthog_core::Client, std::sync::mpsc::Receiver<Duration>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let clock = Arc::new(StuckClock(std::sync::Mutex::new(tx)));
    let c = client(
        ClientOptions::new(KEY)
            .host(server.url())
            .flush_at(flush_at)
            .clock(clock),
    );
    (c, rx)
}

/// A batch waiting out a long backoff when shutdown begins tries again at once, so a server
/// that came back during the wait gets the events within shutdown's bound.
#[test]
fn shutdown_cuts_a_backoff_short_and_delivers() {
    let server = TestServer::spawn();
    server.push_fault(status(503));
    let (c, rx) = stuck_client(&server, 2);
    c.capture(Event::new("a", "u"));
    c.capture(Event::new("b", "u"));
    rx.recv_timeout(WAIT)
        .expect("the batch is waiting out its backoff");
    let r = c.close(WAIT).expect("delivered at shutdown");
    assert_eq!((r.sent, r.failed), (2, 0));
    assert_eq!(server.events().len(), 2);
    assert_eq!(ingestion_requests(&server).len(), 2, "one 503, one retry");
}

/// A Retry-After is the server's floor: shutdown does not cut it short.
#[test]
fn shutdown_keeps_a_retry_after_wait() {
    let server = TestServer::spawn();
    server.push_fault(Fault::Status {
        status: 503,
        headers: vec![("Retry-After".into(), "5".into())],
        body: String::new(),
    });
    let (c, rx) = stuck_client(&server, 1);
    c.capture(Event::new("a", "u"));
    assert!(rx.recv_timeout(WAIT).expect("waiting") >= Duration::from_secs(5));
    let err = c.close(Duration::from_millis(200)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(server.events().len(), 0);
}

/// A flush cuts a backoff short once per batch (so flushing in a loop during an outage is not
/// a busy retry), and shutdown once more.
#[test]
fn a_flush_cuts_a_backoff_short_once_and_shutdown_once_more() {
    let server = TestServer::spawn();
    server.push_faults([status(503), status(503)]);
    let (c, rx) = stuck_client(&server, 1);
    c.capture(Event::new("a", "u"));
    rx.recv_timeout(WAIT).expect("first backoff");
    let err = c.flush(Duration::from_millis(300)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    rx.recv_timeout(WAIT)
        .expect("the flush retried at once, then backed off again");
    assert_eq!(ingestion_requests(&server).len(), 2);
    let err = c.flush(Duration::from_millis(300)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(ingestion_requests(&server).len(), 2, "a second flush waits");
    let r = c.close(WAIT).expect("shutdown retries once more");
    assert_eq!((r.sent, r.failed), (1, 0));
    assert_eq!(ingestion_requests(&server).len(), 3);
}
