//! The flag-definitions cache provider: the interface through which many processes (workers
//! of one server, pods, serverless instances) share one fetch of the local-evaluation
//! definitions — posthog-python's `flag_definition_cache_provider` and posthog-node's
//! `flagDefinitionCacheProvider`, with the same four methods and the same poller protocol:
//!
//! 1. before each poll the poller asks [`FlagDefinitionCache::should_fetch_flag_definitions`]
//!    (a lock or lease: only one process should answer `true` per interval);
//! 2. `true`: it fetches from PostHog and, on new definitions (a 200, not a 304), hands them to
//!    [`FlagDefinitionCache::on_flag_definitions_received`] (store them, release the lock);
//! 3. `false`: it loads [`FlagDefinitionCache::get_flag_definitions`] instead; when the cache
//!    is empty and nothing is loaded yet, it fetches anyway (local evaluation needs something);
//! 4. [`FlagDefinitionCache::shutdown`] once when the client shuts down (release locks).
//!
//! Every failure of a provider is reported and never breaks evaluation: `should_fetch`
//! failing means fetch, `get` failing means fetch, `on_received` failing keeps the fetched
//! definitions in memory. Each call is bounded ([`CALL_TIMEOUT`]).
//!
//! The data is the definitions endpoint's JSON document: `{"flags": [...],
//! "group_type_mapping": {...}, "cohorts": {...}}` plus `minimal_flag_called_events` and
//! `property_matching_version` when known (and posthog-node's camelCase aliases in its
//! profile, [`crate::profile::Rules::cache_data_camel_aliases`]); a document with only the
//! aliases is read too.

use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The future a provider method returns; `Err` carries a description of the failure (it is
/// reported, never shown to PostHog).
pub type CacheFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// The longest a provider call may take before it counts as failed.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A store of flag definitions shared between processes (see the module documentation for
/// when each method is called). Implement it over Redis, a database, a file
/// ([`super::FileFlagDefinitionCache`])…
pub trait FlagDefinitionCache: Send + Sync {
    /// The cached definitions, `None` when the cache holds none (or they are stale).
    fn get_flag_definitions(&self) -> CacheFuture<'_, Option<Value>>;
    /// Whether this process should fetch from PostHog now (take the lock or lease).
    fn should_fetch_flag_definitions(&self) -> CacheFuture<'_, bool>;
    /// New definitions fetched by this process: store them and release the lock.
    fn on_flag_definitions_received(&self, data: Value) -> CacheFuture<'_, ()>;
    /// The client shuts down: release any lock, close connections. Called even when this
    /// process holds no lock.
    fn shutdown(&self) -> CacheFuture<'_, ()>;
    /// Told once, when the client starts, how often it polls (a lease can follow it).
    fn attach(&self, poll_interval: Duration) {
        let _ = poll_interval;
    }
}

/// The document handed to [`FlagDefinitionCache::on_flag_definitions_received`]: the
/// endpoint's fields that local evaluation reads, with posthog-node's aliases when `aliases`.
pub(crate) fn cache_document(endpoint: &Value, aliases: bool) -> Value {
    let empty = Value::Object(Map::new());
    let get = |k: &str| endpoint.get(k).filter(|v| !v.is_null());
    let mapping = get("group_type_mapping").cloned().unwrap_or(empty.clone());
    let minimal = get("minimal_flag_called_events").and_then(Value::as_bool) == Some(true);
    let mut m = Map::new();
    m.insert(
        "flags".into(),
        get("flags").cloned().unwrap_or(Value::Array(Vec::new())),
    );
    m.insert("group_type_mapping".into(), mapping.clone());
    m.insert("cohorts".into(), get("cohorts").cloned().unwrap_or(empty));
    m.insert("minimal_flag_called_events".into(), Value::Bool(minimal));
    match get("property_matching_version") {
        Some(v) => {
            m.insert("property_matching_version".into(), v.clone());
        }
        // posthog-python stores its current version, 1 (legacy matching) when absent.
        None if !aliases => {
            m.insert("property_matching_version".into(), Value::from(1));
        }
        None => {}
    }
    if aliases {
        m.insert("groupTypeMapping".into(), mapping);
        m.insert("minimalFlagCalledEvents".into(), Value::Bool(minimal));
        if let Some(v) = get("property_matching_version") {
            m.insert("propertyMatchingVersion".into(), v.clone());
        }
    }
    Value::Object(m)
}

/// A cached document in the endpoint's shape: snake_case fields win, camelCase aliases fill
/// what is missing. `None` when it is not an object with a `flags` list.
pub(crate) fn endpoint_document(cached: Value) -> Option<Value> {
    let Value::Object(mut m) = cached else {
        return None;
    };
    if !m.get("flags").is_some_and(Value::is_array) {
        return None;
    }
    for (snake, camel) in [
        ("group_type_mapping", "groupTypeMapping"),
        ("minimal_flag_called_events", "minimalFlagCalledEvents"),
        ("property_matching_version", "propertyMatchingVersion"),
    ] {
        let missing = m.get(snake).is_none_or(Value::is_null);
        if let Some(v) = m.remove(camel)
            && missing
        {
            m.insert(snake.into(), v);
        }
    }
    Some(Value::Object(m))
}

/// Runs one provider call, bounded by `bound`; a timeout is a failure.
pub(crate) async fn call<T>(
    what: &str,
    bound: Duration,
    fut: CacheFuture<'_, T>,
) -> Result<T, crate::Error> {
    match tokio::time::timeout(bound, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(crate::Error::Unexpected(format!(
            "the flag definitions cache provider's {what} failed: {e}"
        ))),
        Err(_) => Err(crate::Error::Timeout(format!(
            "the flag definitions cache provider's {what} took longer than {bound:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_round_trip() {
        let endpoint = json!({"flags": [{"key": "a"}], "group_type_mapping": {"0": "company"},
            "cohorts": {}, "property_matching_version": 2, "extra": 1});
        let node = cache_document(&endpoint, true);
        assert_eq!(node["groupTypeMapping"], json!({"0": "company"}));
        assert_eq!(node["minimalFlagCalledEvents"], json!(false));
        assert_eq!(node["propertyMatchingVersion"], json!(2));
        assert!(node.get("extra").is_none());
        let python = cache_document(&endpoint, false);
        assert!(python.get("groupTypeMapping").is_none());
        let bare = cache_document(&json!({"flags": []}), false);
        assert_eq!(bare["property_matching_version"], json!(1));
        assert!(
            cache_document(&json!({"flags": []}), true)
                .get("propertyMatchingVersion")
                .is_none()
        );
        assert_eq!(python["minimal_flag_called_events"], json!(false));
        let back = endpoint_document(node).unwrap();
        assert_eq!(back["group_type_mapping"], json!({"0": "company"}));
        assert!(back.get("groupTypeMapping").is_none());
        // An older posthog-node entry: only the camelCase alias.
        let old = json!({"flags": [], "groupTypeMapping": {"1": "team"}, "cohorts": {}});
        assert_eq!(
            endpoint_document(old).unwrap()["group_type_mapping"],
            json!({"1": "team"})
        );
        assert!(endpoint_document(json!({"cohorts": {}})).is_none());
        assert!(endpoint_document(json!([1])).is_none());
    }
}
