//! `/api/personal_api_keys/[{id}/[roll/]]` and `/api/personal_api_keys/@current/`: list,
//! create (`{"label", "scopes", "scoped_teams", "scoped_organizations"}`, the secret
//! answered once), retrieve, update, delete and roll. Keys created or rolled here
//! authenticate from then on; deleted or rolled-away values stop. Which requests a
//! personal key may make depends on [`PersonalApiKeys`].

pub(crate) mod scopes;
pub(crate) mod store;

use axum::http::Method;
use serde_json::{Map, Value};

use super::auth;
use super::request::{Answer, Ctx, Outcome, created, ok};
use super::settings::PersonalApiKeys;
use crate::flags::api_error::ApiError;
use store::{KeyRecord, MAX_KEYS, known_organization};

/// The message of `PersonalApiKeySelfAccessPermission`.
const SELF_ACCESS_ONLY: &str = "This action does not support Personal API Key access";

/// Routes the endpoint, after the key was authenticated (no generic scope check: each
/// generation has its own).
pub(crate) fn handle(ctx: &Ctx<'_>, rest: &[&str]) -> Outcome {
    let version = ctx.shared.with_admin(|admin, flags| {
        admin.keys.sync(flags);
        admin.personal_api_keys
    });
    let method = ctx.method.clone();
    let known = matches!(rest, [] | [_] | [_, "roll"]);
    if !known {
        return Err(ApiError::not_found());
    }
    match version {
        PersonalApiKeys::Current => {
            if !(method == Method::GET && rest.len() == 1) {
                return Err(ApiError::forbidden(SELF_ACCESS_ONLY));
            }
        }
        PersonalApiKeys::Legacy => {
            let write = !matches!(method, Method::GET | Method::HEAD);
            auth::authorize(&ctx.scopes, "personal_api_key", write)?;
        }
    }
    match (method, rest) {
        (Method::GET, []) => list(ctx),
        (Method::POST, []) => create(ctx, version),
        (Method::GET, [id]) => retrieve(ctx, id, version),
        (Method::PATCH, [id]) => update(ctx, id, version, true),
        (Method::PUT, [id]) => update(ctx, id, version, false),
        (Method::DELETE, [id]) => delete(ctx, id),
        (Method::POST, [id, "roll"]) => roll(ctx, id),
        _ => ctx.not_allowed(),
    }
}

fn scopes_of(ctx: &Ctx<'_>, value: &str) -> Vec<String> {
    ctx.shared
        .with_flags(|flags| flags.keys.get(value).cloned().unwrap_or_default())
}

/// The id a path segment names: `@current` is the key that authenticated.
fn resolve_id(ctx: &Ctx<'_>, segment: &str) -> Option<String> {
    ctx.shared.with_admin(|admin, _| {
        if segment == "@current" {
            admin.keys.by_value_mut(&ctx.key).map(|r| r.id.clone())
        } else {
            admin.keys.by_id_mut(segment).map(|r| r.id.clone())
        }
    })
}

fn record(ctx: &Ctx<'_>, id: &str) -> Option<KeyRecord> {
    ctx.shared
        .with_admin(|admin, _| admin.keys.by_id_mut(id).map(|r| r.clone()))
}

fn list(ctx: &Ctx<'_>) -> Outcome {
    let records: Vec<KeyRecord> = ctx
        .shared
        .with_admin(|admin, _| admin.keys.newest_first().into_iter().cloned().collect());
    let items: Vec<Value> = records
        .iter()
        .map(|r| r.to_json(&scopes_of(ctx, &r.value), None))
        .collect();
    ok(Value::Array(items))
}

fn retrieve(ctx: &Ctx<'_>, segment: &str, version: PersonalApiKeys) -> Outcome {
    let id = resolve_id(ctx, segment).ok_or_else(ApiError::not_found)?;
    let record = record(ctx, &id).ok_or_else(ApiError::not_found)?;
    if version == PersonalApiKeys::Current && record.value != ctx.key {
        return Err(ApiError::forbidden(SELF_ACCESS_ONLY));
    }
    ok(record.to_json(&scopes_of(ctx, &record.value), None))
}

