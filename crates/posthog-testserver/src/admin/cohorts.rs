//! `…/cohorts/`: list, create (static cohorts `{"name", "is_static": true}`), get.

use axum::http::Method;
use serde_json::{Value, json};

use super::request::{Ctx, Outcome, created, now, ok, required_str};
use super::{numeric_id, paging};
use crate::flags::api_error::ApiError;

/// Routes `…/cohorts/[{id}/]`.
pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method.clone(), rest) {
        (Method::GET, []) => ok(paging::page(
            ctx,
            ctx.shared.with_admin(|admin, _| admin.cohorts.clone()),
        )),
        (Method::POST, []) => create(ctx),
        (Method::GET, [id]) => {
            let id = numeric_id(id)?;
            ctx.shared
                .with_admin(|admin, _| {
                    admin
                        .cohorts
                        .iter()
                        .find(|c| c.get("id").and_then(Value::as_i64) == Some(id))
                        .cloned()
                })
                .map_or_else(|| Err(ApiError::not_found()), ok)
        }
        (_, [] | [_]) => ctx.not_allowed(),
        _ => Err(ApiError::not_found()),
    }
}

fn create(ctx: &Ctx<'_>) -> Outcome {
    let body = ctx.object()?;
    let name = required_str(&body, "name")?;
    let is_static = match body.get("is_static") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid_input",
                Some("is_static"),
                "Must be a boolean.",
            ));
        }
    };
    let filters = body.get("filters").cloned().unwrap_or(Value::Null);
    ctx.shared.with_admin(|admin, _| {
        let cohort = json!({
            "id": admin.next_id(),
            "name": name,
            "description": body.get("description").cloned().unwrap_or(json!("")),
            "groups": body.get("groups").cloned().unwrap_or(json!([])),
            "filters": filters,
            "query": null,
            "is_static": is_static,
            "is_calculating": false,
            "count": if is_static { json!(0) } else { Value::Null },
            "deleted": false,
            "created_at": now(),
            "created_by": null,
        });
        admin.cohorts.push(cohort.clone());
        created(cohort)
    })
}
