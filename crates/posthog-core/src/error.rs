//! The one error type of the core, its stable list of kinds, and the mapping from HTTP answers.

use crate::redact::scrub;

/// Every error the core reports. Messages never contain keys or event payloads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An option is invalid (host, sizes, intervals…).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A key is missing, malformed, or of the wrong type for this client.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// An event or argument given by the caller is not acceptable (empty event name, empty distinct id…).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The connection failed before an answer arrived.
    #[error("transport error: {0}")]
    Transport(String),
    /// The request or the wait did not finish in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// PostHog answered 429.
    #[error("rate limited by PostHog{}", request_suffix(.request_id))]
    RateLimited {
        /// The `Retry-After` the server asked for, in seconds, when given.
        retry_after_secs: Option<u64>,
        /// The request id the server echoed, when known.
        request_id: Option<String>,
    },
    /// PostHog rejected the key (401).
    #[error("the API key was rejected by PostHog (401): {detail}{}", request_suffix(.request_id))]
    Unauthorized {
        /// What the server said, scrubbed of keys.
        detail: String,
        /// The request id the server echoed, when known.
        request_id: Option<String>,
    },
    /// PostHog refused the request for this key (403), e.g. a missing scope.
    #[error("forbidden (403): {detail}{}", request_suffix(.request_id))]
    Forbidden {
        /// What the server said, scrubbed of keys.
        detail: String,
        /// The missing scope when the server named one.
        scope: Option<String>,
        /// The request id the server echoed, when known.
        request_id: Option<String>,
    },
    /// PostHog refused the request as malformed (400 and other 4xx).
    #[error("invalid request ({status}): {detail}{}", request_suffix(.request_id))]
    InvalidRequest {
        /// The HTTP status.
        status: u16,
        /// What the server said, scrubbed of keys.
        detail: String,
        /// The field the server blamed, when it named one.
        attr: Option<String>,
        /// The request id the server echoed, when known.
        request_id: Option<String>,
    },
    /// The payload is too large (413, or one event over the size limit).
    #[error("too large: {0}")]
    TooLarge(String),
    /// The project is over its quota (402).
    #[error("quota limited (402): {0}")]
    QuotaLimited(String),
    /// The resource does not exist (404).
    #[error("not found (404): {0}")]
    NotFound(String),
    /// The request conflicts with the current state (409).
    #[error("conflict (409): {0}")]
    Conflict(String),
    /// PostHog failed (5xx).
    #[error("server error ({status}): {detail}{}", request_suffix(.request_id))]
    Server {
        /// The HTTP status.
        status: u16,
        /// What the server said, scrubbed of keys.
        detail: String,
        /// The request id the server echoed, when known.
        request_id: Option<String>,
        /// The `Retry-After` the server asked for (e.g. with a 503), in seconds, when given.
        retry_after_secs: Option<u64>,
    },
    /// The queue was full and the event was dropped.
    #[error("queue full: {0}")]
    QueueFull(String),
    /// The client was shut down.
    #[error("client is shut down")]
    Closed,
    /// Something answered that PostHog never answers.
    #[error("unexpected answer: {0}")]
    Unexpected(String),
    /// Reading or writing a local file or stream failed (e.g. an export's output).
    #[error("I/O error: {0}")]
    Io(String),
    /// Local flag evaluation cannot decide (only from local-only evaluation APIs).
    #[error("inconclusive ({reason}): {detail}")]
    Inconclusive {
        /// `experience_continuity`, `unsupported_definition`, `unresolved_dependency`,
        /// `missing_context` or `unknown_flag`.
        reason: String,
        /// What could not be decided.
        detail: String,
    },
}

impl From<posthog_flags::Inconclusive> for Error {
    fn from(i: posthog_flags::Inconclusive) -> Error {
        Error::Inconclusive {
            reason: i.reason.as_str().to_string(),
            detail: i.detail,
        }
    }
}

