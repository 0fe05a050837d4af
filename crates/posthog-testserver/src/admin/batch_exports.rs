//! `…/batch_exports/`: list, create (`{"name", "destination": {"type", "config"},
//! "interval"}`), get, pause, unpause, backfills (`{"start_at", "end_at"}`, which complete
//! at once: one run per interval, counting the stored events in it) and runs.

use axum::http::Method;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::paging;
use super::request::{Ctx, Outcome, created, internal, now, ok, required_str};
use super::state::BatchExport;
use crate::db::time;
use crate::flags::api_error::ApiError;

const DESTINATIONS: [&str; 7] = [
    "S3",
    "BigQuery",
    "Snowflake",
    "Postgres",
    "Redshift",
    "HTTP",
    "Databricks",
];
/// The most runs one backfill may make.
const MAX_RUNS: i64 = 10_000;

/// Routes `…/batch_exports/[{id}/[pause|unpause|backfills|runs]/]`.
pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method.clone(), rest) {
        (Method::GET, []) => {
            let exports = ctx.shared.with_admin(|admin, _| {
                admin
                    .batch_exports
                    .iter()
                    .map(with_runs)
                    .collect::<Vec<_>>()
            });
            ok(paging::page(ctx, exports))
        }
        (Method::POST, []) => create(ctx),
        (Method::GET, [id]) => with_export(ctx, id, |b| ok(with_runs(b))),
        (Method::POST, [id, "pause"]) => pause(ctx, id, true),
        (Method::POST, [id, "unpause"]) => pause(ctx, id, false),
        (Method::POST, [id, "backfills"]) => backfill(ctx, id),
        (Method::GET, [id, "runs"]) => {
            let runs = find_runs(ctx, id).ok_or_else(ApiError::not_found)?;
            ok(paging::page(ctx, runs))
        }
        (_, [] | [_] | [_, "pause" | "unpause" | "backfills" | "runs"]) => ctx.not_allowed(),
        _ => Err(ApiError::not_found()),
    }
}

/// The runs of an export, newest first.
fn find_runs(ctx: &Ctx<'_>, id: &str) -> Option<Vec<Value>> {
    ctx.shared.with_admin(|admin, _| {
        admin
            .batch_exports
            .iter()
            .find(|b| b.export.get("id").and_then(Value::as_str) == Some(id))
            .map(|b| b.runs.iter().rev().cloned().collect())
    })
}

fn with_runs(b: &BatchExport) -> Value {
    let mut out = b.export.clone();
    if let Some(o) = out.as_object_mut() {
        let latest: Vec<Value> = b.runs.iter().rev().take(10).cloned().collect();
        o.insert("latest_runs".into(), Value::Array(latest));
    }
    out
}

fn with_export(ctx: &Ctx<'_>, id: &str, f: impl FnOnce(&mut BatchExport) -> Outcome) -> Outcome {
    ctx.shared.with_admin(|admin, _| {
        match admin
            .batch_exports
            .iter_mut()
            .find(|b| b.export.get("id").and_then(Value::as_str) == Some(id))
        {
            Some(b) => f(b),
            None => Err(ApiError::not_found()),
        }
    })
}

fn interval_length(interval: &str) -> Option<Duration> {
    match interval {
        "hour" => Some(Duration::hours(1)),
        "day" => Some(Duration::days(1)),
        "week" => Some(Duration::weeks(1)),
        "every 5 minutes" => Some(Duration::minutes(5)),
        _ => None,
    }
}

