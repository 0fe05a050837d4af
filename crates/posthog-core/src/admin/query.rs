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
    /// The column types, as PostHog gives them (e.g. `["uuid", "UUID"]`).
    #[serde(default)]
    pub types: Vec<Value>,
    /// The rows.
    #[serde(default)]
    pub results: Vec<Vec<Value>>,
    /// Whether more rows exist beyond the query's limit.
    #[serde(default, rename = "hasMore")]
    pub has_more: bool,
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
}

/// The state of an async query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryStatus {
    /// The id to poll and cancel with.
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
            return Some(Err(query_failed(self.error_message.as_deref())));
        }
        Some(decode(
            self.results.clone().unwrap_or(Value::Null),
            "query result",
        ))
    }
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

fn status_of(answer: Value) -> Result<QueryStatus, Error> {
    let status = match answer {
        Value::Object(mut m) if m.contains_key("query_status") => {
            m.remove("query_status").unwrap_or(Value::Null)
        }
        other => other,
    };
    decode(status, "query status")
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
        let body = body(hogql, &values, "blocking", opts)?;
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
        let body = body(hogql, &values, "async", opts)?;
        let url = self.inner.http.url(&project.into().path("query/"), &[]);
        let answer = self
            .inner
            .send(Call::write(Method::Post, url, Some(body), RateClass::Query).read_only())?;
        status_of(answer)
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
            .send(Call::get(self.inner.http.url(&path, &[]), RateClass::Query))?;
        status_of(answer)
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
                let status = status_of(http.send(Call::get(url.clone(), RateClass::Query)).await?)?;
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

    /// Cancels an async query.
    pub fn cancel_query(&self, project: impl Into<ProjectId>, id: &str) -> Result<(), Error> {
        let path = project.into().path(&format!("query/{}/", segment(id)?));
        let url = self.inner.http.url(&path, &[]);
        self.inner
            .send(Call::write(Method::Delete, url, None, RateClass::Query))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_bodies() {
        let opts = QueryOptions {
            client_query_id: Some("q1".into()),
            name: None,
        };
        let b = body("SELECT {x}", &json!({"x": 1}), "blocking", &opts).unwrap();
        assert_eq!(b["query"]["values"]["x"], 1);
        assert_eq!(b["client_query_id"], "q1");
        assert!(body("SELECT 1", &json!([1]), "blocking", &opts).is_err());
        let r: QueryResult = serde_json::from_value(
            json!({"columns": ["a"], "results": [[1]], "hasMore": true, "limit": 100}),
        )
        .unwrap();
        assert!(r.has_more);
        assert_eq!(r.extra["limit"], 100);
    }
}
