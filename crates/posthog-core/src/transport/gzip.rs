//! Request-body compression.

use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

/// Gzips `data` at a fast level (events compress ~10× even at level 1–3).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 4 + 64), Compression::new(3));
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        use std::io::Read;
        let data = br#"{"batch":[{"event":"x"}]}"#.repeat(50);
        let z = super::gzip(&data);
        assert_eq!(&z[..2], &[0x1f, 0x8b]);
        assert!(z.len() < data.len());
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&z[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
    }
}
