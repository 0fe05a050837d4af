//! The optional on-disk queue ([`crate::ClientOptions::storage_dir`]): every accepted event is
//! appended to a segment log ([`log`]) before it enters the memory queue, and acknowledged on
//! disk once the server took it (or it was definitively dropped). The memory queue stays the
//! working set; the disk is what survives a kill. At start the unacknowledged records are
//! loaded back into the memory queue with their uuids and serialised bytes, so a resend is
//! byte-identical and the server de-duplicates it.
//!
//! Failure model: the directory cannot be created or listed (not a directory) → the error is
//! reported and the client runs on the memory queue alone. It can be read but no segment can
//! be created in it (read-only, disk full) → that is reported once, what it holds is still
//! loaded and delivered (its acks may not stick: a uuid-identical resend after a later start),
//! and new events stay in memory. An append fails (disk full, a failing cipher) → the error is
//! reported once, appends stop, and later events stay in memory only; events already on disk
//! are still acknowledged there. A failing ack write is reported once per run (not at all if
//! appends already failed: same cause); later ones are only logged. Nothing here panics or
//! reaches the caller.
//!
//! Encryption at rest: with a [`RecordCipher`] every record payload is sealed before it is
//! appended and opened when read back ([`cipher`]); ack files hold only indexes.
//!
//! One client per directory: the directory's `lock` file is locked (an OS file lock, released
//! at shutdown or when the process dies, even by SIGKILL); a second client — in this process,
//! a forked child, or another process — reports [`Error::Io`] and keeps its events in memory.
//! On a file system without locks (or a read-only directory) no lock is taken.
//!
//! Limits (documented, not bugs): delivery attempts are counted per
//! process run (a restart starts each record's count again; its age still counts); what is
//! loaded at start is queued even past `max_queue_size`/`max_queue_bytes` (new captures then
//! meet the overflow policy); acks are fsynced only under [`FsyncPolicy::Always`] — a lost ack
//! means a uuid-identical resend, never a loss.

mod cipher;
pub(crate) mod log;
mod scan;

pub use cipher::RecordCipher;

use crate::error::Error;
use crate::event::QueuedEvent;
use log::{Loc, Record, SegmentState};
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// When appends to the on-disk queue are flushed to stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FsyncPolicy {
    /// `fsync` after every event: an accepted event survives a power loss. The default.
    #[default]
    Always,
    /// `fsync` on the first append after this much time since the last one (and at
    /// shutdown): a power loss may lose the unsynced tail (an idle tail stays unsynced until
    /// the next append); a process kill loses nothing.
    Interval(Duration),
    /// Leave it to the OS: a process kill loses nothing, a power loss may.
    Never,
}

/// A new segment is started past this size.
const SEGMENT_BYTES: u64 = 8 * 1024 * 1024;

/// What the disk knows about an event in the memory queue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub loc: Loc,
    /// Unix milliseconds when it was first written.
    pub written_at: i64,
    /// Delivery cycles that ran out of retries.
    pub attempts: u32,
}

/// What to do with an event whose retries ran out.
#[derive(Debug)]
pub(crate) enum Exhausted {
    /// Keep it on disk and retry at the next flush.
    Park,
    /// It is not on disk (it was accepted while the disk was failing): it fails as before.
    NotOnDisk,
    /// Over `max_attempts` or `max_event_age`: acknowledged on disk and failed.
    Expired,
}

struct Files {
    active: Option<(u64, File, u64)>,
    next_segment: u64,
    segments: BTreeMap<u64, SegmentState>,
    last_sync: Instant,
    dirty: bool,
    /// Appends are off (an append failed, or no segment could be created at open).
    broken: bool,
    /// A failed ack write was reported this run.
    ack_failure_reported: bool,
}

/// The on-disk queue of one client.
pub(crate) struct DiskQueue {
    dir: PathBuf,
    fsync: FsyncPolicy,
    max_attempts: Option<u32>,
    max_age_ms: Option<i64>,
    /// Seals record payloads (the app's encryption at rest).
    cipher: Option<Arc<dyn RecordCipher>>,
    /// Memory sequence number → where that event is on disk. Only in-memory work under it.
    map: Mutex<HashMap<u64, Entry>>,
    /// The files. Taken without the queue lock held.
    files: Mutex<Files>,
    /// The directory's lock file, held (an OS file lock) until shutdown or drop, so a second
    /// client — in this process or another — cannot write the same directory.
    lock: Mutex<Option<File>>,
}

/// The lock file's name inside the storage directory.
pub const LOCK_FILE: &str = "lock";

