//! `GET /api/users/@me/`: who the key belongs to, and its scopes.

use axum::http::Method;
use serde_json::json;

use super::projects::{ORGANIZATION_ID, PROJECT_API_TOKEN, PROJECT_NAME, PROJECT_UUID};
use super::request::{Ctx, Outcome, ok};

/// The test user's id.
pub(crate) const USER_ID: i64 = 1;
/// The test user's uuid.
pub(crate) const USER_UUID: &str = "018f0000-0000-7000-8000-000000000003";

/// `UserBasicSerializer`'s form of the test user (activity entries).
pub(crate) fn basic_user() -> serde_json::Value {
    json!({
        "id": USER_ID,
        "uuid": USER_UUID,
        "distinct_id": "test-user",
        "first_name": "Test",
        "last_name": "User",
        "email": "test@example.com",
        "is_email_verified": true,
        "hedgehog_config": null,
        "role_at_organization": "engineering",
    })
}

/// Answers the test user.
pub(crate) fn handle(ctx: &Ctx<'_>) -> Outcome {
    if ctx.method != Method::GET {
        return ctx.not_allowed();
    }
    let tz = ctx.shared.with_admin(|admin, _| admin.timezone);
    ok(json!({
        "id": USER_ID,
        "uuid": USER_UUID,
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
            "timezone": tz.name(),
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
