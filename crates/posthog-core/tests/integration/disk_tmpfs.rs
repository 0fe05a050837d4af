//! The on-disk queue on a real file system that fills up or turns read-only: a 64 KiB tmpfs
//! mounted in a user + mount namespace (`unshare -Urm`), so it works unprivileged and as root
//! (root ignores mode bits, not a full disk or a read-only mount). Each test re-runs this test
//! binary as a child inside the namespace; the child runs its own test server (the network is
//! shared), asserts everything itself, and a failed assertion makes it exit non-zero, which
//! fails the parent. Where namespaces are not allowed the parent prints `skipped: …`.

use crate::common::*;
use crate::disk_errors::{copies_by_uuid, segment_files, sent_after_flush, tmp_dir};
use posthog_core::{Client, ClientOptions, Error, ErrorKind, Event};
use posthog_testserver::{Fault, TestServer};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

const CHILD_ENV: &str = "POSTHOG_TMPFS_CHILD";
const DIR_ENV: &str = "POSTHOG_TMPFS_DIR";
const BIN_ENV: &str = "POSTHOG_TMPFS_BIN";
const MOUNT: &str = r#"mount -t tmpfs -o size=64k none "$POSTHOG_TMPFS_DIR""#;

/// Whether a tmpfs can be mounted in a new user + mount namespace here (checked once).
fn namespaces() -> &'static Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE.get_or_init(|| {
        let dir = tmp_dir("probe");
        let out = Command::new("unshare")
            .args(["-Urm", "sh", "-c", MOUNT])
            .env(DIR_ENV, &dir)
            .output();
        let _ = std::fs::remove_dir_all(&dir);
        match out {
            Err(e) => Err(format!("cannot run unshare ({e})")),
            Ok(o) if !o.status.success() => Err(format!(
                "unshare -Urm + mount -t tmpfs failed ({}): {}",
                o.status,
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Ok(_) => Ok(()),
        }
    })
}

/// Runs `scenario` in a child on a fresh 64 KiB tmpfs; fails if the child fails.
fn in_tmpfs(scenario: &str) {
    if let Err(why) = namespaces() {
        println!("skipped: {scenario}: {why}");
        return;
    }
    let dir = tmp_dir(&format!("tmpfs-{scenario}"));
    let script = format!(
        r#"{MOUNT} && exec "$POSTHOG_TMPFS_BIN" disk_tmpfs::tmpfs_child --exact --nocapture --test-threads=1"#
    );
    let out = Command::new("unshare")
        .args(["-Urm", "sh", "-c", &script])
        .env(DIR_ENV, &dir)
        .env(BIN_ENV, std::env::current_exe().unwrap())
        .env(CHILD_ENV, scenario)
        .output()
        .unwrap();
    // The tmpfs lived in the child's namespace: here the directory is empty.
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the {scenario} child failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains(&format!("tmpfs child passed: {scenario}")),
        "the child did not run the scenario:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
}

#[test]
fn a_disk_that_fills_up_mid_run_loses_nothing() {
    in_tmpfs("full");
}

#[test]
fn a_read_only_directory_at_start_still_delivers_its_backlog() {
    in_tmpfs("read-only");
}

#[test]
fn a_directory_that_turns_read_only_while_running_keeps_accepting() {
    in_tmpfs("read-only-live");
}

/// Not a test on its own: the body of the tmpfs children (does nothing unless [`CHILD_ENV`]
/// is set, which only [`in_tmpfs`] does, inside the namespace).
#[test]
fn tmpfs_child() {
    let Ok(scenario) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = std::path::PathBuf::from(std::env::var(DIR_ENV).unwrap());
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(
        mounts.lines().any(|l| l.starts_with("none ")
            && l.contains(" tmpfs ")
            && l.contains(&*dir.to_string_lossy())),
        "{} is not a tmpfs here:\n{mounts}",
        dir.display()
    );
    match scenario.as_str() {
        "full" => full(&dir),
        "read-only" => read_only(&dir),
        "read-only-live" => read_only_live(&dir),
        other => panic!("unknown scenario {other}"),
    }
    println!("tmpfs child passed: {scenario}");
}

