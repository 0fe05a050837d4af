//! Remote evaluation: `POST /flags/?v=2` (never `/decide`), both answer shapes, one retry on
//! transport errors, 502 and 504, and a short timeout of its own.

use super::options::FlagOptions;
use crate::client::Shared;
use crate::error::Error;
use crate::retry;
use crate::transport::{HttpRequest, HttpResponse, TransportFailure};
use posthog_flags::FlagValue;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// One flag as the server answered it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteFlag {
    /// `true`, `false` or the variant key.
    pub value: FlagValue,
    /// The payload, decoded from its JSON text (kept as a string when it is not JSON).
    pub payload: Option<Value>,
    /// The reason code, when the v2 answer gave one.
    pub reason: Option<String>,
    /// The reason's text (`"Matched condition set 1"`), when the v2 answer gave one.
    pub reason_description: Option<String>,
    /// The index of the matching condition, when given.
    pub condition_index: Option<u64>,
    /// The flag's id, when given.
    pub id: Option<i64>,
    /// The flag's version, when given.
    pub version: Option<i64>,
}

/// A whole `/flags` answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RemoteFlags {
    /// Flags by key.
    pub flags: HashMap<String, RemoteFlag>,
    /// The server's request id.
    pub request_id: Option<String>,
    /// The server hit errors computing some flags (those may be missing).
    pub errors_while_computing: bool,
    /// `quotaLimited` contains `feature_flags`: flags are unavailable (not false).
    pub quota_limited: bool,
    /// `evaluatedAt` of the answer (Unix ms), when given.
    pub evaluated_at: Option<i64>,
}

/// The request for `distinct_id`; `keys` limits the evaluation to those flags.
pub(crate) fn build_request(
    shared: &Shared,
    distinct_id: &str,
    opts: &FlagOptions,
    keys: Option<&[String]>,
) -> HttpRequest {
    let cfg = &shared.config;
    // posthog-python and posthog-node add each group's key to its properties (`$group_key`),
    // so a flag may filter on it; the caller's own value wins.
    let mut group_properties = opts.group_properties.clone();
    for (group_type, key) in &opts.groups {
        let entry = group_properties
            .entry(group_type.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(props) = entry {
            props.entry("$group_key").or_insert_with(|| match key {
                Value::String(s) => Value::String(s.clone()),
                other => Value::String(other.to_string()),
            });
        }
    }
    let mut body = json!({
        "api_key": shared.key().expose(),
        "distinct_id": distinct_id,
        "groups": Value::Object(opts.groups.clone()),
        "person_properties": Value::Object(opts.person_properties.clone()),
        "group_properties": Value::Object(group_properties),
        "geoip_disable": opts.disable_geoip.unwrap_or(cfg.disable_geoip),
    });
    if let Some(obj) = body.as_object_mut() {
        if let Some(keys) = keys {
            obj.insert("flag_keys_to_evaluate".into(), json!(keys));
        }
        if let Some(d) = &opts.device_id {
            obj.insert("device_id".into(), json!(d));
        }
        if cfg.profile == crate::profile::Profile::PosthogNode {
            // posthog-node tells the server which runtime evaluates.
            obj.insert("evaluation_runtime".into(), json!("server"));
        }
    }
    HttpRequest {
        method: "POST".into(),
        url: format!("{}/flags/?v=2", cfg.host),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            (
                "User-Agent".into(),
                format!("{}/{}", cfg.sdk_name, cfg.sdk_version),
            ),
        ],
        body: body.to_string().into_bytes(),
        timeout: cfg.flags_request_timeout,
        max_response_bytes: crate::transport::limits::FLAGS,
    }
}

/// Sends the request, retrying once at once when the request never reached flag evaluation
/// ([`retry::reached_no_server`]: no answer, or a gateway's 502/504).
pub(crate) async fn fetch(
    shared: &Shared,
    distinct_id: &str,
    opts: &FlagOptions,
    keys: Option<&[String]>,
) -> Result<RemoteFlags, Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let req = build_request(shared, distinct_id, opts, keys);
        let outcome = shared.config.transport.send(req).await;
        if retry::reached_no_server(&outcome) && attempt < 2 {
            continue;
        }
        return interpret(outcome, shared.config.clock.now());
    }
}

/// [`fetch`] giving the answer's JSON as the server sent it (only its status and a
/// quota limit checked), for `get_flags_decision`.
pub(crate) async fn fetch_json(
    shared: &Shared,
    distinct_id: &str,
    opts: &FlagOptions,
    keys: Option<&[String]>,
) -> Result<Value, Error> {
    let mut attempt = 0;
    let outcome = loop {
        attempt += 1;
        let req = build_request(shared, distinct_id, opts, keys);
        let outcome = shared.config.transport.send(req).await;
        if retry::reached_no_server(&outcome) && attempt < 2 {
            continue;
        }
        break outcome;
    };
    let body = match &outcome {
        Err(f) => return Err(retry::failure_error(f, "the /flags request")),
        Ok(r) if retry::class_of(&outcome) == retry::Class::Success => &r.body,
        Ok(r) => return Err(retry::response_error(r, shared.config.clock.now())),
    };
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| Error::Unexpected("the /flags answer is not JSON".into()))?;
    if !v.is_object() {
        return Err(Error::Unexpected(
            "the /flags answer is not an object".into(),
        ));
    }
    if v.get("quotaLimited")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|x| x == "feature_flags"))
    {
        return Err(Error::QuotaLimited(
            "feature flags are quota limited: no flag value is available".into(),
        ));
    }
    Ok(v)
}

