//! Flag definitions for local evaluation: fetched with the secret key as a bearer, cached with
//! ETag/304, polled on the client's worker, and published as an immutable snapshot that readers
//! take without waiting on the poller or on `capture`.

use super::cache::{self, FlagDefinitionCache};
use crate::client::Shared;
use crate::error::Error;
use crate::retry;
use crate::transport::HttpRequest;
use arc_swap::ArcSwapOption;
use posthog_flags::Definitions;
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The longest wait between polls after repeated refusals (401/403/429).
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The local-evaluation state of a client.
#[derive(Debug, Default)]
pub(crate) struct FlagsState {
    /// The current definitions; `None` until the first successful load.
    pub definitions: ArcSwapOption<Definitions>,
    etag: Mutex<Option<String>>,
    /// The newer `/flags/definitions` route answered 404: use the older one.
    legacy_route: AtomicBool,
    /// Load attempts finished (success or not), for waiters of the first load.
    attempts: Mutex<u64>,
    attempted: Condvar,
    /// Successful loads (200 or 304).
    pub loads: AtomicU64,
    /// Wakes the poller for an immediate reload.
    pub reload: tokio::sync::Notify,
    /// `$feature_flag_called` de-duplication.
    pub called: Mutex<super::CalledDedup>,
    /// When the current definitions were loaded (Unix ms; 0 = never), for
    /// `$feature_flag_definitions_loaded_at`.
    pub loaded_at_ms: AtomicI64,
    /// The cache provider's `shutdown` was called: the poller no longer uses it.
    cache_closed: AtomicBool,
    /// One load at a time: a load asked while another runs shares that one's outcome (as
    /// posthog-node shares its loading promise), so the first poll and a reload never both
    /// ask the cache provider or fetch.
    load_lock: tokio::sync::Mutex<()>,
    /// The outcome of the last finished load.
    last_outcome: Mutex<Option<Result<LoadOutcome, Error>>>,
}

impl FlagsState {
    pub fn new() -> FlagsState {
        FlagsState::default()
    }

