//! What a resource handler reads from one private-API request, and what it answers.

use std::sync::Arc;

use axum::http::Method;
use serde_json::{Map, Value};

use crate::flags::api_error::ApiError;
use crate::flags::query_param;
use crate::state::Shared;

/// One authenticated, authorised request.
pub(crate) struct Ctx<'a> {
    pub(crate) shared: &'a Arc<Shared>,
    pub(crate) method: &'a Method,
    /// The path as sent (for `next` links).
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) body: &'a [u8],
    /// `http://host:port`, from the `Host` header.
    pub(crate) base_url: String,
    /// The personal API key that called (its secret value).
    pub(crate) key: String,
    /// The scopes of the key that called.
    pub(crate) scopes: Vec<String>,
}

/// A handler's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    /// A JSON body with this status.
    Json(u16, Value),
    /// No body (204).
    Empty(u16),
}

/// What handlers return.
pub(crate) type Outcome = Result<Answer, ApiError>;

impl Ctx<'_> {
    /// A query parameter, decoded.
    pub(crate) fn param(&self, name: &str) -> Option<String> {
        query_param(self.query, name)
    }

    /// The body as a JSON object (`{}` when empty).
    pub(crate) fn object(&self) -> Result<Map<String, Value>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Map::new());
        }
        match serde_json::from_slice(self.body) {
            Ok(Value::Object(o)) => Ok(o),
            Ok(other) => {
                let kind = match other {
                    Value::Array(_) => "list",
                    Value::String(_) => "str",
                    Value::Bool(_) => "bool",
                    Value::Null => "NoneType",
                    _ => "int",
                };
                Err(ApiError::invalid(
                    "invalid",
                    None,
                    format!("Invalid data. Expected a dictionary, but got {kind}."),
                ))
            }
            // DRF's `ParseError`: drf-exceptions-hog answers it as an `invalid_request`.
            Err(e) => Err(ApiError {
                kind: "invalid_request",
                ..ApiError::invalid("parse_error", None, format!("JSON parse error - {e}"))
            }),
        }
    }

    /// 405 for this request's method.
    pub(crate) fn not_allowed(&self) -> Outcome {
        Err(ApiError::method_not_allowed(self.method.as_str()))
    }
}

/// 200 with this body.
pub(crate) fn ok(body: Value) -> Outcome {
    Ok(Answer::Json(200, body))
}

/// 201 with this body.
pub(crate) fn created(body: Value) -> Outcome {
    Ok(Answer::Json(201, body))
}

/// A required non-empty string member of a body, else 400 `required` on `attr`.
pub(crate) fn required_str(
    body: &Map<String, Value>,
    attr: &'static str,
) -> Result<String, ApiError> {
    match body.get(attr) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::String(_)) => Err(ApiError::invalid(
            "blank",
            Some(attr),
            "This field may not be blank.",
        )),
        None | Some(Value::Null) => Err(ApiError::invalid(
            "required",
            Some(attr),
            "This field is required.",
        )),
        Some(_) => Err(ApiError::invalid(
            "invalid_input",
            Some(attr),
            "Not a valid string.",
        )),
    }
}

/// The current time in the stored format.
pub(crate) fn now() -> String {
    crate::db::time::format(chrono::Utc::now())
}

/// 500 `server_error` for an unexpected failure (the database): drf-exceptions-hog
/// answers "A server error occurred." and says nothing more; the cause goes to stderr.
pub(crate) fn internal(err: impl std::fmt::Display) -> ApiError {
    eprintln!("posthog-testserver: private API error: {err}");
    ApiError::server(500, "A server error occurred.")
}
