//! The activity log: what flag (and person) changes write, read by the project's
//! `…/activity_log/` (cursor pages of 100, newest first, filters `user`, `scope`,
//! `item_id`) and by `…/feature_flags/{id}/activity/` and `…/feature_flags/activity/`
//! (`page` / `limit` pages with `total_count`).

use serde_json::{Value, json};

use super::cursor;
use super::links::format_query_params;
use super::projects::ORGANIZATION_ID;
use super::request::{Answer, Ctx, Outcome, now, ok};
use super::users;
use crate::flags::api_error::ApiError;

/// `ActivityLogPagination.page_size`.
const CURSOR_PAGE: usize = 100;

/// One entry, as `ActivityLogSerializer` answers it.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    seq: u64,
    scope: String,
    item_id: String,
    json: Value,
}

/// Every entry, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ActivityLog {
    entries: Vec<Entry>,
    next_seq: u64,
}

impl ActivityLog {
    /// Writes one entry by the test user: `detail` is PostHog's `Detail` (`name`,
    /// `changes`, …; the missing members are `null`).
    pub(crate) fn log(&mut self, scope: &str, item_id: &str, activity: &str, detail: Value) {
        let mut full = json!({
            "id": null, "changes": null, "merge": null, "trigger": null, "name": null,
            "short_id": null, "type": null, "context": null,
        });
        if let (Some(full), Value::Object(given)) = (full.as_object_mut(), detail) {
            full.extend(given);
        }
        self.next_seq += 1;
        self.entries.push(Entry {
            seq: self.next_seq,
            scope: scope.to_owned(),
            item_id: item_id.to_owned(),
            json: json!({
                "id": uuid::Uuid::new_v4().to_string(),
                "user": users::basic_user(),
                "unread": false,
                "organization_id": ORGANIZATION_ID,
                "was_impersonated": false,
                "is_system": false,
                "activity": activity,
                "item_id": item_id,
                "scope": scope,
                "detail": full,
                "created_at": now(),
            }),
        });
    }

    /// Whether any entry is about this item.
    pub(crate) fn has_item(&self, scope: &str, item_id: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.scope == scope && e.item_id == item_id)
    }

    /// The entries of `scope` (and `item_id`), newest first.
    fn newest_first(&self, scope: Option<&str>, item_id: Option<&str>) -> Vec<(u64, Value)> {
        self.entries
            .iter()
            .rev()
            .filter(|e| scope.is_none_or(|s| e.scope == s))
            .filter(|e| item_id.is_none_or(|i| e.item_id == i))
            .map(|e| (e.seq, e.json.clone()))
            .collect()
    }
}

/// `GET …/activity_log/`: cursor pages of 100, newest first; `user` (the test user is 1),
/// `scope` and `item_id` filter.
pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method.clone(), rest) {
        (axum::http::Method::GET, []) => {}
        (_, []) => return ctx.not_allowed(),
        _ => return Err(ApiError::not_found()),
    }
    let scope = ctx.param("scope").filter(|s| !s.is_empty());
    let item_id = ctx.param("item_id").filter(|s| !s.is_empty());
    let user = ctx.param("user").filter(|s| !s.is_empty());
    let mut items = ctx.shared.with_admin(|admin, _| {
        admin
            .activity
            .newest_first(scope.as_deref(), item_id.as_deref())
    });
    if user.is_some_and(|u| u != users::USER_ID.to_string()) {
        items.clear();
    }
    ok(cursor::page(ctx, items, CURSOR_PAGE)?)
}

/// `GET …/feature_flags/{id}/activity/` (`id: Some`, the flag must exist, deleted ones
/// too, else a 404 whose body is `""`) and `GET …/feature_flags/activity/` (`None`).
pub(crate) fn flag_page(ctx: &Ctx<'_>, id: Option<i64>, exists: bool) -> Outcome {
    let (limit, page) = pagination(ctx)?;
    if id.is_some() && !exists {
        return Ok(Answer::Json(404, json!("")));
    }
    let item_id = id.map(|i| i.to_string());
    let items = ctx.shared.with_admin(|admin, _| {
        admin
            .activity
            .newest_first(Some("FeatureFlag"), item_id.as_deref())
    });
    let total = items.len();
    let start = (page - 1).saturating_mul(limit);
    let results: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(limit)
        .map(|(_, v)| v)
        .collect();
    let has_next = total > start.saturating_add(limit);
    let next = has_next.then(|| format_query_params(ctx, page + 1, Some(limit), "page", "limit"));
    let previous =
        (page > 1).then(|| format_query_params(ctx, page - 1, Some(limit), "page", "limit"));
    ok(json!({"results": results, "next": next, "previous": previous, "total_count": total}))
}

/// `limit` (default 10) and `page` (default 1, 1-indexed), DRF `IntegerField(min_value=1)`:
/// a non-integer is 400 `invalid` "A valid integer is required.", below 1 is 400
/// `min_value`.
fn pagination(ctx: &Ctx<'_>) -> Result<(usize, usize), ApiError> {
    let field = |name: &'static str, default: usize| -> Result<usize, ApiError> {
        let Some(text) = ctx.param(name) else {
            return Ok(default);
        };
        let digits = text.trim();
        let digits = digits.strip_suffix(".0").unwrap_or(digits);
        let n: i64 = digits.parse().map_err(|_| {
            ApiError::invalid("invalid", Some(name), "A valid integer is required.")
        })?;
        usize::try_from(n).ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiError::invalid(
                "min_value",
                Some(name),
                "Ensure this value is greater than or equal to 1.",
            )
        })
    };
    let limit = field("limit", 10)?;
    let page = field("page", 1)?;
    Ok((limit, page))
}