/// Takes the directory's lock. `Err` when another client holds it; `Ok(None)` when no lock can
/// be taken here (read-only directory, a file system without locks): then nothing can stop a
/// second writer, as before locks existed, and a read-only directory cannot be written anyway.
fn lock_dir(dir: &Path) -> Result<Option<File>, Error> {
    // Created once, then held open read-only: a lock needs no write access, and a file open
    // for writing would keep the file system from being remounted read-only.
    let path = dir.join(LOCK_FILE);
    if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::Io(format!(
            "on-disk queue {}: the lock file is a symbolic link (refused, never followed); this client keeps its events in memory",
            dir.display()
        )));
    }
    if !path.exists() {
        let _ = log::open_private(
            &path,
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true),
        );
    }
    let Ok(file) = log::open_private(&path, std::fs::OpenOptions::new().read(true)) else {
        return Ok(None);
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Io(format!(
            "on-disk queue {}: another client (in this or another process) is using this directory; this client keeps its events in memory",
            dir.display()
        ))),
        Err(std::fs::TryLockError::Error(_)) => Ok(None),
    }
}

impl std::fmt::Debug for DiskQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DiskQueue")
            .field("dir", &self.dir)
            .field("sealed", &self.cipher.is_some())
            .finish_non_exhaustive()
    }
}

fn io_err(what: &str, dir: &Path, e: &std::io::Error) -> Error {
    Error::Io(format!("on-disk queue {}: {what}: {e}", dir.display()))
}

impl DiskQueue {
    /// Opens (creating if needed) a storage directory and reads back what it holds, opening
    /// sealed records with `cipher`. Returns the queue, the unacknowledged records in order,
    /// problems to report, and how many records were lost (corrupt, or sealed and not
    /// openable), to count as failed. `Err` only when the directory cannot be created or listed; if
    /// no segment can be created in it (read-only, full) the queue is returned with appends
    /// off and that problem listed, so what it holds is still delivered.
    pub fn open(
        dir: &Path,
        fsync: FsyncPolicy,
        max_attempts: Option<u32>,
        max_age: Option<Duration>,
        cipher: Option<Arc<dyn RecordCipher>>,
    ) -> Result<(DiskQueue, Vec<Record>, Vec<Error>, u64), Error> {
        log::create_private_dir(dir).map_err(|e| io_err("cannot create the directory", dir, &e))?;
        let lock = lock_dir(dir)?;
        let (records, segments, next, report) = scan::scan(dir, cipher.as_deref())
            .map_err(|e| io_err("cannot read the directory", dir, &e))?;
        let mut problems: Vec<Error> = report
            .problems
            .iter()
            .map(|p| Error::Io(format!("on-disk queue {}: {p}", dir.display())))
            .collect();
        if report.torn_tail {
            tracing::debug!("on-disk queue: skipped a torn final record (interrupted append)");
        }
        // Open the first segment now, so an unwritable directory is found at start.
        let active = match log::create_segment(dir, next, cipher.is_some()) {
            Ok(file) => {
                if fsync != FsyncPolicy::Never {
                    log::sync_dir(dir);
                }
                Some((next, file, log::HEADER.len() as u64))
            }
            Err(e) => {
                problems.push(io_err(
                    "cannot create a segment; new events are kept in memory only",
                    dir,
                    &e,
                ));
                None
            }
        };
        let broken = active.is_none();
        if records.len() > 1_000_000 {
            problems.push(Error::Io(format!(
                "on-disk queue {}: {} events waiting; loading them all",
                dir.display(),
                records.len()
            )));
        }
        let q = DiskQueue {
            dir: dir.to_path_buf(),
            fsync,
            max_attempts,
            max_age_ms: max_age.map(|d| d.as_millis().min(i64::MAX as u128) as i64),
            cipher,
            map: Mutex::new(HashMap::new()),
            files: Mutex::new(Files {
                active,
                next_segment: next + 1,
                segments,
                last_sync: Instant::now(),
                dirty: false,
                broken,
                ack_failure_reported: false,
            }),
            lock: Mutex::new(lock),
        };
        if !broken {
            q.files().segments.insert(next, SegmentState::default());
        }
        Ok((q, records, problems, report.corrupt + report.unopened))
    }

    fn files(&self) -> MutexGuard<'_, Files> {
        self.files.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn map(&self) -> MutexGuard<'_, HashMap<u64, Entry>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a record written at `written_at` is past `max_event_age` at `now_ms`.
    pub fn too_old(&self, written_at: i64, now_ms: i64) -> bool {
        self.max_age_ms
            .is_some_and(|max| now_ms.saturating_sub(written_at) > max)
    }

