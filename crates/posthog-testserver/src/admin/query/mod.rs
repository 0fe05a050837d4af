//! `…/query/`: the query API for `HogQLQuery` (the subset in [`crate::hogql`]).
//!
//! `POST …/query/` (or `…/query/HogQLQuery/`) answers from the cache when fresh
//! (`refresh` `blocking`, the default, or `async`), else computes now (`blocking`,
//! `force_blocking`: 200, the cache refreshed) or starts an async query (`async`,
//! `force_async`: 202 with a running `query_status`). `GET …/query/{id}/` polls (202
//! running, 200 complete, 400 / 500 failed), `DELETE …/query/{id}/` cancels (200
//! `{"message"}`). Throttle classes, the concurrency limit, the row limit (504) and
//! scripted failures come from [`state::QueryState`].

mod answer;
pub(crate) mod cache;
mod request;
pub(crate) mod state;
mod status;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::Method;
use chrono::Utc;
use serde_json::{Value, json};

use super::request::{Answer, Ctx, Outcome, ok};
use super::throttle;
use crate::flags::api_error::ApiError;
use crate::hogql::{self, QueryError, QueryOutput};
use crate::state::Shared;
use request::{Mode, Submission};
use status::{AsyncQuery, django_time, drf_time};

/// Routes `…/query/[{id}/ | HogQLQuery/]`: route (404), throttles (429), then the action.
pub(crate) async fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    if rest.len() > 1 {
        return Err(ApiError::not_found());
    }
    check_throttles(ctx)?;
    match (ctx.method.clone(), rest) {
        (Method::POST, []) => submit(ctx, None).await,
        (Method::POST, [kind]) if is_kind(kind) => submit(ctx, Some(kind)).await,
        (Method::GET, [id]) => poll(ctx, id),
        (Method::DELETE, [id]) => cancel(ctx, id),
        (_, [] | [_]) => ctx.not_allowed(),
        _ => Err(ApiError::not_found()),
    }
}

fn is_kind(segment: &str) -> bool {
    segment.starts_with(|c: char| c.is_ascii_uppercase())
        && segment.chars().all(|c| c.is_ascii_alphabetic())
}

/// The query throttle classes of this request (per personal API key).
fn check_throttles(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    let hogql = request::is_hogql(ctx.body);
    let wait = ctx.shared.with_admin(|admin, _| {
        let classes = throttle::query_classes(&admin.query.throttle, ctx.method, hogql);
        admin
            .query
            .windows
            .check(&classes, &ctx.key, Instant::now())
    });
    match wait {
        Some(wait) => Err(ApiError::throttled(wait)),
        None => Ok(()),
    }
}

/// A new query id as PostHog makes them: a uuid7's 32 hex digits.
fn new_query_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

async fn submit(ctx: &Ctx<'_>, path_kind: Option<&str>) -> Outcome {
    let body = ctx.object()?;
    if let Some(path_kind) = path_kind {
        let body_kind = body
            .get("query")
            .and_then(|q| q.get("kind"))
            .and_then(Value::as_str)
            .unwrap_or("None");
        if body_kind != path_kind {
            return Err(ApiError::invalid(
                "invalid",
                None,
                format!(
                    "Query kind mismatch: path kind \"{path_kind}\" does not match body kind \"{body_kind}\"."
                ),
            ));
        }
    }
    let sub = request::parse(&body)?;
    let key = cache::cache_key(&sub.text, &sub.values);
    if matches!(sub.mode, Mode::Blocking | Mode::Async) {
        let hit = ctx
            .shared
            .with_admin(|admin, _| admin.query.cache.fresh(&key, Instant::now()));
        if let Some(body) = hit {
            return ok(answer::cached(body));
        }
    }
    match sub.mode {
        Mode::Async | Mode::ForceAsync => submit_async(ctx, &sub, key),
        Mode::Blocking | Mode::ForceBlocking => blocking(ctx, &sub, key).await,
    }
}

/// Runs the query; `Err` is the HogQL error; `Ok(Err)` the row limit was hit.
fn compute(shared: &Shared, sub: &Submission) -> Result<Result<QueryOutput, ApiError>, QueryError> {
    let (max_rows, tz) = shared.with_admin(|admin, _| (admin.query.max_rows, admin.timezone));
    let mut output = shared.with_db(|db| hogql::run(db, &sub.text, &sub.values, Utc::now(), tz))?;
    output.in_timezone(tz);
    Ok(match max_rows {
        Some(max) if output.results.len() > max => Err(ApiError::query_timeout()),
        _ => Ok(output),
    })
}

/// Decrements the in-flight count when the request ends (even when it is dropped).
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.with_admin(|admin, _| {
            admin.query.in_flight = admin.query.in_flight.saturating_sub(1);
        });
    }
}

