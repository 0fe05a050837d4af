//! The query cache: an answer computed for (query text, values) is served again while it
//! is younger than the TTL (PostHog's freshness threshold; 60 s here by default), even
//! when the data changed meanwhile.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

/// The default time an answer stays fresh.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// Cached answers by cache key.
#[derive(Debug, Clone)]
pub(crate) struct QueryCache {
    pub(crate) ttl: Duration,
    entries: HashMap<String, (Instant, Value)>,
}

impl Default for QueryCache {
    fn default() -> Self {
        QueryCache {
            ttl: DEFAULT_TTL,
            entries: HashMap::new(),
        }
    }
}

/// PostHog's `cache_key` of a HogQL query: `cache_` and a hash of the text and values.
pub(crate) fn cache_key(text: &str, values: &Map<String, Value>) -> String {
    let payload = format!("{text}\u{0}{}", Value::Object(values.clone()));
    let mut a = DefaultHasher::new();
    payload.hash(&mut a);
    let mut b = DefaultHasher::new();
    (payload.as_str(), 7u8).hash(&mut b);
    format!("cache_{:016x}{:016x}", a.finish(), b.finish())
}

impl QueryCache {
    /// The answer stored under `key` when still fresh.
    pub(crate) fn fresh(&self, key: &str, now: Instant) -> Option<Value> {
        self.entries
            .get(key)
            .filter(|(at, _)| now.duration_since(*at) < self.ttl)
            .map(|(_, body)| body.clone())
    }

    /// Stores (or refreshes) the answer of `key`.
    pub(crate) fn put(&mut self, key: String, body: Value, now: Instant) {
        self.entries.insert(key, (now, body));
    }

    /// Forgets every answer.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// Sets the TTL (entries already stored age against the new one).
    pub(crate) fn set_ttl(&mut self, ttl: Duration) {
        self.ttl = ttl;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_text_and_values_and_entries_expire() {
        let v = |x: i64| {
            let mut m = Map::new();
            m.insert("a".into(), x.into());
            m
        };
        assert_eq!(cache_key("q", &v(1)), cache_key("q", &v(1)));
        assert_ne!(cache_key("q", &v(1)), cache_key("q", &v(2)));
        assert_ne!(cache_key("q", &v(1)), cache_key("r", &v(1)));
        let mut c = QueryCache::default();
        let t0 = Instant::now();
        c.put("k".into(), Value::Bool(true), t0);
        assert!(c.fresh("k", t0 + Duration::from_secs(59)).is_some());
        assert!(c.fresh("k", t0 + Duration::from_secs(60)).is_none());
    }
}
