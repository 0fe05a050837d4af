//! PostHog's API error answers: `{"type", "code", "detail", "attr"}`.

use serde_json::{Value, json};

/// One refused flags or definitions request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {kind}/{code}: {detail}")]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) kind: &'static str,
    pub(crate) code: &'static str,
    pub(crate) detail: String,
    pub(crate) attr: Option<&'static str>,
}

impl ApiError {
    /// 401 `authentication_error` / `authentication_failed`.
    pub(crate) fn unauthenticated(detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 401,
            kind: "authentication_error",
            code: "authentication_failed",
            detail: detail.into(),
            attr: None,
        }
    }

    /// 403 `authentication_error` / `permission_denied`.
    pub(crate) fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 403,
            kind: "authentication_error",
            code: "permission_denied",
            detail: detail.into(),
            attr: None,
        }
    }

    /// 400 `validation_error` about one attribute (`code` e.g. `required`, `invalid_input`).
    pub(crate) fn invalid(
        code: &'static str,
        attr: Option<&'static str>,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status: 400,
            kind: "validation_error",
            code,
            detail: detail.into(),
            attr,
        }
    }

    /// 404 `invalid_request` / `not_found`.
    pub(crate) fn not_found() -> ApiError {
        ApiError {
            status: 404,
            kind: "invalid_request",
            code: "not_found",
            detail: "Not found.".to_owned(),
            attr: None,
        }
    }

    /// 405 `invalid_request` / `method_not_allowed`.
    pub(crate) fn method_not_allowed(method: &str) -> ApiError {
        ApiError {
            status: 405,
            kind: "invalid_request",
            code: "method_not_allowed",
            detail: format!("Method \"{method}\" not allowed."),
            attr: None,
        }
    }

    /// 429 `throttled_error` / `throttled`.
    pub(crate) fn throttled(retry_after: u64) -> ApiError {
        ApiError {
            status: 429,
            kind: "throttled_error",
            code: "throttled",
            detail: format!("Request was throttled. Expected available in {retry_after} seconds."),
            attr: None,
        }
    }

    /// 400 `validation_error` / `query_error` (HogQL outside the subset, or refused).
    pub(crate) fn query(detail: impl Into<String>) -> ApiError {
        ApiError::invalid("query_error", None, detail)
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        json!({"type": self.kind, "code": self.code, "detail": self.detail, "attr": self.attr})
    }
}
