//! The bucketing hash: `int(sha1(key + sep + value + salt)[:15 hex], 16) / 0xFFFFFFFFFFFFFFF`.

use sha1::{Digest, Sha1};

const SCALE: f64 = 0xFFF_FFFF_FFFF_FFFF_u64 as f64;

/// The hash of a flag key and bucketing value (distinct id, device id or group key) with the
/// `.` separator: `salt` is `""` for rollout and `"variant"` for variant choice.
pub fn hash(key: &str, bucketing_value: &str, salt: &str) -> f64 {
    hash_with(key, ".", bucketing_value, salt)
}

/// The hash with an explicit separator (holdouts use `-`).
pub fn hash_with(key: &str, separator: &str, bucketing_value: &str, salt: &str) -> f64 {
    let mut h = Sha1::new();
    h.update(key.as_bytes());
    h.update(separator.as_bytes());
    h.update(bucketing_value.as_bytes());
    h.update(salt.as_bytes());
    let digest = h.finalize();
    // The first 15 hex digits are the first 60 bits of the digest.
    let mut first8 = [0u8; 8];
    first8.copy_from_slice(&digest[..8]);
    let n = u64::from_be_bytes(first8) >> 4;
    n as f64 / SCALE
}
