//! Paged lists: `{"count", "next", "previous", "results"}` with `limit` / `offset` and
//! absolute links on this server.

use serde_json::{Value, json};

use super::links::encode;
use super::request::Ctx;
use crate::ingest::decode::url_pairs;

/// Page size when the request gives no `limit`.
pub(crate) const DEFAULT_PAGE: usize = 100;

/// The `limit` and `offset` of the request (defaults 100 and 0; `limit` at least 1).
pub(crate) fn window(ctx: &Ctx<'_>) -> (usize, usize) {
    let number = |name: &str| ctx.param(name).and_then(|v| v.parse::<usize>().ok());
    let limit = number("limit").unwrap_or(DEFAULT_PAGE).max(1);
    (limit, number("offset").unwrap_or(0))
}

/// A page of `items` (all of them given).
pub(crate) fn page(ctx: &Ctx<'_>, items: Vec<Value>) -> Value {
    let (limit, offset) = window(ctx);
    let count = items.len();
    let results: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    answer(ctx, count, results)
}

/// The list body for one already-cut page of `count` items in all.
fn answer(ctx: &Ctx<'_>, count: usize, results: Vec<Value>) -> Value {
    let (limit, offset) = window(ctx);
    let next = (offset + limit < count).then(|| link(ctx, limit, offset + limit));
    let previous = (offset > 0).then(|| link(ctx, limit, offset.saturating_sub(limit)));
    json!({"count": count, "next": next, "previous": previous, "results": results})
}

fn link(ctx: &Ctx<'_>, limit: usize, offset: usize) -> String {
    let mut query: Vec<String> = url_pairs(ctx.query.as_bytes())
        .into_iter()
        .filter(|(k, _)| k != "limit" && k != "offset")
        .map(|(k, v)| format!("{}={}", encode(&k), encode(&v)))
        .collect();
    query.push(format!("limit={limit}"));
    query.push(format!("offset={offset}"));
    format!("{}{}?{}", ctx.base_url, ctx.path, query.join("&"))
}
