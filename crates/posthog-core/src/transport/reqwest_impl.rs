//! The default transport: reqwest with rustls.

use super::{HttpFuture, HttpRequest, HttpResponse, HttpTransport, TransportFailure};
use crate::error::Error;

/// reqwest-based transport with connection pooling.
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

impl ReqwestTransport {
    /// A transport with a pooled client. Redirects are not followed (a redirected POST would
    /// drop its body, and a redirect must never carry a bearer key elsewhere).
    pub fn new() -> Result<ReqwestTransport, Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(ReqwestTransport { client })
    }
}

impl HttpTransport for ReqwestTransport {
    fn send(&self, req: HttpRequest) -> HttpFuture {
        let client = self.client.clone();
        Box::pin(async move {
            let method = reqwest::Method::from_bytes(req.method.as_bytes())
                .map_err(|_| TransportFailure::Connection("invalid method".into()))?;
            let mut builder = client.request(method, &req.url).timeout(req.timeout);
            for (k, v) in &req.headers {
                builder = builder.header(k, v);
            }
            if !req.body.is_empty() {
                builder = builder.body(req.body);
            }
            let resp = builder.send().await.map_err(map_err)?;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = resp.bytes().await.map_err(map_err)?.to_vec();
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        })
    }
}

fn map_err(e: reqwest::Error) -> TransportFailure {
    if e.is_timeout() {
        TransportFailure::Timeout
    } else {
        // reqwest errors carry the URL, never headers; drop the URL anyway.
        TransportFailure::Connection(e.without_url().to_string())
    }
}