fn remount(dir: &Path, mode: &str) {
    let out = Command::new("mount")
        .args(["-o", &format!("remount,{mode}"), &*dir.to_string_lossy()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "remount {mode} failed (a file still open for writing?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Options for a client on `queue` that reports into `reports`.
fn start(server: &TestServer, queue: &Path, reports: &Reports) -> ClientOptions {
    let (o, _) = opts(server);
    o.storage_dir(queue).on_error(reports.hook())
}

fn capture_n(c: &Client, name: &str, n: usize, pad: usize) -> BTreeSet<String> {
    (0..n)
        .map(|i| {
            let ev = Event::new(name, "user-1")
                .property("i", i)
                .property("pad", "x".repeat(pad));
            match c.capture(ev) {
                Some(u) => u.to_string(),
                None => panic!("capture {name} {i} was refused"),
            }
        })
        .collect()
}

/// Exactly one report, an I/O error whose message contains `what`.
fn one_io_report(reports: &Reports, what: &str) {
    let all: Vec<Error> = reports.all();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].kind(), ErrorKind::Io, "{all:?}");
    assert!(all[0].to_string().contains(what), "{}", all[0]);
}

/// Leaves a backlog of `n` events on disk: the server fails the flush and the drop's
/// shutdown (one attempt each).
fn backlog(server: &TestServer, queue: &Path, n: usize) -> BTreeSet<String> {
    server.push_faults(std::iter::repeat_n(Fault::status(503), 2));
    let reports = Reports::default();
    let c = Client::new(start(server, queue, &reports).max_retries(0)).unwrap();
    let uuids = capture_n(&c, "backlog", n, 100);
    assert_eq!(flush(&c).sent, 0);
    drop(c);
    assert_eq!(server.stats().faults_pending, 0);
    let all = reports.all();
    assert!(all.iter().all(|e| e.kind() != ErrorKind::Io), "{all:?}");
    uuids
}

/// Fills what is left of the file system, checking it ends in ENOSPC (bounded).
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    for _ in 0..64 {
        if let Err(e) = f.write_all(&[0xaa; 4096]) {
            assert_eq!(e.raw_os_error(), Some(28), "ENOSPC expected: {e}");
            return;
        }
    }
    panic!("64 KiB tmpfs still not full after 256 KiB");
}

fn full(dir: &Path) {
    let server = TestServer::spawn();
    let queue = dir.join("queue");
    let mut captured = BTreeSet::new();

    // 1. The disk fills up mid-run: every capture is still accepted, one report, and the
    //    flush delivers each event exactly once.
    let reports = Reports::default();
    let c = Client::new(start(&server, &queue, &reports).flush_at(10_000)).unwrap();
    assert!(reports.all().is_empty(), "{:?}", reports.all());
    let uuids = capture_n(&c, "fill", 300, 200); // ~130 KB of records
    one_io_report(&reports, "No space left");
    assert_eq!(sent_after_flush(&c), 300);
    drop(c);
    one_io_report(&reports, "No space left");
    let stats = server.stats();
    assert_eq!((stats.unique_uuids, stats.events_stored), (300, 300));
    captured.extend(uuids);

    // 2. A backlog, then a disk with no byte left: the restart reports once, delivers the
    //    backlog (its acks delete the segment even on a full disk), and keeps new events in
    //    memory.
    captured.extend(backlog(&server, &queue, 20));
    fill(&dir.join("filler"));
    let reports = Reports::default();
    let c = Client::new(start(&server, &queue, &reports)).unwrap();
    one_io_report(&reports, "No space left");
    assert_eq!(sent_after_flush(&c), 20);
    captured.extend(capture_n(&c, "full", 10, 100));
    assert_eq!(sent_after_flush(&c), 30);
    drop(c);
    one_io_report(&reports, "No space left");

    // 3. With room again, nothing is left to resend.
    std::fs::remove_file(dir.join("filler")).unwrap();
    let reports = Reports::default();
    let c = Client::new(start(&server, &queue, &reports)).unwrap();
    assert_eq!(sent_after_flush(&c), 0);
    drop(c);
    assert!(reports.all().is_empty(), "{:?}", reports.all());

    let copies = copies_by_uuid(&server); // resends, if any, are identical
    assert_eq!(copies.keys().cloned().collect::<BTreeSet<_>>(), captured);
    assert!(
        copies.values().all(|n| *n == 1),
        "nothing twice: {copies:?}"
    );
}

