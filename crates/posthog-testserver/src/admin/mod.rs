//! PostHog's private API ("admin" API, personal API keys): users, projects, feature flags
//! (the same state the flag routes serve), persons, cohorts, insights, annotations, event
//! and property definitions, batch exports, the activity log, personal API keys and the
//! query API (HogQL subset, sync and async). One file per resource; this one routes,
//! authenticates, authorises and throttles.

mod activity;
mod annotations;
mod auth;
mod batch_exports;
mod cohorts;
pub(crate) mod control;
mod cursor;
mod definitions;
mod feature_flags;
mod insights;
mod links;
mod paging;
mod personal_keys;
mod persons;
mod projects;
mod query;
pub(crate) mod query_control;
mod request;
pub(crate) mod settings;
pub(crate) mod state;
mod throttle;
mod users;

use std::sync::Arc;

use axum::http::Method;
use axum::response::Response;

use crate::flags::api_error::ApiError;
use crate::ingest::{Input, empty, json, set_header};
use crate::state::Shared;
use request::{Answer, Ctx, Outcome};

/// Whether a path belongs to the private API (`/api/…`; the flag routes under `/api/`
/// are classified before this is asked).
pub(crate) fn is_admin_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Me,
    Projects,
    Project,
    FeatureFlags,
    Persons,
    Cohorts,
    Insights,
    Annotations,
    EventDefinitions,
    PropertyDefinitions,
    BatchExports,
    Query,
    ActivityLog,
    PersonalApiKeys,
}

impl Resource {
    /// The scope object that guards it.
    fn object(self) -> &'static str {
        match self {
            Resource::Me => "user",
            Resource::Projects | Resource::Project => "project",
            Resource::FeatureFlags => "feature_flag",
            Resource::Persons => "person",
            Resource::Cohorts => "cohort",
            Resource::Insights => "insight",
            Resource::Annotations => "annotation",
            Resource::EventDefinitions => "event_definition",
            Resource::PropertyDefinitions => "property_definition",
            Resource::BatchExports => "batch_export",
            Resource::Query => "query",
            Resource::ActivityLog => "activity_log",
            Resource::PersonalApiKeys => "personal_api_key",
        }
    }

    /// The scope a request needs (`object`, write), `None` when the handler checks.
    /// Flag activity needs `activity_log:read`; every query request `query:read`.
    fn required_scope(self, rest: &[String], method: &Method) -> Option<(&'static str, bool)> {
        let write = !matches!(*method, Method::GET | Method::HEAD);
        match (self, rest) {
            (Resource::PersonalApiKeys, _) => None,
            (Resource::Query, _) => Some(("query", false)),
            (Resource::FeatureFlags, [a]) if a == "activity" => Some(("activity_log", false)),
            (Resource::FeatureFlags, [_, a]) if a == "activity" => Some(("activity_log", false)),
            _ => Some((self.object(), write)),
        }
    }

    fn named(segment: &str) -> Option<Resource> {
        Some(match segment {
            "feature_flags" => Resource::FeatureFlags,
            "persons" => Resource::Persons,
            "cohorts" => Resource::Cohorts,
            "insights" => Resource::Insights,
            "annotations" => Resource::Annotations,
            "event_definitions" => Resource::EventDefinitions,
            "property_definitions" => Resource::PropertyDefinitions,
            "batch_exports" => Resource::BatchExports,
            "query" => Resource::Query,
            "activity_log" => Resource::ActivityLog,
            _ => return None,
        })
    }
}

/// Splits `/api/…` into a resource and the path segments after it.
fn resolve(path: &str) -> Option<(Resource, Vec<String>)> {
    let inner = path.strip_prefix("/api/")?.trim_end_matches('/');
    let segments: Vec<&str> = inner.split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    let project_ok = |id: &str| id == "1" || id == "@current";
    let owned = |rest: &[&str]| rest.iter().map(|s| (*s).to_owned()).collect();
    match segments.as_slice() {
        ["users", "@me"] => Some((Resource::Me, Vec::new())),
        ["personal_api_keys", rest @ ..] => Some((Resource::PersonalApiKeys, owned(rest))),
        ["projects"] => Some((Resource::Projects, Vec::new())),
        ["projects" | "environments", id] if project_ok(id) => {
            Some((Resource::Project, Vec::new()))
        }
        ["projects" | "environments", id, resource, rest @ ..] if project_ok(id) => {
            Some((Resource::named(resource)?, owned(rest)))
        }
        _ => None,
    }
}

