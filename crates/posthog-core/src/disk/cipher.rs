//! Encryption at rest for the on-disk queue: the app supplies a [`RecordCipher`] (and owns its
//! keys); the segment log applies it to each record's payload. Ack files hold only record
//! indexes and are not sealed.

use super::log::MAX_RECORD;

/// Seals and opens the payload of each on-disk queue record (see
/// [`crate::ClientOptions::cipher`]).
///
/// The app supplies the cipher and all key management — e.g. AES-GCM with a key held by the
/// Android Keystore or the iOS Keychain. Use an authenticated cipher: `open` must fail on a
/// wrong key or altered bytes (the core trusts what `open` returns). The core never sees a key: it calls [`seal`] on each
/// record's payload (the event's uuid, its write time and its serialised bytes) before it is
/// appended, and [`open`] on it when the directory is read back at start. The CRC-32 of the
/// record covers the *sealed* bytes, so torn and corrupt records are still found before
/// `open` is called.
///
/// A record whose `open` fails (wrong key, tampered data, or a key that is not available) is
/// reported through the error hook as [`crate::Error::Io`] and skipped like a corrupt record:
/// it is given up for good, never retried and never a crash. So: create the client only once
/// the key can be used (on iOS, a Keychain item that is readable after first unlock; on
/// Android, a Keystore key that does not need user authentication), and expect records written
/// under another key — or with no cipher — to be skipped after a key change. Segments written
/// before a cipher was configured are still read as plain records; segments written with a
/// cipher are skipped (and reported) by a client that has none. A failing `seal` turns the
/// on-disk queue off for the rest of the run (reported once); events then stay in memory.
///
/// Both methods are called from the capturing threads and the client's worker, never
/// concurrently for the same record. Error strings are put in reports: do not put key
/// material or plaintext in them.
///
/// [`seal`]: RecordCipher::seal
/// [`open`]: RecordCipher::open
pub trait RecordCipher: Send + Sync + 'static {
    /// Encrypts (and authenticates) one record payload. The result must not be empty.
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String>;
    /// Decrypts what [`RecordCipher::seal`] returned; fails if it was not sealed with this
    /// cipher's key or was altered.
    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, String>;
}

/// Seals a plain payload, checking the cipher's answer fits the record framing.
pub(crate) fn seal(cipher: &dyn RecordCipher, plain: &[u8]) -> Result<Vec<u8>, String> {
    let sealed = cipher
        .seal(plain)
        .map_err(|e| format!("the cipher failed: {e}"))?;
    if sealed.is_empty() || sealed.len() > MAX_RECORD {
        return Err(format!(
            "the cipher returned {} bytes for a record (1 to {MAX_RECORD} allowed)",
            sealed.len()
        ));
    }
    Ok(sealed)
}

