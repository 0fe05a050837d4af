//! The segment log: append-only files of checksummed records, plus an append-only ack file per
//! segment. Pure file handling, no client state; [`super::DiskQueue`] drives it.
//!
//! ## On-disk format (version 1)
//!
//! A storage directory holds pairs of files named by a segment number `n` (20 decimal digits,
//! so names sort numerically):
//!
//! * `seg-<n>.log` — the 8-byte header `PHSEG\0\0\x01` (magic + format version), then records:
//!   `[len: u32 LE][crc32(payload): u32 LE][payload: len bytes]`, where the payload is
//!   `[uuid: 16 bytes][written_at: i64 LE, Unix ms][the event's serialised wire bytes]`.
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

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The header every segment starts with: magic and format version.
pub(crate) const HEADER: &[u8; 8] = b"PHSEG\0\0\x01";
/// Framing bytes before a payload.
const FRAME: usize = 8;
/// Payload bytes before the event bytes (uuid + written_at).
const META: usize = 24;
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
    pub uuid: Uuid,
    /// Unix milliseconds when it was appended.
    pub written_at: i64,
    pub bytes: Vec<u8>,
}

/// What [`scan`] found besides the live records: problems to report, never to crash on.
#[derive(Debug, Default)]
pub(crate) struct ScanReport {
    /// Human-readable problems (corrupt records, unreadable files), for the error hook.
    pub problems: Vec<String>,
    /// Records skipped because their checksum or framing was bad.
    pub corrupt: u64,
    /// Whether the last segment ended in a torn record (an interrupted append; expected after
    /// a kill, so not a problem).
    pub torn_tail: bool,
}

/// A segment as tracked while the process runs.
#[derive(Debug, Default)]
pub(crate) struct SegmentState {
    /// Records written (including corrupt ones found at open, which count as acked).
    pub records: u32,
    /// Which records are acknowledged.
    pub acked: Vec<bool>,
    pub acked_count: u32,
}

impl SegmentState {
    pub fn all_acked(&self) -> bool {
        self.acked_count >= self.records
    }
    /// Marks a record acked; false if it already was (or is out of range).
    pub fn ack(&mut self, index: u32) -> bool {
        match self.acked.get_mut(index as usize) {
            Some(a) if !*a => {
                *a = true;
                self.acked_count += 1;
                true
            }
            _ => false,
        }
    }
}

pub(crate) fn log_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("seg-{n:020}.log"))
}

pub(crate) fn ack_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("seg-{n:020}.ack"))
}

/// Segment numbers present in `dir`, with whether each has a `.log` (a lone `.ack` is an
/// orphan left by a kill during deletion).
fn list(dir: &Path) -> io::Result<BTreeMap<u64, bool>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix("seg-") else {
            continue;
        };
        if let Some(n) = rest
            .strip_suffix(".log")
            .and_then(|s| s.parse::<u64>().ok())
        {
            out.insert(n, true);
        } else if let Some(n) = rest
            .strip_suffix(".ack")
            .and_then(|s| s.parse::<u64>().ok())
        {
            out.entry(n).or_insert(false);
        }
    }
    Ok(out)
}

