//! `…/query/`: the query API for `HogQLQuery` (the subset in [`crate::hogql`]), blocking
//! or async (`"refresh": "async"`; poll `GET …/query/{id}/`, cancel with `DELETE`).

use axum::http::Method;
use chrono::Utc;
use serde_json::{Map, Value, json};

use super::request::{Answer, Ctx, Outcome, now, ok};
use super::state::AsyncQuery;
use crate::flags::api_error::ApiError;
use crate::hogql;

/// Routes `…/query/[{id}/]`.
pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method.clone(), rest) {
        (Method::POST, []) => submit(ctx),
        (Method::GET, [id]) => poll(ctx, id),
        (Method::DELETE, [id]) => {
            ctx.shared.with_admin(|admin, _| admin.queries.remove(*id));
            Ok(Answer::Empty(204))
        }
        (_, [] | [_]) => ctx.not_allowed(),
        _ => Err(ApiError::not_found()),
    }
}

fn submit(ctx: &Ctx<'_>) -> Outcome {
    let body = ctx.object()?;
    let Some(query) = body.get("query").and_then(Value::as_object) else {
        return Err(ApiError::invalid(
            "required",
            Some("query"),
            "This field is required.",
        ));
    };
    match query.get("kind").and_then(Value::as_str) {
        Some("HogQLQuery") => {}
        other => {
            return Err(ApiError::query(format!(
                "Unsupported query kind {}: the test server answers HogQLQuery only",
                other.unwrap_or("(none)")
            )));
        }
    }
    let Some(text) = query.get("query").and_then(Value::as_str) else {
        return Err(ApiError::query("A HogQLQuery needs a `query` string"));
    };
    let values = match query.get("values") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(v)) => v.clone(),
        Some(_) => return Err(ApiError::query("`values` must be an object")),
    };
    let answer = ctx
        .shared
        .with_db(|db| hogql::run(db, text, &values, Utc::now()))
        .map_err(|e| ApiError::query(e.0))?;
    let asynchronous = body
        .get("refresh")
        .and_then(Value::as_str)
        .is_some_and(|r| r.contains("async"));
    if !asynchronous {
        return ok(answer);
    }
    let id = body
        .get("client_query_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let started_at = now();
    let status = status(&id, &started_at, None);
    ctx.shared.with_admin(|admin, _| {
        admin.queries.insert(
            id,
            AsyncQuery {
                answer: Ok(answer),
                polls: 0,
                started_at,
            },
        );
    });
    ok(json!({"query_status": status}))
}

/// A `query_status` object: incomplete without an answer, complete with one.
fn status(id: &str, started_at: &str, done: Option<&Result<Value, String>>) -> Value {
    let (complete, results, error, message) = match done {
        None => (false, Value::Null, false, Value::Null),
        Some(Ok(answer)) => (true, answer.clone(), false, Value::Null),
        Some(Err(message)) => (true, Value::Null, true, json!(message)),
    };
    json!({
        "id": id,
        "team_id": 1,
        "query_async": true,
        "complete": complete,
        "error": error,
        "error_message": message,
        "results": results,
        "start_time": started_at,
        "pickup_time": started_at,
        "end_time": if complete { json!(now()) } else { Value::Null },
        "expiration_time": null,
        "task_id": null,
        "query_progress": null,
        "labels": null,
    })
}

/// `GET …/query/{id}/`: incomplete on the first poll, complete from the second on.
fn poll(ctx: &Ctx<'_>, id: &str) -> Outcome {
    ctx.shared.with_admin(|admin, _| {
        let Some(query) = admin.queries.get_mut(id) else {
            return Err(ApiError::not_found());
        };
        query.polls += 1;
        let done = (query.polls > 1).then_some(&query.answer);
        ok(json!({"query_status": status(id, &query.started_at, done)}))
    })
}
