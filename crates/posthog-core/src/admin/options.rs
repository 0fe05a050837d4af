//! Admin client options with their defaults, validated once into a resolved [`AdminConfig`].

use crate::clock::{Clock, SystemClock};
use crate::config::validate_origin;
use crate::error::Error;
use crate::keys::PersonalKey;
use crate::transport::{HttpTransport, ReqwestTransport};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The default app host of the private API (PostHog Cloud US).
pub const DEFAULT_ADMIN_HOST: &str = "https://us.posthog.com";

/// One rate limit: requests allowed per minute and per hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Requests per minute.
    pub per_minute: u32,
    /// Requests per hour.
    pub per_hour: u32,
}

/// The client-side request budget per personal key, one [`Limit`] per class of endpoint.
/// The defaults are PostHog's published limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Most endpoints: 480/min, 4800/h.
    pub general: Limit,
    /// Analytics endpoints (insights, persons): 240/min, 1200/h.
    pub analytics: Limit,
    /// The query API: 240/min, 2400/h.
    pub query: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            general: Limit {
                per_minute: 480,
                per_hour: 4800,
            },
            analytics: Limit {
                per_minute: 240,
                per_hour: 1200,
            },
            query: Limit {
                per_minute: 240,
                per_hour: 2400,
            },
        }
    }
}

/// The options of an [`AdminClient`](super::AdminClient); everything but the key is optional.
#[derive(Clone)]
pub struct AdminOptions {
    personal_key: String,
    host: Option<String>,
    timeout: Duration,
    max_retries: u32,
    max_throttle_retries: u32,
    max_concurrency: usize,
    rate_limits: Option<RateLimits>,
    retry_writes: bool,
    transport: Option<Arc<dyn HttpTransport>>,
    clock: Option<Arc<dyn Clock>>,
    jitter_seed: Option<u64>,
    max_response_bytes: usize,
    key_provider: Option<Arc<dyn KeyProvider>>,
}

/// Where the personal key comes from when it may change while the process runs: a secret
/// manager, a file a sidecar rewrites, an environment re-read. The client asks once at start
/// (with [`AdminOptions::from_provider`]) and again whenever PostHog answers 401, then retries
/// that request once with the new key: a key rolled or rotated elsewhere is picked up without a
/// restart and without code.
pub trait KeyProvider: Send + Sync + 'static {
    /// The personal key to use now. Called on the client's worker, off the caller's thread.
    fn personal_key(&self) -> Result<String, Error>;
}

impl<F> KeyProvider for F
where
    F: Fn() -> Result<String, Error> + Send + Sync + 'static,
{
    fn personal_key(&self) -> Result<String, Error> {
        self()
    }
}

