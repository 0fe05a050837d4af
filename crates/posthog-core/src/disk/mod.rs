//! The optional on-disk queue ([`crate::ClientOptions::storage_dir`]): every accepted event is
//! appended to a segment log ([`log`]) before `capture` returns, and acknowledged on disk once
//! the server took it (or it was definitively dropped). The disk is the queue; memory is a
//! window over it. An event is held in memory while the memory queue (`max_queue_size`,
//! `max_queue_bytes`) has room, else on disk only, and the worker reads it back
//! ([`DiskQueue::read`]) when it is among the next to be sent. The bound is
//! `max_disk_bytes` of unacknowledged records; past it the overflow policy applies. At start
//! the unacknowledged records are queued again with their uuids and serialised bytes (so a
//! resend is byte-identical and the server de-duplicates it): the oldest into memory, the rest
//! left on disk.
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
//! process run (a restart starts each record's count again; its age still counts); opening a
//! directory reads every segment once (records past the memory window are then let go);
//! `max_disk_bytes` counts unacknowledged records, so files can take up to one segment (8 MiB)
//! more until a partly acknowledged segment is done; acks are fsynced only under
//! [`FsyncPolicy::Always`] — a lost ack means a uuid-identical resend, never a loss.

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

/// What the disk knows about a queued event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub loc: Loc,
    /// Byte offset of its record in the segment file.
    pub offset: u64,
    /// Its record's size on disk, framing included.
    pub size: u32,
    /// Unix milliseconds when it was first written.
    pub written_at: i64,
    /// Delivery cycles that ran out of retries.
    pub attempts: u32,
}

