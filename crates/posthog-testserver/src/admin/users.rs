//! `GET /api/users/@me/`: who the key belongs to, and its scopes.

use axum::http::Method;
use serde_json::json;

use super::projects::{ORGANIZATION_ID, PROJECT_API_TOKEN, PROJECT_NAME, PROJECT_UUID};
use super::request::{Ctx, Outcome, ok};

/// Answers the test user.
pub(crate) fn handle(ctx: &Ctx<'_>) -> Outcome {
    if ctx.method != Method::GET {
        return ctx.not_allowed();
    }
    ok(json!({
        "id": 1,
        "uuid": "018f0000-0000-7000-8000-000000000003",
        "distinct_id": "test-user",
        "email": "test@example.com",
        "first_name": "Test",
        "last_name": "User",
        "team": {
            "id": 1,
            "uuid": PROJECT_UUID,
            "organization": ORGANIZATION_ID,
            "project_id": 1,
            "api_token": PROJECT_API_TOKEN,
            "name": PROJECT_NAME,
            "timezone": "UTC",
        },
        "organization": {
            "id": ORGANIZATION_ID,
            "name": "Test organization",
            "slug": "test-organization",
            "membership_level": 15,
        },
        "scopes": ctx.scopes,
    }))
}
