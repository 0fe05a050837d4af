//! The result of one `evaluate_flags` call: every flag's value with its metadata.

use super::remote::RemoteFlag;
use posthog_flags::{Evaluation, FlagValue};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One flag's value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagResult {
    /// `true`, `false` or a variant key.
    pub value: FlagValue,
    /// The payload for this value, decoded from JSON.
    pub payload: Option<Value>,
    /// Evaluated from local definitions (no request).
    pub locally_evaluated: bool,
    /// PostHog's reason code, when known.
    pub reason: Option<String>,
    /// The reason's text from `/flags` (`"Matched condition set 1"`), when given.
    pub reason_description: Option<String>,
    /// The flag's id, when known.
    pub id: Option<i64>,
    /// The flag's version, when known.
    pub version: Option<i64>,
    /// The `/flags` request id, for remote results.
    pub request_id: Option<String>,
}

impl FlagResult {
    pub(crate) fn local(ev: Evaluation) -> FlagResult {
        FlagResult {
            value: ev.value,
            payload: ev.payload,
            locally_evaluated: true,
            reason: Some(ev.reason),
            reason_description: None,
            id: Some(ev.flag_id),
            version: ev.version,
            request_id: None,
        }
    }

    pub(crate) fn remote(f: &RemoteFlag, request_id: Option<&String>) -> FlagResult {
        FlagResult {
            value: f.value.clone(),
            payload: f.payload.clone(),
            locally_evaluated: false,
            reason: f.reason.clone(),
            reason_description: f.reason_description.clone(),
            id: f.id,
            version: f.version,
            request_id: request_id.cloned(),
        }
    }
}

impl FlagResult {
    /// The result of `get_feature_flag_result` in the profile's shape
    /// ([`crate::profile::FlagResultShape`]).
    pub fn result_json(&self, profile: crate::Profile, key: &str) -> Value {
        match profile.rules().flag_result {
            crate::profile::FlagResultShape::Node => self.node_result_json(key),
            crate::profile::FlagResultShape::Python => {
                let variant = match &self.value {
                    FlagValue::Variant(v) => Value::String(v.clone()),
                    FlagValue::Bool(_) => Value::Null,
                };
                let reason = if self.locally_evaluated {
                    Value::Null
                } else {
                    self.reason_description
                        .clone()
                        .map_or(Value::Null, Value::String)
                };
                serde_json::json!({
                    "key": key,
                    "enabled": self.value.is_enabled(),
                    "variant": variant,
                    "payload": self.payload.clone().unwrap_or(Value::Null),
                    "reason": reason,
                })
            }
        }
    }

    /// The result as posthog-node's `getFeatureFlagResult` gives it: `{ key, enabled,
    /// variant?, payload?, reason, reasonCode? }` (`reason` is "Evaluated locally" for a local
    /// answer, else the server's text or code).
    pub fn node_result_json(&self, key: &str) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("key".into(), Value::String(key.to_string()));
        m.insert("enabled".into(), Value::Bool(self.value.is_enabled()));
        if let FlagValue::Variant(v) = &self.value {
            m.insert("variant".into(), Value::String(v.clone()));
        }
        match &self.payload {
            Some(p) => {
                m.insert("payload".into(), p.clone());
            }
            // A remote answer's missing payload is `null` to posthog-node.
            None if !self.locally_evaluated => {
                m.insert("payload".into(), Value::Null);
            }
            None => {}
        }
        let (reason, code) = if self.locally_evaluated {
            let code = self.reason.clone().filter(|r| r == "flag_disabled");
            (Some("Evaluated locally".to_string()), code)
        } else {
            (
                self.reason_description
                    .clone()
                    .or_else(|| self.reason.clone()),
                self.reason.clone(),
            )
        };
        if let Some(r) = reason {
            m.insert("reason".into(), Value::String(r));
        }
        if let Some(c) = code {
            m.insert("reasonCode".into(), Value::String(c));
        }
        Value::Object(m)
    }
}

/// Every evaluated flag of one distinct id, taken at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlagsSnapshot {
    /// Whom the flags were evaluated for.
    pub distinct_id: String,
    /// Decided flags by key.
    pub flags: BTreeMap<String, FlagResult>,
    /// Flags that could not be decided (local only, or absent from the answer), with the reason.
    pub unresolved: BTreeMap<String, String>,
    /// The `/flags` request id when the server was asked.
    pub request_id: Option<String>,
}

impl FlagsSnapshot {
    /// One flag's result.
    pub fn get(&self, key: &str) -> Option<&FlagResult> {
        self.flags.get(key)
    }
    /// One flag's value.
    pub fn value(&self, key: &str) -> Option<&FlagValue> {
        self.flags.get(key).map(|f| &f.value)
    }
    /// Whether a flag is on (`true` or any variant); `false` when unknown.
    pub fn is_enabled(&self, key: &str) -> bool {
        self.value(key).is_some_and(FlagValue::is_enabled)
    }
    /// One flag's payload.
    pub fn payload(&self, key: &str) -> Option<&Value> {
        self.flags.get(key).and_then(|f| f.payload.as_ref())
    }
    /// The keys of every decided flag.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.flags.keys().map(String::as_str)
    }
    /// The keys of every enabled flag, sorted.
    pub fn enabled_keys(&self) -> Vec<String> {
        self.flags
            .iter()
            .filter(|(_, f)| f.value.is_enabled())
            .map(|(k, _)| k.clone())
            .collect()
    }
    /// `$feature/<key>` for every flag and `$active_feature_flags`, for an event.
    pub fn event_properties(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for (k, f) in &self.flags {
            m.insert(format!("$feature/{k}"), f.value.to_json());
        }
        m.insert(
            "$active_feature_flags".into(),
            Value::Array(self.enabled_keys().into_iter().map(Value::String).collect()),
        );
        m
    }
}
