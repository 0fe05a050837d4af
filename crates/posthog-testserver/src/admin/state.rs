//! The private API's own state (what the flag state and the database do not hold).

use std::collections::HashMap;

use serde_json::Value;

use super::activity::ActivityLog;
use super::insights;
use super::personal_keys::store::KeyStore;
use super::query::state::QueryState;
use super::settings::PersonalApiKeys;
use crate::options::ServerOptions;

/// The admin request budget: with a limit of `n`, `n` requests pass, the next one gets a
/// 429 (which refills the budget), then `n` pass again, and so on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RateLimit {
    limit: Option<u32>,
    remaining: u32,
    retry_after: u64,
}

impl RateLimit {
    /// A budget of `limit` requests (`None`: unlimited), `Retry-After: retry_after` on 429s.
    pub(crate) fn new(limit: Option<u32>, retry_after: u64) -> RateLimit {
        RateLimit {
            limit,
            remaining: limit.unwrap_or(0),
            retry_after,
        }
    }

    /// Spends one request: `None` when it passes, `Some(retry_after)` when throttled.
    pub(crate) fn take(&mut self) -> Option<u64> {
        let limit = self.limit?;
        if self.remaining > 0 {
            self.remaining -= 1;
            None
        } else {
            self.remaining = limit;
            Some(self.retry_after)
        }
    }
}

/// One batch export and its runs (oldest first).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BatchExport {
    pub(crate) export: Value,
    pub(crate) runs: Vec<Value>,
}

/// Everything reset restores.
pub(crate) struct AdminState {
    pub(crate) rate: RateLimit,
    pub(crate) cohorts: Vec<Value>,
    pub(crate) annotations: Vec<Value>,
    pub(crate) insights: Vec<Value>,
    pub(crate) batch_exports: Vec<BatchExport>,
    /// The query API: cache, async queries, limits, throttles.
    pub(crate) query: QueryState,
    /// The project's activity log (flag changes, person deletions).
    pub(crate) activity: ActivityLog,
    /// Flag id → `created_at` of flags created through the API.
    pub(crate) flag_created: HashMap<i64, String>,
    /// Flag id → the usage dashboard made with it.
    pub(crate) flag_dashboards: HashMap<i64, i64>,
    /// Usage dashboards made (one per flag created without
    /// `"_should_create_usage_dashboard": false`).
    pub(crate) dashboards_created: u64,
    /// Flag list calls made with a personal API key (PostHog bills each as a
    /// local-evaluation request).
    pub(crate) flag_list_requests: u64,
    /// The personal API keys' records.
    pub(crate) keys: KeyStore,
    /// Which `/api/personal_api_keys/` generation is served.
    pub(crate) personal_api_keys: PersonalApiKeys,
    /// The project's time zone: HogQL answers its DateTime columns in it.
    pub(crate) timezone: chrono_tz::Tz,
    /// The highest flag id ever handed out or seen (ids are never reused).
    pub(crate) max_flag_id: i64,
    next_id: i64,
}

impl AdminState {
    /// The defaults of these options: no cohorts or annotations, two insights, no
    /// exports, an empty activity log.
    pub(crate) fn new(options: &ServerOptions) -> AdminState {
        AdminState {
            rate: RateLimit::new(options.admin_rate_limit, options.admin_retry_after_secs),
            cohorts: Vec::new(),
            annotations: Vec::new(),
            insights: insights::seed(),
            batch_exports: Vec::new(),
            query: QueryState::new(options.query_throttle.clone()),
            activity: ActivityLog::default(),
            flag_created: HashMap::new(),
            flag_dashboards: HashMap::new(),
            dashboards_created: 0,
            flag_list_requests: 0,
            keys: KeyStore::default(),
            personal_api_keys: options.personal_api_keys,
            timezone: chrono_tz::Tz::UTC,
            max_flag_id: 0,
            next_id: 1,
        }
    }

    /// A fresh numeric id (cohorts, annotations, dashboards).
    pub(crate) fn next_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_refills_after_each_429() {
        let mut rate = RateLimit::new(Some(2), 3);
        let seen: Vec<Option<u64>> = (0..6).map(|_| rate.take()).collect();
        assert_eq!(seen, [None, None, Some(3), None, None, Some(3)]);
        let mut zero = RateLimit::new(Some(0), 1);
        assert_eq!(zero.take(), Some(1));
        assert_eq!(zero.take(), Some(1));
        assert_eq!(RateLimit::new(None, 1).take(), None);
    }
}
