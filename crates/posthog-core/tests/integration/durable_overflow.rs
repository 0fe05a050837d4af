//! The on-disk queue meets the same bounds, overflow policies and counters as the memory
//! queue: what is refused or evicted is counted and never comes back after a restart.

use crate::common::*;
use posthog_core::{ClientOptions, ErrorKind, Event, OverflowPolicy};
use posthog_testserver::TestServer;
use std::path::PathBuf;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir() -> Dir {
    Dir(std::env::temp_dir().join(format!("posthog-overflow-{}", uuid::Uuid::new_v4())))
}

/// Captures `e0..e4` offline into a queue of 3 under `policy`, shuts down, restarts online on
/// the same directory and returns (accepted flags, drops counted, reports, names delivered).
fn run(
    server: &TestServer,
    policy: OverflowPolicy,
    bound: impl Fn(ClientOptions) -> ClientOptions,
    pad: usize,
) -> (Vec<bool>, u64, Vec<ErrorKind>, Vec<String>) {
    let d = dir();
    let reports = Reports::default();
    let (o, _) = opts(server);
    let c = client(bound(
        o.storage_dir(&d.0)
            .overflow(policy)
            .on_error(reports.hook()),
    ));
    c.set_online(false);
    let accepted: Vec<bool> = (0..5)
        .map(|i| {
            let e = Event::new(format!("e{i}"), "u").property("pad", "x".repeat(pad));
            c.capture(e).is_some()
        })
        .collect();
    let dropped = c.stats().dropped_queue_full;
    assert!(c.shutdown(WAIT).is_err(), "offline: nothing delivered");
    drop(c);
    assert!(server.events().is_empty());

    let (o, _) = opts(server);
    let c = client(o.storage_dir(&d.0));
    assert_eq!(flush(&c).failed, 0);
    let names = server.events().into_iter().map(|e| e.event).collect();
    (accepted, dropped, reports.kinds(), names)
}

// Events of 1.2–1.7 KB (a 1 000-byte property and the SDK's own) on a disk of 3 500 bytes:
// two records fit.
const PAD: usize = 1_000;

fn disk_of_two(o: ClientOptions) -> ClientOptions {
    o.max_event_bytes(2_000).max_disk_bytes(3_500)
}

#[test]
fn drop_newest_refuses_at_the_disk_bound() {
    let server = TestServer::spawn();
    let (accepted, dropped, kinds, names) =
        run(&server, OverflowPolicy::DropNewest, disk_of_two, PAD);
    assert_eq!(accepted, [true, true, false, false, false]);
    assert_eq!(dropped, 3);
    assert!(kinds.contains(&ErrorKind::QueueFull), "{kinds:?}");
    assert_eq!(names, ["e0", "e1"]);
}

#[test]
fn drop_oldest_evicts_from_disk_at_the_disk_bound() {
    let server = TestServer::spawn();
    let (accepted, dropped, _, names) = run(&server, OverflowPolicy::DropOldest, disk_of_two, PAD);
    assert_eq!(accepted, [true; 5]);
    assert_eq!(dropped, 3);
    assert_eq!(
        names,
        ["e3", "e4"],
        "evicted events are acknowledged on disk"
    );
}

#[test]
fn the_memory_bounds_do_not_limit_the_disk_queue() {
    let server = TestServer::spawn();
    for (bound, name) in [
        (
            Box::new(|o: ClientOptions| o.max_queue_size(3)) as Box<dyn Fn(_) -> _>,
            "max_queue_size",
        ),
        (
            Box::new(|o: ClientOptions| o.max_event_bytes(2_000).max_queue_bytes(3_500)),
            "max_queue_bytes",
        ),
    ] {
        server.reset();
        let (accepted, dropped, kinds, names) =
            run(&server, OverflowPolicy::DropNewest, bound, PAD);
        assert_eq!(accepted, [true; 5], "{name}");
        assert_eq!(dropped, 0, "{name}");
        assert!(
            kinds.iter().all(|k| *k != ErrorKind::QueueFull),
            "{kinds:?}"
        );
        assert_eq!(names, ["e0", "e1", "e2", "e3", "e4"], "{name}: in order");
    }
}