fn read_only(dir: &Path) {
    let server = TestServer::spawn();
    let queue = dir.join("queue");
    let mut captured = BTreeSet::new();

    // Used once, then left with a backlog, then mounted read-only.
    let reports = Reports::default();
    let c = Client::new(start(&server, &queue, &reports)).unwrap();
    captured.extend(capture_n(&c, "first", 1, 10));
    assert_eq!(sent_after_flush(&c), 1);
    drop(c);
    let waiting = backlog(&server, &queue, 5);
    captured.extend(waiting.iter().cloned());
    remount(dir, "ro");

    // One report at start; the backlog is delivered; new events run on memory.
    let reports = Reports::default();
    let c = Client::new(start(&server, &queue, &reports)).unwrap();
    one_io_report(&reports, "Read-only file system");
    assert_eq!(sent_after_flush(&c), 5);
    captured.extend(capture_n(&c, "read-only", 5, 10));
    assert_eq!(sent_after_flush(&c), 10);
    drop(c);
    one_io_report(&reports, "Read-only file system");
    assert!(
        !segment_files(&queue).is_empty(),
        "nothing could be deleted"
    );

    // Writable again: the backlog's acks never reached the disk, so it goes once more, with
    // the same uuids and bytes (PostHog de-duplicates); then nothing is left.
    remount(dir, "rw");
    let reports = Reports::default();
    let c = Client::new(start(&server, &queue, &reports)).unwrap();
    assert_eq!(sent_after_flush(&c), 5);
    drop(c);
    let c = Client::new(start(&server, &queue, &reports)).unwrap();
    assert_eq!(sent_after_flush(&c), 0);
    drop(c);
    assert!(reports.all().is_empty(), "{:?}", reports.all());

    let copies = copies_by_uuid(&server);
    assert_eq!(copies.keys().cloned().collect::<BTreeSet<_>>(), captured);
    for (u, n) in &copies {
        let want = if waiting.contains(u) { 2 } else { 1 };
        assert_eq!(*n, want, "{u}");
    }
}

fn read_only_live(dir: &Path) {
    let server = TestServer::spawn();
    let queue = dir.join("queue");
    let reports = Reports::default();
    let c = Client::new(start(&server, &queue, &reports)).unwrap();
    let mut captured = capture_n(&c, "before", 3, 10);
    assert_eq!(sent_after_flush(&c), 3);
    // Everything is acknowledged, so the client holds no file open for writing (a tmpfs
    // cannot be remounted read-only under an open writer).
    remount(dir, "ro");
    captured.extend(capture_n(&c, "after", 3, 10));
    one_io_report(&reports, "Read-only file system");
    assert_eq!(sent_after_flush(&c), 6);
    captured.extend(capture_n(&c, "later", 2, 10));
    assert_eq!(sent_after_flush(&c), 8);
    drop(c);
    one_io_report(&reports, "Read-only file system");

    remount(dir, "rw");
    let reports = Reports::default();
    let c = Client::new(start(&server, &queue, &reports)).unwrap();
    assert_eq!(sent_after_flush(&c), 0, "nothing to resend");
    drop(c);
    assert!(reports.all().is_empty(), "{:?}", reports.all());
    let copies = copies_by_uuid(&server);
    assert_eq!(copies.keys().cloned().collect::<BTreeSet<_>>(), captured);
    assert!(copies.values().all(|n| *n == 1), "{copies:?}");
}
