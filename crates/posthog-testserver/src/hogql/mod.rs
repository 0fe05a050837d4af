//! The HogQL subset the test server answers, translated to SQLite.
//!
//! `SELECT` of columns, `properties.<name>` (→ `json_extract`), `count`, `min`, `max`,
//! `sum`, `avg`, `toString`, `now()`, `toDateTime('…')`, `now() - INTERVAL n UNIT`,
//! aliases; `FROM events|persons`; `WHERE` with comparisons, `AND`/`OR`/`NOT`, `IN`,
//! `LIKE`, `IS [NOT] NULL`, literals and `{placeholders}` (always bound, never spliced);
//! `GROUP BY`, `ORDER BY`, `LIMIT`, `OFFSET`. Anything else is a [`QueryError`].

mod ast;
mod lexer;
mod parser;
mod translate;

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use serde_json::{Map, Value, json};

use crate::db::Db;

/// A query outside the subset, or one SQLite refused: PostHog's 400 `query_error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct QueryError(pub(crate) String);

impl QueryError {
    pub(crate) fn new(message: String) -> QueryError {
        QueryError(message)
    }
}

/// Parses, translates and runs `query`; answers the query API's body
/// (`results`, `columns`, `types`, `hasMore`, `limit`, `offset`, `query_status: null`).
pub(crate) fn run(
    db: &Db,
    query: &str,
    values: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Value, QueryError> {
    let tokens = lexer::lex(query)?;
    let select = parser::parse(&tokens)?;
    let plan = translate::translate(&select, values, now)?;
    let sqlite = |e: rusqlite::Error| QueryError::new(format!("Query failed: {e}"));
    let mut stmt = db.conn.prepare(&plan.sql).map_err(sqlite)?;
    let width = plan.columns.len();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(plan.params.iter()))
        .map_err(sqlite)?;
    let mut results = Vec::new();
    let mut has_more = false;
    while let Some(row) = rows.next().map_err(sqlite)? {
        if results.len() == plan.limit {
            has_more = true;
            break;
        }
        let mut out = Vec::with_capacity(width);
        for i in 0..width {
            out.push(match row.get_ref(i).map_err(sqlite)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => json!(n),
                ValueRef::Real(n) => json!(n),
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    Value::String(String::from_utf8_lossy(t).into_owned())
                }
            });
        }
        results.push(Value::Array(out));
    }
    let types: Vec<&str> = plan.types.iter().map(|t| t.name()).collect();
    Ok(json!({
        "results": results,
        "columns": plan.columns,
        "types": types,
        "hasMore": has_more,
        "limit": plan.limit,
        "offset": plan.offset,
        "query_status": null,
    }))
}
