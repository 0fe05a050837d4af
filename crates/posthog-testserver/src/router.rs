//! The axum router: control routes under `/_test/`, everything else to [`crate::ingest`].

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::flags::control as flags_control;

use crate::admin::control as admin_control;
use crate::admin::query_control;
use crate::control;
use crate::ingest;
use crate::state::Shared;

/// Builds the application for one server.
pub(crate) fn build(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_test/events", get(control::events))
        .route("/_test/requests", get(control::requests))
        .route("/_test/stats", get(control::stats))
        .route("/_test/faults", post(control::faults))
        .route("/_test/reset", post(control::reset))
        .route("/_test/outage", post(control::outage))
        .route("/_test/wait", get(control::wait))
        .route("/_test/flags/definitions", post(flags_control::definitions))
        .route(
            "/_test/flags/overrides",
            post(flags_control::overrides).delete(flags_control::clear_overrides),
        )
        .route(
            "/_test/flags/quota_limited",
            post(flags_control::quota_limited),
        )
        .route(
            "/_test/flags/definitions_route_missing",
            post(flags_control::definitions_route_missing),
        )
        .route("/_test/keys", post(flags_control::keys))
        .route("/_test/events/generate", post(admin_control::generate))
        .route("/_test/admin/rate_limit", post(admin_control::rate_limit))
        .route("/_test/admin/query_cache", post(query_control::query_cache))
        .route("/_test/admin/query_limit", post(query_control::query_limit))
        .route("/_test/admin/project", post(query_control::project))
        .route(
            "/_test/admin/query_failures",
            post(query_control::query_failures),
        )
        .route(
            "/_test/admin/personal_api_keys",
            post(query_control::personal_api_keys),
        )
        .fallback(ingest::handle)
        .with_state(shared)
}