/// Answers one private-API request (faults are already applied).
pub(crate) async fn handle(shared: &Arc<Shared>, input: &Input<'_>) -> Response {
    let Some((resource, rest)) = resolve(input.path) else {
        return error(&ApiError::not_found());
    };
    let keys = shared.with_flags(|flags| flags.keys.clone());
    let (key, scopes) = match auth::authenticate(input.header("authorization"), &keys) {
        Ok(found) => found,
        Err(err) => return error(&err),
    };
    shared.with_admin(|admin, flags| {
        admin.keys.sync(flags);
        admin.keys.touch(&key);
    });
    if let Some((object, write)) = resource.required_scope(&rest, input.method)
        && let Err(err) = auth::authorize(&scopes, object, write)
    {
        return error(&err);
    }
    if let Some(retry_after) = shared.with_admin(|admin, _| admin.rate.take()) {
        // The scripted budget always sends its `Retry-After`, 0 included.
        return error(&ApiError {
            retry_after: Some(retry_after),
            ..ApiError::throttled(retry_after)
        });
    }
    let host = input.header("host").unwrap_or("127.0.0.1");
    let ctx = Ctx {
        shared,
        method: input.method,
        path: input.path,
        query: input.query,
        body: input.body,
        base_url: format!("http://{host}"),
        key,
        scopes,
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let outcome: Outcome = match resource {
        Resource::Me => users::handle(&ctx),
        Resource::Projects => projects::list(&ctx),
        Resource::Project => projects::get(&ctx),
        Resource::FeatureFlags => feature_flags::handle(&ctx, &rest),
        Resource::Persons => persons::handle(&ctx, &rest),
        Resource::Cohorts => cohorts::handle(&ctx, &rest),
        Resource::Insights => insights::handle(&ctx, &rest),
        Resource::Annotations => annotations::handle(&ctx, &rest),
        Resource::EventDefinitions => definitions::events(&ctx, &rest),
        Resource::PropertyDefinitions => definitions::properties(&ctx, &rest),
        Resource::BatchExports => batch_exports::handle(&ctx, &rest),
        Resource::Query => query::handle(&ctx, &rest).await,
        Resource::ActivityLog => activity::handle(&ctx, &rest),
        Resource::PersonalApiKeys => personal_keys::handle(&ctx, &rest),
    };
    match outcome {
        Ok(Answer::Json(status, body)) => json(status, &body),
        Ok(Answer::Empty(status)) => empty(status),
        Err(err) => error(&err),
    }
}

/// PostHog's error answer: the drf-exceptions-hog body, and `Retry-After` with a
/// throttle's wait.
fn error(err: &ApiError) -> Response {
    let mut response = json(err.status, &err.body());
    if let Some(wait) = err.retry_after {
        set_header(&mut response, "retry-after", &wait.to_string());
    }
    response
}

/// An id segment as a number, else 404.
fn numeric_id(segment: &str) -> Result<i64, ApiError> {
    segment.parse().map_err(|_| ApiError::not_found())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_paths() {
        assert_eq!(resolve("/api/users/@me/"), Some((Resource::Me, vec![])));
        assert_eq!(
            resolve("/api/projects/"),
            Some((Resource::Projects, vec![]))
        );
        assert_eq!(
            resolve("/api/projects/@current/feature_flags/7/activity/"),
            Some((
                Resource::FeatureFlags,
                vec!["7".to_owned(), "activity".to_owned()]
            ))
        );
        assert_eq!(
            resolve("/api/environments/1/query"),
            Some((Resource::Query, vec![]))
        );
        assert_eq!(
            resolve("/api/personal_api_keys/@current/"),
            Some((Resource::PersonalApiKeys, vec!["@current".to_owned()]))
        );
        assert_eq!(
            resolve("/api/projects/1/activity_log/"),
            Some((Resource::ActivityLog, vec![]))
        );
        assert_eq!(resolve("/api/projects/2/feature_flags/"), None);
        assert_eq!(resolve("/api/projects/1/nope/"), None);
        assert_eq!(resolve("/api/projects//feature_flags/"), None);
    }
}
