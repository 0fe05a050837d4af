//! `…/annotations/`: list and create (`{"content", "date_marker", "scope"}`).

use axum::http::Method;
use serde_json::{Value, json};

use super::paging;
use super::request::{Ctx, Outcome, created, now, ok, required_str};
use crate::db::time;
use crate::flags::api_error::ApiError;

const SCOPES: [&str; 4] = ["dashboard_item", "dashboard", "project", "organization"];

/// Routes `…/annotations/`.
pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method.clone(), rest) {
        (Method::GET, []) => ok(paging::page(
            ctx,
            ctx.shared.with_admin(|admin, _| admin.annotations.clone()),
        )),
        (Method::POST, []) => create(ctx),
        (_, []) => ctx.not_allowed(),
        _ => Err(ApiError::not_found()),
    }
}

fn create(ctx: &Ctx<'_>) -> Outcome {
    let body = ctx.object()?;
    let content = required_str(&body, "content")?;
    let date_marker = match body.get("date_marker") {
        None | Some(Value::Null) => now(),
        Some(Value::String(s)) => time::normalize(s).ok_or_else(|| {
            ApiError::invalid("invalid", Some("date_marker"), "Datetime has wrong format.")
        })?,
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid",
                Some("date_marker"),
                "Datetime has wrong format.",
            ));
        }
    };
    let scope = match body.get("scope") {
        None | Some(Value::Null) => "project".to_owned(),
        Some(Value::String(s)) if SCOPES.contains(&s.as_str()) => s.clone(),
        Some(other) => {
            return Err(ApiError::invalid(
                "invalid_choice",
                Some("scope"),
                format!("{other} is not a valid choice."),
            ));
        }
    };
    ctx.shared.with_admin(|admin, _| {
        let annotation = json!({
            "id": admin.next_id(),
            "content": content,
            "date_marker": date_marker,
            "creation_type": "USR",
            "scope": scope,
            "dashboard_item": body.get("dashboard_item").cloned().unwrap_or(Value::Null),
            "deleted": false,
            "created_at": now(),
            "updated_at": now(),
            "created_by": null,
        });
        admin.annotations.push(annotation.clone());
        created(annotation)
    })
}
