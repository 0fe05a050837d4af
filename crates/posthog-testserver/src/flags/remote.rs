//! `POST /flags` (`?v=2` → the v2 answer; no `v` or `v=1` → the v1 answer).

use std::sync::Arc;

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::evaluate::{FlagResult, Outcome, describe, evaluate};
use super::{query_param, request};
use crate::ingest::{Input, json};
use crate::state::Shared;

/// Answers one `/flags` request (a `POST`; faults are already applied).
pub(crate) fn handle(shared: &Arc<Shared>, input: &Input<'_>) -> Response {
    let request = match request::parse(input.body) {
        Ok(request) => request,
        Err(err) => return json(err.status, &err.body()),
    };
    let (loaded, overrides, quota_limited) = shared.with_flags(|flags| {
        (
            Arc::clone(&flags.loaded),
            flags.overrides.clone(),
            flags.quota_limited,
        )
    });
    let request_id = uuid::Uuid::new_v4().to_string();
    if quota_limited {
        return json(200, &quota_limited_body(&request_id));
    }
    let outcome = evaluate(&loaded, &overrides, &request);
    let v2 = query_param(input.query, "v")
        .and_then(|v| v.trim().parse::<u32>().ok())
        .is_some_and(|v| v >= 2);
    let body = if v2 {
        v2_body(&outcome, &request_id)
    } else {
        v1_body(&outcome)
    };
    json(200, &body)
}

/// The answer while the project is over its feature-flag quota.
fn quota_limited_body(request_id: &str) -> Value {
    json!({
        "flags": {},
        "featureFlags": {},
        "errorsWhileComputingFlags": false,
        "quotaLimited": ["feature_flags"],
        "requestId": request_id,
    })
}

/// A payload as the wire carries it: JSON text.
fn payload_text(payload: Option<&Value>) -> Value {
    payload.map_or(Value::Null, |p| Value::String(p.to_string()))
}

fn v2_body(outcome: &Outcome, request_id: &str) -> Value {
    let flags: Map<String, Value> = outcome
        .flags
        .iter()
        .map(|f| (f.key.clone(), v2_flag(f)))
        .collect();
    json!({
        "flags": flags,
        "errorsWhileComputingFlags": outcome.errors,
        "requestId": request_id,
    })
}

fn v2_flag(f: &FlagResult) -> Value {
    json!({
        "key": f.key,
        "enabled": f.enabled,
        "variant": f.variant,
        "reason": {
            "code": f.reason,
            "condition_index": f.condition_index,
            "description": describe(&f.reason, f.condition_index),
        },
        "metadata": {
            "id": f.id,
            "version": f.version,
            "payload": payload_text(f.payload.as_ref()),
        },
    })
}

fn v1_body(outcome: &Outcome) -> Value {
    let mut values = Map::new();
    let mut payloads = Map::new();
    for f in &outcome.flags {
        let value = match (&f.variant, f.enabled) {
            (Some(variant), true) => Value::String(variant.clone()),
            (_, enabled) => Value::Bool(enabled),
        };
        values.insert(f.key.clone(), value);
        if f.enabled && f.payload.is_some() {
            payloads.insert(f.key.clone(), payload_text(f.payload.as_ref()));
        }
    }
    json!({
        "featureFlags": values,
        "featureFlagPayloads": payloads,
        "errorsWhileComputingFlags": outcome.errors,
    })
}