async fn blocking(ctx: &Ctx<'_>, sub: &Submission, key: String) -> Outcome {
    let task = sub.client_query_id.clone().unwrap_or_else(new_query_id);
    let delay: Duration = ctx.shared.with_admin(|admin, _| {
        let limit = throttle::max_concurrent(&admin.query.throttle);
        match limit {
            Some(max) if admin.query.running() >= max => Err(ApiError::throttled_detail(format!(
                "Exceeded maximum concurrency limit: {max} for key: api:query:per-team:1 and task: {task}"
            ))),
            _ => {
                admin.query.in_flight += 1;
                Ok(admin.query.delay)
            }
        }
    })?;
    let guard = InFlight(Arc::clone(ctx.shared));
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let at = Utc::now();
    let result = compute(ctx.shared, sub);
    drop(guard);
    let output = result.map_err(|e| ApiError::query(e.code, e.message))??;
    let ttl = ctx
        .shared
        .with_admin(|admin, _| admin.query.cache.ttl.as_secs());
    let body = answer::fresh(output, &sub.text, &key, at, ttl);
    ctx.shared.with_admin(|admin, _| {
        admin.query.cache.put(key, body.clone(), Instant::now());
    });
    ok(body)
}

fn submit_async(ctx: &Ctx<'_>, sub: &Submission, key: String) -> Outcome {
    let id = sub.client_query_id.clone().unwrap_or_else(new_query_id);
    let force = sub.mode == Mode::ForceAsync;
    let existing = ctx.shared.with_admin(|admin, _| {
        admin
            .query
            .asyncs
            .get(&id)
            .filter(|_| !force)
            .map(|q| (q.running(), q.status(&id, drf_time, false)))
    });
    if let Some((running, status)) = existing {
        let code = if running { 202 } else { 200 };
        return Ok(Answer::Json(
            code,
            json!({"cache_key": key, "query_status": status}),
        ));
    }
    let scripted = ctx
        .shared
        .with_admin(|admin, _| admin.query.failures.pop_front());
    let outcome = match scripted {
        Some(message) => status::Outcome::Failed(message),
        None => {
            let at = Utc::now();
            match compute(ctx.shared, sub) {
                Ok(Ok(output)) => {
                    let ttl = ctx
                        .shared
                        .with_admin(|admin, _| admin.query.cache.ttl.as_secs());
                    status::Outcome::Done(answer::fresh(output, &sub.text, &key, at, ttl))
                }
                Ok(Err(api)) => status::Outcome::Failed(Some(api.detail)),
                Err(e) => status::Outcome::Failed(Some(e.message)),
            }
        }
    };
    let query = AsyncQuery::new(outcome, key.clone());
    let status = query.status(&id, drf_time, false);
    ctx.shared.with_admin(|admin, _| {
        admin.query.asyncs.insert(id, query);
    });
    let body = if force {
        json!({"query_status": status})
    } else {
        json!({"cache_key": key, "query_status": status})
    };
    Ok(Answer::Json(202, body))
}

/// `GET …/query/{id}/`: answers the state, then a running query completes (its answer
/// goes to the cache).
fn poll(ctx: &Ctx<'_>, id: &str) -> Outcome {
    ctx.shared.with_admin(|admin, _| {
        let state = &mut admin.query;
        let Some(query) = state.asyncs.get_mut(id) else {
            return Err(ApiError::not_found_detail(format!(
                "Query {id} not found for team 1"
            )));
        };
        let code = query.poll_status();
        let body = json!({"query_status": query.status(id, django_time, true)});
        if query.running() {
            query.end_time = Some(Utc::now());
            if let status::Outcome::Done(answer) = &query.outcome {
                state
                    .cache
                    .put(query.cache_key.clone(), answer.clone(), Instant::now());
            }
        }
        query.polls = query.polls.saturating_add(1);
        Ok(Answer::Json(code, body))
    })
}

/// `DELETE …/query/{id}/[?dequeue_only=true]`: `cancel_query`'s message; a complete
/// query is kept ("Query already complete"), any other id is forgotten.
fn cancel(ctx: &Ctx<'_>, id: &str) -> Outcome {
    let dequeue_only = ctx.param("dequeue_only").as_deref() == Some("true");
    let message = ctx.shared.with_admin(|admin, _| {
        let asyncs = &mut admin.query.asyncs;
        if asyncs.get(id).is_some_and(|q| !q.running()) {
            return "Query already complete";
        }
        asyncs.remove(id);
        if dequeue_only {
            "Only tried to dequeue, not cancelling query on clickhouse"
        } else {
            "Cancelled query on clickhouse"
        }
    });
    ok(json!({"message": message}))
}
