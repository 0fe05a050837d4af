//! The admin client: PostHog's private API with a personal API key (`phx_…`).
//!
//! The key travels only as `Authorization: Bearer` to the configured origin (never in a URL or
//! a body, never to another origin a `next` link points at) and never shows in `Debug`, errors
//! or logs. Requests go through one path (`admin/http.rs`) that maps PostHog's error bodies, waits out
//! 429s, retries idempotent requests, keeps a client-side budget under PostHog's per-key rate
//! limits and caps concurrency. Lists are lazy [`Pager`]s; large reads stream through
//! [`AdminClient::export`].
//!
//! ```no_run
//! use posthog_core::admin::{AdminClient, AdminOptions, ProjectId};
//!
//! let admin = AdminClient::new(AdminOptions::new("phx_your_personal_key"))?;
//! println!("{:?}", admin.users().me()?.email);
//! for flag in admin.feature_flags().list(ProjectId::Current) {
//!     let flag = flag?;
//!     println!("{} active={}", flag.key, flag.active);
//! }
//! let rows = admin.query(
//!     ProjectId::Current,
//!     "SELECT event, count() FROM events WHERE timestamp > now() - INTERVAL 1 DAY AND event = {e} GROUP BY event",
//!     serde_json::json!({"e": "$pageview"}),
//! )?;
//! println!("{:?}", rows.results);
//! # Ok::<(), posthog_core::Error>(())
//! ```

mod activity;
mod annotations;
mod batch_exports;
mod budget;
mod client;
mod cohorts;
mod definitions;
pub mod export;
mod feature_flags;
pub(crate) mod http;
mod ids;
mod insights;
mod keys;
mod options;
mod pager;
mod persons;
mod projects;
mod query;
mod scopes;
mod users;

pub use activity::ActivityFilter;
pub use annotations::Annotations;
pub use batch_exports::BatchExports;
pub use budget::RateClass;
pub use client::AdminClient;
pub use cohorts::Cohorts;
pub use definitions::Definitions;
pub use export::{
    Checkpoint, ExportError, ExportFormat, ExportOptions, ExportReport, ExportSource, Position,
    open_output,
};
pub use feature_flags::{FeatureFlag, FeatureFlags, NewFeatureFlag};
pub use ids::ProjectId;
pub use insights::Insights;
pub use keys::{PersonalApiKey, PersonalApiKeys};
pub use options::{AdminConfig, AdminOptions, DEFAULT_ADMIN_HOST, KeyProvider, Limit, RateLimits};
pub use pager::Pager;
pub use persons::Persons;
pub use projects::{Project, Projects};
pub use query::{QueryOptions, QueryResult, QueryStatus};
pub use scopes::{OPERATIONS, Preflight, grants, required_scopes, scopes_for};
pub use users::{User, Users};
