//! The query API (`POST /api/projects/{id}/query/`): HogQL with `values` placeholders,
//! blocking or async (poll, cancel).

use super::budget::RateClass;
use super::client::AdminClient;
use super::http::{AdminHttp, Call, Method, decode};
use super::ids::{ProjectId, segment};
use crate::error::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The answer to a HogQL query.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct QueryResult {
    /// The column names.
    #[serde(default)]
    pub columns: Vec<String>,
    /// The column types, as PostHog gives them: `[name, type]` pairs (e.g.
    /// `["uuid", "UUID"]`).
    #[serde(default)]
    pub types: Vec<Value>,
    /// The rows.
    #[serde(default)]
    pub results: Vec<Vec<Value>>,
    /// Whether more rows exist beyond PostHog's default limit. `None` (PostHog sends `null`)
    /// when the query has a `LIMIT` of its own: then only the row count tells.
    #[serde(default, rename = "hasMore")]
    pub has_more: Option<bool>,
    /// Every other field (`limit`, `offset`, `hogql`, `timings`…), kept as answered.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Optional extras of a query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOptions {
    /// Your id for the query: lets PostHog de-duplicate it and you cancel it.
    pub client_query_id: Option<String>,
    /// A name shown in PostHog's query log.
    pub name: Option<String>,
    /// Compute again instead of answering from PostHog's cache (`refresh: "force_blocking"` /
    /// `"force_async"`). Without it a query run again soon may get the earlier, cached rows
    /// (`is_cached: true` in the answer's `extra`).
    pub fresh: bool,
}

impl QueryOptions {
    /// The `refresh` mode PostHog is asked for.
    pub(crate) fn refresh(&self, asynchronous: bool) -> &'static str {
        match (asynchronous, self.fresh) {
            (false, false) => "blocking",
            (false, true) => "force_blocking",
            (true, false) => "async",
            (true, true) => "force_async",
        }
    }
}

/// The state of an async query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryStatus {
    /// The id to poll and cancel with (your `client_query_id` for an answer PostHog served
    /// at once from its cache).
    #[serde(default)]
    pub id: String,
    /// Whether the query finished (successfully or not).
    #[serde(default)]
    pub complete: bool,
    /// Whether it failed.
    #[serde(default)]
    pub error: bool,
    /// Why it failed.
    #[serde(default)]
    pub error_message: Option<String>,
    /// The full answer once complete.
    #[serde(default)]
    pub results: Option<Value>,
    /// Every other field, kept as answered.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl QueryStatus {
    /// The result of a completed query: `None` while running, an error if it failed.
    pub fn result(&self) -> Option<Result<QueryResult, Error>> {
        if !self.complete {
            return None;
        }
        if self.error {
            return Some(Err(match self.error_message.as_deref() {
                Some(msg) => query_failed(Some(msg)),
                // PostHog answers such a poll with 500: a failure of its own, not the query's.
                None => Error::Server {
                    status: 500,
                    detail: "the query failed inside PostHog (no reason given)".into(),
                    request_id: None,
                    retry_after_secs: None,
                },
            }));
        }
        Some(decode(
            self.results.clone().unwrap_or(Value::Null),
            "query result",
        ))
    }
}

/// A poll of an async query: PostHog answers 202 while it runs, 200 when done, and 400 (the
/// query's fault, with a message) or 500 (its own) with the `query_status` body when it failed.
fn poll_call(url: String) -> Call {
    Call::get(url, RateClass::Query).answering_errors()
}

fn query_failed(msg: Option<&str>) -> Error {
    Error::InvalidRequest {
        status: 400,
        detail: format!(
            "the query failed: {}",
            crate::redact::scrub(msg.unwrap_or("no reason given"))
        ),
        attr: None,
        request_id: None,
    }
}