    /// Appends an event durably (per the fsync policy). `Ok(None)`: appends are off after an
    /// earlier failure (already reported). `Err`: this append failed; appends are now off.
    pub fn append(&self, ev: &QueuedEvent, now_ms: i64) -> Result<Option<Entry>, Error> {
        let mut f = self.files();
        if f.broken {
            return Ok(None);
        }
        match self.append_locked(&mut f, ev, now_ms) {
            Ok(e) => Ok(Some(e)),
            Err(e) => {
                f.broken = true;
                Err(Error::Io(format!(
                    "on-disk queue {}: cannot append ({e}); new events are kept in memory only",
                    self.dir.display()
                )))
            }
        }
    }

    fn append_locked(
        &self,
        f: &mut Files,
        ev: &QueuedEvent,
        now_ms: i64,
    ) -> std::io::Result<Entry> {
        let full = f
            .active
            .as_ref()
            .is_none_or(|(_, _, size)| *size >= SEGMENT_BYTES);
        if full {
            self.roll(f)?;
        }
        let rec = log::encode(ev.uuid, now_ms, &ev.bytes, self.cipher.as_deref())
            .map_err(std::io::Error::other)?;
        let (n, file, size) = f
            .active
            .as_mut()
            .ok_or_else(|| std::io::Error::other("no segment"))?;
        let n = *n;
        if let Err(e) = file.write_all(&rec) {
            // A partial write is a torn record: cut it off if the file system lets us (the
            // reader would skip it anyway), and append nothing more to this segment.
            let _ = file.set_len(*size);
            f.active = None;
            return Err(e);
        }
        *size += rec.len() as u64;
        let sync = match self.fsync {
            FsyncPolicy::Always => true,
            FsyncPolicy::Interval(d) => f.last_sync.elapsed() >= d,
            FsyncPolicy::Never => false,
        };
        if sync {
            file.sync_data()?;
            f.last_sync = Instant::now();
            f.dirty = false;
        } else {
            f.dirty = true;
        }
        let st = f.segments.entry(n).or_default();
        let index = st.records;
        st.records += 1;
        st.acked.push(false);
        Ok(Entry {
            loc: Loc { segment: n, index },
            written_at: now_ms,
            attempts: 0,
        })
    }

    /// Closes the active segment (deleting it if everything in it is acked) and starts the next.
    fn roll(&self, f: &mut Files) -> std::io::Result<()> {
        if let Some((n, file, _)) = f.active.take() {
            if f.dirty && self.fsync != FsyncPolicy::Never {
                let _ = file.sync_data();
            }
            drop(file);
            self.delete_if_done(f, n);
        }
        let n = f.next_segment;
        f.next_segment += 1;
        let file = log::create_segment(&self.dir, n, self.cipher.is_some())?;
        if self.fsync != FsyncPolicy::Never {
            log::sync_dir(&self.dir);
        }
        f.segments.insert(n, SegmentState::default());
        f.active = Some((n, file, log::HEADER.len() as u64));
        Ok(())
    }

    fn delete_if_done(&self, f: &mut Files, n: u64) {
        let active = f.active.as_ref().map(|(a, _, _)| *a);
        if active != Some(n) && f.segments.get(&n).is_some_and(SegmentState::all_acked) {
            f.segments.remove(&n);
            log::remove_segment(&self.dir, n);
        }
    }

    /// Links a memory sequence number to its disk entry. Called with the queue lock held
    /// (so the worker cannot resolve the event before it is linked); touches memory only.
    pub fn bind(&self, seq: u64, entry: Entry) {
        self.map().insert(seq, entry);
    }

    /// Moves an entry to a new sequence number (a parked event re-queued).
    pub fn rebind(&self, old: u64, new: u64) {
        let mut m = self.map();
        if let Some(e) = m.remove(&old) {
            m.insert(new, e);
        }
    }

    /// Decides the fate of an event whose retries ran out, counting the attempt.
    pub fn exhausted(&self, seq: u64, now_ms: i64) -> Exhausted {
        let mut m = self.map();
        let Some(e) = m.get_mut(&seq) else {
            return Exhausted::NotOnDisk;
        };
        e.attempts += 1;
        if self.max_attempts.is_some_and(|max| e.attempts >= max)
            || self.too_old(e.written_at, now_ms)
        {
            Exhausted::Expired
        } else {
            Exhausted::Park
        }
    }

