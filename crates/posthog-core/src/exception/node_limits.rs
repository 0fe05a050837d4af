//! posthog-node's rate limit of autocaptured exceptions: always on, one bucket of 10 per
//! exception type, one token back every 10 s (`@posthog/core`'s defaults for
//! `BucketedRateLimiter` in posthog-node's error tracking).

use super::rate_limit::BucketedRateLimiter;

/// Autocaptured exceptions of one type before the limit.
pub const NODE_BUCKET_SIZE: f64 = 10.0;
/// Tokens given back per interval.
pub const NODE_REFILL_RATE: f64 = 1.0;
/// The refill interval, in seconds.
pub const NODE_REFILL_INTERVAL_SECS: f64 = 10.0;

/// The limiter posthog-node applies to autocaptured exceptions (explicit captures are not
/// limited), keyed by the first `$exception_list` entry's type.
pub fn node_autocapture_limiter() -> BucketedRateLimiter {
    BucketedRateLimiter::new(
        NODE_BUCKET_SIZE,
        NODE_REFILL_RATE,
        NODE_REFILL_INTERVAL_SECS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_of_a_type_then_one_per_ten_seconds() {
        let l = node_autocapture_limiter();
        let limited: Vec<bool> = (0..11).map(|_| l.consume_at("TypeError", 0.0)).collect();
        assert_eq!(limited.iter().filter(|x| !**x).count(), 9);
        assert!(!l.consume_at("RangeError", 0.0));
        assert!(
            l.consume_at("TypeError", 10.0),
            "one token back, taken and emptied"
        );
    }
}