/// Shortens a cipher's error message for a report.
pub(crate) fn brief(msg: &str) -> String {
    const MAX: usize = 200;
    if msg.chars().count() <= MAX {
        msg.to_string()
    } else {
        let mut s: String = msg.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::disk::log::{HEADER, HEADER_SEALED, log_path};
    use crate::disk::{DiskQueue, FsyncPolicy};
    use crate::event::QueuedEvent;
    use std::path::PathBuf;
    use std::sync::Arc;
    use uuid::Uuid;

    /// A toy cipher: a marker, the key byte, then the plaintext XORed with the key byte.
    pub(crate) struct Xor(pub u8);

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
                Some(_) => Err("sealed under another key".into()),
                None => Err("not a sealed record".into()),
            }
        }
    }

    /// Refuses to seal.
    struct Broken;

    impl RecordCipher for Broken {
        fn seal(&self, _: &[u8]) -> Result<Vec<u8>, String> {
            Err("the keystore is locked".into())
        }
        fn open(&self, _: &[u8]) -> Result<Vec<u8>, String> {
            Err("the keystore is locked".into())
        }
    }

    fn tmp() -> PathBuf {
        std::env::temp_dir().join(format!("posthog-cipher-{}", Uuid::new_v4()))
    }

    fn secret_event(i: u8) -> QueuedEvent {
        let uuid = Uuid::from_u128(0x5ec2e7 + i as u128);
        QueuedEvent {
            seq: 0,
            uuid,
            bytes: format!("{{\"event\":\"secret_checkout_{i}\",\"uuid\":\"{uuid}\"}}")
                .into_bytes(),
        }
    }

    fn cipher(c: impl RecordCipher) -> Option<Arc<dyn RecordCipher>> {
        Some(Arc::new(c))
    }

    fn open(
        d: &std::path::Path,
        c: Option<Arc<dyn RecordCipher>>,
    ) -> (DiskQueue, Vec<crate::disk::log::Record>, Vec<crate::Error>) {
        let (q, records, problems, _) =
            DiskQueue::open(d, FsyncPolicy::Never, None, None, u64::MAX, c).unwrap();
        (q, records, problems)
    }

    /// Every byte of every file in the directory.
    fn all_bytes(d: &std::path::Path) -> Vec<u8> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(d).unwrap() {
            out.extend(std::fs::read(e.unwrap().path()).unwrap());
        }
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn sealed_records_hide_the_plaintext_and_read_back() {
        let d = tmp();
        let (q, _, probs) = open(&d, cipher(Xor(0x5a)));
        assert!(probs.is_empty(), "{probs:?}");
        for i in 0..3u8 {
            let e = q
                .append(&secret_event(i), 1000 + i as i64)
                .unwrap()
                .entry()
                .unwrap();
            q.bind(i as u64, e);
        }
        q.resolve([1]).unwrap();
        drop(q);
        let disk = all_bytes(&d);
        for i in 0..3u8 {
            let ev = secret_event(i);
            assert!(
                !contains(&disk, b"secret_checkout"),
                "event name in the clear"
            );
            assert!(
                !contains(&disk, ev.uuid.to_string().as_bytes()),
                "uuid text"
            );
            assert!(!contains(&disk, ev.uuid.as_bytes()), "uuid bytes");
        }
        assert_eq!(
            &std::fs::read(log_path(&d, 0)).unwrap()[..8],
            HEADER_SEALED,
            "a sealed segment says so"
        );
        // The same cipher reads them back, acks included.
        let (q, recs, probs) = open(&d, cipher(Xor(0x5a)));
        assert!(probs.is_empty(), "{probs:?}");
        let want: Vec<_> = [0u8, 2].iter().map(|i| secret_event(*i)).collect();
        let got: Vec<_> = recs.iter().map(|r| (r.uuid, r.bytes.clone())).collect();
        assert_eq!(
            got,
            want.iter()
                .map(|e| (e.uuid, e.bytes.clone()))
                .collect::<Vec<_>>()
        );
        assert_eq!((recs[0].written_at, recs[1].written_at), (1000, 1002));
        drop(q);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn records_that_do_not_open_are_reported_and_skipped() {
        // Another key: every record of the segment is skipped with one report.
        let d = tmp();
        let (q, _, _) = open(&d, cipher(Xor(1)));
        for i in 0..4u8 {
            q.append(&secret_event(i), 0).unwrap().entry().unwrap();
        }
        drop(q);
        let (q, recs, probs) = open(&d, cipher(Xor(2)));
        assert!(recs.is_empty());
        assert_eq!(probs.len(), 1, "{probs:?}");
        assert_eq!(probs[0].kind(), crate::ErrorKind::Io);
        let msg = probs[0].to_string();
        assert!(
            msg.contains("4 record(s)") && msg.contains("another key"),
            "{msg}"
        );
        drop(q);
        // Given up: a later open with the right key finds nothing left.
        let (_q, recs, probs) = open(&d, cipher(Xor(1)));
        assert!(recs.is_empty() && probs.is_empty(), "{probs:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_sealed_directory_without_a_cipher_is_skipped_not_sent_as_garbage() {
        let d = tmp();
        let (q, _, _) = open(&d, cipher(Xor(7)));
        q.append(&secret_event(0), 0).unwrap().entry().unwrap();
        drop(q);
        let (_q, recs, probs) = open(&d, None);
        assert!(recs.is_empty());
        assert_eq!(probs.len(), 1, "{probs:?}");
        assert!(probs[0].to_string().contains("no cipher"), "{}", probs[0]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn plain_segments_are_still_read_once_a_cipher_is_set() {
        let d = tmp();
        let (q, _, _) = open(&d, None);
        q.append(&secret_event(0), 0).unwrap().entry().unwrap();
        drop(q);
        assert_eq!(&std::fs::read(log_path(&d, 0)).unwrap()[..8], HEADER);
        let (q, recs, probs) = open(&d, cipher(Xor(3)));
        assert!(probs.is_empty(), "{probs:?}");
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].bytes, secret_event(0).bytes);
        // New records go to a sealed segment.
        q.append(&secret_event(1), 0).unwrap().entry().unwrap();
        assert_eq!(&std::fs::read(log_path(&d, 1)).unwrap()[..8], HEADER_SEALED);
        drop(q);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_failing_seal_turns_appends_off_once() {
        let d = tmp();
        let (q, _, _) = open(&d, cipher(Broken));
        let err = q.append(&secret_event(0), 0).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Io);
        assert!(err.to_string().contains("keystore is locked"), "{err}");
        assert!(q.is_broken());
        assert!(
            matches!(
                q.append(&secret_event(1), 0).unwrap(),
                crate::disk::Append::Off
            ),
            "reported once"
        );
        drop(q);
        // Nothing torn was left behind.
        let (_q, recs, probs) = open(&d, cipher(Xor(1)));
        assert!(recs.is_empty() && probs.is_empty(), "{probs:?}");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn brief_messages() {
        assert_eq!(brief("short"), "short");
        assert_eq!(brief(&"é".repeat(300)).chars().count(), 201);
    }
}
