//! `…/persons/`: the persons the stored events made (list with `distinct_id`, get,
//! delete). The list answers `{"results", "next", "previous"}` as PostHog's person list
//! does: no `count` (unless `include_total` is given), `next` whenever a page is full,
//! links built by `format_query_params_absolute_url`.

use axum::http::Method;
use serde_json::{Value, json};

use super::links::format_query_params;
use super::paging;
use super::request::{Answer, Ctx, Outcome, internal, ok};
use crate::flags::api_error::ApiError;

/// Routes `…/persons/[{id}/]`.
pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method.clone(), rest) {
        (Method::GET, []) => list(ctx),
        (Method::GET, [id]) => get(ctx, id),
        (Method::DELETE, [id]) => delete(ctx, id),
        (_, [] | [_]) => ctx.not_allowed(),
        _ => Err(ApiError::not_found()),
    }
}

fn list(ctx: &Ctx<'_>) -> Outcome {
    let (limit, offset) = paging::window(ctx);
    let distinct_id = ctx.param("distinct_id");
    let (count, people) = ctx
        .shared
        .with_db(|db| db.persons(distinct_id.as_deref(), limit, offset))
        .map_err(internal)?;
    let results: Vec<Value> = people.iter().map(|p| p.to_json()).collect();
    let next = (results.len() >= limit)
        .then(|| format_query_params(ctx, offset + limit, None, "offset", "limit"));
    let previous = offset
        .checked_sub(limit)
        .map(|back| format_query_params(ctx, back, None, "offset", "limit"));
    let mut body = json!({"results": results, "next": next, "previous": previous});
    if ctx.param("include_total").is_some()
        && let Some(o) = body.as_object_mut()
    {
        o.insert("count".into(), json!(count));
    }
    ok(body)
}

fn get(ctx: &Ctx<'_>, id: &str) -> Outcome {
    match ctx.shared.with_db(|db| db.person(id)).map_err(internal)? {
        Some(person) => ok(person.to_json()),
        None => Err(ApiError::not_found()),
    }
}

/// 202, no body; the person's events stay; the activity log gets a `Person` entry.
fn delete(ctx: &Ctx<'_>, id: &str) -> Outcome {
    if !ctx
        .shared
        .with_db(|db| db.delete_person(id))
        .map_err(internal)?
    {
        return Err(ApiError::not_found());
    }
    ctx.shared.with_admin(|admin, _| {
        admin
            .activity
            .log("Person", id, "deleted", json!({"name": id}));
    });
    Ok(Answer::Empty(202))
}
