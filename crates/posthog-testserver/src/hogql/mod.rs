//! The HogQL subset the test server answers, translated to SQLite.
//!
//! `SELECT` of columns, `properties.<name>` (→ `json_extract`), `count`, `min`, `max`,
//! `sum`, `avg`, `toString`, `now()`, `toDateTime('…')`, `now() - INTERVAL n UNIT`,
//! aliases; `FROM events|persons`; `WHERE` with comparisons, `AND`/`OR`/`NOT`, `IN`,
//! `LIKE`, `IS [NOT] NULL`, literals and `{placeholders}` (always bound, never spliced);
//! `GROUP BY`, `ORDER BY`, `LIMIT`, `OFFSET`. Anything else is a [`QueryError`].

mod ast;
mod lexer;
mod output;
mod parser;
mod translate;

use std::time::Instant;

use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use serde_json::{Map, Value, json};

use crate::db::Db;
pub(crate) use output::{Paging, QueryOutput};

/// A query outside the subset, or one SQLite refused: PostHog's 400 `validation_error`
/// whose code is the HogQL error's `code_name`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct QueryError {
    /// `hogql_syntax_error` (lexer, parser) or `hogql_query_error` (names, types, SQLite).
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl QueryError {
    /// A `hogql_query_error`.
    pub(crate) fn new(message: String) -> QueryError {
        QueryError {
            code: "hogql_query_error",
            message,
        }
    }

    /// A `hogql_syntax_error`.
    pub(crate) fn syntax(message: String) -> QueryError {
        QueryError {
            code: "hogql_syntax_error",
            message,
        }
    }
}

/// Parses, translates and runs `query` (`now` is what `now()` means). A query with its
/// own `LIMIT` is run as written; one without gets PostHog's paginator (100 rows, one
/// more fetched to tell `hasMore`).
pub(crate) fn run(
    db: &Db,
    query: &str,
    values: &Map<String, Value>,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Result<QueryOutput, QueryError> {
    let began = Instant::now();
    let tokens = lexer::lex(query).map_err(|e| QueryError::syntax(e.message))?;
    let select = parser::parse(&tokens).map_err(|e| QueryError::syntax(e.message))?;
    let parsed = began.elapsed();
    let own_limit = select.limit.is_some();
    let plan = translate::translate(&select, values, now, tz)?;
    let translated = began.elapsed();
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
    let types = plan
        .columns
        .iter()
        .zip(&plan.types)
        .map(|(name, ty)| (name.clone(), ty.name().to_owned()))
        .collect();
    let paging = (!own_limit).then_some(Paging {
        has_more,
        limit: plan.limit,
        offset: plan.offset,
    });
    let text = query.trim().trim_end_matches(';').trim_end();
    let hogql = match &paging {
        Some(p) => format!("{text} LIMIT {} OFFSET {}", p.limit + 1, p.offset),
        None => text.to_owned(),
    };
    Ok(QueryOutput {
        results,
        columns: plan.columns,
        types,
        timezone: tz.name().to_owned(),
        paging,
        hogql,
        sql: plan.sql,
        timings: vec![
            ("./parse_select", parsed.as_secs_f64()),
            ("./print_ast", (translated - parsed).as_secs_f64()),
            ("./execute", (began.elapsed() - translated).as_secs_f64()),
            (".", began.elapsed().as_secs_f64()),
        ],
    })
}