/// The writable members of a create or update body, validated.
#[derive(Debug, Default)]
struct Fields {
    label: Option<String>,
    scopes: Option<Vec<String>>,
    scoped_teams: Option<Vec<i64>>,
    scoped_organizations: Option<Vec<String>>,
}

fn fields(
    body: &Map<String, Value>,
    version: PersonalApiKeys,
    partial: bool,
) -> Result<Fields, ApiError> {
    let required =
        |attr: &'static str| ApiError::invalid("required", Some(attr), "This field is required.");
    let list = |attr: &'static str| -> Result<Option<&Vec<Value>>, ApiError> {
        match body.get(attr) {
            None if partial => Ok(None),
            None => Err(required(attr)),
            Some(Value::Null) => Err(ApiError::invalid(
                "null",
                Some(attr),
                "This field may not be null.",
            )),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(ApiError::invalid(
                "not_a_list",
                Some(attr),
                format!(
                    "Expected a list of items but got type \"{}\".",
                    python_type(other)
                ),
            )),
        }
    };
    let label = match body.get("label") {
        None if partial => None,
        None => return Err(required("label")),
        Some(Value::String(s)) if s.trim().is_empty() => {
            return Err(ApiError::invalid(
                "blank",
                Some("label"),
                "This field may not be blank.",
            ));
        }
        Some(Value::String(s)) if s.chars().count() > 40 => {
            return Err(ApiError::invalid(
                "max_length",
                Some("label"),
                "Ensure this field has no more than 40 characters.",
            ));
        }
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid",
                Some("label"),
                "Not a valid string.",
            ));
        }
    };
    let scopes = match list("scopes")? {
        None => None,
        Some(items) => {
            let strings: Vec<String> = items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(ApiError::invalid(
                        "invalid",
                        Some("scopes"),
                        "Not a valid string.",
                    )),
                })
                .collect::<Result<_, _>>()?;
            if let Some(bad) = scopes::first_invalid(&strings, version) {
                return Err(ApiError::invalid(
                    "invalid",
                    Some("scopes"),
                    format!("Invalid scope: {bad}"),
                ));
            }
            Some(strings)
        }
    };
    let scoped_teams = match list("scoped_teams")? {
        None => None,
        Some(items) => {
            let teams: Vec<i64> = items
                .iter()
                .map(|v| {
                    v.as_i64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                        .ok_or_else(|| {
                            ApiError::invalid(
                                "invalid",
                                Some("scoped_teams"),
                                "A valid integer is required.",
                            )
                        })
                })
                .collect::<Result<_, _>>()?;
            if teams.iter().any(|t| *t != 1) {
                return Err(ApiError::invalid(
                    "invalid",
                    Some("scoped_teams"),
                    "You must be a member of all teams that you are scoping the key to.",
                ));
            }
            Some(teams)
        }
    };
    let scoped_organizations = match list("scoped_organizations")? {
        None => None,
        Some(items) => {
            let mut orgs = Vec::with_capacity(items.len());
            for item in items {
                let text = match item {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                if uuid::Uuid::parse_str(&text).is_err() {
                    return Err(ApiError::invalid(
                        "invalid",
                        Some("scoped_organizations"),
                        "Invalid organization UUID",
                    ));
                }
                if !known_organization(&text) {
                    return Err(ApiError::invalid(
                        "invalid",
                        Some("scoped_organizations"),
                        "You must be a member of all organizations that you are scoping the key to.",
                    ));
                }
                orgs.push(text);
            }
            Some(orgs)
        }
    };
    Ok(Fields {
        label,
        scopes,
        scoped_teams,
        scoped_organizations,
    })
}

fn python_type(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "str",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::Bool(_) => "bool",
        Value::Object(_) => "dict",
        Value::Array(_) => "list",
        Value::Null => "NoneType",
    }
}

