//! The client-side request budget: token buckets per minute and per hour for each class of
//! endpoint, so callers wait instead of bouncing off PostHog's 429s. Time goes through the
//! injected [`Clock`].

use super::options::{Limit, RateLimits};
use crate::clock::Clock;
use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::Duration;

/// Which of PostHog's rate limits an endpoint counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateClass {
    /// Most endpoints (flags, projects, cohorts, annotations, batch exports…).
    General,
    /// Analytics endpoints (insights, persons).
    Analytics,
    /// The query API.
    Query,
}

impl std::str::FromStr for RateClass {
    type Err = crate::error::Error;

    /// `"general"`, `"analytics"` or `"query"` (the names every binding takes).
    fn from_str(name: &str) -> Result<RateClass, Self::Err> {
        match name {
            "general" => Ok(RateClass::General),
            "analytics" => Ok(RateClass::Analytics),
            "query" => Ok(RateClass::Query),
            other => Err(crate::error::Error::InvalidInput(format!(
                "no rate class {other:?} (general, analytics, query)"
            ))),
        }
    }
}

/// One token bucket: `capacity` tokens, refilled continuously over `window`.
#[derive(Debug)]
struct Bucket {
    capacity: f64,
    per_sec: f64,
    tokens: f64,
    at: Option<DateTime<Utc>>,
}

impl Bucket {
    fn new(capacity: u32, window: Duration) -> Bucket {
        let capacity = f64::from(capacity.max(1));
        Bucket {
            capacity,
            per_sec: capacity / window.as_secs_f64(),
            tokens: capacity,
            at: None,
        }
    }

    fn refill(&mut self, now: DateTime<Utc>) {
        if let Some(at) = self.at {
            let secs = (now - at).to_std().unwrap_or(Duration::ZERO).as_secs_f64();
            self.tokens = (self.tokens + secs * self.per_sec).min(self.capacity);
        }
        self.at = Some(now);
    }

    /// After a 429 of the request just counted: lowers the capacity to what the server let
    /// through in the window (the limit it enforces); the bucket is empty afterwards.
    fn shrink_to_spent(&mut self, window: Duration, retry_after: Duration) {
        // What PostHog let through: what we spent, less the request it refused. Nothing let
        // through: the 429 came from others sharing the key, no lesson for us.
        let allowed = (self.capacity - self.tokens).floor() - 1.0;
        if allowed >= 1.0 && allowed < self.capacity {
            self.capacity = allowed;
            self.per_sec = allowed / window.as_secs_f64();
        }
        // The next token comes when PostHog said to retry (DRF's Retry-After paces the
        // requests left in its window), the later ones at the learnt rate.
        self.tokens = (1.0 - retry_after.as_secs_f64() * self.per_sec).clamp(0.0, 1.0);
    }

    /// How long until one token is there (zero when one is).
    fn wait(&self) -> Duration {
        if self.tokens >= 1.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec)
        }
    }
}

#[derive(Debug)]
struct Pair {
    minute: Bucket,
    hour: Bucket,
    blocked_until: Option<DateTime<Utc>>,
}

impl Pair {
    fn new(l: Limit) -> Pair {
        Pair {
            minute: Bucket::new(l.per_minute, Duration::from_secs(60)),
            hour: Bucket::new(l.per_hour, Duration::from_secs(3600)),
            blocked_until: None,
        }
    }
}

/// The budget of one client: three bucket pairs, or nothing when disabled.
#[derive(Debug)]
pub(crate) struct Budget {
    classes: Option<Mutex<[Pair; 3]>>,
}

fn index(c: RateClass) -> usize {
    match c {
        RateClass::General => 0,
        RateClass::Analytics => 1,
        RateClass::Query => 2,
    }
}

impl Budget {
    pub(crate) fn new(limits: Option<RateLimits>) -> Budget {
        Budget {
            classes: limits.map(|l| {
                Mutex::new([
                    Pair::new(l.general),
                    Pair::new(l.analytics),
                    Pair::new(l.query),
                ])
            }),
        }
    }

    /// Takes one token of `class`, waiting (through the clock) until there is one.
    pub(crate) async fn acquire(&self, class: RateClass, clock: &dyn Clock) {
        let Some(classes) = &self.classes else {
            return;
        };
        loop {
            let wait = {
                let mut all = classes.lock().unwrap_or_else(|p| p.into_inner());
                let pair = &mut all[index(class)];
                let now = clock.now();
                pair.minute.refill(now);
                pair.hour.refill(now);
                let blocked = pair
                    .blocked_until
                    .and_then(|t| (t - now).to_std().ok())
                    .unwrap_or(Duration::ZERO);
                let wait = pair.minute.wait().max(pair.hour.wait()).max(blocked);
                if wait.is_zero() {
                    pair.minute.tokens -= 1.0;
                    pair.hour.tokens -= 1.0;
                    pair.blocked_until = None;
                    return;
                }
                wait
            };
            tracing::debug!(?class, ?wait, "admin request budget exhausted; waiting");
            clock.sleep(wait).await;
        }
    }