/// What [`DiskQueue::append`] did.
#[derive(Debug)]
pub(crate) enum Append {
    /// Written; where it is.
    Written(Entry),
    /// Appends are off after an earlier failure (already reported): keep it in memory.
    Off,
    /// Over `max_disk_bytes`: the record needs this many bytes.
    Full(u64),
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

impl Append {
    /// The entry, when written.
    #[cfg(test)]
    pub fn entry(self) -> Option<Entry> {
        match self {
            Append::Written(e) => Some(e),
            _ => None,
        }
    }
}

/// The on-disk queue of one client.
pub(crate) struct DiskQueue {
    dir: PathBuf,
    fsync: FsyncPolicy,
    max_attempts: Option<u32>,
    max_age_ms: Option<i64>,
    /// The most bytes of unacknowledged records (`max_disk_bytes`).
    max_bytes: u64,
    /// Bytes of unacknowledged records now. Written under `files`, read without it.
    live: std::sync::atomic::AtomicU64,
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
        max_bytes: u64,
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
        let live: u64 = segments.values().map(SegmentState::live_bytes).sum();
        let q = DiskQueue {
            dir: dir.to_path_buf(),
            fsync,
            max_attempts,
            max_age_ms: max_age.map(|d| d.as_millis().min(i64::MAX as u128) as i64),
            max_bytes,
            live: std::sync::atomic::AtomicU64::new(live),
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

    /// Bytes of unacknowledged records now.
    pub fn live_bytes(&self) -> u64 {
        self.live.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether a record of `size` bytes fits under `max_disk_bytes` now.
    pub fn has_room(&self, size: u64) -> bool {
        self.live_bytes().saturating_add(size) <= self.max_bytes
    }

    /// Appends an event durably (per the fsync policy), unless that would pass
    /// `max_disk_bytes`. `Err`: this append failed; appends are now off.
    pub fn append(&self, ev: &QueuedEvent, now_ms: i64) -> Result<Append, Error> {
        let mut f = self.files();
        if f.broken {
            return Ok(Append::Off);
        }
        match self.append_locked(&mut f, ev, now_ms) {
            Ok(a) => Ok(a),
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
    ) -> std::io::Result<Append> {
        let rec = log::encode(ev.uuid, now_ms, &ev.bytes, self.cipher.as_deref())
            .map_err(std::io::Error::other)?;
        if !self.has_room(rec.len() as u64) {
            return Ok(Append::Full(rec.len() as u64));
        }
        let full = f
            .active
            .as_ref()
            .is_none_or(|(_, _, size)| *size >= SEGMENT_BYTES);
        if full {
            self.roll(f)?;
        }
        let (n, file, size) = f
            .active
            .as_mut()
            .ok_or_else(|| std::io::Error::other("no segment"))?;
        let n = *n;
        let offset = *size;
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
        let rec_size = rec.len() as u32;
        let index = f.segments.entry(n).or_default().push(rec_size);
        self.live
            .fetch_add(u64::from(rec_size), std::sync::atomic::Ordering::Relaxed);
        Ok(Append::Written(Entry {
            loc: Loc { segment: n, index },
            offset,
            size: rec_size,
            written_at: now_ms,
            attempts: 0,
        }))
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

    /// Reads events kept on disk past the memory queue back, in the order given: each with
    /// its sequence number, or the error that made it unreadable (its record is then lost).
    pub fn read(&self, items: &[(u64, Entry)]) -> Vec<Result<QueuedEvent, String>> {
        let mut out = Vec::with_capacity(items.len());
        let mut reader: Option<(u64, std::io::Result<log::SegmentReader>)> = None;
        for (seq, e) in items {
            if reader.as_ref().is_none_or(|(n, _)| *n != e.loc.segment) {
                reader = Some((
                    e.loc.segment,
                    log::SegmentReader::open(&self.dir, e.loc.segment),
                ));
            }
            let got = match reader.as_mut().map(|(_, r)| r) {
                Some(Ok(r)) => r.read(e.offset, self.cipher.as_deref()),
                Some(Err(err)) => Err(err.to_string()),
                None => Err("no reader".into()),
            };
            out.push(got.map(|(uuid, bytes)| QueuedEvent {
                seq: *seq,
                uuid,
                bytes,
            }));
        }
        out
    }

    /// The disk bytes a queued event holds (0 if it is not on disk).
    pub fn size_of(&self, slot: &crate::queue::Slot) -> u64 {
        match slot {
            crate::queue::Slot::Mem(e) => self.map().get(&e.seq).map_or(0, |e| u64::from(e.size)),
            crate::queue::Slot::Disk(s) => u64::from(s.entry.size),
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
            let mut freed = 0u64;
            let fresh: Vec<u32> = indices
                .into_iter()
                .filter(|i| match st.ack(*i) {
                    Some(size) => {
                        freed += u64::from(size);
                        true
                    }
                    None => false,
                })
                .collect();
            self.live
                .fetch_sub(freed, std::sync::atomic::Ordering::Relaxed);
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
            DiskQueue::open(&d, FsyncPolicy::Always, None, None, u64::MAX, None).unwrap();
        assert!(recs.is_empty() && probs.is_empty());
        for i in 0..4u8 {
            let e = q.append(&ev(i), 1000).unwrap().entry().unwrap();
            q.bind(i as u64, e);
        }
        q.resolve([0, 2]).unwrap();
        drop(q);
        let (q, recs, probs, _) =
            DiskQueue::open(&d, FsyncPolicy::Never, None, None, u64::MAX, None).unwrap();
        assert!(probs.is_empty());
        let got: Vec<_> = recs.iter().map(|r| r.bytes[0]).collect();
        assert_eq!(got, vec![1, 3]);
        q.ack_locs(&recs.iter().map(|r| r.loc).collect::<Vec<_>>())
            .unwrap();
        drop(q);
        let (_q, recs, _, _) =
            DiskQueue::open(&d, FsyncPolicy::Never, None, None, u64::MAX, None).unwrap();
        assert!(recs.is_empty());
        // Only the segments of the live opens are left (empty, not yet retired).
        let logs = queue_files(&d);
        assert!(logs <= 2, "{logs} files");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn retires_acked_active_segment_and_attempts() {
        let d = std::env::temp_dir().join(format!("posthog-dq-{}", Uuid::new_v4()));
        let (q, _, _, _) =
            DiskQueue::open(&d, FsyncPolicy::Never, Some(2), None, u64::MAX, None).unwrap();
        let e = q.append(&ev(1), 0).unwrap().entry().unwrap();
        q.bind(7, e);
        assert!(matches!(q.exhausted(7, 0), Exhausted::Park));
        assert!(matches!(q.exhausted(8, 0), Exhausted::NotOnDisk));
        assert!(matches!(q.exhausted(7, 0), Exhausted::Expired));
        q.resolve([7]).unwrap();
        assert_eq!(queue_files(&d), 0, "segment retired");
        let e = q.append(&ev(2), 0).unwrap().entry().unwrap();
        assert_eq!(e.loc.index, 0, "a new segment");
        assert!(!q.is_broken());
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// `/dev/full` answers every write with ENOSPC, for root too.
    #[cfg(target_os = "linux")]
    #[test]
    fn an_append_hitting_enospc_is_reported_once_and_keeps_what_was_written() {
        let d = std::env::temp_dir().join(format!("posthog-dq-{}", Uuid::new_v4()));
        let (q, _, _, _) =
            DiskQueue::open(&d, FsyncPolicy::Always, None, None, u64::MAX, None).unwrap();
        q.append(&ev(1), 0).unwrap().entry().unwrap();
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
        assert!(
            matches!(q.append(&ev(3), 0).unwrap(), Append::Off),
            "not reported again"
        );
        drop(q);
        let (_q, recs, probs, _) =
            DiskQueue::open(&d, FsyncPolicy::Never, None, None, u64::MAX, None).unwrap();
        assert!(probs.is_empty(), "{probs:?}");
        assert_eq!(recs.iter().map(|r| r.bytes[0]).collect::<Vec<_>>(), vec![1]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn failed_ack_writes_are_reported_once() {
        let d = std::env::temp_dir().join(format!("posthog-dq-{}", Uuid::new_v4()));
        let (q, _, _, _) =
            DiskQueue::open(&d, FsyncPolicy::Always, None, None, u64::MAX, None).unwrap();
        for i in 0..3u8 {
            let e = q.append(&ev(i), 0).unwrap().entry().unwrap();
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
        let (q, _, _, _) =
            DiskQueue::open(&d, FsyncPolicy::Never, None, None, u64::MAX, None).unwrap();
        let e = q.append(&ev(1), 0).unwrap().entry().unwrap();
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
        let err = DiskQueue::open(&d, FsyncPolicy::Never, None, None, u64::MAX, None).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        std::fs::remove_file(d.join(LOCK_FILE)).unwrap();
        let (q, recs, probs, _) =
            DiskQueue::open(&d, FsyncPolicy::Never, None, None, u64::MAX, None).unwrap();
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
