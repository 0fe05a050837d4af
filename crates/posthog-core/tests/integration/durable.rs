//! The on-disk queue: survives a client drop with the server failing, falls back to memory on
//! an unusable directory, and survives SIGKILL at random points (a child process re-running
//! this test binary).

use crate::common::*;
use posthog_core::{ErrorKind, Event, FsyncPolicy, ManualClock};
use posthog_testserver::{Fault, TestServer};
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn tmp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "posthog-durable-{name}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every stored copy of a uuid is identical to the first (resends are byte-identical).
fn assert_duplicates_identical(server: &TestServer) -> BTreeMap<String, usize> {
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

#[test]
fn a_failing_server_then_a_new_client_delivers_everything_once() {
    let server = TestServer::spawn();
    let dir = tmp_dir("failing");
    // Two attempts per cycle (max_retries 1): one cycle at flush, one at the drop's shutdown.
    server.push_faults(std::iter::repeat_n(Fault::status(503), 4));
    let reports = Reports::default();
    let (o, _) = opts(&server);
    let c = client(o.storage_dir(&dir).max_retries(1).on_error(reports.hook()));
    let mut uuids = BTreeSet::new();
    for i in 0..20 {
        uuids.insert(
            c.capture(Event::new(format!("e{i}"), "u"))
                .unwrap()
                .to_string(),
        );
    }
    let r = flush(&c);
    // Nothing failed, and the report says the 20 still wait (never 0 while events wait).
    assert_eq!((r.sent, r.failed, r.undelivered), (0, 0, 20));
    let s = c.stats();
    assert_eq!((s.deferred, s.queued, s.failed), (20, 20, 0), "{s:?}");
    assert!(reports.kinds().contains(&ErrorKind::Server));
    // The shutdown's cycle fails too: its report counts the 20 left on disk.
    let r = c.shutdown(WAIT).unwrap();
    assert_eq!((r.sent, r.failed, r.undelivered), (0, 0, 20));
    drop(c);
    assert_eq!(server.stats().faults_pending, 0);
    assert_eq!(server.events().len(), 0);

    let (o, _) = opts(&server);
    let c = client(o.storage_dir(&dir));
    let r = flush(&c);
    assert_eq!(r.sent, 20);
    let stats = server.stats();
    assert_eq!((stats.unique_uuids, stats.events_stored), (20, 20));
    let got: BTreeSet<String> = server.events().into_iter().filter_map(|e| e.uuid).collect();
    assert_eq!(got, uuids);
    drop(c);

    // Nothing is left: a third client sends nothing.
    let (o, _) = opts(&server);
    let c = client(o.storage_dir(&dir));
    assert_eq!(flush(&c).sent, 0);
    drop(c);
    assert_eq!(server.stats().events_stored, 20);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn max_attempts_gives_up_and_acknowledges_on_disk() {
    let server = TestServer::spawn();
    let dir = tmp_dir("attempts");
    server.push_faults(std::iter::repeat_n(Fault::status(503), 4));
    let (o, _) = opts(&server);
    let c = client(o.storage_dir(&dir).max_retries(1).max_attempts(2));
    c.capture(Event::new("e", "u")).unwrap();
    flush(&c);
    assert_eq!((c.stats().deferred, c.stats().failed), (1, 0));
    flush(&c);
    assert_eq!(
        (c.stats().deferred, c.stats().failed, c.stats().queued),
        (1, 1, 0)
    );
    drop(c);
    let (o, _) = opts(&server);
    let c = client(o.storage_dir(&dir));
    assert_eq!(flush(&c).sent, 0, "given up means gone from disk too");
    drop(c);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unusable_directory_falls_back_to_memory_with_a_report() {
    let server = TestServer::spawn();
    let base = tmp_dir("unusable");
    // A path below a regular file cannot be a directory, even for root (a chmod'ed read-only
    // directory does not stop root, which these tests may run as).
    let file = base.join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let reports = Reports::default();
    let (o, _) = opts(&server);
    let c = client(o.storage_dir(file.join("queue")).on_error(reports.hook()));
    assert!(
        reports.kinds().contains(&ErrorKind::Io),
        "{:?}",
        reports.all()
    );
    let n = reports.all().len();
    for i in 0..5 {
        assert!(c.capture(Event::new(format!("e{i}"), "u")).is_some());
    }
    assert_eq!(flush(&c).sent, 5);
    assert_eq!(server.stats().unique_uuids, 5);
    assert_eq!(reports.all().len(), n, "no error per event");
    drop(c);
    std::fs::remove_dir_all(&base).unwrap();
}

#[cfg(unix)]
#[test]
fn a_directory_that_turns_read_only_keeps_events_in_memory() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::spawn();
    let dir = tmp_dir("readonly");
    let reports = Reports::default();
    let (o, _) = opts(&server);
    // Used once, then made read-only. Root ignores the mode bits, so the fallback is only
    // asserted where the directory really is unwritable; delivery is asserted everywhere.
    let c = client(o.storage_dir(&dir).on_error(reports.hook()));
    c.capture(Event::new("a", "u")).unwrap();
    assert_eq!(flush(&c).sent, 1);
    drop(c);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    let writable = std::fs::write(dir.join("probe"), b"").is_ok();
    let (o, _) = opts(&server);
    let c = client(o.storage_dir(&dir).on_error(reports.hook()));
    if !writable {
        assert!(
            reports.kinds().contains(&ErrorKind::Io),
            "{:?}",
            reports.all()
        );
    }
    c.capture(Event::new("b", "u")).unwrap();
    assert_eq!(flush(&c).sent, 1);
    drop(c);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(server.stats().unique_uuids, 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

const CHILD_ENV: &str = "POSTHOG_DURABLE_CHILD";

/// Not a test on its own: the body of the child process of the kill test (it does nothing
/// unless [`CHILD_ENV`] is set). Captures `count` numbered events on a directory, printing
/// `accepted <i> <uuid>` (flushed) after each accepted one, then flushes and prints `done`.
#[test]
fn durable_child_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.split('|');
    let (url, dir, count) = (
        parts.next().unwrap().to_string(),
        parts.next().unwrap().to_string(),
        parts.next().unwrap().parse::<usize>().unwrap(),
    );
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let c = client(
        posthog_core::ClientOptions::new(KEY)
            .host(url)
            .flush_interval(Duration::from_secs(3600))
            .clock(clock)
            .flush_at(4)
            .max_in_flight(2)
            .max_retries(1000)
            .fsync(FsyncPolicy::Always)
            .storage_dir(dir),
    );
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        if let Some(u) = c.capture(Event::new("numbered", format!("user-{i}")).property("i", i)) {
            writeln!(out, "accepted {i} {u}").unwrap();
            out.flush().unwrap();
        }
    }
    c.flush(WAIT).unwrap();
    c.shutdown(WAIT).unwrap();
    writeln!(out, "done").unwrap();
    out.flush().unwrap();
}

fn spawn_child(server: &TestServer, dir: &Path, count: usize) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "durable::durable_child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD_ENV,
            format!("{}|{}|{count}", server.url(), dir.display()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn survives_sigkill_at_random_points() {
    const ROUNDS: usize = 50;
    const EVENTS: usize = 24;
    let seed: u64 = std::env::var("DURABLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    println!("survives_sigkill_at_random_points: DURABLE_SEED={seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let (mut duplicates, mut killed, mut recovered) = (0, 0, 0);
    for round in 0..ROUNDS {
        let server = TestServer::spawn();
        let dir = tmp_dir("kill");
        // Some rounds lose acks (stored, no answer) so resends happen, and fail some requests.
        for _ in 0..rng.random_range(0..3) {
            server.push_fault(if rng.random_bool(0.5) {
                Fault::AckLoss
            } else {
                Fault::status(503)
            });
        }
        let kill_after = rng.random_range(0..=EVENTS);
        let mut child = spawn_child(&server, &dir, EVENTS);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut accepted = BTreeMap::new();
        let record = |line: &str, accepted: &mut BTreeMap<usize, String>| {
            if let Some(rest) = line.strip_prefix("accepted ") {
                let (i, u) = rest.split_once(' ').unwrap();
                accepted.insert(i.parse::<usize>().unwrap(), u.to_string());
            }
        };
        while accepted.len() < kill_after {
            let Some(line) = lines.next() else { break };
            record(&line.unwrap(), &mut accepted);
        }
        let _ = child.kill(); // SIGKILL; the child may already have exited
        if !child.wait().unwrap().success() {
            killed += 1;
        }
        for line in lines {
            record(&line.unwrap(), &mut accepted);
        }
        // Restart on the same directory: deliver what is left.
        let before = server.stats().unique_uuids;
        let mut again = spawn_child(&server, &dir, 0);
        let mut out = String::new();
        std::io::Read::read_to_string(again.stdout.as_mut().unwrap(), &mut out).unwrap();
        assert!(again.wait().unwrap().success(), "seed {seed} round {round}");
        assert!(out.contains("done"), "seed {seed} round {round}: {out}");

        let copies = assert_duplicates_identical(&server);
        for (i, u) in &accepted {
            assert!(
                copies.contains_key(u),
                "seed {seed} round {round}: accepted event {i} ({u}) never arrived \
                 (killed after {kill_after})"
            );
        }
        if server.stats().unique_uuids > before {
            recovered += 1;
        }
        duplicates += copies.values().map(|n| n - 1).sum::<usize>();
        let _ = std::fs::remove_dir_all(&dir);
    }
    let took = started.elapsed();
    println!(
        "{ROUNDS} kill rounds in {took:?}: {killed} killed mid-run, {recovered} where only the \
         restart delivered some events, {duplicates} uuid-identical duplicates"
    );
    assert!(
        killed > 0 && recovered > 0,
        "the kills must land mid-run (seed {seed})"
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
}
