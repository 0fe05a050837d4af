//! Client-side rate limiting of autocaptured exceptions (posthog-python's
//! `enable_exception_autocapture_rate_limiting`, a port of posthog-js's
//! `BucketedRateLimiter`): one token bucket per key (the exception's type).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Mutex;
use std::time::Instant;

/// The longest refill interval (one day, in seconds).
const MAX_REFILL_INTERVAL: f64 = 86_400.0;
/// The largest bucket.
const MAX_BUCKET_SIZE: f64 = 100.0;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last_access: f64,
}

/// A token bucket per key: each key starts with `bucket_size` tokens, each call takes one,
/// `refill_rate` tokens come back per whole `refill_interval` (fractions carry over), at most
/// `bucket_size`. The call that empties a bucket is already limited, as in posthog-js.
#[derive(Debug)]
pub struct BucketedRateLimiter {
    bucket_size: f64,
    refill_rate: f64,
    refill_interval: f64,
    started: Instant,
    buckets: Mutex<HashMap<String, Bucket>>,
}

fn clamp(value: f64, min: f64, max: f64, label: &str) -> f64 {
    if value.is_nan() {
        tracing::warn!("{label} must be a number. Using max value {max}.");
        return max;
    }
    if value > max {
        tracing::warn!("{label} cannot be greater than {max}. Using {max}.");
        return max;
    }
    if value < min {
        tracing::warn!("{label} cannot be less than {min}. Using {min}.");
        return min;
    }
    value
}

impl BucketedRateLimiter {
    /// A limiter; the values are clamped as posthog-python clamps them (`bucket_size` to
    /// 0–100, `refill_rate` to 0–`bucket_size`, the interval to 0–86 400 s).
    pub fn new(bucket_size: f64, refill_rate: f64, refill_interval_secs: f64) -> Self {
        let bucket_size = clamp(bucket_size, 0.0, MAX_BUCKET_SIZE, "bucket_size");
        BucketedRateLimiter {
            bucket_size,
            refill_rate: clamp(refill_rate, 0.0, bucket_size, "refill_rate"),
            refill_interval: clamp(
                refill_interval_secs,
                0.0,
                MAX_REFILL_INTERVAL,
                "refill_interval_seconds",
            ),
            started: Instant::now(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key` now; `true` when the capture is to be skipped.
    pub fn consume(&self, key: &str) -> bool {
        self.consume_at(key, self.started.elapsed().as_secs_f64())
    }

    /// [`BucketedRateLimiter::consume`] at `now` (seconds on any monotonic clock).
    pub fn consume_at(&self, key: &str, now: f64) -> bool {
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let bucket = match buckets.entry(key.to_string()) {
            Entry::Occupied(e) => {
                let b = e.into_mut();
                self.refill(b, now);
                b
            }
            Entry::Vacant(e) => e.insert(Bucket {
                tokens: self.bucket_size,
                last_access: now,
            }),
        };
        if bucket.tokens <= 0.0 {
            return true;
        }
        bucket.tokens -= 1.0;
        bucket.tokens <= 0.0
    }

    fn refill(&self, bucket: &mut Bucket, now: f64) {
        if self.refill_interval <= 0.0 {
            bucket.tokens = self.bucket_size;
            bucket.last_access = now;
            return;
        }
        let intervals = ((now - bucket.last_access) / self.refill_interval).floor();
        if intervals > 0.0 {
            bucket.tokens = (bucket.tokens + intervals * self.refill_rate).min(self.bucket_size);
            bucket.last_access += intervals * self.refill_interval;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_limited_per_key_and_refills_by_whole_intervals() {
        let l = BucketedRateLimiter::new(3.0, 1.0, 10.0);
        assert!(!l.consume_at("ValueError", 0.0));
        assert!(!l.consume_at("ValueError", 0.0));
        assert!(
            l.consume_at("ValueError", 0.0),
            "the call that empties the bucket"
        );
        assert!(l.consume_at("ValueError", 9.9));
        assert!(
            !l.consume_at("KeyError", 9.9),
            "another key has its own bucket"
        );
        // One interval: one token back, taken and emptied at once.
        assert!(l.consume_at("ValueError", 10.5));
        // 2 more intervals (carried fraction: from 10.0): two tokens.
        assert!(!l.consume_at("ValueError", 30.0));
        assert!(l.consume_at("ValueError", 30.0));
    }

    #[test]
    fn values_are_clamped() {
        let l = BucketedRateLimiter::new(1000.0, f64::NAN, 0.0);
        assert_eq!(l.bucket_size, 100.0);
        assert_eq!(l.refill_rate, 100.0);
        assert!(!l.consume_at("k", 0.0));
        let zero = BucketedRateLimiter::new(0.0, 0.0, 10.0);
        assert!(
            zero.consume_at("k", 0.0),
            "an empty bucket limits everything"
        );
    }
}
