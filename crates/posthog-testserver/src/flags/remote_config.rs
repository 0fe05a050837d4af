//! `GET /api/projects/@current/feature_flags/{key or id}/remote_config?token=…`: the payload of
//! a remote-config flag, as PostHog answers it. The `Authorization: Bearer` key is a flags
//! secure key (`phs_…`) or a personal API key with `feature_flag:read` (the checks of the
//! definitions routes); the answer is the flag's `"true"` payload as stored — JSON text, so
//! the body is a JSON string — or `null` when it has none. A flag that does not exist, or is
//! not a remote-config flag (`"is_remote_configuration": true` in its definition), is a 404
//! with an empty body, as PostHog's view answers.

use std::sync::Arc;

use serde_json::Value;

use super::{auth, definitions};
use crate::ingest::{Input, empty, json};
use crate::state::Shared;

/// The prefix and suffix of the route; the flag's key or id is between them.
const PREFIX: &str = "/api/projects/@current/feature_flags/";
const SUFFIX: &str = "/remote_config";

/// The flag key (or id) of a remote-config path, percent-decoded, when `path` is one.
pub(crate) fn flag_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix(PREFIX)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let raw = rest.strip_suffix(SUFFIX)?;
    if raw.is_empty() || raw.contains('/') {
        return None;
    }
    let pairs = crate::ingest::decode::url_pairs(format!("k={raw}").as_bytes());
    pairs.into_iter().next().map(|(_, v)| v)
}

/// Answers one remote-config request (faults are already applied).
pub(crate) fn handle(shared: &Arc<Shared>, input: &Input<'_>) -> Response {
    let (loaded, checked) = shared.with_flags(|flags| {
        let checked = auth::check(input.header("authorization"), &flags.keys);
        (Arc::clone(&flags.loaded), checked)
    });
    if let Err(err) = checked.and_then(|()| definitions::require_token(input.query)) {
        return json(err.status, &err.body());
    }
    let Some(wanted) = flag_of(input.path) else {
        return empty(404);
    };
    match payload_of(loaded.json(), &wanted) {
        Some(payload) => json(200, &payload),
        None => empty(404),
    }
}

type Response = axum::response::Response;

/// The answer for flag `wanted` (a key, or an id when all digits): `None` is a 404.
fn payload_of(definitions: &Value, wanted: &str) -> Option<Value> {
    let by_id = !wanted.is_empty() && wanted.bytes().all(|b| b.is_ascii_digit());
    let flag = definitions
        .get("flags")?
        .as_array()?
        .iter()
        .filter(|f| !f.get("deleted").and_then(Value::as_bool).unwrap_or(false))
        .find(|f| {
            if by_id {
                f.get("id").and_then(Value::as_i64).map(|i| i.to_string()) == Some(wanted.into())
            } else {
                f.get("key").and_then(Value::as_str) == Some(wanted)
            }
        })?;
    if flag.get("is_remote_configuration").and_then(Value::as_bool) != Some(true) {
        return None;
    }
    let payload = flag
        .get("filters")
        .and_then(|f| f.get("payloads"))
        .and_then(|p| p.get("true"));
    // PostHog stores payloads as JSON text and answers `payloads["true"] or None`.
    Some(match payload {
        Some(Value::String(s)) if !s.is_empty() => Value::String(s.clone()),
        Some(Value::Null) | None => Value::Null,
        Some(Value::String(_)) => Value::Null,
        Some(other) => Value::String(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths() {
        assert_eq!(
            flag_of("/api/projects/@current/feature_flags/my-flag/remote_config").as_deref(),
            Some("my-flag")
        );
        assert_eq!(
            flag_of("/api/projects/@current/feature_flags/a%2Fb%20c/remote_config/").as_deref(),
            Some("a/b c")
        );
        assert_eq!(
            flag_of("/api/projects/@current/feature_flags//remote_config"),
            None
        );
        assert_eq!(
            flag_of("/api/projects/@current/feature_flags/x/status"),
            None
        );
        assert_eq!(
            flag_of("/api/projects/2/feature_flags/x/remote_config"),
            None
        );
    }

    #[test]
    fn payloads() {
        let defs = json!({"flags": [
            {"id": 5, "key": "rc", "is_remote_configuration": true,
             "filters": {"payloads": {"true": "{\"a\": 1}"}}},
            {"id": 6, "key": "empty", "is_remote_configuration": true, "filters": {}},
            {"id": 7, "key": "plain", "filters": {"payloads": {"true": "1"}}},
        ]});
        assert_eq!(payload_of(&defs, "rc"), Some(json!("{\"a\": 1}")));
        assert_eq!(payload_of(&defs, "5"), Some(json!("{\"a\": 1}")));
        assert_eq!(payload_of(&defs, "empty"), Some(Value::Null));
        assert_eq!(payload_of(&defs, "plain"), None);
        assert_eq!(payload_of(&defs, "missing"), None);
    }
}
