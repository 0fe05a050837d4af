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

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        json!({"type": self.kind, "code": self.code, "detail": self.detail, "attr": self.attr})
    }
}
