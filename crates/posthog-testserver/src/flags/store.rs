//! The server's feature-flag state: definitions, ETag, overrides, switches, secret keys.

use std::collections::{BTreeMap, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, OnceLock};

use posthog_flags::Definitions;
use serde_json::Value;

/// The definitions a new or reset server serves: a realistic 53-flag response.
pub(crate) const DEFAULT_DEFINITIONS: &str = include_str!("../../data/flag_definitions.json");

/// The flags secure key every server knows.
pub(crate) const DEFAULT_SECURE_KEY: &str = "phs_testsecurekey";
/// The personal API key (scope `*`) every server knows.
pub(crate) const DEFAULT_PERSONAL_KEY: &str = "phx_testpersonalkey";

/// One set of definitions as served, with its ETag and (lazily) its parsed form.
/// Immutable: a change swaps the whole `Arc`.
pub(crate) struct Loaded {
    /// The answer body of the definitions endpoints.
    pub(crate) body: String,
    /// The `ETag` header value (quoted), derived from `body`.
    pub(crate) etag: String,
    json: Value,
    parsed: OnceLock<Result<Arc<Definitions>, String>>,
}

impl Loaded {
    /// Wraps a definitions JSON document; nothing is parsed yet.
    pub(crate) fn new(json: Value) -> Loaded {
        let body = json.to_string();
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        let etag = format!("\"{:016x}\"", hasher.finish());
        Loaded {
            body,
            etag,
            json,
            parsed: OnceLock::new(),
        }
    }

    /// The default definitions.
    pub(crate) fn default_definitions() -> Loaded {
        let json = serde_json::from_str(DEFAULT_DEFINITIONS).unwrap_or(Value::Null);
        Loaded::new(json)
    }

    /// The parsed definitions (parsed once, on first use). An evaluator error or panic
    /// becomes `Err` with a description, so a broken evaluator cannot kill the server.
    pub(crate) fn definitions(&self) -> Result<Arc<Definitions>, String> {
        self.parsed
            .get_or_init(|| {
                match catch_unwind(AssertUnwindSafe(|| Definitions::parse(&self.json))) {
                    Ok(Ok(defs)) => Ok(Arc::new(defs)),
                    Ok(Err(err)) => Err(err.to_string()),
                    Err(_) => Err("posthog-flags panicked while parsing definitions".to_owned()),
                }
            })
            .clone()
    }

    /// The definitions document as served.
    pub(crate) fn json(&self) -> &Value {
        &self.json
    }

    /// The flag keys of the JSON document, in order, from the raw JSON (needs no parser).
    pub(crate) fn raw_keys(&self) -> Vec<String> {
        self.json
            .get("flags")
            .and_then(Value::as_array)
            .map(|flags| {
                flags
                    .iter()
                    .filter_map(|f| f.get("key").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The id and version of a flag in the raw JSON.
    pub(crate) fn raw_meta(&self, key: &str) -> Option<(i64, Option<i64>)> {
        let flag = self
            .json
            .get("flags")?
            .as_array()?
            .iter()
            .find(|f| f.get("key").and_then(Value::as_str) == Some(key))?;
        let id = flag.get("id").and_then(Value::as_i64).unwrap_or(0);
        Some((id, flag.get("version").and_then(Value::as_i64)))
    }
}

/// A value the remote endpoint answers for a flag, whatever local evaluation says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Override {
    /// `true`, `false` or a variant key (a string).
    pub(crate) value: Value,
    /// The payload (any JSON), sent as JSON text.
    pub(crate) payload: Option<Value>,
}

/// Everything the flag routes read; reset restores [`FlagState::new`].
pub(crate) struct FlagState {
    pub(crate) loaded: Arc<Loaded>,
    pub(crate) overrides: BTreeMap<String, Override>,
    pub(crate) quota_limited: bool,
    pub(crate) definitions_route_missing: bool,
    /// Secret keys → scopes (scopes matter for personal keys only).
    pub(crate) keys: HashMap<String, Vec<String>>,
}

impl FlagState {
    /// The defaults: the embedded definitions, no overrides, no quota limit, the two
    /// default keys.
    pub(crate) fn new(definitions_route_missing: bool) -> FlagState {
        let keys = HashMap::from([
            (DEFAULT_SECURE_KEY.to_owned(), Vec::new()),
            (DEFAULT_PERSONAL_KEY.to_owned(), vec!["*".to_owned()]),
        ]);
        FlagState {
            loaded: Arc::new(Loaded::default_definitions()),
            overrides: BTreeMap::new(),
            quota_limited: false,
            definitions_route_missing,
            keys,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_definitions_are_json_with_53_flags() {
        let loaded = Loaded::default_definitions();
        assert_eq!(loaded.raw_keys().len(), 53);
        assert_eq!(loaded.raw_meta("rollout-000-pct"), Some((1001, Some(1))));
        assert!(loaded.etag.starts_with('"') && loaded.etag.len() == 18);
    }

    #[test]
    fn etag_follows_content() {
        let a = Loaded::new(serde_json::json!({"flags": []}));
        let b = Loaded::new(serde_json::json!({"flags": [], "cohorts": {}}));
        assert_ne!(a.etag, b.etag);
        assert_eq!(a.etag, Loaded::new(serde_json::json!({"flags": []})).etag);
    }
}
