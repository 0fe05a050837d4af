//! `…/feature_flags/`: the flags `/flags` evaluates and `/flags/definitions` serves. A
//! create or a change rewrites the served definitions (and so their ETag); a soft delete
//! (`PATCH {"deleted": true}`) takes the flag out of them. Creates, updates and deletes
//! write the activity log (scope `FeatureFlag`); a create makes a usage dashboard unless
//! `"_should_create_usage_dashboard": false`; each list call counts as a billable
//! local-evaluation request.

use std::sync::Arc;

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::activity;
use super::request::{Ctx, Outcome, created, now, ok, required_str};
use super::state::AdminState;
use super::{numeric_id, paging};
use crate::flags::api_error::ApiError;
use crate::flags::store::{FlagState, Loaded};

/// `created_at` of the flags that were not created through the API.
const SEEDED_AT: &str = "2024-01-01T00:00:00.000000Z";

/// Routes `…/feature_flags/[activity/ | {id}/[activity/]]`.
pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    match (ctx.method.clone(), rest) {
        (Method::GET, []) => list(ctx),
        (Method::POST, []) => create(ctx),
        (Method::GET, ["activity"]) => activity::flag_page(ctx, None, true),
        (Method::GET, [id]) => get(ctx, numeric_id(id)?),
        (Method::PATCH | Method::PUT, [id]) => update(ctx, numeric_id(id)?),
        (Method::GET, [id, "activity"]) => {
            let id = numeric_id(id)?;
            let exists = ctx.shared.with_admin(|admin, state| {
                all_flags(state).iter().any(|f| id_of(f) == id)
                    || admin.activity.has_item("FeatureFlag", &id.to_string())
            });
            activity::flag_page(ctx, Some(id), exists)
        }
        (_, [] | [_] | [_, "activity"]) => ctx.not_allowed(),
        _ => Err(ApiError::not_found()),
    }
}

fn flags_of(loaded: &Loaded) -> Vec<Value> {
    loaded
        .json()
        .get("flags")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.get("deleted") != Some(&Value::Bool(true)))
        .collect()
}

fn id_of(flag: &Value) -> i64 {
    flag.get("id").and_then(Value::as_i64).unwrap_or(0)
}

/// The private API's form of a definitions entry.
fn api_form(flag: &Value, admin: &AdminState) -> Value {
    let mut out = flag.clone();
    let created_at = admin
        .flag_created
        .get(&id_of(flag))
        .map_or(SEEDED_AT, String::as_str);
    let groups = flag
        .pointer("/filters/groups")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let simple = groups.len() == 1
        && groups[0]
            .get("properties")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty)
        && flag
            .pointer("/filters/multivariate")
            .is_none_or(Value::is_null);
    let rollout = if simple {
        groups[0]
            .get("rollout_percentage")
            .cloned()
            .unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    if let Some(o) = out.as_object_mut() {
        o.entry("name").or_insert_with(|| json!(""));
        o.insert("created_at".into(), json!(created_at));
        o.insert("created_by".into(), Value::Null);
        o.insert("is_simple_flag".into(), json!(simple));
        o.insert("rollout_percentage".into(), rollout);
        o.entry("tags").or_insert_with(|| json!([]));
        let dashboard = admin.flag_dashboards.get(&id_of(flag)).copied();
        o.insert("usage_dashboard".into(), json!(dashboard));
    }
    out
}

fn list(ctx: &Ctx<'_>) -> Outcome {
    let flags = ctx.shared.with_admin(|admin, state| {
        admin.flag_list_requests += 1;
        flags_of(&state.loaded)
            .iter()
            .map(|f| api_form(f, admin))
            .collect::<Vec<_>>()
    });
    ok(paging::page(ctx, flags))
}

fn get(ctx: &Ctx<'_>, id: i64) -> Outcome {
    ctx.shared
        .with_admin(|admin, state| {
            flags_of(&state.loaded)
                .iter()
                .find(|f| id_of(f) == id)
                .map(|f| api_form(f, admin))
        })
        .map_or_else(|| Err(ApiError::not_found()), ok)
}

fn valid_key(key: &str) -> bool {
    key.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_key(state: &FlagState, key: &str, except: Option<i64>) -> Result<(), ApiError> {
    if !valid_key(key) {
        return Err(ApiError::invalid(
            "invalid_input",
            Some("key"),
            "Only letters, numbers, hyphens (\"-\") & underscores (\"_\") are allowed.",
        ));
    }
    let taken = flags_of(&state.loaded)
        .iter()
        .any(|f| f.get("key").and_then(Value::as_str) == Some(key) && Some(id_of(f)) != except);
    if taken {
        return Err(ApiError::invalid(
            "unique",
            Some("key"),
            "There is already a feature flag with this key.",
        ));
    }
    Ok(())
}

/// Checks the writable members a body may carry.
fn check_members(body: &Map<String, Value>) -> Result<(), ApiError> {
    let typed = |attr: &'static str, ok: fn(&Value) -> bool, what: &str| match body.get(attr) {
        Some(v) if !ok(v) => Err(ApiError::invalid(
            "invalid_input",
            Some(attr),
            format!("Must be {what}."),
        )),
        _ => Ok(()),
    };
    typed("name", Value::is_string, "a string")?;
    typed("filters", Value::is_object, "an object")?;
    typed("active", Value::is_boolean, "a boolean")?;
    typed("deleted", Value::is_boolean, "a boolean")?;
    typed(
        "ensure_experience_continuity",
        Value::is_boolean,
        "a boolean",
    )
}

