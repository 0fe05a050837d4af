//! The segment log: append-only files of checksummed records, plus an append-only ack file per
//! segment. Pure file handling, no client state; [`super::DiskQueue`] drives it, and
//! [`super::scan`] reads a directory back at start.
//!
//! ## On-disk format (version 1)
//!
//! A storage directory holds pairs of files named by a segment number `n` (20 decimal digits,
//! so names sort numerically):
//!
//! * `seg-<n>.log` — the 8-byte header `PHSEG\0<flags><version>` (magic, flags, format
//!   version 1): `PHSEG\0\0\x01` for plain records, `PHSEG\0\x01\x01` (flag bit 0) when every
//!   payload is sealed by the app's [`RecordCipher`]. Then records:
//!   `[len: u32 LE][crc32(payload): u32 LE][payload: len bytes]`, where the payload is
//!   `[uuid: 16 bytes][written_at: i64 LE, Unix ms][the event's serialised wire bytes]` — or,
//!   in a sealed segment, what `RecordCipher::seal` made of those bytes (the CRC covers the
//!   sealed bytes, so torn and corrupt records are found without the key).
//!   Records are numbered from 0 in file order; a record's identity is `(n, index)`.
//! * `seg-<n>.ack` — entries `[index: u32 LE][crc32(index bytes): u32 LE]`, one per record the
//!   server acknowledged (or that was definitively dropped). Appended, never rewritten.
//!
//! A segment is deleted (`.log` first, then `.ack`) once every record in it is acknowledged
//! and it is no longer being written. A process only ever appends to a segment it created, so
//! after a restart the next segment number is one past the highest on disk.
//!
//! ## Why this shape
//!
//! An append-only log is the one structure where a kill at any instant leaves at worst a torn
//! *final* record, which the length + CRC-32 framing detects without any other metadata; there
//! is no in-place update to tear. Acks go to a separate append-only file rather than being
//! written into the log, so the log is never rewritten, and an ack lost in a crash only causes
//! a resend of the same bytes with the same uuid (the server de-duplicates by uuid) — the safe
//! direction. Per-segment ack files make deletion trivial (no compaction of a global ack log).
//! An embedded database (SQLite, sled) would give the same guarantees at the cost of a large
//! dependency for what is a FIFO of opaque byte strings.
//!
//! CRC-32 comes from `crc32fast`, already in the dependency tree through `flate2` (no new
//! crate is downloaded); it detects torn and bit-flipped records, it is not a defence against
//! tampering.

use super::cipher::{self, RecordCipher};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The header of a segment of plain records: magic, flags (none) and format version.
pub(crate) const HEADER: &[u8; 8] = b"PHSEG\0\0\x01";
/// The header of a segment whose payloads are sealed by a [`RecordCipher`] (flag bit 0).
pub(crate) const HEADER_SEALED: &[u8; 8] = b"PHSEG\0\x01\x01";
/// Framing bytes before a payload.
pub(crate) const FRAME: usize = 8;
/// Payload bytes before the event bytes (uuid + written_at).
pub(crate) const META: usize = 24;
/// A record longer than this is taken as a corrupt length field.
pub(crate) const MAX_RECORD: usize = 64 * 1024 * 1024;

/// Where a record lives: segment number and record index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Loc {
    pub segment: u64,
    pub index: u32,
}

/// One unacknowledged record read back at open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub loc: Loc,
    /// Byte offset of its frame in the segment file.
    pub offset: u64,
    /// Its size on disk, framing included.
    pub size: u32,
    pub uuid: Uuid,
    /// Unix milliseconds when it was appended.
    pub written_at: i64,
    pub bytes: Vec<u8>,
}

/// A segment as tracked while the process runs.
#[derive(Debug, Default)]
pub(crate) struct SegmentState {
    /// Records written (including corrupt ones found at open, which count as acked).
    pub records: u32,
    /// Which records are acknowledged.
    pub acked: Vec<bool>,
    pub acked_count: u32,
    /// Each record's size on disk (0 for corrupt ones).
    pub sizes: Vec<u32>,
}

impl SegmentState {
    pub fn all_acked(&self) -> bool {
        self.acked_count >= self.records
    }
    /// Marks a record acked; its size on disk, or `None` if it already was (or is out of range).
    pub fn ack(&mut self, index: u32) -> Option<u32> {
        match self.acked.get_mut(index as usize) {
            Some(a) if !*a => {
                *a = true;
                self.acked_count += 1;
                Some(self.sizes.get(index as usize).copied().unwrap_or(0))
            }
            _ => None,
        }
    }
    /// Counts a record appended; returns its index.
    pub fn push(&mut self, size: u32) -> u32 {
        let index = self.records;
        self.records += 1;
        self.acked.push(false);
        self.sizes.push(size);
        index
    }
    /// Bytes of the records not yet acknowledged.
    pub fn live_bytes(&self) -> u64 {
        self.acked
            .iter()
            .zip(&self.sizes)
            .filter(|(a, _)| !**a)
            .map(|(_, s)| u64::from(*s))
            .sum()
    }
}

/// Splits an opened payload into uuid, write time and event bytes; `None` if it is shorter
/// than its metadata.
pub(crate) fn split_payload(payload: &[u8]) -> Option<(Uuid, i64, &[u8])> {
    if payload.len() < META {
        return None;
    }
    let mut u = [0u8; 16];
    u.copy_from_slice(&payload[..16]);
    let mut t = [0u8; 8];
    t.copy_from_slice(&payload[16..24]);
    Some((Uuid::from_bytes(u), i64::from_le_bytes(t), &payload[META..]))
}

/// Reads records of one segment back by offset (events kept on disk past the memory queue).
pub(crate) struct SegmentReader {
    file: io::BufReader<File>,
    pos: u64,
    sealed: bool,
}

