//! Server options.

use crate::admin::settings::{PersonalApiKeys, QueryThrottle};

/// Which generation of PostHog's capture service the server imitates.
///
/// Only the behaviours listed as `version_specific` in the wire vectors differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// A 2025–2026 PostHog: extra routes (`/capture`, `/track`, `/engage`,
    /// `/i/v1/analytics/events`), tolerant `compression` query values, `?beacon=1` → 204,
    /// `data` query parameter read on `GET`, bare base64 bodies unwrapped, `ver` no longer an
    /// alias of `lib_version`.
    #[default]
    Current,
    /// The 2024 standalone Rust capture service that recorded `capture-wire.jsonl`:
    /// only `/e`, `/batch`, `/i/v0/e`; strict query parsing; no v1 route.
    Capture2024,
}

/// How a [`crate::TestServer`] is set up. Build one with struct update syntax over
/// [`ServerOptions::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOptions {
    /// The port to listen on, on `127.0.0.1`; 0 picks a free one.
    pub port: u16,
    /// Largest request body, counted in bytes as sent (before decompression); more is a 413.
    /// Default 20 MiB, as newer servers.
    pub max_body_bytes: usize,
    /// Largest single event, counted as its compact JSON after decompression; more is a 413
    /// on v0 and a `drop` result on v1. Default 1 MiB.
    pub max_event_bytes: usize,
    /// Which server generation to imitate. Default [`Profile::Current`].
    pub profile: Profile,
    /// The `Retry-After` seconds a v1 answer carries when some event is marked `retry`.
    /// Default 0, so client tests do not wait.
    pub v1_retry_after_secs: u64,
    /// Whether `/flags/definitions` answers 404, as servers older than that route do, so
    /// clients can test their fallback to `/api/feature_flag/local_evaluation/`. Default
    /// false; [`crate::TestServer::set_definitions_route_missing`] switches it at run time.
    pub definitions_route_missing: bool,
    /// The private API's request budget: `Some(n)` lets `n` admin requests pass, answers
    /// the next with a 429 (which refills the budget), and so on; `None` (default) never
    /// throttles. [`crate::TestServer::set_admin_rate_limit`] changes it at run time.
    pub admin_rate_limit: Option<u32>,
    /// The `Retry-After` seconds of those 429s. Default 1.
    pub admin_retry_after_secs: u64,
    /// The query API's throttle classes and concurrency limit. Default
    /// [`QueryThrottle::Off`]; [`crate::TestServer::set_query_throttle`] changes it.
    pub query_throttle: QueryThrottle,
    /// Which `/api/personal_api_keys/` generation is served. Default
    /// [`PersonalApiKeys::Current`]; [`crate::TestServer::set_personal_api_keys`] changes it.
    pub personal_api_keys: PersonalApiKeys,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            port: 0,
            max_body_bytes: 20 * 1024 * 1024,
            max_event_bytes: 1024 * 1024,
            profile: Profile::Current,
            v1_retry_after_secs: 0,
            definitions_route_missing: false,
            admin_rate_limit: None,
            admin_retry_after_secs: 1,
            query_throttle: QueryThrottle::Off,
            personal_api_keys: PersonalApiKeys::Current,
        }
    }
}

impl ServerOptions {
    /// Options that reproduce the recorded 2024 capture service exactly: 2 MiB body limit
    /// (2,097,152 bytes), no per-event limit, [`Profile::Capture2024`].
    pub fn capture_2024() -> Self {
        Self {
            max_body_bytes: 2_097_152,
            max_event_bytes: usize::MAX,
            profile: Profile::Capture2024,
            ..Self::default()
        }
    }
}
