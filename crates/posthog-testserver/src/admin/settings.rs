//! Public switches of the private API: the query API's throttle classes and which
//! generation of the personal API key endpoints the server imitates.

use std::time::Duration;

/// A DRF throttle rate: `requests` per `period` (`"240/minute"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed in one period.
    pub requests: u32,
    /// The sliding window.
    pub period: Duration,
}

impl Rate {
    /// `requests` per `period`.
    pub fn new(requests: u32, period: Duration) -> Rate {
        Rate { requests, period }
    }

    /// Parses DRF's rate syntax: `N/s`, `N/m`, `N/h`, `N/d`, the period read from its
    /// first letter as DRF does (`"240/minute"`, `"2400/hour"`, `"5/sec"`).
    pub fn parse(text: &str) -> Option<Rate> {
        let (count, period) = text.trim().split_once('/')?;
        let requests = count.trim().parse().ok()?;
        let secs = match period.trim().chars().next()? {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return None,
        };
        Some(Rate::new(requests, Duration::from_secs(secs)))
    }
}

/// How the query API (`…/query/`) is throttled, as PostHog's `QueryViewSet.get_throttles`
/// and its per-team concurrency limiter decide. Applied after the key, the scope and the
/// general admin budget; each throttle keeps its own sliding window per personal API key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum QueryThrottle {
    /// No query throttle and no concurrency limit (the default, so bulk tests never wait).
    #[default]
    Off,
    /// A team on PostHog's legacy list: a HogQL submission is throttled by
    /// `HogQLQueryThrottle` (120/hour, scope `query`), every other query request (polls,
    /// cancels, other kinds) by the ClickHouse burst and sustained throttles (240/minute,
    /// 1200/hour); no concurrency limit.
    Legacy,
    /// A current team: `APIQueriesBurstThrottle` (240/minute) and
    /// `APIQueriesSustainedThrottle` (2400/hour) on every query request, and at most 3
    /// queries running at once.
    Current,
    /// These rates on every query request, and at most `max_concurrent` queries running
    /// at once (`None`: no limit).
    Custom {
        /// The throttle classes, each with its own window.
        rates: Vec<Rate>,
        /// The concurrency limit.
        max_concurrent: Option<u32>,
    },
}

/// Which generation of `/api/personal_api_keys/` the server imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PersonalApiKeys {
    /// PostHog now: `PersonalApiKeySelfAccessPermission`, so a request authenticated by
    /// a personal API key may only retrieve that key (`@current` or its own id); every
    /// other action is a 403 "This action does not support Personal API Key access".
    #[default]
    Current,
    /// An older PostHog: scope object `personal_api_key`, `read` for list and retrieve,
    /// `write` for create, update, delete and roll, enforced like any other resource.
    Legacy,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_drf_rates() {
        let minute = Duration::from_secs(60);
        assert_eq!(Rate::parse("240/minute"), Some(Rate::new(240, minute)));
        assert_eq!(
            Rate::parse("2400/hour"),
            Some(Rate::new(2400, Duration::from_secs(3600)))
        );
        assert_eq!(
            Rate::parse("5/s"),
            Some(Rate::new(5, Duration::from_secs(1)))
        );
        assert_eq!(Rate::parse("5/fortnight"), None);
        assert_eq!(Rate::parse("x/minute"), None);
    }
}
