//! The axum router: control routes under `/_test/`, everything else to ingestion.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

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
        .route("/_test/wait", get(control::wait))
        .fallback(ingest::handle)
        .with_state(shared)
}