    /// After a 429 our budget did not foresee: PostHog's limit for this team is lower than
    /// ours (older teams get 120 queries an hour, not 2 400), so the window the wait points at
    /// (an hour when it is longer than a minute, else a minute) shrinks to what was spent in
    /// it. Later calls wait instead of bouncing off the same 429.
    pub(crate) fn learn(&self, class: RateClass, retry_after: Option<Duration>, clock: &dyn Clock) {
        let Some(classes) = &self.classes else {
            return;
        };
        let mut all = classes.lock().unwrap_or_else(|p| p.into_inner());
        let pair = &mut all[index(class)];
        let now = clock.now();
        pair.minute.refill(now);
        pair.hour.refill(now);
        match retry_after {
            Some(d) if d > Duration::from_secs(60) => {
                pair.hour.shrink_to_spent(Duration::from_secs(3600), d);
            }
            Some(d) if !d.is_zero() => pair.minute.shrink_to_spent(Duration::from_secs(60), d),
            // A 429 without a wait (e.g. too many concurrent queries), or one that may be retried
            // at once, says nothing of the rate.
            _ => {}
        }
        tracing::debug!(
            ?class,
            per_minute = pair.minute.capacity,
            per_hour = pair.hour.capacity,
            "admin request budget lowered to PostHog's limit"
        );
    }

    /// The budget's limits of `class` now, per minute and per hour (`None` when disabled).
    pub(crate) fn limits(&self, class: RateClass) -> Option<(u32, u32)> {
        let all = self
            .classes
            .as_ref()?
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let pair = &all[index(class)];
        Some((pair.minute.capacity as u32, pair.hour.capacity as u32))
    }

    /// After a 429: nothing of `class` is sent before `after` has passed.
    pub(crate) fn block(&self, class: RateClass, after: Duration, clock: &dyn Clock) {
        let Some(classes) = &self.classes else {
            return;
        };
        let mut all = classes.lock().unwrap_or_else(|p| p.into_inner());
        let until = clock.now() + chrono::Duration::from_std(after).unwrap_or_default();
        let pair = &mut all[index(class)];
        pair.blocked_until = Some(pair.blocked_until.map_or(until, |t| t.max(until)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn waits_when_the_minute_is_spent() {
        let clock = ManualClock::new(Utc::now());
        let limits = RateLimits {
            general: Limit {
                per_minute: 2,
                per_hour: 100,
            },
            ..RateLimits::default()
        };
        let b = Budget::new(Some(limits));
        run(async {
            b.acquire(RateClass::General, &clock).await;
            b.acquire(RateClass::General, &clock).await;
            assert!(clock.sleeps().is_empty());
            b.acquire(RateClass::General, &clock).await;
            // one token comes back every 30 s
            let waited: Duration = clock.sleeps().iter().sum();
            assert!(waited >= Duration::from_secs(29) && waited <= Duration::from_secs(31));
            // the query class is separate
            b.acquire(RateClass::Query, &clock).await;
            assert_eq!(clock.sleeps().len(), 1);
        });
    }

    #[test]
    fn a_429_teaches_the_real_hourly_limit() {
        let clock = ManualClock::new(Utc::now());
        let b = Budget::new(Some(RateLimits::default()));
        run(async {
            for _ in 0..120 {
                b.acquire(RateClass::Query, &clock).await;
            }
        });
        assert_eq!(b.limits(RateClass::Query), Some((240, 2400)));
        b.learn(RateClass::Query, Some(Duration::from_secs(1800)), &clock);
        let (_, per_hour) = b.limits(RateClass::Query).unwrap();
        assert!((118..=119).contains(&per_hour), "{per_hour}");
        // a minute-long wait only lowers the minute
        run(async {
            for _ in 0..5 {
                b.acquire(RateClass::General, &clock).await;
            }
        });
        b.learn(RateClass::General, Some(Duration::from_secs(20)), &clock);
        assert_eq!(b.limits(RateClass::General), Some((4, 4800)));
        // no wait given, or a retry at once allowed: nothing learnt
        run(async {
            for _ in 0..5 {
                b.acquire(RateClass::Analytics, &clock).await;
            }
        });
        b.learn(RateClass::Analytics, None, &clock);
        b.learn(RateClass::Analytics, Some(Duration::ZERO), &clock);
        assert_eq!(b.limits(RateClass::Analytics), Some((240, 1200)));
    }

    #[test]
    fn after_a_lesson_the_next_request_waits_for_retry_after_only() {
        let clock = ManualClock::new(Utc::now());
        let b = Budget::new(Some(RateLimits::default()));
        run(async {
            for _ in 0..3 {
                b.acquire(RateClass::General, &clock).await;
            }
            b.learn(RateClass::General, Some(Duration::from_secs(1)), &clock);
            assert_eq!(b.limits(RateClass::General), Some((2, 4800)));
            b.acquire(RateClass::General, &clock).await;
            let waited: Duration = clock.sleeps().iter().sum();
            assert!(waited <= Duration::from_millis(1001), "{waited:?}");
            // the one after it comes at the learnt pace: two a minute
            b.acquire(RateClass::General, &clock).await;
            let waited: Duration = clock.sleeps().iter().sum();
            assert!(waited >= Duration::from_secs(29), "{waited:?}");
        });
    }

    #[test]
    fn a_429_blocks_the_class() {
        let clock = ManualClock::new(Utc::now());
        let b = Budget::new(Some(RateLimits::default()));
        b.block(RateClass::Query, Duration::from_secs(7), &clock);
        run(b.acquire(RateClass::Query, &clock));
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(7)]);
        let off = Budget::new(None);
        run(off.acquire(RateClass::Query, &clock));
    }
}
