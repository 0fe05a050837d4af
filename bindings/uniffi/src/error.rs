//! The one public error of the binding: a variant per core [`ErrorKind`], mapped here and
//! nowhere else. Kotlin sees it as `PostHogException`, Swift as `PostHogError`.

use posthog_core::{Error, ErrorKind};

/// Every error a call can throw. The message is the core's, which never contains a key or
/// a payload; the HTTP status, when there was one, is part of it.
///
/// A flat error: uniffi's Kotlin exceptions already own `message`, so the variants carry the
/// message alone.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum PostHogError {
    /// An option is invalid (host, sizes, intervals, super properties…).
    #[error("{0}")]
    Config(String),
    /// The key is missing, malformed, or of the wrong type (e.g. a personal `phx_` key).
    #[error("{0}")]
    InvalidKey(String),
    /// An argument is not acceptable.
    #[error("{0}")]
    InvalidInput(String),
    /// The connection failed before an answer arrived.
    #[error("{0}")]
    Transport(String),
    /// A request, a flush or a shutdown did not finish in time.
    #[error("{0}")]
    Timeout(String),
    /// PostHog answered 429.
    #[error("{0}")]
    RateLimited(String),
    /// PostHog rejected the key (401).
    #[error("{0}")]
    Unauthorized(String),
    /// PostHog refused the request for this key (403).
    #[error("{0}")]
    Forbidden(String),
    /// PostHog refused the request as malformed (400 and other 4xx).
    #[error("{0}")]
    InvalidRequest(String),
    /// The payload is too large.
    #[error("{0}")]
    TooLarge(String),
    /// The project is over its quota (402).
    #[error("{0}")]
    QuotaLimited(String),
    /// The resource does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// PostHog failed (5xx).
    #[error("{0}")]
    Server(String),
    /// The queue was full.
    #[error("{0}")]
    QueueFull(String),
    /// The client was shut down.
    #[error("{0}")]
    Closed(String),
    /// Something answered that PostHog never answers.
    #[error("{0}")]
    Unexpected(String),
    /// Reading or writing a local file or stream failed (e.g. an export's output file).
    #[error("{0}")]
    Io(String),
    /// Local flag evaluation cannot decide (`LocalEvaluator`, `matchProperty`). The message is
    /// `inconclusive (<reason>): <detail>`; `inconclusiveReason(message)` gives the reason code.
    #[error("{0}")]
    Inconclusive(String),
}

impl PostHogError {
    /// The same kind with its message rewritten by `f`.
    pub(crate) fn map_message(self, f: impl FnOnce(String) -> String) -> PostHogError {
        use PostHogError as E;
        match self {
            E::Config(m) => E::Config(f(m)),
            E::InvalidKey(m) => E::InvalidKey(f(m)),
            E::InvalidInput(m) => E::InvalidInput(f(m)),
            E::Transport(m) => E::Transport(f(m)),
            E::Timeout(m) => E::Timeout(f(m)),
            E::RateLimited(m) => E::RateLimited(f(m)),
            E::Unauthorized(m) => E::Unauthorized(f(m)),
            E::Forbidden(m) => E::Forbidden(f(m)),
            E::InvalidRequest(m) => E::InvalidRequest(f(m)),
            E::TooLarge(m) => E::TooLarge(f(m)),
            E::QuotaLimited(m) => E::QuotaLimited(f(m)),
            E::NotFound(m) => E::NotFound(f(m)),
            E::Conflict(m) => E::Conflict(f(m)),
            E::Server(m) => E::Server(f(m)),
            E::QueueFull(m) => E::QueueFull(f(m)),
            E::Closed(m) => E::Closed(f(m)),
            E::Unexpected(m) => E::Unexpected(f(m)),
            E::Io(m) => E::Io(f(m)),
            E::Inconclusive(m) => E::Inconclusive(f(m)),
        }
    }
}

impl From<Error> for PostHogError {
    fn from(e: Error) -> Self {
        let m = e.to_string();
        // Exhaustive on purpose: a kind added to the core does not compile until it is mapped.
        match e.kind() {
            ErrorKind::Config => PostHogError::Config(m),
            ErrorKind::InvalidKey => PostHogError::InvalidKey(m),
            ErrorKind::InvalidInput => PostHogError::InvalidInput(m),
            ErrorKind::Transport => PostHogError::Transport(m),
            ErrorKind::Timeout => PostHogError::Timeout(m),
            ErrorKind::RateLimited => PostHogError::RateLimited(m),
            ErrorKind::Unauthorized => PostHogError::Unauthorized(m),
            ErrorKind::Forbidden => PostHogError::Forbidden(m),
            ErrorKind::InvalidRequest => PostHogError::InvalidRequest(m),
            ErrorKind::TooLarge => PostHogError::TooLarge(m),
            ErrorKind::QuotaLimited => PostHogError::QuotaLimited(m),
            ErrorKind::NotFound => PostHogError::NotFound(m),
            ErrorKind::Conflict => PostHogError::Conflict(m),
            ErrorKind::Server => PostHogError::Server(m),
            ErrorKind::QueueFull => PostHogError::QueueFull(m),
            ErrorKind::Closed => PostHogError::Closed(m),
            ErrorKind::Unexpected => PostHogError::Unexpected(m),
            ErrorKind::Io => PostHogError::Io(m),
            ErrorKind::Inconclusive => PostHogError::Inconclusive(m),
        }
    }
}

/// The name of every error kind of the core (`"config"`, `"invalid_key"`, …), so tests in
/// each language can walk them all.
#[uniffi::export]
pub fn error_kinds() -> Vec<String> {
    ErrorKind::ALL
        .iter()
        .map(|k| k.as_str().to_string())
        .collect()
}

/// The reason code of an `Inconclusive` error's message (`"missing_context"`,
/// `"unsupported_definition"`, `"unresolved_dependency"`, `"experience_continuity"`,
/// `"unknown_flag"`), or null for any other message. The core formats that message as
/// `inconclusive (<reason>): <detail>`; this reads it back, so callers never parse it.
#[uniffi::export]
pub fn inconclusive_reason(message: String) -> Option<String> {
    let rest = message.strip_prefix("inconclusive (")?;
    let (reason, _) = rest.split_once("):")?;
    (!reason.is_empty() && reason.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .then(|| reason.to_string())
}

/// Throws the core's sample error of `kind`, mapped as every other error is. For tests that
/// prove each kind has its own exception. An unknown name throws `InvalidInput`.
#[uniffi::export]
pub fn raise_error_sample(kind: String) -> Result<(), PostHogError> {
    match ErrorKind::ALL.iter().find(|k| k.as_str() == kind) {
        Some(k) => Err(k.sample().into()),
        None => Err(PostHogError::InvalidInput(format!(
            "unknown error kind {:?}",
            kind.chars().take(40).collect::<String>()
        ))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn inconclusive_reason_reads_the_core_message() {
        let e = PostHogError::from(ErrorKind::Inconclusive.sample());
        let PostHogError::Inconclusive(m) = e else {
            panic!("not mapped to Inconclusive")
        };
        assert_eq!(inconclusive_reason(m).as_deref(), Some("missing_context"));
        assert_eq!(inconclusive_reason("server (503): x".into()), None);
    }
}
