//! `GET /api/projects/` and `GET /api/projects/{id}/`: the one project, id 1.

use serde_json::{Value, json};

use super::paging;
use super::request::{Ctx, Outcome, ok};

/// The organization's uuid.
pub(crate) const ORGANIZATION_ID: &str = "018f0000-0000-7000-8000-000000000001";
/// The project's uuid.
pub(crate) const PROJECT_UUID: &str = "018f0000-0000-7000-8000-000000000002";
/// The project's name.
pub(crate) const PROJECT_NAME: &str = "Default project";
/// The project (API) key of the project.
pub(crate) const PROJECT_API_TOKEN: &str = "phc_testprojectkey";

/// The project's JSON, in time zone `tz`.
pub(crate) fn project(tz: chrono_tz::Tz) -> Value {
    json!({
        "id": 1,
        "uuid": PROJECT_UUID,
        "organization": ORGANIZATION_ID,
        "api_token": PROJECT_API_TOKEN,
        "name": PROJECT_NAME,
        "timezone": tz.name(),
        "created_at": "2024-01-01T00:00:00.000000Z",
        "is_demo": false,
        "access_control": false,
    })
}

/// `GET /api/projects/`.
pub(crate) fn list(ctx: &Ctx<'_>) -> Outcome {
    if ctx.method != axum::http::Method::GET {
        return ctx.not_allowed();
    }
    let tz = ctx.shared.with_admin(|admin, _| admin.timezone);
    ok(paging::page(ctx, vec![project(tz)]))
}

/// `GET /api/projects/{id}/`.
pub(crate) fn get(ctx: &Ctx<'_>) -> Outcome {
    if ctx.method != axum::http::Method::GET {
        return ctx.not_allowed();
    }
    ok(project(ctx.shared.with_admin(|admin, _| admin.timezone)))
}