    /// Waits (bounded) until at least one load attempt has finished.
    pub fn wait_first_attempt(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut n = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        while *n == 0 {
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            n = self
                .attempted
                .wait_timeout(n, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    fn attempt_count(&self) -> u64 {
        *self.attempts.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn attempt_done(&self) {
        *self.attempts.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.attempted.notify_all();
    }
}

/// What one load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadOutcome {
    /// New definitions were stored.
    Updated,
    /// 304: the cached definitions are current (or a cache provider had nothing newer).
    NotModified,
    /// A cache-only reader found the provider's cache empty: nothing is loaded.
    CacheEmpty,
}

/// The poller: load now, then every `poll_interval` (backing off on refusals), or at once when
/// a reload is asked for.
pub(crate) async fn run(shared: Arc<Shared>) {
    if !shared.config.local_evaluation() {
        return;
    }
    if let Some(cache) = &shared.config.flag_definition_cache {
        cache.attach(shared.config.poll_interval);
    }
    let interval = shared.config.poll_interval;
    let mut delay = interval;
    loop {
        match load_once(&shared).await {
            Ok(_) => delay = interval,
            Err(e) => {
                delay = next_delay(&e, delay, interval);
                shared.report(&e);
            }
        }
        tokio::select! {
            _ = shared.config.clock.timer(delay) => {}
            _ = shared.flags.reload.notified() => {}
        }
    }
}

/// The wait before the next poll after `e`: refusals (401, 403, 429) double it up to
/// [`MAX_BACKOFF`], never below the server's `Retry-After`; other failures keep the interval.
fn next_delay(e: &Error, delay: Duration, interval: Duration) -> Duration {
    let refused = matches!(
        e.kind(),
        crate::ErrorKind::Unauthorized
            | crate::ErrorKind::Forbidden
            | crate::ErrorKind::RateLimited
    );
    let asked = e
        .attributes()
        .retry_after_secs
        .map(Duration::from_secs)
        .unwrap_or(Duration::ZERO)
        .min(MAX_BACKOFF);
    let base = if refused {
        (delay * 2).min(MAX_BACKOFF).max(interval)
    } else {
        interval
    };
    base.max(asked)
}

/// Loads the definitions once: through the cache provider's protocol when one is set
/// ([`super::cache`]), else from PostHog.
pub(crate) async fn load_once(shared: &Shared) -> Result<LoadOutcome, Error> {
    let before = shared.flags.attempt_count();
    let _one_at_a_time = shared.flags.load_lock.lock().await;
    if shared.flags.attempt_count() != before {
        let last = shared
            .flags
            .last_outcome
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(last) = last {
            return last;
        }
    }
    let cache = shared
        .config
        .flag_definition_cache
        .as_deref()
        .filter(|_| !shared.flags.cache_closed.load(Ordering::Acquire));
    let result = match cache {
        Some(cache) => load_with_cache(shared, cache).await,
        None => fetch_from_posthog(shared, None).await,
    };
    if matches!(result, Ok(LoadOutcome::Updated | LoadOutcome::NotModified)) {
        shared.flags.loads.fetch_add(1, Ordering::Relaxed);
    }
    if let (Ok(LoadOutcome::Updated), Some(hook)) = (&result, &shared.config.on_flags_loaded) {
        let count = shared
            .flags
            .definitions
            .load()
            .as_ref()
            .map_or(0, |d| d.len());
        let hook = hook.clone();
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(count)));
    }
    *shared
        .flags
        .last_outcome
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some(result.clone());
    shared.flags.attempt_done();
    result
}

/// The poller's protocol with a cache provider (posthog-python's and posthog-node's): ask
/// whether to fetch; if not, load the cache (fetching anyway when it is empty and nothing is
/// loaded); after a fetch that brought new definitions, hand them to the cache.
async fn load_with_cache(
    shared: &Shared,
    cache: &dyn FlagDefinitionCache,
) -> Result<LoadOutcome, Error> {
    if shared.config.flags_key.is_none() {
        // A cache-only reader (the profile allows it): never asks to fetch, never publishes.
        return match load_from_cache(shared, cache).await {
            Ok(true) => Ok(LoadOutcome::Updated),
            Ok(false) => Ok(LoadOutcome::CacheEmpty),
            Err(e) => Err(e),
        };
    }
    let should_fetch = match cache::call(
        "should_fetch_flag_definitions",
        cache::CALL_TIMEOUT,
        cache.should_fetch_flag_definitions(),
    )
    .await
    {
        Ok(v) => v,
        Err(e) => {
            // Fail-safe: fetch.
            shared.report(&e);
            true
        }
    };
    if !should_fetch {
        match load_from_cache(shared, cache).await {
            Ok(true) => return Ok(LoadOutcome::Updated),
            Ok(false) if shared.flags.definitions.load().is_some() => {
                // Another process fetches; keep what is loaded until its data arrives.
                return Ok(LoadOutcome::NotModified);
            }
            // Empty cache and nothing loaded: local evaluation needs something, fetch.
            Ok(false) => {}
            // The cache failed: fetch.
            Err(e) => shared.report(&e),
        }
    }
    fetch_from_posthog(shared, Some(cache)).await
}

/// Loads the provider's definitions; `Ok(false)` when it has none.
async fn load_from_cache(shared: &Shared, cache: &dyn FlagDefinitionCache) -> Result<bool, Error> {
    let cached = cache::call(
        "get_flag_definitions",
        cache::CALL_TIMEOUT,
        cache.get_flag_definitions(),
    )
    .await?;
    let Some(doc) = cached.and_then(cache::endpoint_document) else {
        return Ok(false);
    };
    let defs = tokio::task::spawn_blocking(move || Definitions::parse(&doc))
        .await
        .map_err(|_| Error::Unexpected("parsing the cached flag definitions panicked".into()))?
        .map_err(|e| Error::Unexpected(format!("the cached flag definitions: {e}")))?;
    shared.flags.definitions.store(Some(Arc::new(defs)));
    shared
        .flags
        .loaded_at_ms
        .store(shared.now_ms(), Ordering::Relaxed);
    // The ETag named what this process fetched, not what the cache holds.
    *shared.flags.etag.lock().unwrap_or_else(|p| p.into_inner()) = None;
    Ok(true)
}

/// Calls the cache provider's `shutdown` once (bounded), after which the poller no longer
/// uses it.
pub(crate) async fn shutdown_cache(shared: &Shared, bound: Duration) {
    let Some(cache) = shared.config.flag_definition_cache.as_deref() else {
        return;
    };
    if shared.flags.cache_closed.swap(true, Ordering::AcqRel) {
        return;
    }
    if let Err(e) = cache::call("shutdown", bound, cache.shutdown()).await {
        shared.report(&e);
    }
}

impl crate::client::Client {
    /// Calls the cache provider's `shutdown` (once, bounded by `timeout`), as the official
    /// SDKs do when the client shuts down.
    pub(crate) fn shutdown_flag_cache(&self, timeout: Duration) {
        if self.config().flag_definition_cache.is_none() || self.is_shut_down() {
            return;
        }
        let shared = self.shared().clone();
        let _ = self.on_worker(
            async move {
                shutdown_cache(&shared, timeout).await;
                Ok(())
            },
            timeout + Duration::from_secs(1),
        );
    }
}

/// Fetches from PostHog (falling back to the older route on 404); new definitions go to
/// `cache` too.
async fn fetch_from_posthog(
    shared: &Shared,
    cache: Option<&dyn FlagDefinitionCache>,
) -> Result<LoadOutcome, Error> {
    let result = fetch(shared, cache.is_some()).await;
    let result = match result {
        Err(Error::NotFound(_)) if !shared.flags.legacy_route.swap(true, Ordering::Relaxed) => {
            fetch(shared, cache.is_some()).await
        }
        other => other,
    };
    match (result, cache) {
        (Ok(Fetched::Updated(Some(doc))), Some(cache)) => {
            let data =
                cache::cache_document(&doc, shared.config.profile.rules().cache_data_camel_aliases);
            if let Err(e) = cache::call(
                "on_flag_definitions_received",
                cache::CALL_TIMEOUT,
                cache.on_flag_definitions_received(data),
            )
            .await
            {
                // The definitions stay in memory.
                shared.report(&e);
            }
            Ok(LoadOutcome::Updated)
        }
        (Ok(Fetched::Updated(_)), _) => Ok(LoadOutcome::Updated),
        (Ok(Fetched::NotModified), _) => Ok(LoadOutcome::NotModified),
        (Err(e), _) => Err(e),
    }
}

/// What one definitions request brought.
enum Fetched {
    /// New definitions, with the endpoint's document when asked for (for a cache).
    Updated(Option<Value>),
    /// 304.
    NotModified,
}

async fn fetch(shared: &Shared, keep_document: bool) -> Result<Fetched, Error> {
    let cfg = &shared.config;
    let Some(secret) = &cfg.flags_key else {
        return Err(Error::Config(
            "local evaluation needs personal_api_key (a phs_ or phx_ key)".into(),
        ));
    };
    let path = if shared.flags.legacy_route.load(Ordering::Relaxed) {
        "/api/feature_flag/local_evaluation/"
    } else {
        "/flags/definitions"
    };
    let url = reqwest::Url::parse_with_params(
        &format!("{}{path}", cfg.host),
        &[("token", shared.key().expose()), ("send_cohorts", "")],
    )
    .map_err(|e| Error::Config(format!("bad definitions URL: {e}")))?;
    let mut headers = vec![
        (
            "Authorization".to_string(),
            format!("Bearer {}", secret.expose()),
        ),
        (
            "User-Agent".to_string(),
            format!("{}/{}", cfg.sdk_name, cfg.sdk_version),
        ),
    ];
    let etag = shared
        .flags
        .etag
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if let Some(etag) = &etag
        && shared.flags.definitions.load().is_some()
    {
        headers.push(("If-None-Match".into(), etag.clone()));
    }
    let req = HttpRequest {
        method: "GET".into(),
        url: url.to_string(),
        headers,
        body: Vec::new(),
        timeout: cfg.request_timeout,
        max_response_bytes: cfg.max_definitions_bytes,
    };
    let resp = match cfg.transport.send(req).await {
        Ok(r) => r,
        Err(f) => return Err(retry::failure_error(&f, "the flag definitions request")),
    };
    match resp.status {
        304 => Ok(Fetched::NotModified),
        200..=299 => {
            // Parsing compiles every pattern: off the worker, so batches keep moving.
            let etag = resp.header("etag").map(str::to_string);
            let body = resp.body;
            let (defs, doc) = tokio::task::spawn_blocking(move || {
                if !keep_document {
                    return Definitions::from_slice(&body).map(|d| (d, None));
                }
                let doc: Value = serde_json::from_slice(&body).map_err(|e| {
                    posthog_flags::Error::InvalidDefinitions(format!("not JSON: {e}"))
                })?;
                Definitions::parse(&doc).map(|d| (d, Some(doc)))
            })
            .await
            .map_err(|_| Error::Unexpected("parsing the flag definitions panicked".into()))?
            .map_err(|e| Error::Unexpected(e.to_string()))?;
            shared.flags.definitions.store(Some(Arc::new(defs)));
            shared
                .flags
                .loaded_at_ms
                .store(shared.now_ms(), std::sync::atomic::Ordering::Relaxed);
            *shared.flags.etag.lock().unwrap_or_else(|p| p.into_inner()) = etag;
            Ok(Fetched::Updated(doc))
        }
        402 => {
            // Over quota: local evaluation must stop answering.
            shared.flags.definitions.store(None);
            *shared.flags.etag.lock().unwrap_or_else(|p| p.into_inner()) = None;
            Err(retry::response_error(&resp, cfg.clock.now()))
        }
        _ => Err(retry::response_error(&resp, cfg.clock.now())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_back_off_and_retry_after_is_a_floor() {
        let i = Duration::from_secs(30);
        let limited = Error::from_status(429, b"", Some(200), None);
        assert_eq!(next_delay(&limited, i, i), Duration::from_secs(200));
        let denied = Error::from_status(401, b"", None, None);
        assert_eq!(next_delay(&denied, i, i), Duration::from_secs(60));
        assert_eq!(
            next_delay(&denied, Duration::from_secs(200), i),
            MAX_BACKOFF
        );
        let busy = Error::from_status(503, b"", Some(90), None);
        assert_eq!(
            next_delay(&busy, Duration::from_secs(120), i),
            Duration::from_secs(90)
        );
        let down = Error::Transport("reset".into());
        assert_eq!(next_delay(&down, Duration::from_secs(120), i), i);
    }
}
