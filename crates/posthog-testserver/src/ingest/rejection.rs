//! Why an ingestion request was refused, and the status that goes with it.

/// A refusal of a whole ingestion request. The message is the answer's body (v0) or its
/// `error_description` (v1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Rejection {
    #[error("failed to parse request: {0}")]
    Parse(String),
    #[error("failed to parse request: data did not match any variant of untagged enum RawRequest")]
    Shape,
    #[error("failed to decode request: {0}")]
    Decode(&'static str),
    #[error("Failed to deserialize query string: {0}")]
    Query(String),
    #[error("event submitted without an api_key")]
    NoToken,
    #[error("batch submitted with inconsistent api_key values")]
    MultipleTokens,
    #[error("API key is not valid: {0}")]
    InvalidToken(&'static str),
    #[error("request holds no event")]
    EmptyBatch,
    #[error("event submitted with an empty event name")]
    EmptyEventName,
    #[error("event submitted without a distinct_id")]
    MissingDistinctId,
    #[error("event submitted with an empty distinct_id")]
    EmptyDistinctId,
    #[error("Failed to buffer the request body: length limit exceeded")]
    BodyTooLarge,
    #[error("event too large: {size} bytes, the limit is {limit}")]
    EventTooLarge { size: usize, limit: usize },
    #[error("{0}")]
    Invalid(String),
    #[error("missing Authorization: Bearer <project API key>")]
    MissingAuth,
    #[error("unsupported Content-Encoding: {0}")]
    UnsupportedEncoding(String),
}

impl Rejection {
    /// The HTTP status answered.
    pub(crate) fn status(&self) -> u16 {
        match self {
            Rejection::NoToken
            | Rejection::MultipleTokens
            | Rejection::InvalidToken(_)
            | Rejection::MissingAuth => 401,
            Rejection::BodyTooLarge | Rejection::EventTooLarge { .. } => 413,
            Rejection::UnsupportedEncoding(_) => 415,
            _ => 400,
        }
    }

    /// The short `error` code of a v1 error body.
    pub(crate) fn code(&self) -> &'static str {
        match self.status() {
            401 => "unauthorized",
            413 => "payload_too_large",
            415 => "unsupported_media_type",
            _ => "bad_request",
        }
    }
}

/// PostHog's project-key rules: non-empty, at most 64 bytes, ASCII, not a personal key.
pub(crate) fn validate_token(token: &str) -> Result<(), Rejection> {
    if token.is_empty() {
        Err(Rejection::InvalidToken("empty"))
    } else if token.len() > 64 {
        Err(Rejection::InvalidToken("too_long"))
    } else if !token.is_ascii() {
        Err(Rejection::InvalidToken("not_ascii"))
    } else if token.starts_with("phx_") {
        Err(Rejection::InvalidToken("personal_api_key"))
    } else {
        Ok(())
    }
}
