//! One integration test binary: the ingestion client against the local PostHog test server.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

mod batching;
mod delivery;
mod input;
mod queue;
mod retries;
mod wire;
