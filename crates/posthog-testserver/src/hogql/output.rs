//! What one HogQL run answers, before the query API wraps it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// The ClickHouse type name of a DateTime column in the UTC project.
pub(crate) const DATETIME_UTC: &str = "DateTime64(6, 'UTC')";

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
    pub(crate) types: Vec<(String, String)>,
    /// The project time zone the DateTime columns are in (`"UTC"` until
    /// [`QueryOutput::in_timezone`]).
    pub(crate) timezone: String,
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

impl QueryOutput {
    /// Answers the DateTime columns in the project's time zone, as PostHog does: the type
    /// names it (`DateTime64(6, 'Europe/Berlin')`) and each value carries its offset
    /// (`2025-11-04T10:00:00.000000+01:00`; UTC stays `…Z`).
    pub(crate) fn in_timezone(&mut self, tz: chrono_tz::Tz) {
        self.timezone = tz.name().to_owned();
        if tz == chrono_tz::Tz::UTC {
            return;
        }
        let dated: Vec<usize> = (0..self.types.len())
            .filter(|&i| self.types[i].1 == DATETIME_UTC)
            .collect();
        for &i in &dated {
            self.types[i].1 = format!("DateTime64(6, '{}')", tz.name());
        }
        for row in &mut self.results {
            let Some(cells) = row.as_array_mut() else {
                continue;
            };
            for &i in &dated {
                let Some(Value::String(text)) = cells.get(i) else {
                    continue;
                };
                if let Ok(t) = DateTime::parse_from_rfc3339(text) {
                    let local = t.with_timezone(&Utc).with_timezone(&tz);
                    cells[i] = Value::String(local.to_rfc3339_opts(SecondsFormat::Micros, false));
                }
            }
        }
    }
}