fn create(ctx: &Ctx<'_>, version: PersonalApiKeys) -> Outcome {
    let body = ctx.object()?;
    let f = fields(&body, version, false)?;
    let value = format!("phx_{}", store::random_token());
    let scopes = f.scopes.unwrap_or_default();
    ctx.shared.with_admin(|admin, flags| {
        if admin.keys.len() >= MAX_KEYS {
            return Err(ApiError::invalid(
                "invalid",
                None,
                format!(
                    "You can only have {MAX_KEYS} personal API keys. Remove an existing key before creating a new one."
                ),
            ));
        }
        flags.keys.insert(value.clone(), scopes.clone());
        let record = admin.keys.insert(
            value.clone(),
            f.label.unwrap_or_default(),
            f.scoped_teams.unwrap_or_default(),
            f.scoped_organizations.unwrap_or_default(),
        );
        created(record.to_json(&scopes, Some(&value)))
    })
}

fn update(ctx: &Ctx<'_>, segment: &str, version: PersonalApiKeys, partial: bool) -> Outcome {
    let id = resolve_id(ctx, segment).ok_or_else(ApiError::not_found)?;
    let body = ctx.object()?;
    let f = fields(&body, version, partial)?;
    ctx.shared.with_admin(|admin, flags| {
        let Some(record) = admin.keys.by_id_mut(&id) else {
            return Err(ApiError::not_found());
        };
        if let Some(label) = f.label {
            record.label = label;
        }
        if let Some(teams) = f.scoped_teams {
            record.scoped_teams = teams;
        }
        if let Some(orgs) = f.scoped_organizations {
            record.scoped_organizations = orgs;
        }
        if let Some(scopes) = f.scopes {
            flags.keys.insert(record.value.clone(), scopes);
        }
        let scopes = flags.keys.get(&record.value).cloned().unwrap_or_default();
        ok(record.to_json(&scopes, None))
    })
}

fn delete(ctx: &Ctx<'_>, segment: &str) -> Outcome {
    let id = resolve_id(ctx, segment).ok_or_else(ApiError::not_found)?;
    ctx.shared
        .with_admin(|admin, flags| match admin.keys.remove(&id) {
            Some(value) => {
                flags.keys.remove(&value);
                Ok(Answer::Empty(204))
            }
            None => Err(ApiError::not_found()),
        })
}

fn roll(ctx: &Ctx<'_>, segment: &str) -> Outcome {
    let id = resolve_id(ctx, segment).ok_or_else(ApiError::not_found)?;
    let value = format!("phx_{}", store::random_token());
    ctx.shared.with_admin(|admin, flags| {
        let Some(record) = admin.keys.by_id_mut(&id) else {
            return Err(ApiError::not_found());
        };
        let scopes = flags.keys.remove(&record.value).unwrap_or_default();
        flags.keys.insert(value.clone(), scopes.clone());
        record.value = value.clone();
        record.last_rolled_at = Some(super::request::now());
        ok(record.to_json(&scopes, Some(&value)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_body_is_validated_like_the_serializer() {
        let body = |v: Value| v.as_object().cloned().unwrap_or_default();
        let legacy = PersonalApiKeys::Legacy;
        let ok = body(
            json!({"label": "k", "scopes": ["query:read"], "scoped_teams": [1], "scoped_organizations": []}),
        );
        assert!(fields(&ok, legacy, false).is_ok());
        let bad = body(
            json!({"label": "k", "scopes": ["query:nope"], "scoped_teams": [], "scoped_organizations": []}),
        );
        let err = fields(&bad, legacy, false).unwrap_err();
        assert_eq!(
            (err.attr, err.detail.as_str()),
            (Some("scopes"), "Invalid scope: query:nope")
        );
        let missing = body(json!({"label": "k"}));
        assert_eq!(
            fields(&missing, legacy, false).unwrap_err().code,
            "required"
        );
        assert!(fields(&missing, legacy, true).is_ok());
        let team = body(
            json!({"label": "k", "scopes": [], "scoped_teams": [2], "scoped_organizations": []}),
        );
        assert_eq!(
            fields(&team, legacy, false).unwrap_err().attr,
            Some("scoped_teams")
        );
    }
}
