//! The control API of the private API, under `/_test/`: synthetic events and the rate
//! limits.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::db::{GenerateSpec, time};
use crate::state::Shared;

/// `POST /_test/events/generate`: `{"count": N, "event": "$pageview", "start": "<RFC 3339>",
/// "end": "<RFC 3339>", "distinct_ids": 1000}` (all but `count` optional: event
/// `$pageview`, the last 24 hours, 1000 distinct ids). Answers
/// `{"ok": true, "inserted": N, "elapsed_ms": ms}`.
pub(crate) async fn generate(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("invalid JSON: {e}")),
    };
    let Some(count) = value.get("count").and_then(Value::as_u64) else {
        return bad_request("`count` must be a non-negative integer".to_owned());
    };
    let now = Utc::now();
    let when = |name: &str, default: DateTime<Utc>| match value.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_str()
            .and_then(time::parse)
            .ok_or_else(|| format!("`{name}` must be an RFC 3339 time")),
    };
    let (start, end) = match (
        when("start", now - chrono::Duration::days(1)),
        when("end", now),
    ) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(m), _) | (_, Err(m)) => return bad_request(m),
    };
    let spec = GenerateSpec {
        count,
        event: value
            .get("event")
            .and_then(Value::as_str)
            .unwrap_or("$pageview")
            .to_owned(),
        start,
        end,
        distinct_ids: value
            .get("distinct_ids")
            .and_then(Value::as_u64)
            .unwrap_or(1000),
    };
    let began = std::time::Instant::now();
    match shared.with_db(|db| db.generate(&spec)) {
        Ok(inserted) => Json(json!({
            "ok": true,
            "inserted": inserted,
            "elapsed_ms": began.elapsed().as_millis() as u64,
        }))
        .into_response(),
        Err(e) => bad_request(e.to_string()),
    }
}

/// `POST /_test/admin/rate_limit`: `{"limit": n|null, "retry_after": secs, "query": …}`.
/// `limit` sets (and refills) the admin request budget, `retry_after` defaulting to the
/// options' value; the budget is left alone when only `query` is given. `query` sets the
/// query API's throttle classes (see [`super::query_control::query_throttle`]).
pub(crate) async fn rate_limit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(format!("invalid JSON: {e}")),
    };
    let query = match value.get("query") {
        None => None,
        Some(q) => match super::query_control::query_throttle(q) {
            Ok(t) => Some(t),
            Err(m) => return bad_request(m),
        },
    };
    let budget = value.get("limit").is_some() || query.is_none();
    let limit = match value.get("limit") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) => Some(n),
            None => return bad_request("`limit` must be a u32 or null".to_owned()),
        },
    };
    let retry_after = match value.get("retry_after") {
        None | Some(Value::Null) => shared.options.admin_retry_after_secs,
        Some(v) => match v.as_u64() {
            Some(n) => n,
            None => return bad_request("`retry_after` must be a number of seconds".to_owned()),
        },
    };
    if budget {
        shared.set_admin_rate_limit(limit, retry_after);
    }
    if let Some(q) = query {
        shared.set_query_throttle(q);
    }
    Json(json!({"ok": true, "limit": limit, "retry_after": retry_after})).into_response()
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}
