//! Integration tests of posthog-testserver, in one test binary.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod admin_activity;
mod admin_auth;
mod admin_flags;
mod admin_keys;
mod admin_query;
mod admin_query_api;
mod admin_resources;
mod admin_support;
mod binary;
mod control;
mod faults;
mod fixtures;
mod flags_control;
mod flags_definitions;
mod flags_remote;
mod http;
mod v1;
mod wire;