    /// Acknowledges events by memory sequence number (delivered or definitively dropped).
    /// Events not on disk are ignored.
    pub fn resolve(&self, seqs: impl IntoIterator<Item = u64>) -> Result<(), Error> {
        let locs: Vec<Loc> = {
            let mut m = self.map();
            seqs.into_iter()
                .filter_map(|s| m.remove(&s))
                .map(|e| e.loc)
                .collect()
        };
        self.ack_locs(&locs)
    }

    /// Acknowledges records directly (loaded records that expired, a refused new event).
    /// `Err`: the first failed ack write of this run while appends still work (later ones,
    /// and any once appends are off, are only logged: the cause was reported).
    pub fn ack_locs(&self, locs: &[Loc]) -> Result<(), Error> {
        if locs.is_empty() {
            return Ok(());
        }
        let mut by_segment: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
        for l in locs {
            by_segment.entry(l.segment).or_default().push(l.index);
        }
        let mut f = self.files();
        let sync = self.fsync == FsyncPolicy::Always;
        let mut first_err = None;
        for (n, indices) in by_segment {
            let active = f.active.as_ref().map(|(a, _, _)| *a);
            let Some(st) = f.segments.get_mut(&n) else {
                continue;
            };
            let fresh: Vec<u32> = indices.into_iter().filter(|i| st.ack(*i)).collect();
            let done = st.all_acked();
            if done && active == Some(n) {
                // Everything written so far is acked: retire the segment now rather than
                // leave a file behind while idle. The next append starts a new one.
                f.active = None;
            }
            if done {
                f.segments.remove(&n);
                log::remove_segment(&self.dir, n);
                continue;
            }
            if let Err(e) = log::append_acks(&self.dir, n, &fresh, sync) {
                first_err.get_or_insert(io_err(
                    "cannot record an acknowledgement (the events will be sent again after a restart)",
                    &self.dir,
                    &e,
                ));
            }
        }
        match first_err {
            None => Ok(()),
            Some(e) if f.broken || f.ack_failure_reported => {
                tracing::debug!(%e, "posthog: on-disk queue");
                Ok(())
            }
            Some(e) => {
                f.ack_failure_reported = true;
                Err(e)
            }
        }
    }

    /// Flushes what the fsync policy left buffered (at shutdown).
    pub fn sync(&self) {
        let mut f = self.files();
        if f.dirty {
            if let Some((_, file, _)) = &f.active {
                let _ = file.sync_data();
            }
            f.dirty = false;
        }
    }