/// Builds the body of a query request.
pub(crate) fn body(
    hogql: &str,
    values: &Value,
    refresh: &str,
    opts: &QueryOptions,
) -> Result<Value, Error> {
    let mut query = json!({ "kind": "HogQLQuery", "query": hogql });
    match values {
        Value::Null => {}
        Value::Object(m) if m.is_empty() => {}
        Value::Object(_) => query["values"] = values.clone(),
        _ => {
            return Err(Error::InvalidInput(
                "query values must be a JSON object of placeholder names".into(),
            ));
        }
    }
    let mut body = json!({ "query": query, "refresh": refresh });
    if let Some(id) = &opts.client_query_id {
        body["client_query_id"] = json!(id);
    }
    if let Some(name) = &opts.name {
        body["name"] = json!(name);
    }
    Ok(body)
}

/// Runs a blocking query (on the worker).
pub(crate) async fn run(
    http: &AdminHttp,
    project: ProjectId,
    body: Value,
) -> Result<QueryResult, Error> {
    let url = http.url(&project.path("query/"), &[]);
    let answer = http
        .send(Call::write(Method::Post, url, Some(body), RateClass::Query).read_only())
        .await?;
    decode(answer, "query result")
}

/// Reads the answer of an async submit or a poll: `{"query_status": …}`, or (an async submit
/// PostHog answered at once from its cache) the full result itself, complete.
pub(crate) fn status_of(answer: Value, id: Option<&str>) -> Result<QueryStatus, Error> {
    let Value::Object(mut m) = answer else {
        return decode(answer, "query status");
    };
    let status = m.remove("query_status").filter(|v| !v.is_null());
    let has_rows = m.contains_key("results") && m.contains_key("columns");
    let mut status = match status {
        Some(v) => decode::<QueryStatus>(v, "query status")?,
        None if has_rows => QueryStatus {
            id: String::new(),
            complete: true,
            error: false,
            error_message: None,
            results: None,
            extra: Map::new(),
        },
        None => return decode(Value::Object(m), "query status"),
    };
    if status.complete && !status.error && status.results.is_none() && has_rows {
        status.results = Some(Value::Object(m));
    }
    if status.id.is_empty() {
        status.id = id.unwrap_or_default().to_string();
    }
    Ok(status)
}

impl AdminClient {
    /// Runs a HogQL query and waits for its rows. `values` (a JSON object, or `Null`) fills the
    /// query's `{name}` placeholders: pass every outside value that way, never in the text.
    pub fn query(
        &self,
        project: impl Into<ProjectId>,
        hogql: &str,
        values: Value,
    ) -> Result<QueryResult, Error> {
        self.query_with(project, hogql, values, &QueryOptions::default())
    }

    /// [`AdminClient::query`] with a client query id or a name.
    pub fn query_with(
        &self,
        project: impl Into<ProjectId>,
        hogql: &str,
        values: Value,
        opts: &QueryOptions,
    ) -> Result<QueryResult, Error> {
        let body = body(hogql, &values, opts.refresh(false), opts)?;
        let http = self.inner.http.clone();
        let project = project.into();
        self.inner
            .run(async move { run(&http, project, body).await })
    }

    /// Starts a query in the background; poll it with [`AdminClient::query_status`] or
    /// [`AdminClient::wait_for_query`].
    pub fn query_async(
        &self,
        project: impl Into<ProjectId>,
        hogql: &str,
        values: Value,
        opts: &QueryOptions,
    ) -> Result<QueryStatus, Error> {
        let body = body(hogql, &values, opts.refresh(true), opts)?;
        let url = self.inner.http.url(&project.into().path("query/"), &[]);
        let answer = self
            .inner
            .send(Call::write(Method::Post, url, Some(body), RateClass::Query).read_only())?;
        status_of(answer, opts.client_query_id.as_deref())
    }

    /// The state of an async query.
    pub fn query_status(
        &self,
        project: impl Into<ProjectId>,
        id: &str,
    ) -> Result<QueryStatus, Error> {
        let path = project.into().path(&format!("query/{}/", segment(id)?));
        let answer = self
            .inner
            .send(poll_call(self.inner.http.url(&path, &[])))?;
        status_of(answer, Some(id))
    }

