//! HTTP behind a small trait, so tests can script answers and an app can bring its own stack.

mod gzip;
mod reqwest_impl;

pub use gzip::gzip;
pub use reqwest_impl::ReqwestTransport;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One HTTP request, owned so it can cross threads (and an FFI boundary). Its `Debug` shows
/// the method, the URL and header names with every key scrubbed, and never the
/// `Authorization` value or the body.
#[derive(Clone)]
pub struct HttpRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The full URL.
    pub url: String,
    /// Header pairs. May hold a bearer key: never log them.
    pub headers: Vec<(String, String)>,
    /// The body bytes (already compressed when `Content-Encoding` says so).
    pub body: Vec<u8>,
    /// The timeout of this request.
    pub timeout: Duration,
    /// The largest answer body accepted (decompressed); a longer one is
    /// [`TransportFailure::TooLarge`], read no further. See [`limits`].
    pub max_response_bytes: usize,
}

/// The body limits of each kind of answer: small where PostHog answers little, larger where
/// definitions and admin pages can grow.
pub mod limits {
    /// Ingestion answers (`{"status": 1}`, v1 per-event results).
    pub const INGESTION: usize = 1 << 20;
    /// `/flags` answers.
    pub const FLAGS: usize = 8 << 20;
    /// Flag definitions for local evaluation.
    pub const DEFINITIONS: usize = 64 << 20;
    /// Admin API answers (pages, query results); configurable per admin client.
    pub const ADMIN: usize = 64 << 20;
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let shown = if k.eq_ignore_ascii_case("authorization") {
                    "[redacted]".to_string()
                } else {
                    crate::redact::scrub(v)
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &crate::redact::scrub(&self.url))
            .field("headers", &headers)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// One HTTP answer.
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header pairs, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body bytes (decompressed).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why no answer arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportFailure {
    /// The request did not complete within its timeout.
    Timeout,
    /// Connecting, sending or reading failed.
    Connection(String),
    /// The answer's body is longer than the request's `max_response_bytes` (declared or read).
    TooLarge {
        /// The limit that was passed.
        limit: usize,
    },
}

/// A boxed future of one exchange.
pub type HttpFuture = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportFailure>> + Send>>;

/// Sends one request. Implementations run inside the client's own runtime.
pub trait HttpTransport: Send + Sync + 'static {
    /// Sends `req` and waits for its answer.
    fn send(&self, req: HttpRequest) -> HttpFuture;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_key() {
        crate::redact::register("legacykey0123456789");
        let req = HttpRequest {
            method: "GET".into(),
            url: "https://h/flags/definitions?token=phc_project0123&send_cohorts".into(),
            headers: vec![
                ("Authorization".into(), "Bearer legacykey0123456789".into()),
                ("X-Echo".into(), "phx_personal.SECRET".into()),
            ],
            body: b"{\"api_key\":\"phc_project0123\"}".to_vec(),
            timeout: Duration::from_secs(1),
            max_response_bytes: limits::FLAGS,
        };
        let shown = format!("{req:?}");
        for secret in [
            "legacykey0123456789",
            "phc_project0123",
            "SECRET",
            "api_key",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("Authorization") && shown.contains("<29 bytes>"),
            "{shown}"
        );
    }
}
