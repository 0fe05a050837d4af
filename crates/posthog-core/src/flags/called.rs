//! De-duplication of `$feature_flag_called`: a bounded set that forgets its oldest entries
//! one by one (never a wholesale clear).

use super::snapshot::FlagResult;
use crate::error::Error;
use crate::profile::Profile;
use serde_json::{Map, Value};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

/// How many (distinct_id, key, response, groups) tuples are remembered.
pub const DEFAULT_CAPACITY: usize = 50_000;

/// Remembers which flag responses were already reported.
#[derive(Debug)]
pub struct CalledDedup {
    seen: HashSet<u64>,
    order: VecDeque<u64>,
    capacity: usize,
}

impl Default for CalledDedup {
    fn default() -> Self {
        CalledDedup::new(DEFAULT_CAPACITY)
    }
}

impl CalledDedup {
    /// An empty set remembering at most `capacity` entries.
    pub fn new(capacity: usize) -> CalledDedup {
        CalledDedup {
            seen: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records the tuple; `true` when it is new (so the event should be sent).
    pub fn first_time(
        &mut self,
        distinct_id: &str,
        key: &str,
        response: &str,
        groups: &str,
    ) -> bool {
        let mut h = DefaultHasher::new();
        (distinct_id, key, response, groups).hash(&mut h);
        let id = h.finish();
        if !self.seen.insert(id) {
            return false;
        }
        self.order.push_back(id);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    /// Entries remembered now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.order.len()
    }
}

/// What one flag lookup found, for its `$feature_flag_called`.
#[derive(Debug, Default)]
pub(crate) struct FlagCall<'a> {
    pub key: &'a str,
    pub result: Option<&'a FlagResult>,
    /// `$feature_flag_error` (comma-separated codes), when the lookup failed in part.
    pub error: Option<String>,
    /// `evaluatedAt` of the `/flags` answer.
    pub evaluated_at: Option<i64>,
    /// The `/flags` request id (also when the flag was missing from the answer).
    pub request_id: Option<String>,
    /// The client's clock now (Unix ms).
    pub now_ms: i64,
    /// When the local definitions were loaded (Unix ms).
    pub definitions_loaded_at: Option<i64>,
}

/// The `$feature_flag_error` code of a failed `/flags` request, as the profile's SDK names it:
/// posthog-python tells `api_error_<status>`, `timeout`, `connection_error` and
/// `quota_limited` apart; posthog-node reports every failure as `unknown_error`.
pub(crate) fn error_code(profile: Profile, e: &Error) -> String {
    if profile == Profile::PosthogNode {
        // A quota-limited answer is still an answer to posthog-node: the flag is missing from it.
        return match e {
            Error::QuotaLimited(_) => "quota_limited,flag_missing".into(),
            _ => "unknown_error".into(),
        };
    }
    match (e, e.status()) {
        (Error::QuotaLimited(_), _) => "quota_limited".into(),
        (_, Some(status)) => format!("api_error_{status}"),
        (Error::Timeout(_), _) => "timeout".into(),
        (Error::Transport(_), _) => "connection_error".into(),
        _ => "unknown_error".into(),
    }
}

/// The properties of `$feature_flag_called` in the profile's shape.
pub(crate) fn called_properties(profile: Profile, c: &FlagCall<'_>) -> Map<String, Value> {
    let shape = profile.rules().flag_called;
    let mut p = Map::new();
    let response = c.result.map(|r| r.value.to_json());
    let local = c.result.is_some_and(|r| r.locally_evaluated);
    let put = |p: &mut Map<String, Value>, k: &str, v: Option<Value>| {
        if let Some(v) = v {
            p.insert(k.to_string(), v);
        }
    };
    p.insert("$feature_flag".into(), Value::String(c.key.to_string()));
    match profile {
        Profile::PosthogNode => {
            // posthog-node leaves `undefined` fields out of the JSON.
            put(&mut p, "$feature_flag_response", response.clone());
            if let Some(r) = c.result {
                put(&mut p, "$feature_flag_id", r.id.map(Value::from));
                if !local {
                    // posthog-node copies `metadata.version`, `null` included.
                    p.insert(
                        "$feature_flag_version".into(),
                        r.version.map_or(Value::Null, Value::from),
                    );
                }
                let reason = if local {
                    Some("Evaluated locally".to_string())
                } else {
                    r.reason_description.clone().or_else(|| r.reason.clone())
                };
                put(&mut p, "$feature_flag_reason", reason.map(Value::String));
            }
            p.insert("locally_evaluated".into(), Value::Bool(local));
            put(&mut p, &format!("$feature/{}", c.key), response);
            let request_id = c
                .result
                .and_then(|r| r.request_id.clone())
                .or_else(|| c.request_id.clone());
            put(
                &mut p,
                "$feature_flag_request_id",
                request_id.map(Value::String),
            );
            let at = if local {
                Some(c.now_ms)
            } else {
                c.evaluated_at
            };
            put(&mut p, "$feature_flag_evaluated_at", at.map(Value::from));
            if local && shape.definitions_loaded_at {
                put(
                    &mut p,
                    "$feature_flag_definitions_loaded_at",
                    c.definitions_loaded_at.map(Value::from),
                );
            }
        }
        Profile::PosthogPython => {
            p.insert(
                "$feature_flag_response".into(),
                response.clone().unwrap_or(Value::Null),
            );
            p.insert("locally_evaluated".into(), Value::Bool(local));
            p.insert(
                format!("$feature/{}", c.key),
                response.unwrap_or(Value::Null),
            );
            if let Some(r) = c.result {
                if shape.payload {
                    put(&mut p, "$feature_flag_payload", r.payload.clone());
                }
                put(
                    &mut p,
                    "$feature_flag_request_id",
                    r.request_id.clone().map(Value::String),
                );
                if !local {
                    put(
                        &mut p,
                        "$feature_flag_evaluated_at",
                        c.evaluated_at.map(Value::from),
                    );
                    put(
                        &mut p,
                        "$feature_flag_reason",
                        r.reason_description.clone().map(Value::String),
                    );
                }
                // posthog-python leaves a 0 id or version out.
                put(
                    &mut p,
                    "$feature_flag_version",
                    r.version.filter(|v| *v != 0).map(Value::from),
                );
                put(
                    &mut p,
                    "$feature_flag_id",
                    r.id.filter(|v| *v != 0).map(Value::from),
                );
            } else {
                put(
                    &mut p,
                    "$feature_flag_request_id",
                    c.request_id.clone().map(Value::String),
                );
                if shape.evaluated_at {
                    put(
                        &mut p,
                        "$feature_flag_evaluated_at",
                        c.evaluated_at.map(Value::from),
                    );
                }
            }
        }
        Profile::Core | Profile::Mobile => {
            let response = response.unwrap_or(Value::Null);
            p.insert("$feature_flag_response".into(), response.clone());
            p.insert(format!("$feature/{}", c.key), response);
            p.insert("locally_evaluated".into(), Value::Bool(local));
            if let Some(r) = c.result {
                put(
                    &mut p,
                    "$feature_flag_request_id",
                    r.request_id.clone().map(Value::String),
                );
                put(
                    &mut p,
                    "$feature_flag_reason",
                    r.reason.clone().map(Value::String),
                );
                put(&mut p, "$feature_flag_version", r.version.map(Value::from));
                put(&mut p, "$feature_flag_id", r.id.map(Value::from));
            }
        }
    }
    if shape.error {
        put(
            &mut p,
            "$feature_flag_error",
            c.error.clone().map(Value::String),
        );
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use posthog_flags::FlagValue;
    use serde_json::json;

    fn remote() -> FlagResult {
        FlagResult {
            value: FlagValue::Variant("test".into()),
            payload: Some(json!({"a": 1})),
            locally_evaluated: false,
            reason: Some("condition_match".into()),
            reason_description: Some("Matched condition set 1".into()),
            id: Some(7),
            version: Some(3),
            request_id: Some("r1".into()),
        }
    }

    #[test]
    fn python_shape() {
        let r = remote();
        let c = FlagCall {
            key: "beta",
            result: Some(&r),
            evaluated_at: Some(1000),
            ..FlagCall::default()
        };
        assert_eq!(
            Value::Object(called_properties(Profile::PosthogPython, &c)),
            json!({"$feature_flag": "beta", "$feature_flag_response": "test",
                   "locally_evaluated": false, "$feature/beta": "test",
                   "$feature_flag_payload": {"a": 1}, "$feature_flag_request_id": "r1",
                   "$feature_flag_evaluated_at": 1000,
                   "$feature_flag_reason": "Matched condition set 1",
                   "$feature_flag_version": 3, "$feature_flag_id": 7})
        );
        let failed = FlagCall {
            key: "beta",
            error: Some(error_code(
                Profile::PosthogPython,
                &Error::from_status(500, b"{}", None, None),
            )),
            ..FlagCall::default()
        };
        assert_eq!(
            Value::Object(called_properties(Profile::PosthogPython, &failed)),
            json!({"$feature_flag": "beta", "$feature_flag_response": null,
                   "locally_evaluated": false, "$feature/beta": null,
                   "$feature_flag_error": "api_error_500"})
        );
    }

    #[test]
    fn node_shape() {
        let mut r = remote();
        r.locally_evaluated = true;
        let c = FlagCall {
            key: "beta",
            result: Some(&r),
            now_ms: 5,
            definitions_loaded_at: Some(4),
            ..FlagCall::default()
        };
        assert_eq!(
            Value::Object(called_properties(Profile::PosthogNode, &c)),
            json!({"$feature_flag": "beta", "$feature_flag_response": "test",
                   "$feature_flag_id": 7, "$feature_flag_reason": "Evaluated locally",
                   "locally_evaluated": true, "$feature/beta": "test",
                   "$feature_flag_request_id": "r1", "$feature_flag_evaluated_at": 5,
                   "$feature_flag_definitions_loaded_at": 4})
        );
        let failed = FlagCall {
            key: "beta",
            error: Some(error_code(
                Profile::PosthogNode,
                &Error::Timeout("x".into()),
            )),
            ..FlagCall::default()
        };
        assert_eq!(
            Value::Object(called_properties(Profile::PosthogNode, &failed)),
            json!({"$feature_flag": "beta", "locally_evaluated": false,
                   "$feature_flag_error": "unknown_error"})
        );
    }

    #[test]
    fn dedups_and_evicts_oldest_first() {
        let mut d = CalledDedup::new(3);
        assert!(d.first_time("u", "a", "true", "{}"));
        assert!(!d.first_time("u", "a", "true", "{}"));
        assert!(
            d.first_time("u", "a", "false", "{}"),
            "another response is new"
        );
        assert!(d.first_time("u", "b", "true", "{}"));
        assert!(d.first_time("v", "a", "true", "{}"));
        assert_eq!(d.len(), 3);
        // ("u","a","true") was the oldest and is forgotten; the others are still known.
        assert!(!d.first_time("v", "a", "true", "{}"));
        assert!(!d.first_time("u", "b", "true", "{}"));
        assert!(d.first_time("u", "a", "true", "{}"));
    }
}