impl AdminOptions {
    /// Options whose key comes from `provider` (asked at build and after every 401).
    ///
    /// ```no_run
    /// use posthog_core::admin::{AdminClient, AdminOptions};
    /// use std::sync::Arc;
    /// # fn main() -> Result<(), posthog_core::Error> {
    /// let provider = || {
    ///     std::fs::read_to_string("/run/secrets/posthog")
    ///         .map(|k| k.trim().to_string())
    ///         .map_err(|e| posthog_core::Error::InvalidKey(format!("cannot read the key file: {}", e.kind())))
    /// };
    /// let admin = AdminClient::new(AdminOptions::from_provider(Arc::new(provider)))?;
    /// admin.preflight(&["feature_flags.list", "export"])?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_provider(provider: Arc<dyn KeyProvider>) -> AdminOptions {
        let mut o = AdminOptions::new(String::new());
        o.key_provider = Some(provider);
        o
    }

    /// Asks `provider` for a new key whenever PostHog answers 401 (the key given to
    /// [`AdminOptions::new`] is used until then).
    pub fn key_provider(mut self, provider: Arc<dyn KeyProvider>) -> Self {
        self.key_provider = Some(provider);
        self
    }

    /// Options for a personal API key (`phx_…`) with the defaults: host `https://us.posthog.com`,
    /// timeout 30 s, 3 retries, 4 concurrent requests, PostHog's published rate limits, writes
    /// not retried.
    pub fn new(personal_key: impl Into<String>) -> AdminOptions {
        AdminOptions {
            personal_key: personal_key.into(),
            host: None,
            timeout: Duration::from_secs(30),
            max_retries: 3,
            max_throttle_retries: 10,
            jitter_seed: None,
            max_response_bytes: crate::transport::limits::ADMIN,
            max_concurrency: 4,
            rate_limits: Some(RateLimits::default()),
            retry_writes: false,
            transport: None,
            clock: None,
            key_provider: None,
        }
    }

    /// Options from `POSTHOG_PERSONAL_API_KEY` and (optionally) `POSTHOG_HOST`.
    pub fn from_env() -> Result<AdminOptions, Error> {
        let key = std::env::var("POSTHOG_PERSONAL_API_KEY")
            .map_err(|_| Error::InvalidKey("POSTHOG_PERSONAL_API_KEY is not set".into()))?;
        let mut opts = AdminOptions::new(key);
        if let Ok(host) = std::env::var("POSTHOG_HOST") {
            opts = opts.host(host);
        }
        Ok(opts)
    }

    /// The app host (`https://us.posthog.com`, `https://eu.posthog.com` or a self-hosted URL).
    /// `http://` is only allowed for loopback.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }
    /// The timeout of one HTTP attempt (default 30 s).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = d;
        self
    }
    /// Retries of an idempotent request after a 5xx or a transport error (default 3).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }
    /// Retries after a 429, each waiting the server's `Retry-After` (default 10).
    pub fn max_throttle_retries(mut self, n: u32) -> Self {
        self.max_throttle_retries = n;
        self
    }
    /// The largest answer accepted, in bytes (default 64 MiB); a longer one fails with
    /// `Unexpected` before it is read whole. Query results count here: page large reads.
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.max_response_bytes = n.max(1024);
        self
    }
    /// Makes the backoff jitter reproducible (for schedule tests; default random).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }
    /// At most this many requests in flight at once (default 4).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n;
        self
    }
    /// The client-side budget; `None` disables it (429s are still waited out).
    pub fn rate_limits(mut self, limits: Option<RateLimits>) -> Self {
        self.rate_limits = limits;
        self
    }
    /// Also retry non-idempotent requests (POST, PATCH, DELETE) after a 5xx or transport error
    /// (default false: a write whose answer was lost may have been applied).
    pub fn retry_writes(mut self, on: bool) -> Self {
        self.retry_writes = on;
        self
    }
    /// Brings your own HTTP stack (tests script answers with it).
    pub fn transport(mut self, t: Arc<dyn HttpTransport>) -> Self {
        self.transport = Some(t);
        self
    }
    /// Brings your own clock (tests use [`ManualClock`](crate::ManualClock) so waits are instant).
    pub fn clock(mut self, c: Arc<dyn Clock>) -> Self {
        self.clock = Some(c);
        self
    }

    /// Validates the options into a resolved configuration.
    pub fn build(self) -> Result<AdminConfig, Error> {
        let key = match (&self.key_provider, self.personal_key.is_empty()) {
            (Some(p), true) => PersonalKey::parse(p.personal_key()?)?,
            _ => PersonalKey::parse(self.personal_key)?,
        };
        let host = validate_origin(self.host.as_deref().unwrap_or(DEFAULT_ADMIN_HOST))?;
        if self.timeout.is_zero() {
            return Err(Error::Config("timeout must be above zero".into()));
        }
        if self.max_concurrency == 0 {
            return Err(Error::Config("max_concurrency must be at least 1".into()));
        }
        if let Some(l) = &self.rate_limits {
            for (name, lim) in [
                ("general", l.general),
                ("analytics", l.analytics),
                ("query", l.query),
            ] {
                if lim.per_minute == 0 || lim.per_hour == 0 {
                    return Err(Error::Config(format!(
                        "the {name} rate limit must allow at least one request per minute and per hour"
                    )));
                }
            }
        }
        let transport: Arc<dyn HttpTransport> = match self.transport {
            Some(t) => t,
            None => Arc::new(ReqwestTransport::new()?),
        };
        Ok(AdminConfig {
            key,
            host,
            timeout: self.timeout,
            max_retries: self.max_retries,
            max_throttle_retries: self.max_throttle_retries,
            max_concurrency: self.max_concurrency,
            rate_limits: self.rate_limits,
            retry_writes: self.retry_writes,
            transport,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            jitter_seed: self.jitter_seed,
            max_response_bytes: self.max_response_bytes,
            key_provider: self.key_provider,
        })
    }
}

impl fmt::Debug for AdminOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminOptions")
            .field("personal_key", &"[redacted]")
            .field("host", &self.host)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("max_concurrency", &self.max_concurrency)
            .field("rate_limits", &self.rate_limits)
            .field("retry_writes", &self.retry_writes)
            .finish_non_exhaustive()
    }
}

/// The resolved admin configuration. Its `Debug` hides the key.
#[derive(Clone)]
pub struct AdminConfig {
    /// The personal key the client starts with.
    pub key: PersonalKey,
    /// The app origin, without a trailing slash.
    pub host: String,
    /// The timeout of one HTTP attempt.
    pub timeout: Duration,
    /// Retries of idempotent requests after 5xx or transport errors.
    pub max_retries: u32,
    /// Retries after a 429.
    pub max_throttle_retries: u32,
    /// Requests in flight at once.
    pub max_concurrency: usize,
    /// The client-side budget, if any.
    pub rate_limits: Option<RateLimits>,
    /// Whether writes are retried too.
    pub retry_writes: bool,
    /// The HTTP stack.
    pub transport: Arc<dyn HttpTransport>,
    /// The clock every wait goes through.
    pub clock: Arc<dyn Clock>,
    /// The backoff jitter seed, when reproducible waits were asked for.
    pub jitter_seed: Option<u64>,
    /// The largest answer accepted, in bytes.
    pub max_response_bytes: usize,
    /// Where a new key comes from after a 401, if anywhere.
    pub key_provider: Option<Arc<dyn KeyProvider>>,
}

impl fmt::Debug for AdminConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminConfig")
            .field("key", &self.key)
            .field("host", &self.host)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("max_throttle_retries", &self.max_throttle_retries)
            .field("max_concurrency", &self.max_concurrency)
            .field("rate_limits", &self.rate_limits)
            .field("retry_writes", &self.retry_writes)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_hides_the_key() {
        let cfg = AdminOptions::new("phx_verysecret").build().unwrap();
        assert_eq!(cfg.host, "https://us.posthog.com");
        let dbg = format!("{cfg:?}{:?}", AdminOptions::new("phx_verysecret"));
        assert!(!dbg.contains("verysecret"), "{dbg}");
        assert!(AdminOptions::new("phc_public").build().is_err());
        assert!(
            AdminOptions::new("phx_a")
                .host("http://example.com")
                .build()
                .is_err()
        );
        assert!(
            AdminOptions::new("phx_a")
                .host("http://127.0.0.1:8000")
                .build()
                .is_ok()
        );
        assert!(
            AdminOptions::new("phx_a")
                .max_concurrency(0)
                .build()
                .is_err()
        );
    }
}
