//! `…/event_definitions/` and `…/property_definitions/`: derived from the stored events
//! (and, for `?type=person`, the persons).

use std::hash::{DefaultHasher, Hash, Hasher};

use axum::http::Method;
use serde_json::{Value, json};

use super::paging;
use super::request::{Ctx, Outcome, internal, ok};
use crate::db::Db;
use crate::flags::api_error::ApiError;

/// A stable uuid-shaped id for a name.
fn id_for(kind: &str, name: &str) -> String {
    let mut a = DefaultHasher::new();
    (kind, name).hash(&mut a);
    let mut b = DefaultHasher::new();
    (name, kind, 1u8).hash(&mut b);
    let hex = format!("{:016x}{:016x}", a.finish(), b.finish());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `GET …/event_definitions/`: one per event name, with first and last seen times.
pub(crate) fn events(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method.clone(), rest) {
        (Method::GET, []) => {}
        (_, []) => return ctx.not_allowed(),
        _ => return Err(ApiError::not_found()),
    }
    let search = ctx.param("search");
    let rows = ctx.shared.with_db(|db| event_rows(db)).map_err(internal)?;
    let items = rows
        .into_iter()
        .filter(|(name, ..)| search.as_deref().is_none_or(|s| name.contains(s)))
        .map(|(name, count, first, last)| {
            json!({
                "id": id_for("event", &name),
                "name": name,
                "volume_30_day": count,
                "query_usage_30_day": null,
                "created_at": first,
                "last_seen_at": last,
                "tags": [],
            })
        })
        .collect();
    ok(paging::page(ctx, items))
}

fn event_rows(db: &Db) -> rusqlite::Result<Vec<(String, i64, String, String)>> {
    let mut stmt = db.conn.prepare(
        "SELECT event, count(*), min(timestamp), max(timestamp) FROM events \
         GROUP BY event ORDER BY event",
    )?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect()
}

/// `GET …/property_definitions/[?type=event|person]`: one per property name.
pub(crate) fn properties(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method.clone(), rest) {
        (Method::GET, []) => {}
        (_, []) => return ctx.not_allowed(),
        _ => return Err(ApiError::not_found()),
    }
    let kind = ctx.param("type").unwrap_or_else(|| "event".to_owned());
    let table = match kind.as_str() {
        "event" => "events",
        "person" => "persons",
        _ => {
            return Err(ApiError::invalid(
                "invalid_choice",
                Some("type"),
                format!("\"{kind}\" is not a valid choice."),
            ));
        }
    };
    let search = ctx.param("search");
    let rows = ctx
        .shared
        .with_db(|db| property_rows(db, table))
        .map_err(internal)?;
    let type_code = if kind == "person" { 2 } else { 1 };
    let items = rows
        .into_iter()
        .filter(|(name, _)| search.as_deref().is_none_or(|s| name.contains(s)))
        .map(|(name, json_type)| {
            let property_type = match json_type.as_str() {
                "integer" | "real" => json!("Numeric"),
                "true" | "false" => json!("Boolean"),
                "text" => json!("String"),
                _ => Value::Null,
            };
            json!({
                "id": id_for(&kind, &name),
                "name": name,
                "is_numerical": property_type == "Numeric",
                "property_type": property_type,
                "type": type_code,
                "tags": [],
            })
        })
        .collect();
    ok(paging::page(ctx, items))
}

fn property_rows(db: &Db, table: &str) -> rusqlite::Result<Vec<(String, String)>> {
    // `table` is one of two constants chosen above.
    let mut stmt = db.conn.prepare(&format!(
        "SELECT j.key, min(j.type) FROM {table}, json_each({table}.properties) AS j \
         GROUP BY j.key ORDER BY j.key"
    ))?;
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}
