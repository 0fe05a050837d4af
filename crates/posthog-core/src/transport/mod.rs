//! HTTP behind a small trait, so tests can script answers and an app can bring its own stack.

mod gzip;
mod reqwest_impl;

pub use gzip::gzip;
pub use reqwest_impl::ReqwestTransport;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// One HTTP request, owned so it can cross threads (and an FFI boundary).
#[derive(Debug, Clone)]
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
}

/// A boxed future of one exchange.
pub type HttpFuture = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportFailure>> + Send>>;

/// Sends one request. Implementations run inside the client's own runtime.
pub trait HttpTransport: Send + Sync + 'static {
    /// Sends `req` and waits for its answer.
    fn send(&self, req: HttpRequest) -> HttpFuture;
}