/// The memory queue is a window over the disk: an outage longer than it holds loses nothing,
/// events wait on disk (counted in `stats().spilled`) and come back in order, each once, both
/// in the same run and after a restart.
#[test]
fn the_disk_holds_what_memory_cannot_and_delivers_it_in_order() {
    let server = TestServer::spawn();
    let d = dir();
    let reports = Reports::default();
    let (o, _) = opts(&server);
    let c = client(
        o.storage_dir(&d.0)
            .max_queue_size(10)
            .flush_at(4)
            .on_error(reports.hook()),
    );
    c.set_online(false);
    for i in 0..300 {
        assert!(
            c.capture(Event::new(format!("e{i}"), "u")).is_some(),
            "e{i}"
        );
    }
    let s = c.stats();
    assert_eq!((s.accepted, s.queued, s.dropped()), (300, 300, 0));
    assert_eq!(s.spilled, 290, "past the memory window, on disk only");
    c.set_online(true);
    let r = flush(&c);
    assert_eq!((r.sent, r.failed, r.dropped, r.undelivered), (300, 0, 0, 0));
    assert_eq!(c.stats().spilled, 0);
    let names: Vec<String> = server.events().into_iter().map(|e| e.event).collect();
    let want: Vec<String> = (0..300).map(|i| format!("e{i}")).collect();
    assert_eq!(names, want, "every event once, in order");
    assert!(reports.all().is_empty(), "{:?}", reports.all());

    // Past the window at shutdown: what waits on disk is reported undelivered and delivered
    // by the next client, which reads it back through its own window.
    server.reset();
    c.set_online(false);
    for i in 0..300 {
        c.capture(Event::new(format!("f{i}"), "u")).unwrap();
    }
    let r = c.shutdown(WAIT);
    assert!(r.is_err(), "offline: nothing delivered");
    drop(c);
    // The server is down while the next client starts, so nothing is delivered before the
    // stats are read (its worker starts sending at once).
    server.set_outage(std::time::Duration::from_secs(3600), 503);
    let (o, _) = opts(&server);
    let c = client(o.storage_dir(&d.0).max_queue_size(10).flush_at(4));
    let s = c.stats();
    assert_eq!(s.queued, 300, "everything on disk is queued again");
    assert!(
        (300 - 10 - 4 * 2..=290).contains(&s.spilled),
        "loaded into the window (plus at most the batches in flight), the rest on disk: {}",
        s.spilled
    );
    server.set_outage(std::time::Duration::ZERO, 503);
    let r = flush(&c);
    assert_eq!((r.sent, r.failed, r.undelivered), (300, 0, 0));
    let names: Vec<String> = server.events().into_iter().map(|e| e.event).collect();
    let want: Vec<String> = (0..300).map(|i| format!("f{i}")).collect();
    assert_eq!(names, want);
}

/// A shutdown that runs out of time with events on disk says how many wait there.
#[test]
fn shutdown_reports_what_stays_on_disk() {
    let server = TestServer::spawn();
    let d = dir();
    let (o, _) = opts(&server);
    let c = client(o.storage_dir(&d.0).max_queue_size(10));
    c.set_online(false);
    for i in 0..50 {
        c.capture(Event::new(format!("e{i}"), "u")).unwrap();
    }
    let before = c.stats();
    assert_eq!((before.queued, before.spilled), (50, 40));
    let err = c.close(std::time::Duration::from_millis(50)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    let s = c.stats();
    assert_eq!(
        (s.failed, s.failed_batches),
        (0, 0),
        "not failed: kept on disk"
    );
    drop(c);
    let (o, _) = opts(&server);
    let c = client(o.storage_dir(&d.0));
    assert_eq!(c.stats().queued, 50);
    assert_eq!(flush(&c).sent, 50);
}

#[test]
fn a_second_client_on_a_locked_directory_keeps_its_events_in_memory() {
    let server = TestServer::spawn();
    let d = dir();
    let (o, _) = opts(&server);
    let first = client(o.storage_dir(&d.0));
    first.set_online(false);
    first.capture(Event::new("from-first", "u")).unwrap();

    let reports = Reports::default();
    let (o, _) = opts(&server);
    let second = client(o.storage_dir(&d.0).on_error(reports.hook()));
    let msg = reports
        .all()
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(msg.contains("another client"), "{:?}", reports.all());
    assert!(second.capture(Event::new("from-second", "u")).is_some());
    assert_eq!(flush(&second).sent, 1, "delivered from memory");
    drop(second);

    // The first still owns the directory; after its shutdown the next client takes it over
    // and delivers what the first left there, once.
    assert!(first.shutdown(WAIT).is_err(), "offline");
    let (o, _) = opts(&server);
    let third = client(o.storage_dir(&d.0));
    assert_eq!(flush(&third).sent, 1);
    let names: Vec<String> = server.events().into_iter().map(|e| e.event).collect();
    assert_eq!(names, ["from-second", "from-first"]);
}