fn request_suffix(id: &Option<String>) -> String {
    id.as_ref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

/// The stable, fieldless list of error kinds every binding maps once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// See [`Error::Config`].
    Config,
    /// See [`Error::InvalidKey`].
    InvalidKey,
    /// See [`Error::InvalidInput`].
    InvalidInput,
    /// See [`Error::Transport`].
    Transport,
    /// See [`Error::Timeout`].
    Timeout,
    /// See [`Error::RateLimited`].
    RateLimited,
    /// See [`Error::Unauthorized`].
    Unauthorized,
    /// See [`Error::Forbidden`].
    Forbidden,
    /// See [`Error::InvalidRequest`].
    InvalidRequest,
    /// See [`Error::TooLarge`].
    TooLarge,
    /// See [`Error::QuotaLimited`].
    QuotaLimited,
    /// See [`Error::NotFound`].
    NotFound,
    /// See [`Error::Conflict`].
    Conflict,
    /// See [`Error::Server`].
    Server,
    /// See [`Error::QueueFull`].
    QueueFull,
    /// See [`Error::Closed`].
    Closed,
    /// See [`Error::Unexpected`].
    Unexpected,
    /// See [`Error::Inconclusive`].
    Inconclusive,
    /// See [`Error::Io`].
    Io,
}

impl ErrorKind {
    /// Every kind, so binding tests can walk them all.
    pub const ALL: [ErrorKind; 19] = [
        ErrorKind::Config,
        ErrorKind::InvalidKey,
        ErrorKind::InvalidInput,
        ErrorKind::Transport,
        ErrorKind::Timeout,
        ErrorKind::RateLimited,
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::InvalidRequest,
        ErrorKind::TooLarge,
        ErrorKind::QuotaLimited,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::Server,
        ErrorKind::QueueFull,
        ErrorKind::Closed,
        ErrorKind::Unexpected,
        ErrorKind::Inconclusive,
        ErrorKind::Io,
    ];

