//! The one public error of the binding: a variant per core [`ErrorKind`], mapped here and
//! nowhere else, each carrying the core's attributes. Kotlin sees it as `PostHogException`,
//! Swift as `PostHogError`.

use posthog_core::{Error, ErrorKind};

/// Everything known about an error, from the core's one accessor
/// ([`posthog_core::Error::attributes`]): no caller ever parses a message.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ErrorInfo {
    /// The core's stable kind name (`"rate_limited"`, `"server"`, …).
    pub kind: String,
    /// The message (never contains a key or a payload).
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
    /// Why local evaluation could not decide (`missing_context`, `unknown_flag`, …).
    pub reason: Option<String>,
    /// Where an interrupted export can resume: pass it back as `checkpointJson`.
    pub checkpoint: Option<String>,
}

impl From<&Error> for ErrorInfo {
    fn from(e: &Error) -> ErrorInfo {
        let a = e.attributes();
        ErrorInfo {
            kind: a.kind.as_str().to_string(),
            message: a.message,
            status: a.status,
            request_id: a.request_id,
            retry_after_secs: a.retry_after_secs,
            scope: a.scope,
            attr: a.attr,
            reason: a.reason,
            checkpoint: None,
        }
    }
}

/// Every error a call can throw: a variant per core [`ErrorKind`], each carrying the same
/// [`ErrorInfo`] (Kotlin: `e.info.status`, `e.info.requestId`; Swift: the associated value).
/// `attributes()` reads it from any variant.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum PostHogError {
    /// An option is invalid (host, sizes, intervals, super properties…).
    #[error("{}", .info.message)]
    Config {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// The key is missing, malformed, or of the wrong type (e.g. a personal `phx_` key).
    #[error("{}", .info.message)]
    InvalidKey {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// An argument is not acceptable.
    #[error("{}", .info.message)]
    InvalidInput {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// The connection failed before an answer arrived.
    #[error("{}", .info.message)]
    Transport {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// A request, a flush or a shutdown did not finish in time.
    #[error("{}", .info.message)]
    Timeout {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// PostHog answered 429 (`retryAfterSecs` holds its `Retry-After`).
    #[error("{}", .info.message)]
    RateLimited {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// PostHog rejected the key (401).
    #[error("{}", .info.message)]
    Unauthorized {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// PostHog refused the request for this key (403); `scope` names a missing scope.
    #[error("{}", .info.message)]
    Forbidden {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// PostHog refused the request as malformed (400 and other 4xx); `attr` names the field.
    #[error("{}", .info.message)]
    InvalidRequest {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// The payload is too large.
    #[error("{}", .info.message)]
    TooLarge {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// The project is over its quota (402).
    #[error("{}", .info.message)]
    QuotaLimited {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// The resource does not exist (404).
    #[error("{}", .info.message)]
    NotFound {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// The request conflicts with the current state (409).
    #[error("{}", .info.message)]
    Conflict {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// PostHog failed (5xx).
    #[error("{}", .info.message)]
    Server {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// The queue was full.
    #[error("{}", .info.message)]
    QueueFull {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// The client was shut down.
    #[error("{}", .info.message)]
    Closed {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// Something answered that PostHog never answers.
    #[error("{}", .info.message)]
    Unexpected {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// Reading or writing a local file or stream failed (e.g. an export's output file).
    #[error("{}", .info.message)]
    Io {
        /// What is known about the error.
        info: ErrorInfo,
    },
    /// Local flag evaluation cannot decide (`LocalEvaluator`, `matchProperty`); `reason` says why.
    #[error("{}", .info.message)]
    Inconclusive {
        /// What is known about the error.
        info: ErrorInfo,
    },
}

/// Every variant with its info, so a match on the kind is written once.
macro_rules! each_variant {
    ($e:expr, $info:ident => $body:expr) => {
        match $e {
            PostHogError::Config { info: $info } |
            PostHogError::InvalidKey { info: $info } |
            PostHogError::InvalidInput { info: $info } |
            PostHogError::Transport { info: $info } |
            PostHogError::Timeout { info: $info } |
            PostHogError::RateLimited { info: $info } |
            PostHogError::Unauthorized { info: $info } |
            PostHogError::Forbidden { info: $info } |
            PostHogError::InvalidRequest { info: $info } |
            PostHogError::TooLarge { info: $info } |
            PostHogError::QuotaLimited { info: $info } |
            PostHogError::NotFound { info: $info } |
            PostHogError::Conflict { info: $info } |
            PostHogError::Server { info: $info } |
            PostHogError::QueueFull { info: $info } |
            PostHogError::Closed { info: $info } |
            PostHogError::Unexpected { info: $info } |
            PostHogError::Io { info: $info } |
            PostHogError::Inconclusive { info: $info } => $body,
        }
    };
}

impl PostHogError {
    /// The error of `kind` with `info`.
    fn of(kind: ErrorKind, info: ErrorInfo) -> PostHogError {
        use PostHogError as E;
        // Exhaustive on purpose: a kind added to the core does not compile until it is mapped.
        match kind {
            ErrorKind::Config => E::Config { info },
            ErrorKind::InvalidKey => E::InvalidKey { info },
            ErrorKind::InvalidInput => E::InvalidInput { info },
            ErrorKind::Transport => E::Transport { info },
            ErrorKind::Timeout => E::Timeout { info },
            ErrorKind::RateLimited => E::RateLimited { info },
            ErrorKind::Unauthorized => E::Unauthorized { info },
            ErrorKind::Forbidden => E::Forbidden { info },
            ErrorKind::InvalidRequest => E::InvalidRequest { info },
            ErrorKind::TooLarge => E::TooLarge { info },
            ErrorKind::QuotaLimited => E::QuotaLimited { info },
            ErrorKind::NotFound => E::NotFound { info },
            ErrorKind::Conflict => E::Conflict { info },
            ErrorKind::Server => E::Server { info },
            ErrorKind::QueueFull => E::QueueFull { info },
            ErrorKind::Closed => E::Closed { info },
            ErrorKind::Unexpected => E::Unexpected { info },
            ErrorKind::Io => E::Io { info },
            ErrorKind::Inconclusive => E::Inconclusive { info },
        }
    }

    /// An `InvalidInput` raised by the binding itself (a JSON argument that does not parse).
    pub(crate) fn invalid_input(message: String) -> PostHogError {
        PostHogError::from(Error::InvalidInput(message))
    }

    /// The same error with `f` applied to its info.
    #[cfg(feature = "admin")]
    pub(crate) fn map_info(mut self, f: impl FnOnce(&mut ErrorInfo)) -> PostHogError {
        each_variant!(&mut self, info => f(info));
        self
    }
}

#[uniffi::export]
impl PostHogError {
    /// What is known about this error (kind, message, status, request id, `Retry-After`,
    /// scope, attr, reason, checkpoint), whatever its variant.
    pub fn attributes(&self) -> ErrorInfo {
        each_variant!(self, info => info.clone())
    }
}

impl From<Error> for PostHogError {
    fn from(e: Error) -> Self {
        PostHogError::of(e.kind(), ErrorInfo::from(&e))
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

/// Throws the core's sample error of `kind`, mapped as every other error is. For tests that
/// prove each kind has its own exception. An unknown name throws `InvalidInput`.
#[uniffi::export]
pub fn raise_error_sample(kind: String) -> Result<(), PostHogError> {
    match ErrorKind::ALL.iter().find(|k| k.as_str() == kind) {
        Some(k) => Err(k.sample().into()),
        None => Err(PostHogError::invalid_input(format!(
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
    fn every_kind_keeps_its_attributes() {
        for kind in ErrorKind::ALL {
            let core = kind.sample();
            let e = PostHogError::from(core.clone());
            let info = e.attributes();
            let a = core.attributes();
            assert_eq!(info.kind, kind.as_str());
            assert_eq!(info.message, e.to_string());
            assert_eq!(
                (info.status, info.request_id, info.retry_after_secs),
                (a.status, a.request_id, a.retry_after_secs)
            );
            assert_eq!(
                (info.scope, info.attr, info.reason),
                (a.scope, a.attr, a.reason)
            );
        }
        let e = PostHogError::from(ErrorKind::Inconclusive.sample());
        assert!(matches!(e, PostHogError::Inconclusive { .. }));
        assert_eq!(e.attributes().reason.as_deref(), Some("missing_context"));
    }
}