    /// Syncs, then releases the directory (at shutdown): another client may take it now. No
    /// append or ack follows a shutdown.
    pub fn release(&self) {
        self.sync();
        let mut f = self.files();
        f.active = None;
        f.broken = true;
        drop(f);
        *self.lock.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Whether appends are off after a failure.
    #[cfg(test)]
    pub fn is_broken(&self) -> bool {
        self.files().broken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files in the directory besides the lock file.
    fn queue_files(d: &std::path::Path) -> usize {
        std::fs::read_dir(d)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name() != LOCK_FILE)
            .count()
    }
    use uuid::Uuid;

    fn ev(i: u8) -> QueuedEvent {
        QueuedEvent {
            seq: 0,
            uuid: Uuid::from_u128(i as u128 + 1),
            bytes: vec![i; 10],
        }
    }

    #[test]
    fn append_ack_reopen() {
        let d = std::env::temp_dir().join(format!("posthog-dq-{}", Uuid::new_v4()));
        let (q, recs, probs, _) =
            DiskQueue::open(&d, FsyncPolicy::Always, None, None, None).unwrap();
        assert!(recs.is_empty() && probs.is_empty());
        for i in 0..4u8 {
            let e = q.append(&ev(i), 1000).unwrap().unwrap();
            q.bind(i as u64, e);
        }
        q.resolve([0, 2]).unwrap();
        drop(q);
        let (q, recs, probs, _) =
            DiskQueue::open(&d, FsyncPolicy::Never, None, None, None).unwrap();
        assert!(probs.is_empty());
        let got: Vec<_> = recs.iter().map(|r| r.bytes[0]).collect();
        assert_eq!(got, vec![1, 3]);
        q.ack_locs(&recs.iter().map(|r| r.loc).collect::<Vec<_>>())
            .unwrap();
        drop(q);
        let (_q, recs, _, _) = DiskQueue::open(&d, FsyncPolicy::Never, None, None, None).unwrap();
        assert!(recs.is_empty());
        // Only the segments of the live opens are left (empty, not yet retired).
        let logs = queue_files(&d);
        assert!(logs <= 2, "{logs} files");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn retires_acked_active_segment_and_attempts() {
        let d = std::env::temp_dir().join(format!("posthog-dq-{}", Uuid::new_v4()));
        let (q, _, _, _) = DiskQueue::open(&d, FsyncPolicy::Never, Some(2), None, None).unwrap();
        let e = q.append(&ev(1), 0).unwrap().unwrap();
        q.bind(7, e);
        assert!(matches!(q.exhausted(7, 0), Exhausted::Park));
        q.rebind(7, 8);
        assert!(matches!(q.exhausted(7, 0), Exhausted::NotOnDisk));
        assert!(matches!(q.exhausted(8, 0), Exhausted::Expired));
        q.resolve([8]).unwrap();
        assert_eq!(queue_files(&d), 0, "segment retired");
        let e = q.append(&ev(2), 0).unwrap().unwrap();
        assert_eq!(e.loc.index, 0, "a new segment");
        assert!(!q.is_broken());
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// `/dev/full` answers every write with ENOSPC, for root too.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_append_hitting_enospc_is_reported_once_and_keeps_what_was_written() {
        let d = std::env::temp_dir().join(format!("posthog-dq-{}", Uuid::new_v4()));
        let (q, _, _, _) = DiskQueue::open(&d, FsyncPolicy::Always, None, None, None).unwrap();
        q.append(&ev(1), 0).unwrap().unwrap();
        {
            let mut f = q.files();
            let full = std::fs::OpenOptions::new()
                .append(true)
                .open("/dev/full")
                .unwrap();
            let (n, _, size) = f.active.take().unwrap();
            f.active = Some((n, full, size));
        }
        let err = q.append(&ev(2), 0).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Io);
        assert!(err.to_string().contains("No space left"), "{err}");
        assert!(q.is_broken());
        assert!(q.append(&ev(3), 0).unwrap().is_none(), "not reported again");
        drop(q);
        let (_q, recs, probs, _) =
            DiskQueue::open(&d, FsyncPolicy::Never, None, None, None).unwrap();
        assert!(probs.is_empty(), "{probs:?}");
        assert_eq!(recs.iter().map(|r| r.bytes[0]).collect::<Vec<_>>(), vec![1]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn failed_ack_writes_are_reported_once() {
        let d = std::env::temp_dir().join(format!("posthog-dq-{}", Uuid::new_v4()));
        let (q, _, _, _) = DiskQueue::open(&d, FsyncPolicy::Always, None, None, None).unwrap();
        for i in 0..3u8 {
            let e = q.append(&ev(i), 0).unwrap().unwrap();
            q.bind(i as u64, e);
        }
        // An ack file the queue may not write (a symlink, refused and never followed).
        std::os::unix::fs::symlink("/dev/full", log::ack_path(&d, 0)).unwrap();
        let err = q.resolve([0]).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        q.resolve([1]).unwrap();
        q.resolve([2]).unwrap();
        assert_eq!(queue_files(&d), 0, "all acked: deleted");
        assert!(!q.is_broken(), "appends still work");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_queue_is_private_and_never_follows_a_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir().join(format!("posthog-dq-{}", Uuid::new_v4()));
        let d = base.join("queue");
        let (q, _, _, _) = DiskQueue::open(&d, FsyncPolicy::Never, None, None, None).unwrap();
        let e = q.append(&ev(1), 0).unwrap().unwrap();
        q.bind(0, e);
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&d), 0o700, "the directory");
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
        drop(q);
        // A symlinked ack file must not truncate (or be written through to) its target, and a
        // symlinked lock must not create its target.
        let target = base.join("precious");
        std::fs::write(&target, b"do not touch").unwrap();
        let _ = std::fs::remove_file(log::ack_path(&d, 0));
        std::os::unix::fs::symlink(&target, log::ack_path(&d, 0)).unwrap();
        std::fs::remove_file(d.join(LOCK_FILE)).unwrap();
        let ghost = base.join("ghost");
        std::os::unix::fs::symlink(&ghost, d.join(LOCK_FILE)).unwrap();
        let err = DiskQueue::open(&d, FsyncPolicy::Never, None, None, None).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        std::fs::remove_file(d.join(LOCK_FILE)).unwrap();
        let (q, recs, probs, _) =
            DiskQueue::open(&d, FsyncPolicy::Never, None, None, None).unwrap();
        assert_eq!(recs.len(), 1, "the record is resent, its ack file ignored");
        assert!(
            probs
                .iter()
                .any(|p| p.to_string().contains("symbolic link")),
            "{probs:?}"
        );
        q.ack_locs(&[recs[0].loc]).ok();
        assert_eq!(std::fs::read(&target).unwrap(), b"do not touch");
        assert!(!ghost.exists());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
