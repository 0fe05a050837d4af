//! The control API of the flag state, under `/_test/`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::store::{Loaded, Override};
use crate::state::Shared;

/// `POST /_test/flags/definitions`: the body (any JSON) becomes the served definitions;
/// answers `{"ok": true, "etag": "…"}`.
pub(crate) async fn definitions(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let value = match parse(&body) {
        Ok(v) => v,
        Err(message) => return bad_request(message),
    };
    let loaded = Arc::new(Loaded::new(value));
    let etag = loaded.etag.clone();
    shared.with_flags(|flags| flags.loaded = loaded);
    Json(json!({"ok": true, "etag": etag})).into_response()
}

/// `POST /_test/flags/overrides`: `{"key": {"value": …, "payload": …}}` adds or replaces
/// overrides (`{"key": true}` is short for `{"value": true}`; `{"key": null}` removes one);
/// `DELETE /_test/flags/overrides` removes them all. Answers `{"ok": true, "overrides": n}`.
pub(crate) async fn overrides(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let object = match parse(&body).and_then(|v| object(v, "overrides")) {
        Ok(o) => o,
        Err(message) => return bad_request(message),
    };
    let mut changes = Vec::with_capacity(object.len());
    for (key, entry) in object {
        let change = match entry {
            Value::Null => None,
            Value::Object(mut o) => match o.remove("value") {
                Some(value) => Some(Override {
                    value,
                    payload: o.remove("payload").filter(|p| !p.is_null()),
                }),
                None => return bad_request(format!("override {key:?} has no \"value\"")),
            },
            value => Some(Override {
                value,
                payload: None,
            }),
        };
        changes.push((key, change));
    }
    let count = shared.with_flags(|flags| {
        for (key, change) in changes {
            match change {
                Some(over) => flags.overrides.insert(key, over),
                None => flags.overrides.remove(&key),
            };
        }
        flags.overrides.len()
    });
    Json(json!({"ok": true, "overrides": count})).into_response()
}

/// `DELETE /_test/flags/overrides`: removes every override.
pub(crate) async fn clear_overrides(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.with_flags(|flags| flags.overrides.clear());
    Json(json!({"ok": true, "overrides": 0}))
}

/// `POST /_test/flags/quota_limited`: `{"on": bool}`.
pub(crate) async fn quota_limited(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    switch(&body, |on| {
        shared.with_flags(|flags| flags.quota_limited = on)
    })
}

/// `POST /_test/flags/definitions_route_missing`: `{"on": bool}`.
pub(crate) async fn definitions_route_missing(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Response {
    switch(&body, |on| {
        shared.with_flags(|flags| flags.definitions_route_missing = on);
    })
}

/// `POST /_test/keys`: `{"phx_…": ["feature_flag:read"], "phs_…": []}` registers keys.
pub(crate) async fn keys(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let object = match parse(&body).and_then(|v| object(v, "keys")) {
        Ok(o) => o,
        Err(message) => return bad_request(message),
    };
    let mut keys = Vec::with_capacity(object.len());
    for (key, scopes) in object {
        let scopes = scopes.as_array().and_then(|items| {
            items
                .iter()
                .map(|s| s.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        });
        match scopes {
            Some(scopes) => keys.push((key, scopes)),
            None => return bad_request(format!("the scopes of {key:?} must be strings")),
        }
    }
    let registered = keys.len();
    shared.with_flags(|flags| flags.keys.extend(keys));
    Json(json!({"ok": true, "registered": registered})).into_response()
}

fn switch(body: &[u8], apply: impl FnOnce(bool)) -> Response {
    let on = match parse(body) {
        Ok(v) => v.get("on").and_then(Value::as_bool),
        Err(message) => return bad_request(message),
    };
    match on {
        Some(on) => {
            apply(on);
            Json(json!({"ok": true, "on": on})).into_response()
        }
        None => bad_request("expected {\"on\": true|false}".to_owned()),
    }
}

fn parse(body: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))
}

fn object(value: Value, what: &str) -> Result<Map<String, Value>, String> {
    match value {
        Value::Object(o) => Ok(o),
        other => Err(format!("{what} must be a JSON object, got {other}")),
    }
}

fn bad_request(message: String) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}