fn create(ctx: &Ctx<'_>) -> Outcome {
    let body = ctx.object()?;
    let name = required_str(&body, "name")?;
    let destination = match body.get("destination") {
        Some(Value::Object(d)) => d.clone(),
        None | Some(Value::Null) => {
            return Err(ApiError::invalid(
                "required",
                Some("destination"),
                "This field is required.",
            ));
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid_input",
                Some("destination"),
                "Must be an object.",
            ));
        }
    };
    let kind = destination
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !DESTINATIONS.contains(&kind) {
        return Err(ApiError::invalid(
            "invalid_choice",
            Some("destination"),
            format!("\"{kind}\" is not a valid destination type."),
        ));
    }
    let interval = required_str(&body, "interval")?;
    if interval_length(&interval).is_none() {
        return Err(ApiError::invalid(
            "invalid_choice",
            Some("interval"),
            format!("\"{interval}\" is not a valid choice."),
        ));
    }
    let mut destination: Map<String, Value> = destination;
    destination.entry("config").or_insert_with(|| json!({}));
    let stamp = now();
    let export = json!({
        "id": uuid::Uuid::new_v4().to_string(),
        "team_id": 1,
        "name": name,
        "model": body.get("model").cloned().unwrap_or(json!("events")),
        "destination": destination,
        "interval": interval,
        "paused": body.get("paused").and_then(Value::as_bool).unwrap_or(false),
        "created_at": stamp,
        "last_updated_at": stamp,
        "last_paused_at": null,
        "start_at": body.get("start_at").cloned().unwrap_or(Value::Null),
        "end_at": body.get("end_at").cloned().unwrap_or(Value::Null),
        "schema": null,
    });
    let export = BatchExport {
        export,
        runs: Vec::new(),
    };
    let out = with_runs(&export);
    ctx.shared.with_admin(|admin, _| {
        admin.batch_exports.push(export);
    });
    created(out)
}

fn pause(ctx: &Ctx<'_>, id: &str, paused: bool) -> Outcome {
    with_export(ctx, id, |b| {
        if let Some(o) = b.export.as_object_mut() {
            o.insert("paused".into(), json!(paused));
            o.insert("last_updated_at".into(), json!(now()));
            if paused {
                o.insert("last_paused_at".into(), json!(now()));
            }
        }
        ok(json!({"paused": paused}))
    })
}

fn time_attr(body: &Map<String, Value>, attr: &'static str) -> Result<DateTime<Utc>, ApiError> {
    body.get(attr)
        .and_then(Value::as_str)
        .and_then(time::parse)
        .ok_or_else(|| {
            ApiError::invalid(
                "invalid_input",
                Some(attr),
                format!("`{attr}` must be an ISO 8601 time."),
            )
        })
}

fn backfill(ctx: &Ctx<'_>, id: &str) -> Outcome {
    let body = ctx.object()?;
    let start = time_attr(&body, "start_at")?;
    let end = time_attr(&body, "end_at")?;
    if end <= start {
        return Err(ApiError::invalid(
            "invalid_input",
            None,
            "The initial backfill datetime 'start_at' happens after 'end_at'",
        ));
    }
    let interval = ctx
        .shared
        .with_admin(|admin, _| {
            admin
                .batch_exports
                .iter()
                .find(|b| b.export.get("id").and_then(Value::as_str) == Some(id))
                .map(|b| b.export.get("interval").cloned().unwrap_or(Value::Null))
        })
        .ok_or_else(ApiError::not_found)?;
    let step = interval
        .as_str()
        .and_then(interval_length)
        .unwrap_or_else(|| Duration::hours(1));
    let steps = (end - start).num_seconds() / step.num_seconds().max(1);
    if steps > MAX_RUNS {
        return Err(ApiError::invalid(
            "invalid_input",
            None,
            format!("A backfill may span at most {MAX_RUNS} intervals."),
        ));
    }
    let backfill_id = uuid::Uuid::new_v4().to_string();
    let mut windows = Vec::new();
    let mut at = start;
    while at < end {
        let next = (at + step).min(end);
        windows.push((time::format(at), time::format(next)));
        at = next;
    }
    let counts = ctx
        .shared
        .with_db(|db| {
            let mut stmt = db
                .conn
                .prepare("SELECT count(*) FROM events WHERE timestamp >= ?1 AND timestamp < ?2")?;
            windows
                .iter()
                .map(|(a, b)| stmt.query_row([a, b], |r| r.get::<_, i64>(0)))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(internal)?;
    let stamp = now();
    let runs: Vec<Value> = windows
        .iter()
        .zip(counts)
        .map(|((a, b), count)| {
            json!({
                "id": uuid::Uuid::new_v4().to_string(),
                "status": "Completed",
                "records_completed": count,
                "latest_error": null,
                "data_interval_start": a,
                "data_interval_end": b,
                "created_at": stamp,
                "last_updated_at": stamp,
                "batch_export": id,
                "backfill": backfill_id,
            })
        })
        .collect();
    with_export(ctx, id, |b| {
        b.runs.extend(runs);
        created(json!({"backfill_id": backfill_id}))
    })
}
