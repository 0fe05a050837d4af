//! The host HTTP hook: an app can send the client's requests through its own HTTP stack
//! (OkHttp, URLSession…), so proxies, certificate pinning and background-transfer rules stay
//! the app's. The core builds every request and interprets every answer; the hook only moves
//! bytes. It is called on a worker thread of the core (never the caller's), one call per
//! request, and may block until the answer arrives.

use posthog_core::transport::{self as core_http, HttpFuture, HttpTransport, TransportFailure};
use std::collections::HashMap;
use std::sync::Arc;

/// One request for the app's HTTP stack. An object, not a record, so printing it never shows
/// its headers or body (which carry the API key).
#[derive(uniffi::Object)]
#[uniffi::export(Debug)]
pub struct HttpRequest(core_http::HttpRequest);

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HttpRequest({} {}, {} body bytes)",
            self.0.method,
            posthog_core::redact::scrub(&self.0.url),
            self.0.body.len()
        )
    }
}

#[uniffi::export]
impl HttpRequest {
    /// `GET` or `POST`.
    pub fn method(&self) -> String {
        self.0.method.clone()
    }
    /// The full URL.
    pub fn url(&self) -> String {
        self.0.url.clone()
    }
    /// Header name → value, to send as given (`Content-Encoding: gzip` means the body is
    /// already compressed: send it unchanged).
    pub fn headers(&self) -> HashMap<String, String> {
        self.0.headers.iter().cloned().collect()
    }
    /// The body bytes.
    pub fn body(&self) -> Vec<u8> {
        self.0.body.clone()
    }
    /// The timeout the core wants for this request, in milliseconds.
    pub fn timeout_ms(&self) -> u64 {
        u64::try_from(self.0.timeout.as_millis()).unwrap_or(u64::MAX)
    }
    /// The largest body the core accepts for this answer: stop reading past it (a longer
    /// body fails the request either way).
    pub fn max_response_bytes(&self) -> u64 {
        self.0.max_response_bytes as u64
    }
}

/// The answer the app's HTTP stack got.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header name → value (any case; `Retry-After` is read from here).
    #[uniffi(default)]
    pub headers: HashMap<String, String>,
    /// The body, decompressed (stacks that ask for gzip decompress it themselves).
    #[uniffi(default)]
    pub body: Vec<u8>,
}

/// Why the app's HTTP stack got no answer. Both are retried like the core's own failures.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum HttpError {
    /// The request timed out.
    #[error("the app's HTTP client timed out: {detail}")]
    Timeout {
        /// What the stack said.
        detail: String,
    },
    /// Connecting, sending or reading failed (offline, TLS, pinning…).
    #[error("the app's HTTP client failed: {detail}")]
    Connection {
        /// What the stack said.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for HttpError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        HttpError::Connection { detail: e.reason }
    }
}

/// The app's HTTP stack. `send` runs on a core worker thread and may block; throw
/// `HttpException` (Kotlin) / `HttpError` (Swift) when no answer arrived. Any status code is an
/// answer: return it.
#[uniffi::export(with_foreign)]
pub trait HttpClient: Send + Sync {
    /// Sends `request` and returns the answer.
    fn send(&self, request: Arc<HttpRequest>) -> Result<HttpResponse, HttpError>;
}

/// The core transport over an app's [`HttpClient`].
pub(crate) struct ForeignTransport(pub Arc<dyn HttpClient>);

impl HttpTransport for ForeignTransport {
    fn send(&self, req: core_http::HttpRequest) -> HttpFuture {
        let client = self.0.clone();
        Box::pin(async move {
            let limit = req.max_response_bytes;
            let request = Arc::new(HttpRequest(req));
            let answer = tokio::task::spawn_blocking(move || client.send(request)).await;
            match answer {
                // The app's stack read the body already; the core's limit still applies.
                Ok(Ok(r)) if r.body.len() > limit => Err(TransportFailure::TooLarge { limit }),
                Ok(Ok(r)) => Ok(core_http::HttpResponse {
                    status: r.status,
                    headers: r
                        .headers
                        .into_iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v))
                        .collect(),
                    body: r.body,
                }),
                Ok(Err(HttpError::Timeout { .. })) => Err(TransportFailure::Timeout),
                Ok(Err(HttpError::Connection { detail })) => {
                    Err(TransportFailure::Connection(format!(
                        "the app's HTTP client failed: {}",
                        posthog_core::redact::scrub(&detail)
                    )))
                }
                Err(_) => Err(TransportFailure::Connection(
                    "the app's HTTP client panicked".into(),
                )),
            }
        })
    }
}
