//! `…/insights/`: list and get of two seeded insights.

use axum::http::Method;
use serde_json::{Value, json};

use super::request::{Ctx, Outcome, ok};
use super::{numeric_id, paging};
use crate::flags::api_error::ApiError;

/// The insights every new or reset server has.
pub(crate) fn seed() -> Vec<Value> {
    vec![
        json!({
            "id": 1,
            "short_id": "Pv7dWm1a",
            "name": "Daily pageviews",
            "description": "",
            "query": {"kind": "InsightVizNode", "source": {
                "kind": "TrendsQuery",
                "series": [{"kind": "EventsNode", "event": "$pageview", "math": "total"}],
                "interval": "day",
            }},
            "filters": {},
            "favorited": false,
            "deleted": false,
            "saved": true,
            "tags": [],
            "created_at": "2024-01-01T00:00:00.000000Z",
            "last_modified_at": "2024-01-01T00:00:00.000000Z",
        }),
        json!({
            "id": 2,
            "short_id": "Sg2uPq9b",
            "name": "Signup funnel",
            "description": "Pageview to signup",
            "query": {"kind": "InsightVizNode", "source": {
                "kind": "FunnelsQuery",
                "series": [
                    {"kind": "EventsNode", "event": "$pageview"},
                    {"kind": "EventsNode", "event": "signed_up"},
                ],
            }},
            "filters": {},
            "favorited": true,
            "deleted": false,
            "saved": true,
            "tags": ["growth"],
            "created_at": "2024-01-02T00:00:00.000000Z",
            "last_modified_at": "2024-01-02T00:00:00.000000Z",
        }),
    ]
}

/// Routes `…/insights/[{id}/]`.
pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method.clone(), rest) {
        (Method::GET, []) => {
            let short_id = ctx.param("short_id");
            let insights = ctx.shared.with_admin(|admin, _| admin.insights.clone());
            let insights = insights
                .into_iter()
                .filter(|i| {
                    short_id
                        .as_deref()
                        .is_none_or(|s| i.get("short_id").and_then(Value::as_str) == Some(s))
                })
                .collect();
            ok(paging::page(ctx, insights))
        }
        (Method::GET, [id]) => {
            let id = numeric_id(id)?;
            ctx.shared
                .with_admin(|admin, _| {
                    admin
                        .insights
                        .iter()
                        .find(|i| i.get("id").and_then(Value::as_i64) == Some(id))
                        .cloned()
                })
                .map_or_else(|| Err(ApiError::not_found()), ok)
        }
        (_, [] | [_]) => ctx.not_allowed(),
        _ => Err(ApiError::not_found()),
    }
}
