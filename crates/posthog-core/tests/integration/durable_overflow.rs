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

#[test]
fn drop_newest_refuses_on_disk_too() {
    let server = TestServer::spawn();
    let (accepted, dropped, kinds, names) = run(
        &server,
        OverflowPolicy::DropNewest,
        |o| o.max_queue_size(3),
        0,
    );
    assert_eq!(accepted, [true, true, true, false, false]);
    assert_eq!(dropped, 2);
    assert!(kinds.contains(&ErrorKind::QueueFull), "{kinds:?}");
    assert_eq!(names, ["e0", "e1", "e2"]);
}

#[test]
fn drop_oldest_evicts_from_disk_too() {
    let server = TestServer::spawn();
    let (accepted, dropped, _, names) = run(
        &server,
        OverflowPolicy::DropOldest,
        |o| o.max_queue_size(3),
        0,
    );
    assert_eq!(accepted, [true; 5]);
    assert_eq!(dropped, 2);
    assert_eq!(
        names,
        ["e2", "e3", "e4"],
        "evicted events are acknowledged on disk"
    );
}

#[test]
fn the_byte_bound_applies_on_disk() {
    let server = TestServer::spawn();
    // Events of 1.2–1.7 KB (a 1 000-byte property and the SDK's own) in a queue of 3 500
    // bytes: two fit.
    let (accepted, dropped, _, names) = run(
        &server,
        OverflowPolicy::DropNewest,
        |o| o.max_event_bytes(2_000).max_queue_bytes(3_500),
        1_000,
    );
    assert_eq!(accepted, [true, true, false, false, false]);
    assert_eq!(dropped, 3);
    assert_eq!(names, ["e0", "e1"]);
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
