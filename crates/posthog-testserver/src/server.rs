//! The running server: its thread, runtime, accept loop and public handle.

use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tower::ServiceExt;

use crate::admin::settings::{PersonalApiKeys, QueryThrottle};
use crate::error::Error;
use crate::fault::{Fault, FaultRoute};
use crate::flags::store::{Loaded, Override};
use crate::options::ServerOptions;
use crate::records::{RecordedRequest, ServerStats, StoredEvent};
use crate::router;
use crate::state::Shared;

/// Per-connection facts handed to handlers through request extensions.
#[derive(Clone)]
pub(crate) struct ConnInfo {
    pub(crate) peer: SocketAddr,
    abort: Arc<Notify>,
}

impl ConnInfo {
    /// Closes this connection without answering; the returned future never completes.
    pub(crate) async fn abort(&self) -> ! {
        self.abort.notify_one();
        std::future::pending::<()>().await;
        unreachable!("pending never completes")
    }
}

/// A running test server on `127.0.0.1`. Dropping it stops the server.
pub struct TestServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Starts a server with default options on a free port.
    ///
    /// # Panics
    /// When it cannot bind a loopback port or start its thread.
    pub fn spawn() -> TestServer {
        Self::spawn_with(ServerOptions::default())
    }

    /// Starts a server with these options on its own thread and tokio runtime.
    ///
    /// # Panics
    /// When it cannot bind the port or start its thread; see [`TestServer::try_spawn_with`].
    pub fn spawn_with(opts: ServerOptions) -> TestServer {
        match Self::try_spawn_with(opts) {
            Ok(server) => server,
            Err(err) => panic!("posthog-testserver: {err}"),
        }
    }

    /// Starts a server with these options, reporting bind and thread errors.
    pub fn try_spawn_with(opts: ServerOptions) -> Result<TestServer, Error> {
        let port = opts.port;
        let listener = StdListener::bind((Ipv4Addr::LOCALHOST, port))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| Error::Bind { port, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Bind { port, source })?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let shared = Arc::new(Shared::new(opts)?);
        let (tx, rx) = oneshot::channel();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name(format!("posthog-testserver-{}", addr.port()))
            .spawn(move || runtime.block_on(serve(listener, thread_shared, rx)))
            .map_err(Error::Runtime)?;
        Ok(TestServer {
            shared,
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The options it runs with.
    pub fn options(&self) -> &ServerOptions {
        &self.shared.options
    }

    /// Every stored event, in arrival order, duplicates included.
    pub fn events(&self) -> Vec<StoredEvent> {
        self.shared.events()
    }

    /// Every request received, in completion order (control routes excluded).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Counters since start or the last [`TestServer::reset`].
    pub fn stats(&self) -> ServerStats {
        self.shared.stats()
    }

    /// Queues one fault for a coming ingestion request.
    pub fn push_fault(&self, fault: Fault) {
        self.shared.push_faults(FaultRoute::Capture, [fault]);
    }

    /// Answers every ingestion request with `status` for `length` from now (a timed outage,
    /// before any queued fault).
    pub fn set_outage(&self, length: Duration, status: u16) {
        self.shared.set_outage(length, status);
    }

    /// Queues several faults for coming ingestion requests, in order.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.push_faults(FaultRoute::Capture, faults);
    }

    /// Queues one fault for a coming `POST /flags` request.
    pub fn push_flags_fault(&self, fault: Fault) {
        self.shared.push_faults(FaultRoute::Flags, [fault]);
    }

    /// Queues one fault for a coming definitions request (either route).
    pub fn push_definitions_fault(&self, fault: Fault) {
        self.shared.push_faults(FaultRoute::Definitions, [fault]);
    }

    /// Queues one fault for a coming private-API request (`/api/…`).
    pub fn push_admin_fault(&self, fault: Fault) {
        self.shared.push_faults(FaultRoute::Admin, [fault]);
    }

    /// Sets the private API's request budget and refills it: with `Some(n)`, `n` admin
    /// requests pass, the next gets a 429 `throttled` with `Retry-After: retry_after_secs`
    /// (and refills the budget), then `n` pass again; `None` never throttles.
    pub fn set_admin_rate_limit(&self, limit: Option<u32>, retry_after_secs: u64) {
        self.shared.set_admin_rate_limit(limit, retry_after_secs);
    }

    /// Sets the query API's throttle classes and concurrency limit (their windows start
    /// empty); see [`QueryThrottle`].
    pub fn set_query_throttle(&self, throttle: QueryThrottle) {
        self.shared.set_query_throttle(throttle);
    }

    /// How long a query answer stays fresh in the query cache (default 60 s; zero turns
    /// caching off). `blocking` and `async` submissions of the same text and values within
    /// it are answered from the cache (`is_cached: true`).
    pub fn set_query_cache_ttl(&self, ttl: Duration) {
        self.shared
            .with_admin(|admin, _| admin.query.cache.set_ttl(ttl));
    }

    /// A HogQL query whose result would have more than `max_rows` rows answers 504 with
    /// PostHog's `ClickHouseQueryTimeOut` body (an async one fails with that message);
    /// `None` removes the limit.
    pub fn set_query_max_rows(&self, max_rows: Option<usize>) {
        self.shared
            .with_admin(|admin, _| admin.query.max_rows = max_rows);
    }

    /// Each blocking query waits `delay` before it runs, holding a slot of the
    /// concurrency limit, so concurrent queries can be tested.
    pub fn set_query_delay(&self, delay: Duration) {
        self.shared.with_admin(|admin, _| admin.query.delay = delay);
    }

    /// Makes the next async query submission fail: with `Some(message)` as its
    /// `error_message` (the poll answers 400), or with `None` (an internal error, 500).
    /// Failures queue in order.
    pub fn push_query_failure(&self, error_message: Option<&str>) {
        let failure = error_message.map(str::to_owned);
        self.shared
            .with_admin(|admin, _| admin.query.failures.push_back(failure));
    }

    /// Sets the project's time zone (an IANA name such as `"Europe/Berlin"`): HogQL answers
    /// DateTime columns in it. Answers false for an unknown name.
    pub fn set_project_timezone(&self, name: &str) -> bool {
        match name.parse::<chrono_tz::Tz>() {
            Ok(tz) => {
                self.shared.with_admin(|admin, _| admin.timezone = tz);
                true
            }
            Err(_) => false,
        }
    }

    /// Chooses the `/api/personal_api_keys/` generation served; see [`PersonalApiKeys`].
    pub fn set_personal_api_keys(&self, version: PersonalApiKeys) {
        self.shared
            .with_admin(|admin, _| admin.personal_api_keys = version);
    }

    /// Bulk-inserts `count` synthetic events named `event` into the private API's database
    /// (not into [`TestServer::events`]), timestamps spread evenly over `[start, end)`,
    /// distinct ids `user-0` … `user-999` round-robin (each with a person), deterministic
    /// uuids, properties `$browser`, `$os`, `$current_url`, `index`. One transaction.
    ///
    /// # Panics
    /// When `end` is before `start` or the span does not fit in microseconds.
    pub fn generate_events(
        &self,
        count: u64,
        event: &str,
        start: chrono::DateTime<chrono::Utc>,
        end: chrono::DateTime<chrono::Utc>,
    ) {
        let spec = crate::db::GenerateSpec {
            count,
            event: event.to_owned(),
            start,
            end,
            distinct_ids: 1000,
        };
        if let Err(err) = self.shared.with_db(|db| db.generate(&spec)) {
            panic!("posthog-testserver: generate_events: {err}");
        }
    }

    /// Replaces the flag definitions both definitions routes serve and `/flags` evaluates
    /// (the JSON is served as given, even when `posthog-flags` cannot parse it). The ETag
    /// changes with the content.
    pub fn set_flag_definitions(&self, definitions: serde_json::Value) {
        let loaded = Arc::new(Loaded::new(definitions));
        self.shared.with_flags(|flags| flags.loaded = loaded);
    }

    /// The current definitions' `ETag` header value, quotes included.
    pub fn flag_definitions_etag(&self) -> String {
        self.shared.with_flags(|flags| flags.loaded.etag.clone())
    }

    /// Makes `/flags` answer `value` (`true`, `false` or a variant key) and `payload` for
    /// `key`, whatever local evaluation says; the flag need not exist in the definitions.
    pub fn set_flag_override(
        &self,
        key: &str,
        value: serde_json::Value,
        payload: Option<serde_json::Value>,
    ) {
        let over = Override { value, payload };
        self.shared.with_flags(|flags| {
            flags.overrides.insert(key.to_owned(), over);
        });
    }

    /// Removes every override.
    pub fn clear_flag_overrides(&self) {
        self.shared.with_flags(|flags| flags.overrides.clear());
    }

    /// While on, `/flags` answers 200 with no flags and `quotaLimited: ["feature_flags"]`.
    pub fn set_flags_quota_limited(&self, on: bool) {
        self.shared.with_flags(|flags| flags.quota_limited = on);
    }

    /// Registers a secret key for the definitions routes: a `phs_…` flags secure key
    /// (scopes ignored) or a `phx_…` personal key with these scopes (it may read
    /// definitions with `feature_flag:read`, `feature_flag:write` or `*`). Registering a
    /// key again replaces its scopes.
    pub fn register_key(&self, key: &str, scopes: &[&str]) {
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.shared.with_flags(|flags| {
            flags.keys.insert(key.to_owned(), scopes);
        });
    }

    /// While on, `/flags/definitions` answers 404 as older servers do (the older
    /// `/api/feature_flag/local_evaluation/` keeps working).
    pub fn set_definitions_route_missing(&self, on: bool) {
        self.shared
            .with_flags(|flags| flags.definitions_route_missing = on);
    }

    /// Clears events (the database's too), requests, queued faults and counters, restores
    /// the flag defaults (definitions, no overrides, no quota limit, the two default keys,
    /// the definitions route as in the options) and the private API's state (no cohorts,
    /// annotations, exports or queries; the two seeded insights; the rate limit of the
    /// options).
    pub fn reset(&self) {
        self.shared.reset();
    }

    /// Blocks until at least `n` events are stored or `timeout` passes; true when they are.
    pub fn wait_for_events(&self, n: usize, timeout: Duration) -> bool {
        self.shared.wait_until(timeout, |s| s.events.len() >= n)
    }

    /// Blocks until at least `n` requests are recorded or `timeout` passes; true when they are.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> bool {
        self.shared.wait_until(timeout, |s| s.requests.len() >= n)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(listener: StdListener, shared: Arc<Shared>, mut shutdown: oneshot::Receiver<()>) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(err) => {
            eprintln!("posthog-testserver: cannot listen: {err}");
            return;
        }
    };
    let app = router::build(shared);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(serve_connection(stream, peer, app.clone()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
        }
    }
}

async fn serve_connection(stream: TcpStream, peer: SocketAddr, app: axum::Router) {
    let _ = stream.set_nodelay(true);
    let info = ConnInfo {
        peer,
        abort: Arc::new(Notify::new()),
    };
    let abort = Arc::clone(&info.abort);
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(info.clone());
        app.clone().oneshot(req)
    });
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        () = abort.notified() => {}
    }
}
