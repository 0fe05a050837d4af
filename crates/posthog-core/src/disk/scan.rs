//! Reading a storage directory back at start: every segment is checked record by record
//! (framing, CRC-32, the cipher for sealed segments), ack files are applied, and whatever is
//! wrong is reported and skipped — never a panic. The format is described in [`super::log`].

use super::cipher::{self, RecordCipher};
use super::log::{
    FRAME, HEADER, HEADER_SEALED, Loc, MAX_RECORD, META, Record, SegmentState, ack_path, log_path,
    remove_segment, split_payload,
};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// What [`scan`] found besides the live records: problems to report, never to crash on.
#[derive(Debug, Default)]
pub(crate) struct ScanReport {
    /// Human-readable problems (corrupt records, unreadable files), for the error hook.
    pub problems: Vec<String>,
    /// Records skipped because their checksum or framing was bad.
    pub corrupt: u64,
    /// Sealed records skipped because the cipher could not open them (or none was set).
    pub unopened: u64,
    /// Whether the last segment ended in a torn record (an interrupted append; expected after
    /// a kill, so not a problem).
    pub torn_tail: bool,
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

/// The position of the first whole record (a sane length that fits and a matching checksum)
/// at or after `from`, if any.
fn resync(data: &[u8], from: usize, min_len: usize) -> Option<usize> {
    (from..data.len().saturating_sub(FRAME)).find(|&p| {
        let r = &data[p..];
        let len = u32::from_le_bytes([r[0], r[1], r[2], r[3]]) as usize;
        if !(min_len..=MAX_RECORD).contains(&len) || r.len() < FRAME + len {
            return false;
        }
        let crc = u32::from_le_bytes([r[4], r[5], r[6], r[7]]);
        crc32fast::hash(&r[FRAME..FRAME + len]) == crc
    })
}

/// Reads a whole file, refusing anything but a regular file (a symlink is never followed; a
/// device such as `/dev/zero` would never end). `Ok(None)`: it does not exist.
fn read_regular(path: &Path) -> io::Result<Option<Vec<u8>>> {
    // symlink_metadata: a symlink is refused, never followed (reading or cutting it would
    // touch its target).
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(m) if m.file_type().is_symlink() => {
            return Err(io::Error::other(
                "a symbolic link (refused, never followed)",
            ));
        }
        Ok(_) => return Err(io::Error::other("not a regular file")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut data = Vec::new();
    File::open(path)?.read_to_end(&mut data)?;
    Ok(Some(data))
}

/// Reads an ack file: the acknowledged indexes and how many entries failed their checksum.
/// A torn final entry (a kill during an append) is expected: it is skipped silently and cut
/// off, so later appends stay aligned. At worst a skipped entry's record is sent again.
fn read_acks(path: &Path) -> io::Result<(Vec<u32>, usize)> {
    let Some(data) = read_regular(path)? else {
        return Ok((Vec::new(), 0));
    };
    let whole = data.len() / 8 * 8;
    if whole < data.len() {
        let cut = OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(whole as u64));
        if let Err(e) = cut {
            tracing::debug!("on-disk queue: cannot cut a torn ack entry: {e}");
        }
    }
    let mut bad = 0;
    let acks = data[..whole]
        .chunks_exact(8)
        .filter_map(|c| {
            let (i, crc) = c.split_at(4);
            let ok = crc32fast::hash(i).to_le_bytes() == crc;
            bad += usize::from(!ok);
            ok.then(|| u32::from_le_bytes([i[0], i[1], i[2], i[3]]))
        })
        .collect();
    Ok((acks, bad))
}

/// Splits an opened payload into a record found at `offset`, `size` bytes on disk; `None`
/// if it is shorter than its metadata.
fn parse(payload: &[u8], loc: Loc, offset: usize, size: usize) -> Option<Record> {
    let (uuid, written_at, bytes) = split_payload(payload)?;
    Some(Record {
        loc,
        offset: offset as u64,
        size: u32::try_from(size).ok()?,
        uuid,
        written_at,
        bytes: bytes.to_vec(),
    })
}

/// Sealed records of one segment that could not be opened.
#[derive(Default)]
struct Unopened {
    count: u64,
    first_error: Option<String>,
}

/// Reads one segment's records. `last`: a torn final record ends the segment and the file is
/// truncated there (an interrupted append); elsewhere a bad checksum with a sane length is
/// skipped and reported, and a bad length ends the segment with a report. A sealed record is
/// opened with `cipher`; one that does not open is skipped and reported (one report per
/// segment). A corrupt frame followed by good records is skipped to them (reported); the
/// index they resume at is returned, since acks from there on can no longer be trusted.
fn read_segment(
    path: &Path,
    n: u64,
    last: bool,
    cipher: Option<&dyn RecordCipher>,
    report: &mut ScanReport,
) -> io::Result<(Vec<Record>, u32, Option<u32>)> {
    let data = read_regular(path)?.unwrap_or_default();
    let name = format!("seg-{n:020}.log");
    if data.len() < HEADER.len() {
        // Killed between creating the file and writing its header.
        let torn_header = HEADER.starts_with(&data) || HEADER_SEALED.starts_with(&data);
        if !last || !torn_header {
            report
                .problems
                .push(format!("{name}: no segment header; file ignored"));
        }
        return Ok((Vec::new(), 0, None));
    }
    let sealed = match &data[..HEADER.len()] {
        h if h == HEADER => false,
        h if h == HEADER_SEALED => true,
        _ => {
            report.problems.push(format!(
                "{name}: unknown header or format version; file ignored"
            ));
            return Ok((Vec::new(), 0, None));
        }
    };
    let min_len = if sealed { 1 } else { META };
    let mut pos = HEADER.len();
    let mut index: u32 = 0;
    let mut out = Vec::new();
    let mut unopened = Unopened::default();
    let mut resynced: Option<u32> = None;
    while pos < data.len() {
        let rest = &data[pos..];
        let len = match rest {
            [a, b, c, d, ..] => u32::from_le_bytes([*a, *b, *c, *d]) as usize,
            _ => 0,
        };
        let sane = (min_len..=MAX_RECORD).contains(&len);
        if rest.len() < FRAME || !sane || rest.len() < FRAME + len {
            // A good record further on means this frame is corrupt, not the torn end of an
            // interrupted append: skip to it, and report what was skipped.
            if let Some(next) = resync(&data, pos + 1, min_len) {
                report.corrupt += 1;
                report.problems.push(format!(
                    "{name}: a corrupt record frame at byte {pos}; {} byte(s) skipped to the next good record",
                    next - pos
                ));
                index += 1;
                resynced.get_or_insert(index);
                pos = next;
                continue;
            }
            // An interrupted append leaves a prefix of a good record: a short frame, a sane
            // length that runs past the end, or (after a power loss) zeros the file system
            // filled in. Anything else is corruption, reported even in the last segment.
            let torn = rest.len() < FRAME || sane || rest.iter().all(|b| *b == 0);
            if last && torn {
                report.torn_tail = true;
            } else {
                report.corrupt += 1;
                report.problems.push(format!(
                    "{name}: a truncated or corrupt record at byte {pos}; rest of the segment skipped"
                ));
            }
            break;
        }
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        let payload = &rest[FRAME..FRAME + len];
        let loc = Loc { segment: n, index };
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
        } else if !sealed {
            out.extend(parse(payload, loc, pos, FRAME + len));
        } else {
            let opened = match cipher {
                None => Err(String::new()),
                Some(c) => c.open(payload).and_then(|p| {
                    parse(&p, loc, pos, FRAME + len)
                        .ok_or_else(|| "it opened to a too short payload".to_string())
                }),
            };
            match opened {
                Ok(r) => out.push(r),
                Err(e) => {
                    unopened.count += 1;
                    unopened.first_error.get_or_insert(e);
                }
            }
        }
        index += 1;
        pos += FRAME + len;
    }
    if unopened.count > 0 {
        report.unopened += unopened.count;
        let n = unopened.count;
        report.problems.push(match (cipher, unopened.first_error) {
            (Some(_), Some(e)) => format!(
                "{name}: {n} record(s) could not be opened by the cipher ({}); skipped",
                cipher::brief(&e)
            ),
            _ => format!("{name}: {n} sealed record(s) and no cipher is configured; skipped"),
        });
    }
    if last && pos < data.len() {
        // Cut the torn tail so the file ends on a record boundary (best effort: a read-only
        // directory keeps it, and nothing is ever appended to an old segment).
        let cut = OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|f| f.set_len(pos as u64));
        if let Err(e) = cut {
            tracing::debug!("on-disk queue: cannot cut the torn tail of {name}: {e}");
        }
    }
    Ok((out, index, resynced))
}