/// Replaces the flags array of the served definitions (new ETag).
fn store(state: &mut FlagState, flags: Vec<Value>) {
    let mut doc = match state.loaded.json() {
        Value::Object(o) => o.clone(),
        _ => Map::new(),
    };
    doc.insert("flags".into(), Value::Array(flags));
    state.loaded = Arc::new(Loaded::new(Value::Object(doc)));
}

fn all_flags(state: &FlagState) -> Vec<Value> {
    state
        .loaded
        .json()
        .get("flags")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn log(admin: &mut AdminState, id: i64, activity: &str, key: &str, changes: Vec<Value>) {
    let changes = if changes.is_empty() {
        Value::Null
    } else {
        Value::Array(changes)
    };
    admin.activity.log(
        "FeatureFlag",
        &id.to_string(),
        activity,
        json!({"name": key, "changes": changes}),
    );
}

fn create(ctx: &Ctx<'_>) -> Outcome {
    let body = ctx.object()?;
    let key = required_str(&body, "key")?;
    check_members(&body)?;
    let with_dashboard = match body.get("_should_create_usage_dashboard") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid",
                Some("_should_create_usage_dashboard"),
                "Must be a valid boolean.",
            ));
        }
    };
    ctx.shared.with_admin(|admin, state| {
        check_key(state, &key, None)?;
        let mut flags = all_flags(state);
        let id = flags
            .iter()
            .map(id_of)
            .chain([admin.max_flag_id])
            .max()
            .unwrap_or(0)
            + 1;
        admin.max_flag_id = id;
        let default_filters = json!({"groups": [{"properties": [], "rollout_percentage": 0}]});
        let flag = json!({
            "id": id,
            "team_id": 1,
            "name": body.get("name").cloned().unwrap_or_else(|| json!("")),
            "key": key,
            "filters": body.get("filters").cloned().unwrap_or(default_filters),
            "deleted": false,
            "active": body.get("active").cloned().unwrap_or(json!(true)),
            "ensure_experience_continuity": body
                .get("ensure_experience_continuity")
                .cloned()
                .unwrap_or(json!(false)),
            "version": 1,
        });
        flags.push(flag.clone());
        store(state, flags);
        admin.flag_created.insert(id, now());
        if with_dashboard {
            let dashboard = admin.next_id();
            admin.flag_dashboards.insert(id, dashboard);
            admin.dashboards_created += 1;
        }
        log(admin, id, "created", &key, Vec::new());
        created(api_form(&flag, admin))
    })
}

fn update(ctx: &Ctx<'_>, id: i64) -> Outcome {
    let body = ctx.object()?;
    check_members(&body)?;
    ctx.shared.with_admin(|admin, state| {
        let mut flags = all_flags(state);
        let Some(index) = flags
            .iter()
            .position(|f| id_of(f) == id && f.get("deleted") != Some(&Value::Bool(true)))
        else {
            return Err(ApiError::not_found());
        };
        if let Some(key) = body.get("key") {
            let key = required_str(&body, "key").map(|_| key.as_str().unwrap_or_default())?;
            check_key(state, key, Some(id))?;
        }
        let mut flag = flags[index].clone();
        let mut changes = Vec::new();
        for field in [
            "name",
            "key",
            "filters",
            "active",
            "deleted",
            "ensure_experience_continuity",
        ] {
            let (Some(after), Some(o)) = (body.get(field), flag.as_object_mut()) else {
                continue;
            };
            let before = o.get(field).cloned().unwrap_or(Value::Null);
            if &before != after {
                changes.push(json!({"type": "FeatureFlag", "action": "changed", "field": field, "before": before, "after": after}));
                o.insert(field.to_owned(), after.clone());
            }
        }
        if !changes.is_empty() {
            let version = flag.get("version").and_then(Value::as_i64).unwrap_or(0) + 1;
            if let Some(o) = flag.as_object_mut() {
                o.insert("version".into(), json!(version));
            }
        }
        let deleted = flag.get("deleted") == Some(&Value::Bool(true));
        if deleted {
            flags.remove(index);
        } else {
            flags[index] = flag.clone();
        }
        admin.max_flag_id = admin.max_flag_id.max(id);
        if !changes.is_empty() {
            store(state, flags);
            let key = flag.get("key").and_then(Value::as_str).unwrap_or_default().to_owned();
            let activity = if deleted { "deleted" } else { "updated" };
            log(admin, id, activity, &key, changes);
        }
        ok(api_form(&flag, admin))
    })
}
