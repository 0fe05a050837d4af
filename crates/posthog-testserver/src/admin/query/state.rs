//! Everything the query API keeps between requests.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use super::cache::QueryCache;
use super::status::AsyncQuery;
use crate::admin::settings::QueryThrottle;
use crate::admin::throttle::Windows;

/// The query API's state; reset restores [`QueryState::new`].
#[derive(Debug, Default)]
pub(crate) struct QueryState {
    pub(crate) cache: QueryCache,
    /// Async queries by id.
    pub(crate) asyncs: HashMap<String, AsyncQuery>,
    /// A HogQL query whose result has more rows than this answers 504 (PostHog's
    /// `ClickHouseQueryTimeOut`); `None`: no limit.
    pub(crate) max_rows: Option<usize>,
    /// How long a blocking query runs before it is computed (it holds a concurrency slot
    /// meanwhile), so concurrent requests can be tested.
    pub(crate) delay: Duration,
    /// Scripted failures of the next async submissions: `Some(message)` fails it with
    /// that `error_message` (400 on poll), `None` with `error_message: null` (500).
    pub(crate) failures: VecDeque<Option<String>>,
    /// The throttle classes and concurrency limit.
    pub(crate) throttle: QueryThrottle,
    pub(crate) windows: Windows,
    /// Blocking queries being computed.
    pub(crate) in_flight: u32,
}

impl QueryState {
    /// The defaults, with this throttle setting.
    pub(crate) fn new(throttle: QueryThrottle) -> QueryState {
        QueryState {
            throttle,
            ..QueryState::default()
        }
    }

    /// Queries running now: async ones not yet complete and blocking ones in flight.
    pub(crate) fn running(&self) -> u32 {
        let asyncs = self.asyncs.values().filter(|q| q.running()).count();
        u32::try_from(asyncs)
            .unwrap_or(u32::MAX)
            .saturating_add(self.in_flight)
    }
}
