//! The on-disk queue when things go wrong: encryption at rest with an app-supplied cipher
//! (and a cipher that cannot open what is on disk), an ack file on `/dev/full` (ENOSPC for
//! everyone, root included), and segment and ack files damaged while the client was stopped.
//! A real full or read-only file system is in `disk_tmpfs.rs`.

use crate::common::*;
use posthog_core::{ErrorKind, Event, RecordCipher};
use posthog_testserver::{Fault, TestServer};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "posthog-diskerr-{name}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every stored copy of a uuid is identical to the first; returns the copies per uuid.
pub fn copies_by_uuid(server: &TestServer) -> BTreeMap<String, usize> {
    let mut seen: BTreeMap<String, (serde_json::Value, usize)> = BTreeMap::new();
    for e in server.events() {
        let u = e.uuid.clone().expect("every event has a uuid");
        match seen.get_mut(&u) {
            None => {
                seen.insert(u, (e.raw, 1));
            }
            Some((raw, n)) => {
                assert_eq!(*raw, e.raw, "a resend of {u} differs");
                *n += 1;
            }
        }
    }
    seen.into_iter().map(|(u, (_, n))| (u, n)).collect()
}

/// The `seg-*.log` / `seg-*.ack` files of a storage directory, sorted.
pub fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("seg-"))
        .collect();
    v.sort();
    v
}

/// A toy cipher: a marker, the key byte, then the payload XORed with the key byte. Opening
/// checks the marker and the key byte, like an AEAD tag would.
struct Xor(u8);

impl RecordCipher for Xor {
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = b"TOY".to_vec();
        out.push(self.0);
        out.extend(plain.iter().map(|b| b ^ self.0));
        Ok(out)
    }
    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, String> {
        match sealed.strip_prefix(b"TOY") {
            Some([k, rest @ ..]) if *k == self.0 => Ok(rest.iter().map(|b| b ^ k).collect()),
            _ => Err("authentication failed".into()),
        }
    }
}

/// Seals, but can open nothing (a key that is gone).
struct CannotOpen;

impl RecordCipher for CannotOpen {
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String> {
        Xor(9).seal(plain)
    }
    fn open(&self, _: &[u8]) -> Result<Vec<u8>, String> {
        Err("the key is not available".into())
    }
}