/// Encodes one record (framing included).
pub(crate) fn encode(uuid: Uuid, written_at: i64, bytes: &[u8]) -> Vec<u8> {
    let len = META + bytes.len();
    let mut out = Vec::with_capacity(FRAME + len);
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(uuid.as_bytes());
    out.extend_from_slice(&written_at.to_le_bytes());
    out.extend_from_slice(bytes);
    let crc = crc32fast::hash(&out[FRAME..]);
    out[4..8].copy_from_slice(&crc.to_le_bytes());
    out
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

fn read_acks(path: &Path) -> io::Result<Vec<u32>> {
    let data = match std::fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    // A torn or flipped entry is skipped: at worst its record is sent again.
    Ok(data
        .chunks_exact(8)
        .filter_map(|c| {
            let (i, crc) = c.split_at(4);
            (crc32fast::hash(i).to_le_bytes() == crc)
                .then(|| u32::from_le_bytes([i[0], i[1], i[2], i[3]]))
        })
        .collect())
}

/// Reads one segment's records. `last`: a torn or corrupt record ends the segment and the file
/// is truncated there (an interrupted append); elsewhere a bad checksum with a sane length is
/// skipped and reported, and a bad length ends the segment with a report.
fn read_segment(
    path: &Path,
    n: u64,
    last: bool,
    report: &mut ScanReport,
) -> io::Result<(Vec<Record>, u32)> {
    let mut data = Vec::new();
    File::open(path)?.read_to_end(&mut data)?;
    let name = path.file_name().map(|f| f.to_string_lossy().into_owned());
    let name = name.unwrap_or_default();
    if data.len() < HEADER.len() {
        // Killed between creating the file and writing its header.
        if !last || !data.is_empty() && !HEADER.starts_with(&data) {
            report
                .problems
                .push(format!("{name}: no segment header; file ignored"));
        }
        return Ok((Vec::new(), 0));
    }
    if &data[..HEADER.len()] != HEADER {
        report.problems.push(format!(
            "{name}: unknown header or format version; file ignored"
        ));
        return Ok((Vec::new(), 0));
    }
    let mut pos = HEADER.len();
    let mut index: u32 = 0;
    let mut out = Vec::new();
    while pos < data.len() {
        let rest = &data[pos..];
        let torn = |report: &mut ScanReport, what: &str| {
            if last {
                report.torn_tail = true;
            } else {
                report.problems.push(format!(
                    "{name}: {what} at byte {pos}; rest of the segment skipped"
                ));
            }
        };
        if rest.len() < FRAME {
            torn(report, "a truncated record header");
            break;
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if !(META..=MAX_RECORD).contains(&len) || rest.len() < FRAME + len {
            torn(report, "a truncated or corrupt record");
            break;
        }
        let payload = &rest[FRAME..FRAME + len];
        if crc32fast::hash(payload) != crc {
            if last && pos + FRAME + len == data.len() {
                // The final record of the live segment: an interrupted append.
                report.torn_tail = true;
                break;
            }
            report.corrupt += 1;
            report.problems.push(format!(
                "{name}: record {index} at byte {pos} fails its checksum; skipped"
            ));
        } else {
            let mut u = [0u8; 16];
            u.copy_from_slice(&payload[..16]);
            let mut t = [0u8; 8];
            t.copy_from_slice(&payload[16..24]);
            out.push(Record {
                loc: Loc { segment: n, index },
                uuid: Uuid::from_bytes(u),
                written_at: i64::from_le_bytes(t),
                bytes: payload[META..].to_vec(),
            });
        }
        index += 1;
        pos += FRAME + len;
    }
    if last && pos < data.len() {
        // Cut the torn tail so the file ends on a record boundary.
        let f = OpenOptions::new().write(true).open(path)?;
        f.set_len(pos as u64)?;
    }
    Ok((out, index))
}

/// Reads a storage directory: every unacknowledged record in order, the state of each
/// segment that still holds some, and the next segment number. Fully acked segments and
/// orphaned ack files are deleted. I/O errors on the directory itself are returned; problems
/// with single files are reported and skipped.
pub(crate) fn scan(dir: &Path) -> io::Result<Scan> {
    let segments = list(dir)?;
    let mut report = ScanReport::default();
    let mut records = Vec::new();
    let mut states = BTreeMap::new();
    let last_n = segments
        .iter()
        .rev()
        .find(|(_, has_log)| **has_log)
        .map(|(n, _)| *n);
    let next = segments.keys().next_back().map_or(0, |n| n + 1);
    for (&n, &has_log) in &segments {
        if !has_log {
            let _ = std::fs::remove_file(ack_path(dir, n));
            continue;
        }
        let (recs, count) = match read_segment(&log_path(dir, n), n, Some(n) == last_n, &mut report)
        {
            Ok(r) => r,
            Err(e) => {
                report.problems.push(format!(
                    "seg-{n:020}.log cannot be read ({e}); left in place"
                ));
                continue;
            }
        };
        let acks = read_acks(&ack_path(dir, n)).unwrap_or_else(|e| {
            report.problems.push(format!(
                "seg-{n:020}.ack cannot be read ({e}); its records are resent"
            ));
            Vec::new()
        });
        let mut st = SegmentState {
            records: count,
            acked: vec![true; count as usize],
            acked_count: count,
        };
        for r in &recs {
            st.acked[r.loc.index as usize] = false;
            st.acked_count -= 1;
        }
        for i in acks {
            st.ack(i);
        }
        if st.all_acked() {
            remove_segment(dir, n);
            continue;
        }
        records.extend(recs.into_iter().filter(|r| !st.acked[r.loc.index as usize]));
        states.insert(n, st);
    }
    Ok((records, states, next, report))
}

/// What [`scan`] returns: live records in order, segment states, the next segment number,
/// and the problems found.
pub(crate) type Scan = (Vec<Record>, BTreeMap<u64, SegmentState>, u64, ScanReport);

/// Deletes a segment: the log first, so a kill in between leaves only an orphan ack file.
pub(crate) fn remove_segment(dir: &Path, n: u64) {
    let _ = std::fs::remove_file(log_path(dir, n));
    let _ = std::fs::remove_file(ack_path(dir, n));
}

/// Creates a new segment file with its header.
pub(crate) fn create_segment(dir: &Path, n: u64) -> io::Result<File> {
    let mut f = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(log_path(dir, n))?;
    f.write_all(HEADER)?;
    Ok(f)
}

/// Appends ack entries to a segment's ack file.
pub(crate) fn append_acks(dir: &Path, n: u64, indices: &[u32], sync: bool) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(ack_path(dir, n))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "posthog-log-{name}-{}-{}",
            std::process::id(),
            Uuid::new_v4()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn write_segment(dir: &Path, n: u64, payloads: &[&[u8]]) -> Vec<Uuid> {
        let mut f = create_segment(dir, n).unwrap();
        let mut ids = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let u = Uuid::from_u128(((n as u128) << 32) | i as u128);
            f.write_all(&encode(u, 1_700_000_000_000 + i as i64, p))
                .unwrap();
            ids.push(u);
        }
        ids
    }

    #[test]
    fn round_trip() {
        let d = tmp("rt");
        let a = write_segment(&d, 0, &[b"{\"a\":1}", b"", b"xyz"]);
        let b = write_segment(&d, 1, &[b"second"]);
        let (recs, states, next, rep) = scan(&d).unwrap();
        assert!(rep.problems.is_empty() && !rep.torn_tail, "{rep:?}");
        assert_eq!(next, 2);
        assert_eq!(states.len(), 2);
        let got: Vec<_> = recs.iter().map(|r| (r.uuid, r.bytes.clone())).collect();
        assert_eq!(
            got,
            vec![
                (a[0], b"{\"a\":1}".to_vec()),
                (a[1], Vec::new()),
                (a[2], b"xyz".to_vec()),
                (b[0], b"second".to_vec()),
            ]
        );
        assert_eq!(recs[2].written_at, 1_700_000_000_002);
        assert_eq!(
            recs[3].loc,
            Loc {
                segment: 1,
                index: 0
            }
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn torn_tail_is_skipped_and_truncated() {
        let d = tmp("torn");
        write_segment(&d, 3, &[b"one", b"two"]);
        let full = std::fs::read(log_path(&d, 3)).unwrap();
        let mut f = OpenOptions::new()
            .append(true)
            .open(log_path(&d, 3))
            .unwrap();
        let rec = encode(Uuid::from_u128(9), 0, b"three-is-torn");
        // Every possible tear point of the third record.
        for cut in 1..rec.len() {
            f.set_len(full.len() as u64).unwrap();
            f.write_all(&rec[..cut]).unwrap();
            let (recs, _, next, rep) = scan(&d).unwrap();
            assert_eq!(recs.len(), 2, "cut {cut}");
            assert!(rep.torn_tail, "cut {cut}");
            assert!(rep.problems.is_empty(), "cut {cut}: {rep:?}");
            assert_eq!(next, 4);
            assert_eq!(std::fs::read(log_path(&d, 3)).unwrap(), full, "truncated");
        }
        // A header torn at creation.
        std::fs::write(log_path(&d, 4), &HEADER[..3]).unwrap();
        let (recs, _, next, rep) = scan(&d).unwrap();
        assert_eq!((recs.len(), next), (2, 5));
        assert!(rep.problems.is_empty(), "{rep:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn corrupt_middle_record_is_skipped_and_reported() {
        let d = tmp("corrupt");
        let ids = write_segment(&d, 0, &[b"aaaa", b"bbbb", b"cccc"]);
        write_segment(&d, 1, &[b"dddd"]);
        let mut data = std::fs::read(log_path(&d, 0)).unwrap();
        // Flip a byte inside the second record's event bytes.
        let second = HEADER.len() + FRAME + META + 4 + FRAME + META + 1;
        data[second] ^= 0xff;
        std::fs::write(log_path(&d, 0), &data).unwrap();
        let (recs, states, _, rep) = scan(&d).unwrap();
        let got: Vec<_> = recs.iter().map(|r| r.bytes.clone()).collect();
        assert_eq!(
            got,
            vec![b"aaaa".to_vec(), b"cccc".to_vec(), b"dddd".to_vec()]
        );
        assert_eq!(recs[1].uuid, ids[2]);
        assert_eq!(recs[1].loc.index, 2, "indices keep their place");
        assert_eq!(rep.corrupt, 1);
        assert_eq!(rep.problems.len(), 1, "{rep:?}");
        assert!(rep.problems[0].contains("checksum"));
        // The corrupt record counts as resolved.
        assert_eq!(states[&0].acked_count, 1);
        // A garbage length in a middle segment ends that segment with a report.
        let mut data = std::fs::read(log_path(&d, 0)).unwrap();
        data[HEADER.len()..HEADER.len() + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(log_path(&d, 0), &data).unwrap();
        let (recs, _, _, rep) = scan(&d).unwrap();
        assert_eq!(recs.len(), 1, "only the next segment's record");
        assert_eq!(rep.problems.len(), 1, "{rep:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn acks_hide_records_and_delete_segments() {
        let d = tmp("ack");
        write_segment(&d, 0, &[b"a", b"b"]);
        write_segment(&d, 1, &[b"c", b"d"]);
        append_acks(&d, 0, &[1], false).unwrap();
        append_acks(&d, 1, &[0], true).unwrap();
        // A torn ack entry is ignored.
        let mut f = OpenOptions::new()
            .append(true)
            .open(ack_path(&d, 1))
            .unwrap();
        f.write_all(&encode_acks(&[1])[..5]).unwrap();
        let (recs, _, _, rep) = scan(&d).unwrap();
        assert!(rep.problems.is_empty());
        let got: Vec<_> = recs.iter().map(|r| r.bytes.clone()).collect();
        assert_eq!(got, vec![b"a".to_vec(), b"d".to_vec()]);
        append_acks(&d, 0, &[0], false).unwrap();
        let (recs, states, next, _) = scan(&d).unwrap();
        assert_eq!(recs.len(), 1);
        assert!(
            !log_path(&d, 0).exists() && !ack_path(&d, 0).exists(),
            "deleted"
        );
        assert_eq!(states.keys().copied().collect::<Vec<_>>(), vec![1]);
        assert_eq!(next, 2);
        // An orphaned ack file (kill during deletion) is cleaned up.
        std::fs::write(ack_path(&d, 7), encode_acks(&[0])).unwrap();
        let (_, _, next, _) = scan(&d).unwrap();
        assert_eq!(next, 8, "numbers are never reused");
        assert!(!ack_path(&d, 7).exists());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
