//! The one request path of the admin client: bearer header, JSON bodies, error mapping,
//! 429 waits, retries of idempotent requests, the client-side budget and the concurrency cap.
//! The bearer key is only ever sent to the configured origin.

use super::budget::{Budget, RateClass};
use super::options::AdminConfig;
use crate::clock::Clock;
use crate::error::Error;
use crate::keys::PersonalKey;
use crate::retry::{self, Backoff, Class};
use crate::transport::{HttpRequest, HttpResponse, HttpTransport, TransportFailure};
use serde_json::Value;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// The longest `Retry-After` the client honours on a 429.
const MAX_THROTTLE_WAIT: Duration = Duration::from_secs(3600);

/// An HTTP method of the private API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// One call: what to send and how to treat failures.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    /// A full URL on the configured origin (see [`AdminHttp::url`] and [`AdminHttp::same_origin`]).
    pub url: String,
    pub body: Option<Value>,
    pub class: RateClass,
    /// Safe to send twice (GET, query reads and polls).
    pub idempotent: bool,
    /// A 4xx/5xx whose JSON body carries a `query_status` is the answer, not an error (a poll
    /// of an async query that failed).
    pub answer_errors: bool,
}

impl Call {
    /// A GET of `url` (idempotent).
    pub(crate) fn get(url: String, class: RateClass) -> Call {
        Call {
            method: Method::Get,
            url,
            body: None,
            class,
            idempotent: true,
            answer_errors: false,
        }
    }
    /// A write (not idempotent).
    pub(crate) fn write(
        method: Method,
        url: String,
        body: Option<Value>,
        class: RateClass,
    ) -> Call {
        Call {
            method,
            url,
            body,
            class,
            idempotent: false,
            answer_errors: false,
        }
    }
    /// Takes a failed async query's `query_status` body as the answer.
    pub(crate) fn answering_errors(mut self) -> Call {
        self.answer_errors = true;
        self
    }
    /// Marks a POST that only reads (a query) as safe to retry.
    pub(crate) fn read_only(mut self) -> Call {
        self.idempotent = true;
        self
    }
}

/// The shared request machinery of one admin client.
pub(crate) struct AdminHttp {
    host: String,
    origin: url::Origin,
    key: RwLock<PersonalKey>,
    timeout: Duration,
    max_retries: u32,
    max_throttle_retries: u32,
    jitter_seed: Option<u64>,
    max_response_bytes: usize,
    retry_writes: bool,
    transport: Arc<dyn HttpTransport>,
    clock: Arc<dyn Clock>,
    permits: Semaphore,
    budget: Budget,
    key_provider: Option<Arc<dyn super::options::KeyProvider>>,
}