/// Reads a storage directory: every unacknowledged record in order, the state of each
/// segment that still holds some, and the next segment number. Fully acked segments and
/// orphaned ack files are deleted. I/O errors on the directory itself are returned; problems
/// with single files are reported and skipped.
pub(crate) fn scan(dir: &Path, cipher: Option<&dyn RecordCipher>) -> io::Result<Scan> {
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
        let last = Some(n) == last_n;
        let (recs, count, resynced) =
            match read_segment(&log_path(dir, n), n, last, cipher, &mut report) {
                Ok(r) => r,
                Err(e) => {
                    report.problems.push(format!(
                        "seg-{n:020}.log cannot be read ({e}); left in place"
                    ));
                    continue;
                }
            };
        let acks = match read_acks(&ack_path(dir, n)) {
            Ok((acks, 0)) => acks,
            Ok((acks, bad)) => {
                report.problems.push(format!(
                    "seg-{n:020}.ack: {bad} corrupt entry(ies) skipped; their records are sent again"
                ));
                acks
            }
            Err(e) => {
                report.problems.push(format!(
                    "seg-{n:020}.ack cannot be read ({e}); its records are sent again"
                ));
                Vec::new()
            }
        };
        let mut st = SegmentState {
            records: count,
            acked: vec![true; count as usize],
            acked_count: count,
            sizes: vec![0; count as usize],
        };
        for r in &recs {
            st.acked[r.loc.index as usize] = false;
            st.acked_count -= 1;
            st.sizes[r.loc.index as usize] = r.size;
        }
        for i in acks {
            // After a resynchronisation the indexes may be off: resend rather than trust an
            // ack (the server de-duplicates by uuid).
            if resynced.is_none_or(|r| i < r) {
                st.ack(i);
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disk::log::{append_acks, create_segment, encode, encode_acks};
    use std::io::Write;
    use std::path::PathBuf;
    use uuid::Uuid;

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
        let mut f = create_segment(dir, n, false).unwrap();
        let mut ids = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let u = Uuid::from_u128(((n as u128) << 32) | i as u128);
            f.write_all(&encode(u, 1_700_000_000_000 + i as i64, p, None).unwrap())
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
        let (recs, states, next, rep) = scan(&d, None).unwrap();
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
        let rec = encode(Uuid::from_u128(9), 0, b"three-is-torn", None).unwrap();
        // Every possible tear point of the third record.
        for cut in 1..rec.len() {
            f.set_len(full.len() as u64).unwrap();
            f.write_all(&rec[..cut]).unwrap();
            let (recs, _, next, rep) = scan(&d, None).unwrap();
            assert_eq!(recs.len(), 2, "cut {cut}");
            assert!(rep.torn_tail, "cut {cut}");
            assert!(rep.problems.is_empty(), "cut {cut}: {rep:?}");
            assert_eq!(next, 4);
            assert_eq!(std::fs::read(log_path(&d, 3)).unwrap(), full, "truncated");
        }
        // A header torn at creation.
        std::fs::write(log_path(&d, 4), &HEADER[..3]).unwrap();
        let (recs, _, next, rep) = scan(&d, None).unwrap();
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
        let (recs, states, _, rep) = scan(&d, None).unwrap();
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
        let (recs, _, _, rep) = scan(&d, None).unwrap();
        assert_eq!(
            recs.len(),
            2,
            "the good record after the bad frame (cccc; bbbb fails its checksum) and the next segment's"
        );
        assert_eq!(rep.problems.len(), 1, "{rep:?}");
        assert!(rep.problems[0].contains("skipped to the next good record"));
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
        let (recs, _, _, rep) = scan(&d, None).unwrap();
        assert!(rep.problems.is_empty());
        let got: Vec<_> = recs.iter().map(|r| r.bytes.clone()).collect();
        assert_eq!(got, vec![b"a".to_vec(), b"d".to_vec()]);
        append_acks(&d, 0, &[0], false).unwrap();
        let (recs, states, next, _) = scan(&d, None).unwrap();
        assert_eq!(recs.len(), 1);
        assert!(
            !log_path(&d, 0).exists() && !ack_path(&d, 0).exists(),
            "deleted"
        );
        assert_eq!(states.keys().copied().collect::<Vec<_>>(), vec![1]);
        assert_eq!(next, 2);
        // An orphaned ack file (kill during deletion) is cleaned up.
        std::fs::write(ack_path(&d, 7), encode_acks(&[0])).unwrap();
        let (_, _, next, _) = scan(&d, None).unwrap();
        assert_eq!(next, 8, "numbers are never reused");
        assert!(!ack_path(&d, 7).exists());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_corrupt_length_in_the_last_segment_is_reported_a_zero_tail_is_not() {
        let d = tmp("len");
        write_segment(&d, 0, &[b"aaaa", b"bbbb", b"cccc"]);
        let mut data = std::fs::read(log_path(&d, 0)).unwrap();
        // The last record's length: nothing good follows it.
        let third = HEADER.len() + 2 * (FRAME + META + 4);
        data[third..third + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        std::fs::write(log_path(&d, 0), &data).unwrap();
        let (recs, _, _, rep) = scan(&d, None).unwrap();
        assert_eq!(recs.len(), 2);
        assert!(!rep.torn_tail);
        assert_eq!((rep.corrupt, rep.problems.len()), (1, 1), "{rep:?}");
        assert_eq!(std::fs::read(log_path(&d, 0)).unwrap().len(), third, "cut");
        // Zeros after the last record (a file system's fill after a power loss): a torn tail.
        let mut f = OpenOptions::new()
            .append(true)
            .open(log_path(&d, 0))
            .unwrap();
        f.write_all(&[0; 40]).unwrap();
        let (recs, _, _, rep) = scan(&d, None).unwrap();
        assert_eq!(recs.len(), 2);
        assert!(rep.torn_tail && rep.problems.is_empty(), "{rep:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_huge_length_before_good_records_loses_nothing_silently() {
        // A 64 MiB length (within the format's limit) that runs past the end of the live
        // segment used to look like a torn write and hide the five records after it.
        let d = tmp("huge");
        let ids = write_segment(&d, 0, &[b"first", b"x", b"e1", b"e2", b"e3", b"e4", b"e5"]);
        std::fs::write(ack_path(&d, 0), encode_acks(&[0, 3])).unwrap();
        let mut data = std::fs::read(log_path(&d, 0)).unwrap();
        let second = HEADER.len() + FRAME + META + 5;
        data[second..second + 4].copy_from_slice(&(MAX_RECORD as u32).to_le_bytes());
        std::fs::write(log_path(&d, 0), &data).unwrap();
        let (recs, _, _, rep) = scan(&d, None).unwrap();
        let got: Vec<_> = recs.iter().map(|r| r.uuid).collect();
        // "first" was acked; every record after the bad frame is loaded, including e2 whose
        // ack (index 3) can no longer be trusted: resent, and the server de-duplicates it.
        assert_eq!(got, ids[2..].to_vec());
        assert!(!rep.torn_tail);
        assert_eq!(rep.corrupt, 1, "the bad frame is counted");
        assert!(
            rep.problems[0].contains("skipped to the next good record"),
            "{rep:?}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn corrupt_ack_entries_are_reported_and_a_torn_one_is_cut() {
        let d = tmp("badack");
        write_segment(&d, 0, &[b"a", b"b", b"c"]);
        let mut acks = encode_acks(&[0]);
        acks.extend_from_slice(&[0xab; 8]); // a flipped entry
        acks.extend_from_slice(&encode_acks(&[2])[..3]); // a torn one
        std::fs::write(ack_path(&d, 0), &acks).unwrap();
        let (recs, _, _, rep) = scan(&d, None).unwrap();
        let got: Vec<_> = recs.iter().map(|r| r.bytes.clone()).collect();
        assert_eq!(got, vec![b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(rep.problems.len(), 1, "{rep:?}");
        assert!(rep.problems[0].contains("1 corrupt entry"), "{rep:?}");
        assert_eq!(
            std::fs::read(ack_path(&d, 0)).unwrap().len(),
            16,
            "torn entry cut"
        );
        // Later acks stay aligned.
        append_acks(&d, 0, &[2], false).unwrap();
        let (recs, _, _, _) = scan(&d, None).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].bytes, b"b");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn files_that_are_not_regular_are_reported_not_read() {
        let d = tmp("special");
        write_segment(&d, 0, &[b"a"]);
        // Reading either would never end.
        std::os::unix::fs::symlink("/dev/zero", ack_path(&d, 0)).unwrap();
        std::os::unix::fs::symlink("/dev/zero", log_path(&d, 1)).unwrap();
        let (recs, _, next, rep) = scan(&d, None).unwrap();
        assert_eq!(
            recs.len(),
            1,
            "the ack file is ignored, so the record is resent"
        );
        assert_eq!(next, 2);
        assert_eq!(rep.problems.len(), 2, "{rep:?}");
        assert!(
            rep.problems.iter().all(|p| p.contains("symbolic link")),
            "{rep:?}"
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_segment_is_created_once_with_its_header() {
        let d = tmp("hdr");
        create_segment(&d, 0, true).unwrap();
        assert_eq!(std::fs::read(log_path(&d, 0)).unwrap(), HEADER_SEALED);
        assert!(create_segment(&d, 0, false).is_err(), "never reused");
        std::fs::remove_dir_all(&d).unwrap();
    }

    proptest::proptest! {
        /// Segments and ack files damaged anywhere: scanning never panics, and returns only
        /// records that were written (a damaged one is reported, never invented).
        #[test]
        fn damaged_files_scan_to_written_records_only(
            edits in proptest::collection::vec((0usize..2000, proptest::prelude::any::<u8>()), 0..8),
            garbage in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            acks in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            at in 0usize..2000,
        ) {
            let d = tmp("prop");
            let ids = write_segment(&d, 0, &[b"alpha", b"beta", b"gamma", b"delta"]);
            let more = write_segment(&d, 1, &[b"epsilon", b"zeta"]);
            let mut data = std::fs::read(log_path(&d, 0)).unwrap();
            for (pos, b) in edits {
                let n = data.len();
                data[pos % n] ^= b;
            }
            let cut = at % (data.len() + 1);
            data.splice(cut..cut, garbage);
            std::fs::write(log_path(&d, 0), &data).unwrap();
            std::fs::write(ack_path(&d, 1), &acks).unwrap();
            let (recs, _, _, _) = scan(&d, None).unwrap();
            let written: Vec<Uuid> = ids.into_iter().chain(more).collect();
            for r in &recs {
                proptest::prop_assert!(written.contains(&r.uuid), "{:?}", r.uuid);
            }
            std::fs::remove_dir_all(&d).unwrap();
        }
    }
}
