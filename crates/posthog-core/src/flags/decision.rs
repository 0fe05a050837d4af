//! posthog-python's `get_flags_decision`: one `/flags` request and its answer, normalised to
//! the v2 shape (`{"flags": {key: record}, "requestId", …}`) whatever the server sent.

use super::options::FlagOptions;
use super::remote;
use crate::client::Client;
use crate::error::Error;
use serde_json::{Map, Value, json};

impl Client {
    /// Asks `/flags` for `distinct_id` (only `keys` when given) and answers its JSON: every
    /// top-level field the server sent, `requestId` (`null` when absent) and `flags` as v2
    /// records (`{key, enabled, variant, reason, metadata}`; a v1 answer's `featureFlags` and
    /// `featureFlagPayloads` become such records with only `metadata.payload`). Never
    /// evaluates locally and captures nothing. A disabled client answers
    /// [`empty_decision`] without a request. Every failure is an error, a quota limit too.
    pub fn get_flags_decision(
        &self,
        distinct_id: &str,
        opts: &FlagOptions,
        keys: Option<Vec<String>>,
    ) -> Result<Value, Error> {
        if distinct_id.is_empty() {
            return Err(Error::InvalidInput("distinct_id is empty".into()));
        }
        if self.config().disabled {
            return Ok(empty_decision());
        }
        let shared = self.shared().clone();
        let (did, o) = (distinct_id.to_string(), opts.clone());
        let bound = self.config().flags_request_timeout * 2 + std::time::Duration::from_secs(1);
        let raw = self.on_worker(
            async move { remote::fetch_json(&shared, &did, &o, keys.as_deref()).await },
            bound,
        )?;
        Ok(normalise(raw))
    }
}

/// The decision of a disabled client or a failed request (posthog-python's
/// `normalize_flags_response({})`).
pub fn empty_decision() -> Value {
    json!({"flags": {}, "requestId": null})
}

fn normalise(raw: Value) -> Value {
    let Value::Object(mut root) = raw else {
        return empty_decision();
    };
    if !root.contains_key("requestId") {
        root.insert("requestId".into(), Value::Null);
    }
    if root.get("flags").is_some_and(Value::is_object) {
        return Value::Object(root);
    }
    let values = root.remove("featureFlags");
    let payloads = root.remove("featureFlagPayloads");
    let empty = Map::new();
    let payloads = payloads
        .as_ref()
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut flags = Map::new();
    for (key, v) in values.as_ref().and_then(Value::as_object).unwrap_or(&empty) {
        let (enabled, variant) = match v {
            Value::String(s) => (Value::Bool(true), Value::String(s.clone())),
            other => (other.clone(), Value::Null),
        };
        flags.insert(
            key.clone(),
            json!({
                "key": key,
                "enabled": enabled,
                "variant": variant,
                "reason": null,
                "metadata": {"payload": payloads.get(key).cloned().unwrap_or(Value::Null)},
            }),
        );
    }
    root.insert("flags".into(), Value::Object(flags));
    Value::Object(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_both_shapes() {
        let v2 = json!({"flags": {"a": {"key": "a", "enabled": true}}, "errorsWhileComputingFlags": false});
        let n = normalise(v2);
        assert_eq!(n["requestId"], Value::Null);
        assert_eq!(n["flags"]["a"]["enabled"], true);
        assert_eq!(n["errorsWhileComputingFlags"], false);
        let v1 = json!({"featureFlags": {"a": true, "b": "v"}, "featureFlagPayloads": {"b": "[1]"},
            "requestId": "r"});
        let n = normalise(v1);
        assert_eq!(n["requestId"], "r");
        assert_eq!(n["flags"]["b"]["variant"], "v");
        assert_eq!(n["flags"]["b"]["enabled"], true);
        assert_eq!(n["flags"]["b"]["metadata"]["payload"], "[1]");
        assert_eq!(n["flags"]["a"]["variant"], Value::Null);
        assert!(n.get("featureFlags").is_none());
        assert_eq!(normalise(json!([1])), empty_decision());
    }
}
