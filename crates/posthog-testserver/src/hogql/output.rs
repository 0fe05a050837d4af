//! What one HogQL run answers, before the query API wraps it.

use serde_json::Value;

/// The paginator's facts for a query without its own `LIMIT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    /// A row exists beyond the page.
    pub(crate) has_more: bool,
    /// Rows per page (the default 100).
    pub(crate) limit: usize,
    /// Rows skipped.
    pub(crate) offset: usize,
}

/// The rows and their description.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QueryOutput {
    /// One array per row.
    pub(crate) results: Vec<Value>,
    /// Column names.
    pub(crate) columns: Vec<String>,
    /// `(column name, ClickHouse type name)` per column.
    pub(crate) types: Vec<(String, &'static str)>,
    /// `None` when the query has its own `LIMIT` (PostHog then runs it without paginator
    /// and answers `hasMore`, `limit`, `offset` as `null`).
    pub(crate) paging: Option<Paging>,
    /// The HogQL that ran (the paginator's `LIMIT`/`OFFSET` appended).
    pub(crate) hogql: String,
    /// The SQL that ran (SQLite here, ClickHouse in PostHog).
    pub(crate) sql: String,
    /// `(key, seconds)` of the stages, PostHog's `timings`.
    pub(crate) timings: Vec<(&'static str, f64)>,
}