    /// The snake_case name used as `err.code` in Node and `kind` in Python.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::InvalidKey => "invalid_key",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Transport => "transport",
            ErrorKind::Timeout => "timeout",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::QuotaLimited => "quota_limited",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Server => "server",
            ErrorKind::QueueFull => "queue_full",
            ErrorKind::Closed => "closed",
            ErrorKind::Unexpected => "unexpected",
            ErrorKind::Inconclusive => "inconclusive",
            ErrorKind::Io => "io",
        }
    }

    /// A representative error of this kind (for binding tests that walk every kind).
    pub fn sample(self) -> Error {
        let d = || "sample".to_string();
        match self {
            ErrorKind::Config => Error::Config(d()),
            ErrorKind::InvalidKey => Error::InvalidKey(d()),
            ErrorKind::InvalidInput => Error::InvalidInput(d()),
            ErrorKind::Transport => Error::Transport(d()),
            ErrorKind::Timeout => Error::Timeout(d()),
            ErrorKind::RateLimited => Error::RateLimited {
                retry_after_secs: Some(1),
                request_id: None,
            },
            ErrorKind::Unauthorized => Error::Unauthorized {
                detail: d(),
                request_id: None,
            },
            ErrorKind::Forbidden => Error::Forbidden {
                detail: d(),
                scope: Some("feature_flag:read".into()),
                request_id: Some("sample-request".into()),
            },
            ErrorKind::InvalidRequest => Error::InvalidRequest {
                status: 400,
                detail: d(),
                attr: Some("key".into()),
                request_id: None,
            },
            ErrorKind::TooLarge => Error::TooLarge(d()),
            ErrorKind::QuotaLimited => Error::QuotaLimited(d()),
            ErrorKind::NotFound => Error::NotFound(d()),
            ErrorKind::Conflict => Error::Conflict(d()),
            ErrorKind::Server => Error::Server {
                status: 503,
                detail: d(),
                request_id: Some("sample-request".into()),
                retry_after_secs: Some(30),
            },
            ErrorKind::QueueFull => Error::QueueFull(d()),
            ErrorKind::Closed => Error::Closed,
            ErrorKind::Unexpected => Error::Unexpected(d()),
            ErrorKind::Inconclusive => Error::Inconclusive {
                reason: "missing_context".into(),
                detail: d(),
            },
            ErrorKind::Io => Error::Io(d()),
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// A key provider that failed, named by `what` it raised (a type name, never its text,
    /// which might quote a secret): the one wording every binding reports.
    pub fn key_provider_raised(what: &str) -> Error {
        Error::InvalidKey(format!("the key provider raised {what}"))
    }

    /// The stable kind of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) => ErrorKind::Config,
            Error::InvalidKey(_) => ErrorKind::InvalidKey,
            Error::InvalidInput(_) => ErrorKind::InvalidInput,
            Error::Transport(_) => ErrorKind::Transport,
            Error::Timeout(_) => ErrorKind::Timeout,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::Unauthorized { .. } => ErrorKind::Unauthorized,
            Error::Forbidden { .. } => ErrorKind::Forbidden,
            Error::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Error::TooLarge(_) => ErrorKind::TooLarge,
            Error::QuotaLimited(_) => ErrorKind::QuotaLimited,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Server { .. } => ErrorKind::Server,
            Error::QueueFull(_) => ErrorKind::QueueFull,
            Error::Closed => ErrorKind::Closed,
            Error::Unexpected(_) => ErrorKind::Unexpected,
            Error::Inconclusive { .. } => ErrorKind::Inconclusive,
            Error::Io(_) => ErrorKind::Io,
        }
    }

    /// The HTTP status behind this error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::RateLimited { .. } => Some(429),
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::InvalidRequest { status, .. } | Error::Server { status, .. } => Some(*status),
            Error::QuotaLimited(_) => Some(402),
            Error::NotFound(_) => Some(404),
            Error::Conflict(_) => Some(409),
            _ => None,
        }
    }

    /// Every attribute a binding exposes, read from this one place: kind, message, HTTP
    /// status, request id, `Retry-After`, missing scope, blamed field and inconclusive reason.
    pub fn attributes(&self) -> ErrorAttributes {
        let mut a = ErrorAttributes {
            kind: self.kind(),
            message: self.to_string(),
            status: self.status(),
            request_id: None,
            retry_after_secs: None,
            scope: None,
            attr: None,
            reason: None,
        };
        match self {
            Error::RateLimited {
                retry_after_secs,
                request_id,
            } => {
                a.retry_after_secs = *retry_after_secs;
                a.request_id = request_id.clone();
            }
            Error::Server {
                request_id,
                retry_after_secs,
                ..
            } => {
                a.retry_after_secs = *retry_after_secs;
                a.request_id = request_id.clone();
            }
            Error::Unauthorized { request_id, .. } => a.request_id = request_id.clone(),
            Error::Forbidden {
                scope, request_id, ..
            } => {
                a.scope = scope.clone();
                a.request_id = request_id.clone();
            }
            Error::InvalidRequest {
                attr, request_id, ..
            } => {
                a.attr = attr.clone();
                a.request_id = request_id.clone();
            }
            Error::Inconclusive { reason, .. } => a.reason = Some(reason.clone()),
            _ => {}
        }
        a
    }

    /// Maps a non-success HTTP answer to an error. `body` is scrubbed of keys and shortened.
    pub fn from_status(
        status: u16,
        body: &[u8],
        retry_after_secs: Option<u64>,
        request_id: Option<String>,
    ) -> Error {
        let parsed = ServerDetail::parse(body);
        let detail = parsed.detail.clone();
        // Headers and fields a server (or a proxy) echoes may carry a key: scrub them too.
        let request_id = request_id.map(|r| shorten(&scrub(&r)));
        match status {
            401 => Error::Unauthorized { detail, request_id },
            403 => Error::Forbidden {
                scope: missing_scope(&detail),
                detail,
                request_id,
            },
            402 => Error::QuotaLimited(detail),
            404 => Error::NotFound(detail),
            409 => Error::Conflict(detail),
            408 => Error::Timeout(format!("server answered 408: {detail}")),
            413 => Error::TooLarge(format!("server answered 413: {detail}")),
            429 => Error::RateLimited {
                retry_after_secs,
                request_id,
            },
            400..=499 => Error::InvalidRequest {
                status,
                detail,
                attr: parsed.attr,
                request_id,
            },
            500..=599 => Error::Server {
                status,
                detail,
                request_id,
                retry_after_secs,
            },
            _ => Error::Unexpected(format!("HTTP {status}: {detail}")),
        }
    }
}

/// The attributes of an [`Error`] as plain data (see [`Error::attributes`]); every binding
/// builds its native error from this, so none reads the message back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorAttributes {
    /// The stable kind.
    pub kind: ErrorKind,
    /// The message (never contains keys or payloads).
    pub message: String,
    /// The HTTP status behind the error, when there was one.
    pub status: Option<u16>,
    /// The request id PostHog echoed, when known.
    pub request_id: Option<String>,
    /// The `Retry-After` PostHog asked for, in seconds, when given.
    pub retry_after_secs: Option<u64>,
    /// The missing scope of a 403, when PostHog named one.
    pub scope: Option<String>,
    /// The field PostHog blamed for a 4xx, when it named one.
    pub attr: Option<String>,
    /// Why local evaluation could not decide (`Inconclusive`).
    pub reason: Option<String>,
}