impl AdminHttp {
    pub(crate) fn new(cfg: &AdminConfig) -> Result<AdminHttp, Error> {
        let origin = url::Url::parse(&cfg.host)
            .map_err(|e| Error::Config(format!("host is not a valid URL ({e})")))?
            .origin();
        Ok(AdminHttp {
            host: cfg.host.clone(),
            origin,
            key: RwLock::new(cfg.key.clone()),
            timeout: cfg.timeout,
            max_retries: cfg.max_retries,
            max_throttle_retries: cfg.max_throttle_retries,
            jitter_seed: cfg.jitter_seed,
            max_response_bytes: cfg.max_response_bytes,
            retry_writes: cfg.retry_writes,
            transport: cfg.transport.clone(),
            clock: cfg.clock.clone(),
            permits: Semaphore::new(cfg.max_concurrency),
            budget: Budget::new(cfg.rate_limits),
            key_provider: cfg.key_provider.clone(),
        })
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// Swaps the key for every later request.
    pub(crate) fn rotate_key(&self, key: PersonalKey) {
        *self.key.write().unwrap_or_else(|p| p.into_inner()) = key;
    }

    /// `{host}{path}` with the query pairs encoded.
    pub(crate) fn url(&self, path: &str, query: &[(&str, String)]) -> String {
        let mut url = format!("{}{}", self.host, path);
        if !query.is_empty() {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in query {
                ser.append_pair(k, v);
            }
            url.push('?');
            url.push_str(&ser.finish());
        }
        url
    }

    /// Accepts a server-given URL (a list's `next`) only on the configured origin, so the
    /// bearer key is never sent anywhere else.
    pub(crate) fn same_origin(&self, url: &str) -> Result<String, Error> {
        let parsed = url::Url::parse(url)
            .map_err(|_| Error::Unexpected("the next-page URL is not a valid URL".into()))?;
        if parsed.origin() != self.origin
            || !parsed.username().is_empty()
            || parsed.password().is_some()
        {
            return Err(Error::Unexpected(format!(
                "the next-page URL points to another origin ({}); refusing to send the key there",
                parsed.origin().ascii_serialization()
            )));
        }
        Ok(parsed.to_string())
    }

    fn request(&self, call: &Call) -> Result<HttpRequest, Error> {
        let key = self.key.read().unwrap_or_else(|p| p.into_inner()).clone();
        let mut headers = vec![
            (
                "authorization".to_string(),
                format!("Bearer {}", key.expose()),
            ),
            ("accept".to_string(), "application/json".to_string()),
            (
                "user-agent".to_string(),
                format!("posthog-sdk-rust/{} (admin)", crate::VERSION),
            ),
        ];
        let body = match &call.body {
            Some(v) => {
                headers.push(("content-type".into(), "application/json".into()));
                serde_json::to_vec(v)
                    .map_err(|e| Error::InvalidInput(format!("cannot encode the body: {e}")))?
            }
            None => Vec::new(),
        };
        Ok(HttpRequest {
            method: call.method.as_str().to_string(),
            url: call.url.clone(),
            headers,
            body,
            timeout: self.timeout,
            max_response_bytes: self.max_response_bytes,
        })
    }

    /// Asks the key provider for the key; true when it gave a different one (now in use).
    async fn reread_key(&self) -> Result<bool, Error> {
        let Some(provider) = self.key_provider.clone() else {
            return Ok(false);
        };
        let fresh = tokio::task::spawn_blocking(move || provider.personal_key())
            .await
            .map_err(|_| Error::Unexpected("the key provider panicked".into()))??;
        let fresh = PersonalKey::parse(fresh)?;
        let changed = *self.key.read().unwrap_or_else(|p| p.into_inner()) != fresh;
        if changed {
            tracing::info!("PostHog refused the key (401); using the key provider's new key");
            self.rotate_key(fresh);
        }
        Ok(changed)
    }

    /// The budget's limits of `class` now (per minute, per hour), once learnt from 429s.
    pub(crate) fn budget_limits(&self, class: RateClass) -> Option<(u32, u32)> {
        self.budget.limits(class)
    }

    async fn attempt(&self, call: &Call) -> Result<Result<HttpResponse, TransportFailure>, Error> {
        self.budget.acquire(call.class, self.clock.as_ref()).await;
        let _permit = self.permits.acquire().await.map_err(|_| Error::Closed)?;
        let req = self.request(call)?;
        tracing::debug!(
            method = req.method,
            path = path_of(&call.url),
            "admin request"
        );
        Ok(self.transport.send(req).await)
    }

    /// Sends `call` and returns its JSON answer (`Null` for an empty body). Failures are
    /// classified by [`retry::class_of`] like every other request of the core: transient ones
    /// are retried (idempotent calls, or every call with `retry_writes`), 429s wait out
    /// `Retry-After` on their own budget.
    pub(crate) async fn send(&self, call: Call) -> Result<Value, Error> {
        let may_retry = call.idempotent || self.retry_writes;
        let mut backoff = Backoff::seeded(self.jitter_seed);
        let (mut retries, mut throttled) = (0u32, 0u32);
        let mut reread_key = false;
        loop {
            let outcome = self.attempt(&call).await?;
            let now = self.clock.now();
            let class = retry::class_of(&outcome);
            let error = match &outcome {
                Ok(resp) if class == Class::Success => return parse_body(&call, resp),
                Ok(resp) if class == Class::Throttled => {
                    let after = retry::retry_after(resp, now, MAX_THROTTLE_WAIT);
                    let err = retry::response_error(resp, now);
                    if throttled >= self.max_throttle_retries {
                        return Err(err);
                    }
                    throttled += 1;
                    self.budget.learn(call.class, after, self.clock.as_ref());
                    let wait = after.unwrap_or_else(|| backoff.next_delay(None));
                    self.budget.block(call.class, wait, self.clock.as_ref());
                    tracing::debug!(?wait, "admin request throttled (429); waiting");
                    self.clock.sleep(wait).await;
                    continue;
                }
                Ok(resp) if call.answer_errors && carries_query_status(resp) => {
                    return parse_body(&call, resp);
                }
                Ok(resp) if call.class == RateClass::Query && too_slow(resp) => {
                    // PostHog stopped the query at its execution-time limit; the same query
                    // would stop there again, so it is not retried. Exports shrink their page.
                    return Err(Error::Timeout(format!(
                        "PostHog stopped the query at its execution-time limit ({}): {}",
                        resp.status,
                        crate::redact::scrub(&detail_of(resp).unwrap_or_default())
                    )));
                }
                Ok(resp) => retry::response_error(resp, now),
                Err(f) => retry::failure_error(
                    f,
                    &format!(
                        "{} {} (no answer within {:?})",
                        call.method.as_str(),
                        path_of(&call.url),
                        self.timeout
                    ),
                ),
            };
            // A 401 means the request was not processed: with a key provider, ask it for the
            // key now (rotated or rolled elsewhere) and send once more with it.
            if matches!(error, Error::Unauthorized { .. })
                && !reread_key
                && self.reread_key().await?
            {
                reread_key = true;
                continue;
            }
            if class != Class::Transient || !may_retry || retries >= self.max_retries {
                return Err(error);
            }
            retries += 1;
            let wait = backoff.next_delay(None);
            tracing::debug!(?wait, %error, "admin request failed; retrying");
            self.clock.sleep(wait).await;
        }
    }
}

/// Whether a failed answer is an async query's status (`{"query_status": {…}}`).
fn carries_query_status(resp: &HttpResponse) -> bool {
    serde_json::from_slice::<Value>(&resp.body)
        .is_ok_and(|v| v.get("query_status").is_some_and(Value::is_object))
}

/// The `detail` of a JSON error body.
fn detail_of(resp: &HttpResponse) -> Option<String> {
    let v: Value = serde_json::from_slice(&resp.body).ok()?;
    v.get("detail")?.as_str().map(str::to_owned)
}

/// PostHog's answers for a query that ran (504, `ClickHouseQueryTimeOut`) or would run (512,
/// `EstimatedQueryExecutionTimeTooLong`) past its execution-time limit.
fn too_slow(resp: &HttpResponse) -> bool {
    match resp.status {
        512 => true,
        504 => detail_of(resp).is_some_and(|d| d.contains("max execution time")),
        _ => false,
    }
}

/// The path of a URL, for messages and logs (never the query string).
fn path_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default()
}

fn parse_body(call: &Call, resp: &HttpResponse) -> Result<Value, Error> {
    if resp.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&resp.body).map_err(|e| {
        Error::Unexpected(format!(
            "the answer to {} {} is not JSON: {e}",
            call.method.as_str(),
            path_of(&call.url)
        ))
    })
}

/// Decodes a JSON answer into `T`.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(v: Value, what: &str) -> Result<T, Error> {
    serde_json::from_value(v)
        .map_err(|e| Error::Unexpected(format!("cannot read the {what} PostHog answered: {e}")))
}
