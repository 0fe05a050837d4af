//! `…/persons/`: the persons the stored events made (list with `distinct_id`, get, delete).

use axum::http::Method;

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
    let results = people.iter().map(|p| p.to_json()).collect();
    ok(paging::answer(ctx, count, results))
}

fn get(ctx: &Ctx<'_>, id: &str) -> Outcome {
    match ctx.shared.with_db(|db| db.person(id)).map_err(internal)? {
        Some(person) => ok(person.to_json()),
        None => Err(ApiError::not_found()),
    }
}

fn delete(ctx: &Ctx<'_>, id: &str) -> Outcome {
    if ctx
        .shared
        .with_db(|db| db.delete_person(id))
        .map_err(internal)?
    {
        Ok(Answer::Empty(204))
    } else {
        Err(ApiError::not_found())
    }
}