fn interpret(
    outcome: Result<HttpResponse, TransportFailure>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<RemoteFlags, Error> {
    match &outcome {
        Err(f) => Err(retry::failure_error(f, "the /flags request")),
        Ok(r) if retry::class_of(&outcome) == retry::Class::Success => parse_response(&r.body),
        Ok(r) => Err(retry::response_error(r, now)),
    }
}

/// Parses a `/flags` answer, v2 (`flags`) or v1 (`featureFlags` + `featureFlagPayloads`).
pub fn parse_response(body: &[u8]) -> Result<RemoteFlags, Error> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| Error::Unexpected("the /flags answer is not JSON".into()))?;
    let Some(root) = v.as_object() else {
        return Err(Error::Unexpected(
            "the /flags answer is not an object".into(),
        ));
    };
    let mut out = RemoteFlags {
        request_id: root
            .get("requestId")
            .and_then(Value::as_str)
            .map(str::to_string),
        errors_while_computing: root
            .get("errorsWhileComputingFlags")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        quota_limited: root
            .get("quotaLimited")
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|x| x == "feature_flags")),
        evaluated_at: root.get("evaluatedAt").and_then(Value::as_i64),
        ..RemoteFlags::default()
    };
    if let Some(flags) = root.get("flags").and_then(Value::as_object) {
        for (key, f) in flags {
            out.flags.insert(key.clone(), parse_v2_flag(f));
        }
    } else if let Some(flags) = root.get("featureFlags").and_then(Value::as_object) {
        let empty = Map::new();
        let payloads = root
            .get("featureFlagPayloads")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (key, f) in flags {
            let value = match f {
                Value::Bool(b) => FlagValue::Bool(*b),
                Value::String(s) => FlagValue::Variant(s.clone()),
                _ => FlagValue::Bool(false),
            };
            out.flags.insert(
                key.clone(),
                RemoteFlag {
                    value,
                    payload: payloads.get(key).and_then(decode_payload),
                    reason: None,
                    reason_description: None,
                    condition_index: None,
                    id: None,
                    version: None,
                },
            );
        }
    }
    Ok(out)
}

fn parse_v2_flag(f: &Value) -> RemoteFlag {
    let enabled = f.get("enabled").and_then(Value::as_bool).unwrap_or(false);
    let value = match f.get("variant").and_then(Value::as_str) {
        Some(v) if enabled => FlagValue::Variant(v.to_string()),
        _ => FlagValue::Bool(enabled),
    };
    let meta = f.get("metadata");
    let reason = f.get("reason");
    RemoteFlag {
        value,
        payload: meta.and_then(|m| m.get("payload")).and_then(decode_payload),
        reason: reason
            .and_then(|r| r.get("code"))
            .and_then(Value::as_str)
            .map(str::to_string),
        reason_description: reason
            .and_then(|r| r.get("description"))
            .and_then(Value::as_str)
            .map(str::to_string),
        condition_index: reason
            .and_then(|r| r.get("condition_index"))
            .and_then(Value::as_u64),
        id: meta.and_then(|m| m.get("id")).and_then(Value::as_i64),
        version: meta.and_then(|m| m.get("version")).and_then(Value::as_i64),
    }
}

/// A payload is JSON text; decode it (a non-JSON text stays a string; `null` is none).
fn decode_payload(p: &Value) -> Option<Value> {
    match p {
        Value::Null => None,
        Value::String(s) => {
            Some(serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())))
        }
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_v2() {
        let body = br#"{"flags":{"a":{"key":"a","enabled":true,"variant":"test","reason":{"code":"condition_match","condition_index":1},"metadata":{"id":7,"version":3,"payload":"{\"x\":1}"}},"b":{"enabled":false,"variant":null,"metadata":{"payload":null}}},"errorsWhileComputingFlags":false,"requestId":"r1"}"#;
        let r = parse_response(body).unwrap();
        let a = &r.flags["a"];
        assert_eq!(a.value, FlagValue::Variant("test".into()));
        assert_eq!(a.payload, Some(json!({"x": 1})));
        assert_eq!(
            (a.id, a.version, a.condition_index),
            (Some(7), Some(3), Some(1))
        );
        assert_eq!(a.reason.as_deref(), Some("condition_match"));
        assert_eq!(r.flags["b"].value, FlagValue::Bool(false));
        assert_eq!(r.request_id.as_deref(), Some("r1"));
        assert!(!r.quota_limited);
    }

    #[test]
    fn parses_v1_and_quota() {
        let body = br#"{"featureFlags":{"a":true,"b":"v"},"featureFlagPayloads":{"b":"[1,2]","a":"plain"}}"#;
        let r = parse_response(body).unwrap();
        assert_eq!(r.flags["b"].value, FlagValue::Variant("v".into()));
        assert_eq!(r.flags["b"].payload, Some(json!([1, 2])));
        assert_eq!(r.flags["a"].payload, Some(json!("plain")));
        let q = parse_response(br#"{"flags":{},"quotaLimited":["feature_flags"]}"#).unwrap();
        assert!(q.quota_limited);
        assert!(parse_response(b"nope").is_err());
    }
}
