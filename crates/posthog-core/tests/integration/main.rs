//! One integration test binary: the client against the local PostHog test server.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

mod ai_lane;
mod batching;
mod bodies;
mod delivery;
mod disk_errors;
mod disk_tmpfs;
mod durable;
mod durable_overflow;
mod flags_local;
mod flags_remote;
mod flags_shared;
mod input;
mod mobile;
mod mobile_flags;
mod offline;
mod parsers;
mod profiles;
mod queue;
mod retries;
mod schedule;
mod wire;
