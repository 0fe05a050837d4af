//! Time is the client's clock everywhere it is read: retry waits (with a reproducible jitter
//! seed), the flush timer and the definitions poll; and one classification of answers, with one
//! reading of request ids and `Retry-After`, behind every endpoint.

use crate::common::*;
use posthog_core::retry::Backoff;
use posthog_core::{ErrorKind, Event, FlagOptions};
use posthog_testserver::{Fault, TestServer};
use std::time::Duration;

fn status(s: u16, headers: &[(&str, &str)]) -> Fault {
    Fault::Status {
        status: s,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: r#"{"detail":"busy"}"#.into(),
    }
}

#[test]
fn a_jitter_seed_fixes_every_retry_wait() {
    let server = TestServer::spawn();
    server.push_faults([status(503, &[]), status(502, &[]), status(500, &[])]);
    let (o, clock) = opts(&server);
    let c = client(o.jitter_seed(42));
    c.capture(Event::new("e", "u"));
    let report = flush(&c);
    assert_eq!((report.sent, report.retried), (1, 3));
    let mut expected = Backoff::seeded(Some(42));
    let expected: Vec<Duration> = (0..3).map(|_| expected.next_delay(None)).collect();
    assert_eq!(clock.sleeps(), expected);
    // Exponential with jitter: each wait in [100 ms · 2^i, 2 · 100 ms · 2^i).
    for (i, d) in expected.iter().enumerate() {
        let base = Duration::from_millis(100 * (1 << i));
        assert!(*d >= base && *d < base * 2, "{i}: {d:?}");
    }
}

#[test]
fn the_flush_timer_runs_on_the_clients_clock() {
    let server = TestServer::spawn();
    // `opts` sets a one-hour flush interval: only the clock can make it pass.
    let (o, clock) = opts(&server);
    let c = client(o.flush_at(100));
    assert!(
        clock.wait_for_timers(1, WAIT),
        "the worker arms its flush timer"
    );
    c.capture(Event::new("timed", "u"));
    assert!(server.events().is_empty());
    clock.advance(Duration::from_secs(3600));
    assert!(
        server.wait_for_events(1, WAIT),
        "the timer flushed the event"
    );
    assert_eq!(server.events()[0].event, "timed");
    // It re-arms for the next interval.
    assert!(clock.wait_for_timers(1, WAIT));
}

#[test]
fn the_definitions_poll_runs_on_the_clients_clock() {
    let server = TestServer::spawn();
    let (o, clock) = opts(&server);
    let c = client(
        o.personal_api_key("phs_testsecurekey")
            .poll_interval(Duration::from_secs(30)),
    );
    let defs = |s: &TestServer| {
        s.requests()
            .iter()
            .filter(|r| r.path == "/flags/definitions")
            .count()
    };
    // The flush timer and the poll timer wait on the clock once the first load is done.
    assert!(clock.wait_for_timers(2, WAIT));
    assert_eq!(defs(&server), 1);
    clock.advance(Duration::from_secs(30));
    assert!(wait_until(|| defs(&server) == 2), "polled again after 30 s");
    assert!(clock.wait_for_timers(2, WAIT));
    assert_eq!(defs(&server), 2);
    drop(c);
}

#[test]
fn request_ids_are_read_alike_for_ingestion_and_flags() {
    for header in ["X-Request-Id", "PostHog-Request-Id"] {
        let server = TestServer::spawn();
        server.push_fault(status(400, &[(header, "req-batch")]));
        server.push_flags_fault(status(500, &[(header, "req-flags"), ("Retry-After", "90")]));
        let (o, _) = opts(&server);
        let reports = Reports::default();
        let c = client(o.on_error(reports.hook()));
        c.capture(Event::new("e", "u"));
        flush(&c);
        assert_eq!(
            c.get_feature_flag("beta", "u", &FlagOptions::default())
                .unwrap(),
            None
        );
        let attrs: Vec<_> = reports.all().iter().map(|e| e.attributes()).collect();
        let batch = attrs
            .iter()
            .find(|a| a.kind == ErrorKind::InvalidRequest)
            .expect("the batch error");
        assert_eq!(batch.request_id.as_deref(), Some("req-batch"), "{header}");
        let flags = attrs
            .iter()
            .find(|a| a.kind == ErrorKind::Server)
            .expect("the /flags error");
        assert_eq!(flags.request_id.as_deref(), Some("req-flags"), "{header}");
        assert_eq!(flags.retry_after_secs, Some(90));
        assert_eq!(flags.status, Some(500));
    }
}