/// Flushes and returns the client's cumulative `sent` count (a flush's own report misses
/// what the worker delivered before it was called, e.g. a backlog sent at start).
pub fn sent_after_flush(c: &posthog_core::Client) -> u64 {
    flush(c);
    c.stats().sent
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn dir_bytes(dir: &Path) -> Vec<u8> {
    segment_files(dir)
        .iter()
        .flat_map(|p| std::fs::read(p).unwrap())
        .collect()
}

/// Captures `n` events while the server answers 503 (max_retries 1: the flush and the drop's
/// shutdown each make two attempts), so they stay on disk. Returns their uuids.
fn offline_backlog(server: &TestServer, o: posthog_core::ClientOptions, n: usize) -> Vec<String> {
    server.push_faults(std::iter::repeat_n(Fault::status(503), 4));
    let c = client(o.max_retries(1));
    let uuids: Vec<String> = (0..n)
        .map(|i| {
            c.capture(
                Event::new("secret_checkout", "user-1").property("card_last4", format!("42{i:02}")),
            )
            .unwrap()
            .to_string()
        })
        .collect();
    assert_eq!(flush(&c).sent, 0);
    drop(c);
    assert_eq!(server.stats().faults_pending, 0);
    assert_eq!(server.stats().events_stored, 0);
    uuids
}

#[test]
fn a_cipher_keeps_records_sealed_and_a_restart_delivers_each_once() {
    let server = TestServer::spawn();
    let dir = tmp_dir("cipher");
    let (o, _) = opts(&server);
    let uuids = offline_backlog(&server, o.storage_dir(&dir).cipher(Arc::new(Xor(0x5a))), 20);
    let disk = dir_bytes(&dir);
    assert!(!disk.is_empty());
    assert!(
        !contains(&disk, b"secret_checkout"),
        "the event name is in the clear"
    );
    assert!(!contains(&disk, b"card_last4"));
    for u in &uuids {
        assert!(!contains(&disk, u.as_bytes()), "a uuid is in the clear");
        let raw = uuid::Uuid::parse_str(u).unwrap();
        assert!(
            !contains(&disk, raw.as_bytes()),
            "a raw uuid is in the clear"
        );
    }

    let reports = Reports::default();
    let (o, _) = opts(&server);
    let o = o.storage_dir(&dir).cipher(Arc::new(Xor(0x5a)));
    let c = client(o.clone().on_error(reports.hook()));
    assert_eq!(sent_after_flush(&c), 20);
    drop(c);
    assert!(reports.all().is_empty(), "{:?}", reports.all());
    let stats = server.stats();
    assert_eq!((stats.unique_uuids, stats.events_stored), (20, 20));
    let got: BTreeSet<String> = server.events().into_iter().filter_map(|e| e.uuid).collect();
    assert_eq!(got, uuids.into_iter().collect());
    // Nothing is left.
    let c = client(o);
    assert_eq!(sent_after_flush(&c), 0);
    drop(c);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn records_the_cipher_cannot_open_are_reported_skipped_and_never_crash() {
    let server = TestServer::spawn();
    let dir = tmp_dir("cipher-fail");
    let (o, _) = opts(&server);
    offline_backlog(&server, o.storage_dir(&dir).cipher(Arc::new(Xor(1))), 5);

    let reports = Reports::default();
    let (o, _) = opts(&server);
    let c = client(
        o.storage_dir(&dir)
            .cipher(Arc::new(CannotOpen))
            .on_error(reports.hook()),
    );
    let all = reports.all();
    assert_eq!(all.len(), 1, "one report for the segment: {all:?}");
    assert_eq!(all[0].kind(), ErrorKind::Io);
    assert_eq!(c.stats().failed, 5, "lost records are counted as failed");
    let msg = all[0].to_string();
    assert!(
        msg.contains("5 record(s) could not be opened") && msg.contains("key is not available"),
        "{msg}"
    );
    assert_eq!(
        sent_after_flush(&c),
        0,
        "nothing to send: the records were skipped"
    );
    // The client keeps working, and seals what it writes.
    assert!(c.capture(Event::new("after", "user-1")).is_some());
    assert_eq!(sent_after_flush(&c), 1);
    drop(c);
    assert_eq!(reports.all().len(), 1);

    // Skipped means given up, like a corrupt record: the right key finds nothing left.
    let (o, _) = opts(&server);
    let c = client(o.storage_dir(&dir).cipher(Arc::new(Xor(1))));
    assert_eq!(sent_after_flush(&c), 0);
    drop(c);
    assert_eq!(server.stats().unique_uuids, 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Options under which [`capture_five`] sends `[a b]` while capturing (the queue's bytes
/// reach `max_batch_bytes` at c) and `[c d e]` at the next flush, one request at a time, so the
/// first ack lands in the segment's ack file.
fn two_then_three(o: posthog_core::ClientOptions) -> posthog_core::ClientOptions {
    o.max_in_flight(1)
        .max_event_bytes(4000)
        .max_batch_bytes(4000)
        .flush_at(1000)
}

/// Captures a, b, c, d (about 1.75 KB each) and e (small); returns their uuids.
fn capture_five(c: &posthog_core::Client) -> Vec<String> {
    ["a", "b", "c", "d", "e"]
        .iter()
        .map(|n| {
            let mut ev = Event::new(*n, "user-1");
            if *n != "e" {
                ev = ev.property("pad", "x".repeat(1500));
            }
            c.capture(ev).unwrap().to_string()
        })
        .collect()
}

/// The batch sizes the server received, in order.
fn batch_sizes(server: &TestServer) -> Vec<usize> {
    ingestion_requests(server)
        .iter()
        .map(|r| batch(r).len())
        .collect()
}

/// An ack file that is a symbolic link (here to `/dev/full`) is refused on every ack: the queue
/// never writes through a link. (A segment log cannot be linked like that: segments are created
/// with `O_EXCL`, which refuses an existing path, so the append side is covered by a unit test
/// and the tmpfs tests.)
#[cfg(target_os = "linux")]
#[test]
fn an_ack_file_on_dev_full_is_reported_once_and_delivery_stays_exact() {
    let server = TestServer::spawn();
    let dir = tmp_dir("devfull");
    let reports = Reports::default();
    let (o, _) = opts(&server);
    let o = two_then_three(o.storage_dir(&dir));
    let c = client(o.clone().on_error(reports.hook()));
    let segs = segment_files(&dir);
    assert_eq!(segs.len(), 1, "{segs:?}");
    let ack = segs[0].with_extension("ack");
    std::os::unix::fs::symlink("/dev/full", &ack).unwrap();
    capture_five(&c);
    assert_eq!(sent_after_flush(&c), 5);
    assert_eq!(batch_sizes(&server), [2, 3]);
    let all = reports.all();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].kind(), ErrorKind::Io);
    assert!(all[0].to_string().contains("symbolic link"), "{}", all[0]);
    drop(c);
    let stats = server.stats();
    assert_eq!((stats.unique_uuids, stats.events_stored), (5, 5));
    // The last ack completed the segment: it was deleted, link included.
    assert!(segment_files(&dir).is_empty(), "{:?}", segment_files(&dir));
    let c = client(o.on_error(reports.hook()));
    assert_eq!(sent_after_flush(&c), 0);
    drop(c);
    assert_eq!(reports.all().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A stopped client's directory holding five events a..e in one segment, a and b
/// acknowledged in its ack file (the server took the first batch, then failed). Returns the
/// uuids in capture order.
fn stopped_with_an_ack_file(server: &TestServer, dir: &Path) -> Vec<String> {
    // Batches [a b] and [c d e]: the first is stored; the second fails in this run's flush
    // and in the drop's shutdown (max_retries 0: one attempt per cycle).
    server.push_fault(Fault::Latency(Duration::ZERO));
    server.push_faults(std::iter::repeat_n(Fault::status(503), 2));
    let (o, _) = opts(server);
    let c = client(two_then_three(o.storage_dir(dir)).max_retries(0));
    let uuids = capture_five(&c);
    assert_eq!(sent_after_flush(&c), 2);
    drop(c);
    assert_eq!(batch_sizes(server), [2, 3, 3]);
    assert_eq!(server.stats().faults_pending, 0);
    assert_eq!(server.stats().unique_uuids, 2);
    let files = segment_files(dir);
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "seg-00000000000000000000.ack",
            "seg-00000000000000000000.log"
        ]
    );
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().len(),
        16,
        "two entries"
    );
    uuids
}

/// The byte offset of record `index` in a segment (format: 8-byte header, then
/// `[len u32 LE][crc u32 LE][payload]` records).
fn record_offset(data: &[u8], index: usize) -> usize {
    let mut pos = 8;
    for _ in 0..index {
        let len = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        pos += 8 + len;
    }
    pos
}

fn restart_and_flush(server: &TestServer, dir: &Path) -> (u64, Vec<posthog_core::Error>) {
    let reports = Reports::default();
    let (o, _) = opts(server);
    let c = client(o.storage_dir(dir).on_error(reports.hook()));
    let sent = sent_after_flush(&c);
    drop(c);
    (sent, reports.all())
}

#[test]
fn bytes_overwritten_in_a_segment_are_reported_and_the_intact_events_delivered_once() {
    let server = TestServer::spawn();
    let dir = tmp_dir("corrupt-log");
    let uuids = stopped_with_an_ack_file(&server, &dir);
    let log = dir.join("seg-00000000000000000000.log");
    let mut data = std::fs::read(&log).unwrap();
    // Inside d's event bytes (past the frame and the uuid + time).
    let at = record_offset(&data, 3) + 8 + 24 + 200;
    data[at..at + 16].copy_from_slice(b"garbage-garbage!");
    std::fs::write(&log, &data).unwrap();

    let (sent, reports) = restart_and_flush(&server, &dir);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].kind(), ErrorKind::Io);
    assert!(
        reports[0].to_string().contains("checksum"),
        "{}",
        reports[0]
    );
    assert_eq!(sent, 2, "c and e");
    let copies = copies_by_uuid(&server);
    let want: BTreeMap<String, usize> = [0, 1, 2, 4]
        .iter()
        .map(|i| (uuids[*i].clone(), 1))
        .collect();
    assert_eq!(
        copies, want,
        "every intact event exactly once, d lost and reported"
    );
    let (sent, reports) = restart_and_flush(&server, &dir);
    assert_eq!((sent, reports.len()), (0, 0), "{reports:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn garbage_in_an_ack_file_is_reported_and_means_identical_resends() {
    let server = TestServer::spawn();
    let dir = tmp_dir("corrupt-ack");
    let uuids = stopped_with_an_ack_file(&server, &dir);
    std::fs::write(dir.join("seg-00000000000000000000.ack"), [0xa5u8; 16]).unwrap();

    let (sent, reports) = restart_and_flush(&server, &dir);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].kind(), ErrorKind::Io);
    assert!(
        reports[0].to_string().contains("2 corrupt entry"),
        "{}",
        reports[0]
    );
    assert_eq!(sent, 5, "a and b again, then c d e");
    let copies = copies_by_uuid(&server); // asserts the resends are identical
    let want: BTreeMap<String, usize> = uuids
        .iter()
        .enumerate()
        .map(|(i, u)| (u.clone(), if i < 2 { 2 } else { 1 }))
        .collect();
    assert_eq!(copies, want);
    let (sent, _) = restart_and_flush(&server, &dir);
    assert_eq!(sent, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A truncated ack file looks exactly like an ack append cut short by a kill, which is
/// expected: not reported, and the lost entry's record is resent with its uuid.
#[test]
fn a_truncated_ack_file_means_an_identical_resend_not_a_crash() {
    let server = TestServer::spawn();
    let dir = tmp_dir("torn-ack");
    let uuids = stopped_with_an_ack_file(&server, &dir);
    let ack = std::fs::OpenOptions::new()
        .write(true)
        .open(dir.join("seg-00000000000000000000.ack"))
        .unwrap();
    ack.set_len(12).unwrap(); // a's entry and half of b's
    drop(ack);

    let (sent, reports) = restart_and_flush(&server, &dir);
    assert!(reports.is_empty(), "{reports:?}");
    assert_eq!(sent, 4, "b again, then c d e");
    let copies = copies_by_uuid(&server);
    assert_eq!(copies.len(), 5);
    assert_eq!(copies[&uuids[0]], 1);
    assert_eq!(copies[&uuids[1]], 2);
    let (sent, _) = restart_and_flush(&server, &dir);
    assert_eq!(sent, 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
