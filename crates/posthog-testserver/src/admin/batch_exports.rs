//! `…/batch_exports/`: list, create (`{"name", "destination": {"type", "config"},
//! "interval"}`), get, pause, unpause, backfills (`{"start_at", "end_at"}`, 200
//! `{"backfill_id"}`; they complete at once: one run per interval, counting the stored
//! events in it) and runs (cursor pages of 100, newest first, `created_at` within
//! `after` … `before`, by default the last 7 days).

use axum::http::Method;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};

use super::request::{Ctx, Outcome, created, internal, now, ok, required_str};
use super::state::BatchExport;
use super::{cursor, paging};
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
        (Method::GET, [id, "runs"]) => runs(ctx, id),
        (_, [] | [_] | [_, "pause" | "unpause" | "backfills" | "runs"]) => ctx.not_allowed(),
        _ => Err(ApiError::not_found()),
    }
}

/// `RunsCursorPagination.page_size`.
const RUNS_PAGE: usize = 100;

/// `relative_date_parse`: an ISO time, or `-<n><h|d|w>` back from now; what it cannot
/// read is now.
fn relative_date(text: &str, now: DateTime<Utc>) -> DateTime<Utc> {
    if let Some(t) = time::parse(text) {
        return t;
    }
    let body = text.trim().trim_start_matches('-');
    let (digits, unit) = body.split_at(
        body.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(body.len()),
    );
    let n: i64 = digits.parse().unwrap_or(1);
    match unit.chars().next() {
        Some('h') => now - Duration::hours(n),
        Some('d') => now - Duration::days(n),
        Some('w') => now - Duration::weeks(n),
        _ => now,
    }
}

/// `GET …/batch_exports/{id}/runs/`: runs created within `after` (default `-7d`) …
/// `before` (default now), newest first, cursor pages of 100.
fn runs(ctx: &Ctx<'_>, id: &str) -> Outcome {
    let now = Utc::now();
    let after = ctx
        .param("after")
        .map_or(now - Duration::days(7), |a| relative_date(&a, now));
    let before = ctx.param("before").map_or(now, |b| relative_date(&b, now));
    let all = ctx
        .shared
        .with_admin(|admin, _| {
            admin
                .batch_exports
                .iter()
                .find(|b| b.export.get("id").and_then(Value::as_str) == Some(id))
                .map(|b| b.runs.clone())
        })
        .ok_or_else(ApiError::not_found)?;
    let items: Vec<(u64, Value)> = all
        .into_iter()
        .enumerate()
        .rev()
        .filter(|(_, run)| {
            run.get("created_at")
                .and_then(Value::as_str)
                .and_then(time::parse)
                .is_some_and(|t| t >= after && t <= before)
        })
        .map(|(i, run)| (i as u64, run))
        .collect();
    ok(cursor::page(ctx, items, RUNS_PAGE)?)
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

/// `validate_date_input`: an ISO time with an offset.
fn time_attr(body: &Map<String, Value>, attr: &'static str) -> Result<DateTime<Utc>, ApiError> {
    let raw = body.get(attr).cloned().unwrap_or(Value::Null);
    let text = match &raw {
        Value::String(s) => s.clone(),
        Value::Null => "None".to_owned(),
        other => other.to_string(),
    };
    let invalid = |detail: String| ApiError::invalid("invalid", None, detail);
    if let Some(t) = raw
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s.trim()).ok())
    {
        return Ok(t.with_timezone(&Utc));
    }
    match raw.as_str().and_then(time::parse) {
        Some(_) => Err(invalid(format!("Input {text} is naive."))),
        None => Err(invalid(format!(
            "Input {text} is not a valid ISO formatted datetime."
        ))),
    }
}

fn backfill(ctx: &Ctx<'_>, id: &str) -> Outcome {
    let body = ctx.object()?;
    let start = time_attr(&body, "start_at")?;
    let end = time_attr(&body, "end_at")?;
    if end <= start {
        return Err(ApiError::invalid(
            "invalid",
            None,
            "The initial backfill datetime 'start_at' happens after 'end_at'",
        ));
    }
    if end > Utc::now() {
        return Err(ApiError::invalid(
            "invalid",
            None,
            format!(
                "The provided 'end_at' ({}) is in the future",
                end.format("%Y-%m-%dT%H:%M:%S%:z")
            ),
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
                "records_total_count": count,
                "bytes_exported": null,
                "latest_error": null,
                "data_interval_start": a,
                "data_interval_end": b,
                "cursor": null,
                "created_at": stamp,
                "finished_at": stamp,
                "last_updated_at": stamp,
                "batch_export": id,
                "backfill": backfill_id,
            })
        })
        .collect();
    with_export(ctx, id, |b| {
        b.runs.extend(runs);
        ok(json!({"backfill_id": backfill_id}))
    })
}