impl SegmentReader {
    /// Opens segment `n` of `dir` for reading.
    pub fn open(dir: &Path, n: u64) -> io::Result<SegmentReader> {
        use std::io::Read;
        let mut file = io::BufReader::with_capacity(
            64 * 1024,
            open_private(&log_path(dir, n), OpenOptions::new().read(true))?,
        );
        let mut header = [0u8; 8];
        file.read_exact(&mut header)?;
        let sealed = match &header {
            h if h == HEADER => false,
            h if h == HEADER_SEALED => true,
            _ => return Err(io::Error::other("unknown segment header")),
        };
        Ok(SegmentReader {
            file,
            pos: HEADER.len() as u64,
            sealed,
        })
    }

    /// Reads the record whose frame starts at `offset`: its uuid and event bytes, checked
    /// against its checksum and opened with `cipher` when sealed.
    pub fn read(
        &mut self,
        offset: u64,
        cipher: Option<&dyn RecordCipher>,
    ) -> Result<(Uuid, Vec<u8>), String> {
        use std::io::{Read, Seek, SeekFrom};
        if offset != self.pos {
            self.file
                .seek(SeekFrom::Start(offset))
                .map_err(|e| e.to_string())?;
            self.pos = offset;
        }
        let mut frame = [0u8; FRAME];
        self.file
            .read_exact(&mut frame)
            .map_err(|e| e.to_string())?;
        let len = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
        let crc = u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]);
        if len > MAX_RECORD {
            self.pos = u64::MAX;
            return Err("a corrupt record length".into());
        }
        let mut payload = vec![0u8; len];
        self.file
            .read_exact(&mut payload)
            .map_err(|e| e.to_string())?;
        self.pos = offset + (FRAME + len) as u64;
        if crc32fast::hash(&payload) != crc {
            return Err("the record fails its checksum".into());
        }
        if self.sealed {
            let c = cipher.ok_or("a sealed record and no cipher is configured")?;
            payload = c.open(&payload).map_err(|e| cipher::brief(&e))?;
        }
        let (uuid, _, bytes) = split_payload(&payload).ok_or("a too short record")?;
        Ok((uuid, bytes.to_vec()))
    }
}

/// The path of segment `n`'s log.
pub(crate) fn log_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("seg-{n:020}.log"))
}

/// The path of segment `n`'s ack file.
pub(crate) fn ack_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("seg-{n:020}.ack"))
}

/// Encodes one record (framing included), sealing its payload when a cipher is given. `Err`:
/// the cipher failed or answered something that cannot be framed.
pub(crate) fn encode(
    uuid: Uuid,
    written_at: i64,
    bytes: &[u8],
    cipher: Option<&dyn RecordCipher>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(FRAME + META + bytes.len());
    out.extend_from_slice(&[0; FRAME]);
    out.extend_from_slice(uuid.as_bytes());
    out.extend_from_slice(&written_at.to_le_bytes());
    out.extend_from_slice(bytes);
    if let Some(c) = cipher {
        let sealed = cipher::seal(c, &out[FRAME..])?;
        out.truncate(FRAME);
        out.extend_from_slice(&sealed);
    }
    let len = u32::try_from(out.len() - FRAME).map_err(|_| "the record is too large")?;
    out[..4].copy_from_slice(&len.to_le_bytes());
    let crc = crc32fast::hash(&out[FRAME..]);
    out[4..8].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Encodes ack entries.
pub(crate) fn encode_acks(indices: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(indices.len() * 8);
    for i in indices {
        let b = i.to_le_bytes();
        out.extend_from_slice(&b);
        out.extend_from_slice(&crc32fast::hash(&b).to_le_bytes());
    }
    out
}

/// Deletes a segment: the log first, so a kill in between leaves only an orphan ack file.
pub(crate) fn remove_segment(dir: &Path, n: u64) {
    let _ = std::fs::remove_file(log_path(dir, n));
    let _ = std::fs::remove_file(ack_path(dir, n));
}

/// Opens a file of the queue with `opts`: never through a symbolic link (it would write to
/// its target), and created readable by the owner alone (events are personal data).
pub(crate) fn open_private(path: &Path, opts: &mut OpenOptions) -> io::Result<File> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::other(format!(
            "{} is a symbolic link (refused, never followed)",
            path.display()
        )));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
        // O_NOFOLLOW closes the window between the check and the open.
        opts.custom_flags(libc::O_NOFOLLOW);
    }
    opts.open(path)
}

/// Creates the storage directory (and missing parents) readable by the owner alone; an
/// existing directory of this user is narrowed to that as well.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = std::fs::metadata(dir)?;
        if meta.permissions().mode() & 0o077 != 0 {
            // Best effort: a directory owned by someone else keeps its mode.
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Creates a new segment file with its header (the sealed one when `sealed`). A file whose
/// header cannot be written (disk full) is removed again.
pub(crate) fn create_segment(dir: &Path, n: u64, sealed: bool) -> io::Result<File> {
    let path = log_path(dir, n);
    let mut f = open_private(&path, OpenOptions::new().create_new(true).append(true))?;
    let header = if sealed { HEADER_SEALED } else { HEADER };
    if let Err(e) = f.write_all(header) {
        drop(f);
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(f)
}

/// Appends ack entries to a segment's ack file.
pub(crate) fn append_acks(dir: &Path, n: u64, indices: &[u32], sync: bool) -> io::Result<()> {
    let mut f = open_private(
        &ack_path(dir, n),
        OpenOptions::new().create(true).append(true),
    )?;
    f.write_all(&encode_acks(indices))?;
    if sync {
        f.sync_data()?;
    }
    Ok(())
}

/// Makes a directory entry change (create, delete) durable.
pub(crate) fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
