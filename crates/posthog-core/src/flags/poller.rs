//! Flag definitions for local evaluation: fetched with the secret key as a bearer, cached with
//! ETag/304, polled on the client's worker, and published as an immutable snapshot that readers
//! take without waiting on the poller or on `capture`.

use crate::client::Shared;
use crate::error::Error;
use crate::retry;
use crate::transport::HttpRequest;
use arc_swap::ArcSwapOption;
use posthog_flags::Definitions;
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
    /// 304: the cached definitions are current.
    NotModified,
}

/// The poller: load now, then every `poll_interval` (backing off on refusals), or at once when
/// a reload is asked for.
pub(crate) async fn run(shared: Arc<Shared>) {
    if shared.config.flags_key.is_none() {
        return;
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

/// Fetches the definitions once (falling back to the older route on 404).
pub(crate) async fn load_once(shared: &Shared) -> Result<LoadOutcome, Error> {
    let result = fetch(shared).await;
    let result = match result {
        Err(Error::NotFound(_)) if !shared.flags.legacy_route.swap(true, Ordering::Relaxed) => {
            fetch(shared).await
        }
        other => other,
    };
    if result.is_ok() {
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
    shared.flags.attempt_done();
    result
}

async fn fetch(shared: &Shared) -> Result<LoadOutcome, Error> {
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
        304 => Ok(LoadOutcome::NotModified),
        200..=299 => {
            // Parsing compiles every pattern: off the worker, so batches keep moving.
            let etag = resp.header("etag").map(str::to_string);
            let body = resp.body;
            let defs = tokio::task::spawn_blocking(move || Definitions::from_slice(&body))
                .await
                .map_err(|_| Error::Unexpected("parsing the flag definitions panicked".into()))?
                .map_err(|e| Error::Unexpected(e.to_string()))?;
            shared.flags.definitions.store(Some(Arc::new(defs)));
            shared
                .flags
                .loaded_at_ms
                .store(shared.now_ms(), std::sync::atomic::Ordering::Relaxed);
            *shared.flags.etag.lock().unwrap_or_else(|p| p.into_inner()) = etag;
            Ok(LoadOutcome::Updated)
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
