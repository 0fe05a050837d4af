//! The control API of the query API and the personal API keys, under `/_test/admin/`:
//! cache TTL, row limit (504) and delay, scripted async failures, query throttles, and
//! which personal-API-key generation is served.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::settings::{PersonalApiKeys, QueryThrottle, Rate};
use crate::state::Shared;

fn parse(body: &Bytes) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}

/// `POST /_test/admin/query_cache`: `{"ttl_seconds": n}` sets how long an answer stays
/// fresh (default 60; 0 turns the cache off); `"clear": true` forgets every answer.
/// Answers `{"ok": true, "ttl_seconds": n}`.
pub(crate) async fn query_cache(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value = match parse(&body) {
        Ok(v) => v,
        Err(m) => return bad_request(m),
    };
    let ttl = match value.get("ttl_seconds") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64().filter(|s| s.is_finite() && *s >= 0.0) {
            Some(secs) => Some(Duration::from_secs_f64(secs)),
            None => return bad_request("`ttl_seconds` must be a non-negative number".into()),
        },
    };
    let clear = value.get("clear").and_then(Value::as_bool) == Some(true);
    let ttl = shared.with_admin(|admin, _| {
        if clear {
            admin.query.cache.clear();
        }
        if let Some(ttl) = ttl {
            admin.query.cache.set_ttl(ttl);
        }
        admin.query.cache.ttl
    });
    Json(json!({"ok": true, "ttl_seconds": ttl.as_secs_f64()})).into_response()
}

/// `POST /_test/admin/query_limit`: `{"max_rows": n|null, "delay_ms": n}` — a HogQL query
/// whose result has more than `max_rows` rows answers 504 `ClickHouseQueryTimeOut`
/// (`null`: no limit); each blocking query waits `delay_ms` (holding a concurrency slot)
/// before it runs. Members left out keep their value. Answers the settings.
pub(crate) async fn query_limit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value = match parse(&body) {
        Ok(v) => v,
        Err(m) => return bad_request(m),
    };
    let max_rows = match value.get("max_rows") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) => Some(Some(n)),
            None => return bad_request("`max_rows` must be a non-negative integer or null".into()),
        },
    };
    let delay = match value.get("delay_ms") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(ms) => Some(Duration::from_millis(ms)),
            None => return bad_request("`delay_ms` must be a non-negative integer".into()),
        },
    };
    let (max_rows, delay) = shared.with_admin(|admin, _| {
        if let Some(m) = max_rows {
            admin.query.max_rows = m;
        }
        if let Some(d) = delay {
            admin.query.delay = d;
        }
        (admin.query.max_rows, admin.query.delay)
    });
    Json(json!({"ok": true, "max_rows": max_rows, "delay_ms": delay.as_millis() as u64}))
        .into_response()
}

/// `POST /_test/admin/query_failures`: `[{"error_message": "text"}, {"error_message":
/// null}]` (or one object) — the next async submissions fail in this order: with that
/// message (the query's fault, the poll answers 400) or with `error_message: null` (an
/// internal error, 500). Answers `{"queued": n, "pending": m}`.
pub(crate) async fn query_failures(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value = match parse(&body) {
        Ok(v) => v,
        Err(m) => return bad_request(m),
    };
    let items = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    let mut failures = Vec::with_capacity(items.len());
    for item in &items {
        match item.get("error_message") {
            Some(Value::String(s)) => failures.push(Some(s.clone())),
            Some(Value::Null) => failures.push(None),
            _ => {
                return bad_request(
                    "each failure needs \"error_message\": a string or null".into(),
                );
            }
        }
    }
    let queued = failures.len();
    let pending = shared.with_admin(|admin, _| {
        admin.query.failures.extend(failures);
        admin.query.failures.len()
    });
    Json(json!({"queued": queued, "pending": pending})).into_response()
}

/// Reads the `"query"` member of `POST /_test/admin/rate_limit`: `"off"`, `"legacy"`,
/// `"current"`, `null` (off) or `{"rates": ["240/minute", …], "max_concurrent": n|null}`.
pub(crate) fn query_throttle(value: &Value) -> Result<QueryThrottle, String> {
    match value {
        Value::Null => Ok(QueryThrottle::Off),
        Value::String(s) => match s.as_str() {
            "off" => Ok(QueryThrottle::Off),
            "legacy" => Ok(QueryThrottle::Legacy),
            "current" => Ok(QueryThrottle::Current),
            other => Err(format!("unknown query throttle {other:?}")),
        },
        Value::Object(o) => {
            let rates = match o.get("rates") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|r| {
                        r.as_str().and_then(Rate::parse).ok_or_else(|| {
                            format!("bad rate {r}: use \"N/second|minute|hour|day\"")
                        })
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err("`rates` must be an array of strings".into()),
            };
            let max_concurrent = match o.get("max_concurrent") {
                None | Some(Value::Null) => None,
                Some(v) => Some(
                    v.as_u64()
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or("`max_concurrent` must be a u32 or null")?,
                ),
            };
            Ok(QueryThrottle::Custom {
                rates,
                max_concurrent,
            })
        }
        other => Err(format!("bad query throttle {other}")),
    }
}

/// `POST /_test/admin/personal_api_keys`: `{"version": "current"|"legacy"}` chooses the
/// `/api/personal_api_keys/` generation. Answers `{"ok": true, "version": …}`.
pub(crate) async fn personal_api_keys(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value = match parse(&body) {
        Ok(v) => v,
        Err(m) => return bad_request(m),
    };
    let version = match value.get("version").and_then(Value::as_str) {
        Some("current") => PersonalApiKeys::Current,
        Some("legacy") => PersonalApiKeys::Legacy,
        _ => return bad_request("`version` must be \"current\" or \"legacy\"".into()),
    };
    shared.with_admin(|admin, _| admin.personal_api_keys = version);
    let name = match version {
        PersonalApiKeys::Current => "current",
        PersonalApiKeys::Legacy => "legacy",
    };
    Json(json!({"ok": true, "version": name})).into_response()
}

/// `POST /_test/admin/project`: `{"timezone": "Europe/Berlin"}` sets the project's time zone
/// (IANA name): HogQL answers DateTime columns in it and reads offset-less times in it.
pub(crate) async fn project(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value = match parse(&body) {
        Ok(v) => v,
        Err(m) => return bad_request(m),
    };
    let tz: chrono_tz::Tz = match value
        .get("timezone")
        .and_then(Value::as_str)
        .map(str::parse)
    {
        Some(Ok(tz)) => tz,
        _ => return bad_request("`timezone` must be an IANA time zone name".into()),
    };
    shared.with_admin(|admin, _| admin.timezone = tz);
    Json(json!({"ok": true, "timezone": tz.name()})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_query_throttles() {
        assert_eq!(query_throttle(&json!("legacy")), Ok(QueryThrottle::Legacy));
        assert_eq!(query_throttle(&Value::Null), Ok(QueryThrottle::Off));
        assert_eq!(
            query_throttle(&json!({"rates": ["2/second"], "max_concurrent": 1})),
            Ok(QueryThrottle::Custom {
                rates: vec![Rate::new(2, Duration::from_secs(1))],
                max_concurrent: Some(1)
            })
        );
        assert!(query_throttle(&json!("sometimes")).is_err());
        assert!(query_throttle(&json!({"rates": ["2/fortnight"]})).is_err());
    }
}
