//! A faithful local stand-in for PostHog's capture service and feature-flag endpoints,
//! for tests.
//!
//! [`TestServer`] is a real HTTP/1.1 server on `127.0.0.1`. It speaks the ingestion
//! contract of PostHog's capture service (v0 routes `/e`, `/batch`, `/i/v0/e`, … and the
//! v1 route `/i/v1/analytics/events`) and its feature-flag routes (`POST /flags`,
//! `GET /flags/definitions`, `GET /api/feature_flag/local_evaluation/`, evaluated with
//! `posthog-flags`), records every request and every stored event, and can be scripted
//! with [`Fault`]s (error statuses, latency, dropped connections, lost acknowledgements,
//! per-event v1 results), one queue per route family.
//!
//! It also serves PostHog's private API (personal API keys) under `/api/…`: feature
//! flags (the same state the flag routes serve), persons, cohorts, insights, annotations,
//! event and property definitions, batch exports, the activity log, personal API keys and
//! the query API (cache, async queries, throttles), answering a HogQL subset from an
//! in-memory SQLite database of every stored event. Its answers follow PostHog's own
//! (`fixtures/` holds real answers the tests compare against).
//!
//! It runs on its own background thread with its own tokio runtime, so plain `#[test]`
//! functions can use it. The `posthog-testserver` binary exposes the same server, with an
//! HTTP control API under `/_test/`, to tests written in other languages.
//!
//! ```
//! use posthog_testserver::{Fault, TestServer};
//! use std::time::Duration;
//!
//! let server = TestServer::spawn();
//! server.push_fault(Fault::status(503));
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! assert!(!server.wait_for_events(1, Duration::from_millis(10)));
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod admin;
mod control;
mod db;
mod error;
mod fault;
mod flags;
mod hogql;
mod ingest;
mod options;
mod records;
mod router;
mod server;
mod state;

pub use admin::settings::{PersonalApiKeys, QueryThrottle, Rate};
pub use error::Error;
pub use fault::Fault;
pub use options::{Profile, ServerOptions};
pub use records::{RecordedRequest, ServerStats, StoredEvent};
pub use server::TestServer;
