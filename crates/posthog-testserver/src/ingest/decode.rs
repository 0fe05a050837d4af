//! Body decoding: gzip and zlib, form `data=` fields, URL-encoded pairs, UTF-8.

use std::io::Read;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::rejection::Rejection;

/// Largest decompressed body accepted, whatever the options (a guard against bombs).
pub(crate) const MAX_DECOMPRESSED: usize = 512 * 1024 * 1024;

/// Whether `bytes` start with the gzip magic.
pub(crate) fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Gunzips the first gzip member (trailing bytes are ignored; the CRC is checked).
pub(crate) fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, Rejection> {
    read_capped(flate2::read::GzDecoder::new(bytes), "invalid gzip data")
}

/// Inflates a zlib stream (`Content-Encoding: deflate`).
pub(crate) fn inflate(bytes: &[u8]) -> Result<Vec<u8>, Rejection> {
    read_capped(
        flate2::read::ZlibDecoder::new(bytes),
        "invalid deflate data",
    )
}

fn read_capped(reader: impl Read, what: &'static str) -> Result<Vec<u8>, Rejection> {
    let mut out = Vec::new();
    let cap = MAX_DECOMPRESSED as u64 + 1;
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| Rejection::Decode(what))?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(Rejection::BodyTooLarge);
    }
    Ok(out)
}

/// Gunzips when the bytes carry the gzip magic, then requires UTF-8.
pub(crate) fn to_text(bytes: Vec<u8>) -> Result<String, Rejection> {
    if is_gzip(&bytes) {
        String::from_utf8(gunzip(&bytes)?).map_err(|_| Rejection::Decode("invalid gzip data"))
    } else {
        String::from_utf8(bytes).map_err(|_| Rejection::Decode("invalid body encoding"))
    }
}

/// Reads the `data` field of a form body and decodes it from standard base64.
pub(crate) fn form_data(body: &[u8]) -> Result<Vec<u8>, Rejection> {
    let data = url_pairs(body)
        .into_iter()
        .find(|(k, _)| k == "data")
        .map(|(_, v)| v)
        .ok_or(Rejection::Decode("invalid form data"))?;
    STANDARD
        .decode(data.as_bytes())
        .map_err(|_| Rejection::Decode("missing data field"))
}

/// Decodes standard base64, when the text is base64.
pub(crate) fn base64(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.trim().as_bytes()).ok()
}

/// Splits `application/x-www-form-urlencoded` bytes into decoded pairs (`+` is a space,
/// bad escapes are kept literally, invalid UTF-8 is replaced).
pub(crate) fn url_pairs(input: &[u8]) -> Vec<(String, String)> {
    input
        .split(|b| *b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = match part.iter().position(|b| *b == b'=') {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, &[][..]),
            };
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(input: &[u8]) -> String {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'+' {
            out.push(b' ');
        } else if b == b'%' {
            let hi = input.get(i + 1).copied().and_then(hex);
            let lo = input.get(i + 2).copied().and_then(hex);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi * 16 + lo);
                i += 3;
                continue;
            }
            out.push(b'%');
        } else {
            out.push(b);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decode_plus_and_escapes() {
        let pairs = url_pairs(b"a=1+2&b=%41%zz&c");
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "1 2".into()),
                ("b".into(), "A%zz".into()),
                ("c".into(), String::new())
            ]
        );
    }

    #[test]
    fn gzip_first_member_only() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"hello").unwrap();
        let mut bytes = enc.finish().unwrap();
        bytes.extend_from_slice(b"garbage");
        assert_eq!(gunzip(&bytes).unwrap(), b"hello");
        assert!(gunzip(&bytes[..10]).is_err());
    }
}
