//! The HTTP control API under `/_test/`, for tests that run the binary.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::fault::{Fault, FaultRoute};
use crate::records::{RecordedRequest, ServerStats, StoredEvent};
use crate::state::Shared;

/// Longest a `/_test/wait` call may block.
const MAX_WAIT: Duration = Duration::from_secs(600);

/// `GET /_test/events`: every stored event.
pub(crate) async fn events(State(shared): State<Arc<Shared>>) -> Json<Vec<StoredEvent>> {
    Json(shared.events())
}

/// `GET /_test/requests`: every recorded request.
pub(crate) async fn requests(State(shared): State<Arc<Shared>>) -> Json<Vec<RecordedRequest>> {
    Json(shared.requests())
}

/// `GET /_test/stats`: the counters.
pub(crate) async fn stats(State(shared): State<Arc<Shared>>) -> Json<ServerStats> {
    Json(shared.stats())
}

/// `POST /_test/faults`: a JSON array of faults (or one fault object) to queue, each with
/// an optional `"route"`: `capture` (default), `flags` or `definitions`.
pub(crate) async fn faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(err) => return bad_request(format!("invalid JSON: {err}")),
    };
    let items = match value {
        Value::Array(items) => items,
        single => vec![single],
    };
    let parsed: Result<Vec<(FaultRoute, Fault)>, String> = items
        .iter()
        .map(|item| Ok((FaultRoute::from_json(item)?, Fault::from_json(item)?)))
        .collect();
    match parsed {
        Ok(faults) => {
            let queued = faults.len();
            let mut pending = shared.stats().faults_pending as usize;
            for (route, fault) in faults {
                pending = shared.push_faults(route, [fault]);
            }
            Json(json!({"queued": queued, "pending": pending})).into_response()
        }
        Err(err) => bad_request(err),
    }
}

/// `POST /_test/outage`: `{"seconds": S, "status": 503}` — every ingestion request is
/// answered with `status` (default 503) and stores nothing for the next S seconds.
pub(crate) async fn outage(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(err) => return bad_request(format!("invalid JSON: {err}")),
    };
    let Some(secs) = value["seconds"]
        .as_f64()
        .filter(|s| s.is_finite() && *s >= 0.0)
    else {
        return bad_request("\"seconds\" must be a number of seconds".into());
    };
    let status = value["status"].as_u64().unwrap_or(503);
    let Ok(status) = u16::try_from(status) else {
        return bad_request("\"status\" must be an HTTP status".into());
    };
    shared.set_outage(std::time::Duration::from_secs_f64(secs), status);
    Json(json!({"ok": true})).into_response()
}

/// `POST /_test/reset`: clears everything. The body is read (and ignored) so a client that
/// sends one can keep its connection alive.
pub(crate) async fn reset(State(shared): State<Arc<Shared>>, _body: Bytes) -> Json<Value> {
    shared.reset();
    Json(json!({"ok": true}))
}

/// Parameters of `/_test/wait`.
#[derive(Debug, Deserialize)]
pub(crate) struct WaitParams {
    events: Option<usize>,
    requests: Option<usize>,
    timeout_ms: Option<u64>,
}

/// `GET /_test/wait?events=N&requests=M&timeout_ms=T`: long-polls until at least N events
/// (and M requests) are recorded, or T ms (default 5000) pass.
pub(crate) async fn wait(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<WaitParams>,
) -> Json<Value> {
    let want_events = params.events.unwrap_or(0);
    let want_requests = params.requests.unwrap_or(0);
    let timeout = Duration::from_millis(params.timeout_ms.unwrap_or(5000)).min(MAX_WAIT);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut changes = shared.subscribe();
    let ok = loop {
        changes.borrow_and_update();
        let (events, requests) = shared.counts();
        if events >= want_events && requests >= want_requests {
            break true;
        }
        match tokio::time::timeout_at(deadline, changes.changed()).await {
            Ok(Ok(())) => continue,
            _ => break false,
        }
    };
    let (events, requests) = shared.counts();
    Json(json!({"ok": ok, "events": events, "requests": requests}))
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}
