//! DRF's `SimpleRateThrottle`, as PostHog's personal-API-key throttles use it: one
//! sliding window of request times per (scope, key); a request passes a throttle when
//! fewer than `requests` fall in the window (and is then recorded there); the wait of a
//! refused one is `period − (now − oldest)`; several refusals answer the longest wait.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::http::Method;

use super::settings::{QueryThrottle, Rate};

/// One throttle class: its cache scope and rate.
pub(crate) type Class = (String, Rate);

/// The windows of every (scope, key).
#[derive(Debug, Default)]
pub(crate) struct Windows {
    history: HashMap<(String, String), VecDeque<Instant>>,
}

impl Windows {
    /// Runs `classes` for a request by `key` at `now`, as DRF's `check_throttles`: every
    /// class is asked (passing ones record the request); `Some(wait)` when any refused,
    /// with the longest wait, rounded up to whole seconds.
    pub(crate) fn check(&mut self, classes: &[Class], key: &str, now: Instant) -> Option<u64> {
        let mut waits: Vec<Duration> = Vec::new();
        for (scope, rate) in classes {
            let history = self
                .history
                .entry((scope.clone(), key.to_owned()))
                .or_default();
            while history
                .back()
                .is_some_and(|t| now.duration_since(*t) >= rate.period)
            {
                history.pop_back();
            }
            if history.len() >= rate.requests as usize {
                let oldest = history.back().copied().unwrap_or(now);
                let available = (rate.requests as usize + 1).saturating_sub(history.len());
                let remaining = rate.period.saturating_sub(now.duration_since(oldest));
                waits.push(remaining / u32::try_from(available.max(1)).unwrap_or(1));
            } else {
                history.push_front(now);
            }
        }
        let longest = waits.into_iter().max()?;
        Some(ceil_secs(longest))
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

fn class(scope: &str, requests: u32, secs: u64) -> Class {
    (
        scope.to_owned(),
        Rate::new(requests, Duration::from_secs(secs)),
    )
}

/// The throttle classes of one query-API request: `hogql_submit` is a `POST` whose body
/// holds a `HogQLQuery` (only legacy teams tell it apart).
pub(crate) fn query_classes(setting: &QueryThrottle, method: &Method, hogql: bool) -> Vec<Class> {
    match setting {
        QueryThrottle::Off => Vec::new(),
        QueryThrottle::Legacy if *method == Method::POST && hogql => {
            vec![class("query", 120, 3600)]
        }
        QueryThrottle::Legacy => vec![
            class("clickhouse_burst", 240, 60),
            class("clickhouse_sustained", 1200, 3600),
        ],
        QueryThrottle::Current => vec![
            class("api_queries_burst", 240, 60),
            class("api_queries_sustained", 2400, 3600),
        ],
        QueryThrottle::Custom { rates, .. } => rates
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("custom_{i}"), *r))
            .collect(),
    }
}

/// How many queries may run at once under `setting` (`None`: no limit).
pub(crate) fn max_concurrent(setting: &QueryThrottle) -> Option<u32> {
    match setting {
        QueryThrottle::Current => Some(3),
        QueryThrottle::Custom { max_concurrent, .. } => *max_concurrent,
        QueryThrottle::Off | QueryThrottle::Legacy => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_refuses_then_recovers() {
        let mut w = Windows::default();
        let classes = [class("s", 2, 10)];
        let t0 = Instant::now();
        assert_eq!(w.check(&classes, "k", t0), None);
        assert_eq!(w.check(&classes, "k", t0 + Duration::from_secs(1)), None);
        assert_eq!(w.check(&classes, "k", t0 + Duration::from_secs(2)), Some(8));
        assert_eq!(w.check(&classes, "other", t0), None, "per key");
        assert_eq!(w.check(&classes, "k", t0 + Duration::from_secs(10)), None);
    }

    #[test]
    fn longest_wait_wins_and_passing_classes_record() {
        let mut w = Windows::default();
        let classes = [class("burst", 1, 60), class("sustained", 5, 3600)];
        let t0 = Instant::now();
        assert_eq!(w.check(&classes, "k", t0), None);
        assert_eq!(w.check(&classes, "k", t0), Some(60));
        let h = &w.history[&("sustained".to_owned(), "k".to_owned())];
        assert_eq!(
            h.len(),
            2,
            "the refused request still counts where it passed"
        );
    }
}
