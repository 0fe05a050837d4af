//! What a query submission asks: PostHog's `QueryRequest` (`query`, `refresh`, `async`,
//! `client_query_id`), for a `HogQLQuery`.

use serde_json::{Map, Value};

use crate::flags::api_error::ApiError;

/// PostHog's execution modes as the query endpoint uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Fresh cache, else compute now (`blocking`, the default; also `force_cache`,
    /// which the endpoint upgrades, and `async_except_on_cache_miss`, stale here being
    /// the same as missing).
    Blocking,
    /// Fresh cache, else compute asynchronously (`async`, `lazy_async`, legacy
    /// `"async": true`).
    Async,
    /// Always compute now, refreshing the cache (`force_blocking`, `true`).
    ForceBlocking,
    /// Always compute asynchronously (`force_async`).
    ForceAsync,
}

/// One HogQL submission.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Submission {
    pub(crate) text: String,
    pub(crate) values: Map<String, Value>,
    pub(crate) mode: Mode,
    pub(crate) client_query_id: Option<String>,
}

/// Whether a body's `query.kind` is `HogQLQuery` (what the legacy throttle looks at).
pub(crate) fn is_hogql(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .is_some_and(|v| v.pointer("/query/kind").and_then(Value::as_str) == Some("HogQLQuery"))
}

fn mode(body: &Map<String, Value>) -> Result<Mode, ApiError> {
    let legacy_async = body.get("async").and_then(Value::as_bool) == Some(true);
    let mode = match body.get("refresh") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Mode::Blocking,
        Some(Value::Bool(true)) => Mode::ForceBlocking,
        Some(Value::String(s)) => match s.as_str() {
            "blocking" | "force_cache" | "async_except_on_cache_miss" => Mode::Blocking,
            "async" | "lazy_async" => Mode::Async,
            "force_blocking" => Mode::ForceBlocking,
            "force_async" => Mode::ForceAsync,
            other => {
                return Err(ApiError::invalid(
                    "invalid_input",
                    Some("refresh"),
                    format!(
                        "Input should be 'async', 'async_except_on_cache_miss', 'blocking', 'force_async', 'force_blocking', 'force_cache' or 'lazy_async', got {other:?}"
                    ),
                ));
            }
        },
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid_input",
                Some("refresh"),
                "Input should be a valid boolean or string",
            ));
        }
    };
    Ok(if legacy_async { Mode::Async } else { mode })
}

/// Reads a submission body.
pub(crate) fn parse(body: &Map<String, Value>) -> Result<Submission, ApiError> {
    let Some(query) = body.get("query").and_then(Value::as_object) else {
        return Err(ApiError::invalid(
            "required",
            Some("query"),
            "This field is required.",
        ));
    };
    let kind = query
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if kind != "HogQLQuery" {
        return Err(ApiError::invalid(
            "invalid",
            None,
            format!(
                "Unsupported query kind: {}",
                if kind.is_empty() { "(none)" } else { &kind }
            ),
        ));
    }
    let Some(text) = query.get("query").and_then(Value::as_str) else {
        return Err(ApiError::invalid(
            "invalid_input",
            Some("query"),
            "A HogQLQuery needs a `query` string",
        ));
    };
    let values = match query.get("values") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(v)) => v.clone(),
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid_input",
                Some("values"),
                "`values` must be an object",
            ));
        }
    };
    let client_query_id = body
        .get("client_query_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    Ok(Submission {
        text: text.to_owned(),
        values,
        mode: mode(body)?,
        client_query_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn refresh_values_map_to_modes() {
        let q = json!({"kind": "HogQLQuery", "query": "SELECT 1"});
        let m =
            |refresh: Value| parse(&body(json!({"query": q, "refresh": refresh}))).map(|s| s.mode);
        assert_eq!(m(Value::Null), Ok(Mode::Blocking));
        assert_eq!(m(json!("async")), Ok(Mode::Async));
        assert_eq!(m(json!("force_async")), Ok(Mode::ForceAsync));
        assert_eq!(m(json!("force_blocking")), Ok(Mode::ForceBlocking));
        assert_eq!(m(json!(true)), Ok(Mode::ForceBlocking));
        assert_eq!(m(json!("sometimes")).map_err(|e| e.status), Err(400));
        let legacy = parse(&body(json!({"query": q, "async": true}))).map(|s| s.mode);
        assert_eq!(legacy, Ok(Mode::Async));
    }
}
