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
            let body = read_body(resp, req.max_response_bytes).await?;
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        })
    }
}

/// Reads the body as it arrives into one buffer, refusing past `limit` (a declared length over
/// it is refused before reading anything).
async fn read_body(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, TransportFailure> {
    let declared = resp.content_length().unwrap_or(0);
    if declared > limit as u64 {
        return Err(TransportFailure::TooLarge { limit });
    }
    let mut body = Vec::with_capacity(usize::try_from(declared).unwrap_or(0).min(limit));
    while let Some(chunk) = resp.chunk().await.map_err(map_err)? {
        if body.len() + chunk.len() > limit {
            return Err(TransportFailure::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn map_err(e: reqwest::Error) -> TransportFailure {
    if e.is_timeout() {
        TransportFailure::Timeout
    } else {
        // reqwest errors carry the URL, never headers; drop the URL anyway.
        TransportFailure::Connection(e.without_url().to_string())
    }
}
