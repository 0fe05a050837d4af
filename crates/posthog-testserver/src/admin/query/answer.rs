//! The body of a HogQL answer: PostHog's `CachedHogQLQueryResponse`, every member present
//! (`hasMore`, `limit`, `offset` `null` for a query with its own `LIMIT`).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::db::time;
use crate::hogql::QueryOutput;

/// The modifiers PostHog reports it ran the query with (a team's defaults).
fn modifiers() -> Value {
    json!({
        "bounceRateDurationSeconds": null,
        "bounceRatePageViewMode": "count_pageviews",
        "convertToProjectTimezone": null,
        "customChannelTypeRules": null,
        "dataWarehouseEventsModifiers": null,
        "debug": null,
        "formatCsvAllowDoubleQuotes": null,
        "inCohortVia": "auto",
        "materializationMode": "legacy_null_as_null",
        "optimizeJoinedFilters": false,
        "personsArgMaxVersion": "auto",
        "personsJoinMode": null,
        "personsOnEventsMode": "person_id_override_properties_joined",
        "propertyGroupsMode": "optimized",
        "s3TableUseInvalidColumns": null,
        "sessionTableVersion": "auto",
        "sessionsV2JoinMode": "string",
        "useMaterializedViews": true,
        "usePresortedEventsTable": false,
    })
}

/// A fresh answer (`is_cached: false`) of `output` for `text`, computed at `at`; it stays
/// fresh for `ttl_secs`.
pub(crate) fn fresh(
    output: QueryOutput,
    text: &str,
    cache_key: &str,
    at: DateTime<Utc>,
    ttl_secs: u64,
) -> Value {
    let types: Vec<Value> = output
        .types
        .iter()
        .map(|(name, ty)| json!([name, ty]))
        .collect();
    let timings: Vec<Value> = output
        .timings
        .iter()
        .map(|(k, t)| json!({"k": k, "t": t}))
        .collect();
    let (has_more, limit, offset) = match output.paging {
        Some(p) => (json!(p.has_more), json!(p.limit), json!(p.offset)),
        None => (Value::Null, Value::Null, Value::Null),
    };
    let ttl = chrono::Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 2));
    json!({
        "cache_key": cache_key,
        "cache_target_age": time::format(at + ttl),
        "calculation_trigger": null,
        "clickhouse": output.sql,
        "columns": output.columns,
        "error": null,
        "explain": null,
        "hasMore": has_more,
        "hogql": output.hogql,
        "is_cached": false,
        "last_refresh": time::format(at),
        "limit": limit,
        "metadata": null,
        "modifiers": modifiers(),
        "next_allowed_client_refresh": time::format(at + chrono::Duration::minutes(1)),
        "offset": offset,
        "query": text,
        "query_status": null,
        "results": output.results,
        "timezone": output.timezone,
        "timings": timings,
        "types": types,
    })
}

/// The same answer served from the cache.
pub(crate) fn cached(mut body: Value) -> Value {
    if let Some(o) = body.as_object_mut() {
        o.insert("is_cached".into(), Value::Bool(true));
        o.insert("query_status".into(), Value::Null);
    }
    body
}
