//! Token counts read from a provider's usage report and the `$ai_*_tokens` properties they
//! become.

use super::{Api, Flavor};
use serde_json::{Map, Value, json};

/// The counts of one call. `None`: the provider did not report it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Usage {
    pub input: Option<i64>,
    pub output: Option<i64>,
    pub cache_read: Option<i64>,
    pub cache_creation: Option<i64>,
    pub reasoning: Option<i64>,
    pub web_search: Option<i64>,
    pub cache_reporting_exclusive: Option<bool>,
    /// The provider's usage object as reported (`$ai_usage`).
    pub raw: Option<Value>,
}

impl Usage {
    /// Adds `other`'s counts to these (posthog-python's incremental stream merge).
    pub fn add(&mut self, other: &Usage) {
        fn sum(a: &mut Option<i64>, b: Option<i64>) {
            if let Some(b) = b {
                *a = Some(a.unwrap_or(0) + b);
            }
        }
        sum(&mut self.input, other.input);
        sum(&mut self.output, other.output);
        sum(&mut self.cache_read, other.cache_read);
        sum(&mut self.cache_creation, other.cache_creation);
        sum(&mut self.reasoning, other.reasoning);
        if let Some(w) = other.web_search {
            self.web_search = Some(self.web_search.unwrap_or(0).max(w));
        }
        if other.cache_reporting_exclusive.is_some() {
            self.cache_reporting_exclusive = other.cache_reporting_exclusive;
        }
        if let Some(Value::Object(raw)) = &other.raw {
            let mut merged = match self.raw.take() {
                Some(Value::Object(m)) => m,
                _ => Map::new(),
            };
            for (k, v) in raw {
                merged.insert(k.clone(), v.clone());
            }
            self.raw = Some(Value::Object(merged));
        }
    }
}

/// A JSON integer as a count.
pub(crate) fn count(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_i64)
}

/// `obj[outer][inner]` as a count.
pub(crate) fn nested(obj: &Value, outer: &str, inner: &str) -> Option<i64> {
    count(obj.get(outer).and_then(|o| o.get(inner)))
}

/// Whether a caller's property overrides the SDK's token counts (`$ai_tokens_source`).
pub(crate) fn is_token_key(key: &str, flavor: Flavor) -> bool {
    matches!(
        key,
        "$ai_input_tokens"
            | "$ai_output_tokens"
            | "$ai_cache_read_input_tokens"
            | "$ai_cache_creation_input_tokens"
            | "$ai_total_tokens"
            | "$ai_reasoning_tokens"
    ) || (flavor == Flavor::Python
        && matches!(
            key,
            "$ai_cache_creation_5m_input_tokens" | "$ai_cache_creation_1h_input_tokens"
        ))
}

/// Inserts the token properties the official package sends for this kind of call.
pub(crate) fn insert_counts(
    p: &mut Map<String, Value>,
    u: &Usage,
    api: Api,
    flavor: Flavor,
    streamed: bool,
) {
    if let Some(n) = u.input {
        p.insert("$ai_input_tokens".into(), json!(n));
    }
    if api == Api::Embeddings {
        if flavor == Flavor::Node {
            if let Some(x) = u.cache_reporting_exclusive {
                p.insert("$ai_cache_reporting_exclusive".into(), json!(x));
            }
            if let Some(raw) = u.raw.as_ref().filter(|r| super::truthy(r)) {
                p.insert("$ai_usage".into(), raw.clone());
            }
        }
        return;
    }
    if let Some(n) = u.output {
        p.insert("$ai_output_tokens".into(), json!(n));
    }
    let positive = |p: &mut Map<String, Value>, key: &str, v: Option<i64>| {
        if let Some(n) = v.filter(|n| *n > 0) {
            p.insert(key.into(), json!(n));
        }
    };
    let reported = u.input.is_some() || u.output.is_some();
    match flavor {
        Flavor::Python if streamed && reported && api == Api::AnthropicMessages => {
            p.insert(
                "$ai_cache_read_input_tokens".into(),
                json!(u.cache_read.unwrap_or(0)),
            );
            p.insert(
                "$ai_cache_creation_input_tokens".into(),
                json!(u.cache_creation.unwrap_or(0)),
            );
            positive(p, "$ai_reasoning_tokens", u.reasoning);
        }
        Flavor::Python if streamed && reported => {
            p.insert(
                "$ai_cache_read_input_tokens".into(),
                json!(u.cache_read.unwrap_or(0)),
            );
            positive(p, "$ai_cache_creation_input_tokens", u.cache_creation);
            p.insert(
                "$ai_reasoning_tokens".into(),
                json!(u.reasoning.unwrap_or(0)),
            );
        }
        Flavor::Python => {
            positive(p, "$ai_cache_read_input_tokens", u.cache_read);
            positive(p, "$ai_cache_creation_input_tokens", u.cache_creation);
            if !streamed && let Some(x) = u.cache_reporting_exclusive {
                p.insert("$ai_cache_reporting_exclusive".into(), json!(x));
            }
            positive(p, "$ai_reasoning_tokens", u.reasoning);
        }
        Flavor::Node => {
            positive(p, "$ai_reasoning_tokens", u.reasoning);
            positive(p, "$ai_cache_read_input_tokens", u.cache_read);
            positive(p, "$ai_cache_creation_input_tokens", u.cache_creation);
        }
    }
    if (streamed || flavor == Flavor::Node)
        && let Some(x) = u.cache_reporting_exclusive
    {
        p.insert("$ai_cache_reporting_exclusive".into(), json!(x));
    }
    positive(p, "$ai_web_search_count", u.web_search);
    let raw = u.raw.as_ref().filter(|r| match flavor {
        Flavor::Python => !r.is_null(),
        Flavor::Node => super::truthy(r),
    });
    if let Some(raw) = raw {
        p.insert("$ai_usage".into(), raw.clone());
    }
}
