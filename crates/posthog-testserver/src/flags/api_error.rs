//! PostHog's API error answers: `{"type", "code", "detail", "attr"}`.

use serde_json::{Value, json};

/// The detail of PostHog's `ClickHouseQueryTimeOut` (a 504).
pub(crate) const QUERY_TIMEOUT_DETAIL: &str = "Query has hit the max execution time before completing. \
See our docs for how to improve your query performance. You may need to materialize.";

/// One refused flags or definitions request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {kind}/{code}: {detail}")]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) kind: &'static str,
    pub(crate) code: &'static str,
    pub(crate) detail: String,
    pub(crate) attr: Option<&'static str>,
    /// The `Retry-After` seconds sent with it (DRF sends one with a throttle's wait).
    pub(crate) retry_after: Option<u64>,
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
            retry_after: None,
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
            retry_after: None,
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
            retry_after: None,
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
            retry_after: None,
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
            retry_after: None,
        }
    }

    /// 429 `throttled_error` / `throttled` of a throttle class (DRF's `Throttled(wait)`):
    /// "Request was throttled. Expected available in N second(s)." — `1 second`, else
    /// `N seconds`.
    pub(crate) fn throttled(wait_secs: u64) -> ApiError {
        let unit = if wait_secs == 1 { "second" } else { "seconds" };
        ApiError {
            retry_after: (wait_secs > 0).then_some(wait_secs),
            ..ApiError::throttled_detail(format!(
                "Request was throttled. Expected available in {wait_secs} {unit}."
            ))
        }
    }

    /// 429 `throttled_error` / `throttled` with its own detail and no wait (DRF's
    /// `Throttled(detail=…)`, e.g. a concurrency limit): no `Retry-After` goes with it.
    pub(crate) fn throttled_detail(detail: impl Into<String>) -> ApiError {
        ApiError {
            status: 429,
            kind: "throttled_error",
            code: "throttled",
            detail: detail.into(),
            attr: None,
            retry_after: None,
        }
    }

    /// 400 `validation_error` for a HogQL error the query caused (PostHog raises
    /// `ValidationError(str(e), e.code_name)`: `hogql_syntax_error`, `hogql_query_error`).
    pub(crate) fn query(code: &'static str, detail: impl Into<String>) -> ApiError {
        ApiError::invalid(code, None, detail)
    }

    /// An `APIException` subclass with a 5xx status: `server_error` / `error`
    /// (drf-exceptions-hog's type for every status of 500 and above).
    pub(crate) fn server(status: u16, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind: "server_error",
            code: "error",
            detail: detail.into(),
            attr: None,
            retry_after: None,
        }
    }

    /// 504 `ClickHouseQueryTimeOut` (posthog/exceptions.py).
    pub(crate) fn query_timeout() -> ApiError {
        ApiError::server(504, QUERY_TIMEOUT_DETAIL)
    }

    /// 404 `invalid_request` / `not_found` with its own detail.
    pub(crate) fn not_found_detail(detail: impl Into<String>) -> ApiError {
        ApiError {
            detail: detail.into(),
            ..ApiError::not_found()
        }
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        json!({"type": self.kind, "code": self.code, "detail": self.detail, "attr": self.attr})
    }
}
