//! The admin client: against a scripted transport (every rule of the request path, no
//! network, no sleeping) and against the local PostHog test server.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod scripted;

mod export_fake;
mod fixtures;
mod live;
#[cfg(feature = "parquet")]
mod parquet_export;
mod parsers;
mod real_posthog;
mod request_path;
mod resources;