    /// Polls an async query (waits grow from 100 ms to 5 s, through the clock) until it
    /// completes, fails, or `timeout` has passed.
    pub fn wait_for_query(
        &self,
        project: impl Into<ProjectId>,
        id: &str,
        timeout: Duration,
    ) -> Result<QueryResult, Error> {
        let path = project.into().path(&format!("query/{}/", segment(id)?));
        let http: Arc<AdminHttp> = self.inner.http.clone();
        self.inner.run(async move {
            let url = http.url(&path, &[]);
            let mut waited = Duration::ZERO;
            let mut delay = Duration::from_millis(100);
            loop {
                let status = status_of(http.send(poll_call(url.clone())).await?, None)?;
                if let Some(r) = status.result() {
                    return r;
                }
                if waited >= timeout {
                    return Err(Error::Timeout(format!(
                        "the query did not finish within {timeout:?}"
                    )));
                }
                http.clock().sleep(delay).await;
                waited += delay;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        })
    }

    /// Cancels an async query; answers PostHog's message (`None` from servers that answer
    /// 204 without one).
    pub fn cancel_query(
        &self,
        project: impl Into<ProjectId>,
        id: &str,
    ) -> Result<Option<String>, Error> {
        let path = project.into().path(&format!("query/{}/", segment(id)?));
        let url = self.inner.http.url(&path, &[]);
        let answer = self
            .inner
            .send(Call::write(Method::Delete, url, None, RateClass::Query))?;
        Ok(answer
            .get("message")
            .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_owned)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_bodies() {
        let opts = QueryOptions {
            client_query_id: Some("q1".into()),
            ..QueryOptions::default()
        };
        let b = body("SELECT {x}", &json!({"x": 1}), opts.refresh(false), &opts).unwrap();
        assert_eq!(b["refresh"], "blocking");
        assert_eq!(b["query"]["values"]["x"], 1);
        assert_eq!(b["client_query_id"], "q1");
        assert!(body("SELECT 1", &json!([1]), "blocking", &opts).is_err());
        let r: QueryResult = serde_json::from_value(
            json!({"columns": ["a"], "results": [[1]], "hasMore": true, "limit": 100}),
        )
        .unwrap();
        assert_eq!(r.has_more, Some(true));
        assert_eq!(r.extra["limit"], 100);
        let own_limit: QueryResult = serde_json::from_value(json!({
            "columns": ["a"], "types": [["a", "UInt8"]], "results": [[1]],
            "hasMore": null, "limit": null, "offset": null
        }))
        .unwrap();
        assert_eq!(own_limit.has_more, None);
    }

    #[test]
    fn fresh_asks_for_force_modes() {
        let fresh = QueryOptions {
            fresh: true,
            ..QueryOptions::default()
        };
        assert_eq!(fresh.refresh(false), "force_blocking");
        assert_eq!(fresh.refresh(true), "force_async");
        assert_eq!(QueryOptions::default().refresh(true), "async");
    }

    #[test]
    fn an_async_submit_served_from_cache_is_complete() {
        let cached = json!({"columns": ["a"], "types": [["a", "UInt8"]], "results": [[1]],
            "hasMore": null, "is_cached": true, "query_status": null});
        let s = status_of(cached, Some("mine")).unwrap();
        assert!(s.complete && !s.error);
        assert_eq!(s.id, "mine");
        let r = s.result().unwrap().unwrap();
        assert_eq!(r.results, vec![vec![json!(1)]]);
        let running = json!({"query_status": {"id": "q", "complete": false}});
        let s = status_of(running, None).unwrap();
        assert!(s.result().is_none());
        let failed = json!({"query_status": {"id": "q", "complete": true, "error": true,
            "error_message": null}});
        let err = status_of(failed, None)
            .unwrap()
            .result()
            .unwrap()
            .unwrap_err();
        assert!(matches!(err, Error::Server { status: 500, .. }), "{err:?}");
    }
}
