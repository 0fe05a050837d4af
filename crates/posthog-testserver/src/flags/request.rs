//! Reading a `POST /flags` body into an evaluation request.

use posthog_flags::EvalContext;
use serde_json::{Map, Value};

use super::api_error::ApiError;
use crate::ingest::decode;

/// One remote-evaluation request, validated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlagsRequest {
    /// The project key (`api_key` or `token`).
    pub(crate) token: String,
    /// Who to evaluate for.
    pub(crate) context: EvalContext,
    /// `flag_keys_to_evaluate`, when given: evaluate only these.
    pub(crate) only: Option<Vec<String>>,
}

/// Reads the body (JSON, gzip allowed by magic bytes). Key errors come first (401), then
/// body errors (400).
pub(crate) fn parse(body: &[u8]) -> Result<FlagsRequest, ApiError> {
    let bytes = if decode::is_gzip(body) {
        decode::gunzip(body)
            .map_err(|_| ApiError::invalid("invalid_input", None, "the gzip body is corrupt"))?
    } else {
        body.to_vec()
    };
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::invalid("parse_error", None, format!("the body is not JSON: {e}"))
    })?;
    let Some(root) = value.as_object() else {
        return Err(ApiError::invalid(
            "invalid_input",
            None,
            "the body must be a JSON object",
        ));
    };
    let token = token(root)?;
    let distinct_id = match root.get("distinct_id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(ApiError::invalid(
                "required",
                Some("distinct_id"),
                "`distinct_id` is required (a non-empty string)",
            ));
        }
    };
    let device_id = match root.get("device_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(invalid_attr("device_id", "a string")),
    };
    let context = EvalContext {
        distinct_id,
        device_id,
        person_properties: object(root, "person_properties")?,
        groups: object(root, "groups")?,
        group_properties: object(root, "group_properties")?,
    };
    if context.group_properties.values().any(|v| !v.is_object()) {
        return Err(invalid_attr("group_properties", "an object of objects"));
    }
    match root.get("geoip_disable") {
        None | Some(Value::Null | Value::Bool(_)) => {}
        Some(_) => return Err(invalid_attr("geoip_disable", "a boolean")),
    }
    let only = match root.get("flag_keys_to_evaluate") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|k| k.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| invalid_attr("flag_keys_to_evaluate", "an array of strings"))?,
        ),
        Some(_) => return Err(invalid_attr("flag_keys_to_evaluate", "an array of strings")),
    };
    Ok(FlagsRequest {
        token,
        context,
        only,
    })
}

/// The project key: `api_key` or `token`; missing, empty or a secret key → 401.
fn token(root: &Map<String, Value>) -> Result<String, ApiError> {
    let given = [root.get("api_key"), root.get("token")]
        .into_iter()
        .flatten()
        .find_map(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match given {
        None => Err(ApiError::unauthenticated(
            "No project API key (`api_key` or `token`) was provided.",
        )),
        Some(t) if t.starts_with("phx_") || t.starts_with("phs_") => {
            Err(ApiError::unauthenticated(
                "A secret key cannot be used here; send the project API key.",
            ))
        }
        Some(t) => Ok(t.to_owned()),
    }
}

fn object(root: &Map<String, Value>, name: &'static str) -> Result<Map<String, Value>, ApiError> {
    match root.get(name) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(invalid_attr(name, "an object")),
    }
}

fn invalid_attr(attr: &'static str, what: &str) -> ApiError {
    ApiError::invalid(
        "invalid_input",
        Some(attr),
        format!("`{attr}` must be {what}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_json(v: Value) -> Result<FlagsRequest, ApiError> {
        parse(v.to_string().as_bytes())
    }

    #[test]
    fn reads_a_full_body() {
        let r = parse_json(
            json!({"token": "phc_t", "distinct_id": "u", "device_id": "d",
            "groups": {"company": "c"}, "person_properties": {"plan": "pro"},
            "group_properties": {"company": {"size": 3}}, "geoip_disable": true,
            "flag_keys_to_evaluate": ["a"]}),
        )
        .unwrap();
        assert_eq!(r.token, "phc_t");
        assert_eq!(r.context.device_id.as_deref(), Some("d"));
        assert_eq!(r.context.groups["company"], "c");
        assert_eq!(r.only, Some(vec!["a".to_owned()]));
        assert_eq!(
            parse_json(json!({"api_key": "phc_t", "distinct_id": 5}))
                .unwrap()
                .context
                .distinct_id,
            "5"
        );
    }

    #[test]
    fn refuses_bad_bodies() {
        let status = |v: Value| parse_json(v).map(|_| ()).map_err(|e| e.status);
        assert_eq!(status(json!({"distinct_id": "u"})), Err(401));
        assert_eq!(
            status(json!({"api_key": "phx_k", "distinct_id": "u"})),
            Err(401)
        );
        assert_eq!(status(json!({"api_key": "phc_k"})), Err(400));
        assert_eq!(
            status(json!({"api_key": "phc_k", "distinct_id": ""})),
            Err(400)
        );
        assert_eq!(
            status(json!({"api_key": "phc_k", "distinct_id": "u", "groups": []})),
            Err(400)
        );
        assert_eq!(
            status(json!({"api_key": "phc_k", "distinct_id": "u", "flag_keys_to_evaluate": [1]})),
            Err(400)
        );
        assert_eq!(parse(b"nope").unwrap_err().status, 400);
    }
}