/// The useful part of an error body: PostHog's `{type, code, detail, attr}`, capture v1's
/// `{error, error_description}`, or plain text.
struct ServerDetail {
    detail: String,
    attr: Option<String>,
}

impl ServerDetail {
    fn parse(body: &[u8]) -> ServerDetail {
        let text = String::from_utf8_lossy(body);
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&text)
        {
            let pick = |k: &str| map.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let detail = pick("detail")
                .or_else(|| pick("error_description"))
                .or_else(|| pick("error"))
                .unwrap_or_else(|| text.to_string());
            return ServerDetail {
                detail: shorten(&scrub(&detail)),
                attr: pick("attr").map(|a| shorten(&scrub(&a))),
            };
        }
        ServerDetail {
            detail: shorten(&scrub(text.trim())),
            attr: None,
        }
    }
}

fn shorten(s: &str) -> String {
    const MAX: usize = 300;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    let mut out: String = s.chars().take(MAX).collect();
    out.push('…');
    out
}

/// Pulls `X` out of PostHog's "API key missing required scope 'X'".
fn missing_scope(detail: &str) -> Option<String> {
    let idx = detail.find("scope '")? + "scope '".len();
    let rest = &detail[idx..];
    let end = rest.find('\'')?;
    Some(rest[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_and_complete() {
        let names: std::collections::HashSet<_> =
            ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for k in ErrorKind::ALL {
            assert_eq!(k.sample().kind(), k);
        }
    }

    #[test]
    fn maps_statuses() {
        let e = Error::from_status(
            403,
            br#"{"type":"authentication_error","code":"permission_denied","detail":"API key missing required scope 'feature_flag:read'","attr":null}"#,
            None,
            None,
        );
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        assert!(
            matches!(e, Error::Forbidden { scope: Some(ref s), .. } if s == "feature_flag:read")
        );
        let e = Error::from_status(
            400,
            br#"{"type":"validation_error","code":"invalid_input","detail":"bad","attr":"key"}"#,
            None,
            None,
        );
        assert!(
            matches!(e, Error::InvalidRequest { status: 400, attr: Some(ref a), .. } if a == "key")
        );
        assert_eq!(
            Error::from_status(503, b"busy", None, None).kind(),
            ErrorKind::Server
        );
        assert_eq!(
            Error::from_status(429, b"", Some(3), None).kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(
            Error::from_status(413, b"", None, None).kind(),
            ErrorKind::TooLarge
        );
        assert_eq!(
            Error::from_status(401, b"", None, None).kind(),
            ErrorKind::Unauthorized
        );
        assert_eq!(
            Error::from_status(402, b"", None, None).kind(),
            ErrorKind::QuotaLimited
        );
    }

    #[test]
    fn messages_never_carry_keys() {
        let e = Error::from_status(
            401,
            b"API key is not valid: phc_abcdefghijklmnop",
            None,
            None,
        );
        let text = e.to_string();
        assert!(!text.contains("phc_abcdefghijklmnop"), "{text}");
    }

    #[test]
    fn attributes_of_every_status_error() {
        let e = Error::from_status(
            403,
            br#"{"detail":"API key missing required scope 'query:read'"}"#,
            None,
            Some("r-403".into()),
        );
        let a = e.attributes();
        assert_eq!(
            (
                a.kind,
                a.status,
                a.scope.as_deref(),
                a.request_id.as_deref()
            ),
            (
                ErrorKind::Forbidden,
                Some(403),
                Some("query:read"),
                Some("r-403")
            )
        );
        let a = Error::from_status(
            400,
            br#"{"detail":"bad","attr":"key"}"#,
            None,
            Some("r".into()),
        )
        .attributes();
        assert_eq!(
            (a.attr.as_deref(), a.request_id.as_deref()),
            (Some("key"), Some("r"))
        );
        let a = Error::from_status(503, b"", Some(9), Some("s".into())).attributes();
        assert_eq!(
            (a.retry_after_secs, a.request_id.as_deref()),
            (Some(9), Some("s"))
        );
        let a = Error::from_status(429, b"", Some(3), None).attributes();
        assert_eq!((a.status, a.retry_after_secs), (Some(429), Some(3)));
        let a = ErrorKind::Inconclusive.sample().attributes();
        assert_eq!(a.reason.as_deref(), Some("missing_context"));
        assert_eq!(a.message, ErrorKind::Inconclusive.sample().to_string());
    }
}
