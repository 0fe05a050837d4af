//! The admin client: its own worker thread with a current-thread runtime, and a blocking API
//! that waits on work run there (so a binding can call it from any thread or thread pool).

use super::budget::RateClass;
use super::http::{AdminHttp, Call, decode};
use super::options::{AdminConfig, AdminOptions};
use super::pager::Pager;
use crate::error::Error;
use crate::keys::PersonalKey;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A client of PostHog's private API, authenticated by a personal API key (`phx_…`).
///
/// Cheap to clone (clones share one worker thread). Every call blocks the calling thread until
/// its answer; the HTTP work runs on the client's own thread, so no runtime is needed.
#[derive(Clone)]
pub struct AdminClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: Arc<AdminHttp>,
    host: String,
    runtime: tokio::runtime::Handle,
    stop: Mutex<Option<tokio::sync::oneshot::Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl AdminClient {
    /// Validates the options and starts the client's worker thread.
    pub fn new(opts: AdminOptions) -> Result<AdminClient, Error> {
        AdminClient::with_config(opts.build()?)
    }

    /// Starts a client from a resolved configuration.
    pub fn with_config(cfg: AdminConfig) -> Result<AdminClient, Error> {
        let http = Arc::new(AdminHttp::new(&cfg)?);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Config(format!("cannot start the admin runtime: {e}")))?;
        let runtime = rt.handle().clone();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("posthog-admin".into())
            .spawn(move || {
                let _ = rt.block_on(stop_rx);
            })
            .map_err(|e| Error::Config(format!("cannot start the admin thread: {e}")))?;
        Ok(AdminClient {
            inner: Arc::new(Inner {
                http,
                host: cfg.host,
                runtime,
                stop: Mutex::new(Some(stop_tx)),
                thread: Mutex::new(Some(thread)),
            }),
        })
    }

    /// The app origin this client talks to.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// Swaps the personal key for every later request (requests in flight keep the old one).
    /// A project key (`phc_`) is refused.
    pub fn rotate_key(&self, key: impl Into<String>) -> Result<(), Error> {
        let key = PersonalKey::parse(key)?;
        self.inner.http.rotate_key(key);
        Ok(())
    }

    /// The client-side budget of `class` now, as (per minute, per hour): PostHog's published
    /// limits at first, lowered when a 429 shows this team's are lower. `None` when the budget
    /// is off.
    pub fn rate_budget(&self, class: RateClass) -> Option<(u32, u32)> {
        self.inner.http.budget_limits(class)
    }

    /// Stops the worker thread. Later calls fail with [`Error::Closed`]. Dropping the last
    /// clone does the same.
    pub fn close(&self) {
        self.inner.close();
    }
}

impl fmt::Debug for AdminClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminClient")
            .field("host", &self.inner.host)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// Runs `fut` on the worker and blocks until it finishes.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, Error>> + Send + 'static,
    ) -> Result<T, Error> {
        if self
            .stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
        {
            return Err(Error::Closed);
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().unwrap_or(Err(Error::Closed))
    }

    /// Runs `fut` on the worker; the returned future completes with it, on any executor.
    pub(crate) fn run_async<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, Error>> + Send + 'static,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'static {
        let open = self
            .stop
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        let (tx, rx) = tokio::sync::oneshot::channel();
        if open {
            self.runtime.spawn(async move {
                let _ = tx.send(fut.await);
            });
        }
        async move { rx.await.unwrap_or(Err(Error::Closed)) }
    }

    /// Sends one call; the future completes with its JSON answer (any executor).
    pub(crate) fn send_async(
        &self,
        call: Call,
    ) -> impl Future<Output = Result<Value, Error>> + Send + 'static {
        let http = self.http.clone();
        self.run_async(async move { http.send(call).await })
    }

    /// Sends one call and waits for its JSON answer.
    pub(crate) fn send(&self, call: Call) -> Result<Value, Error> {
        let http = self.http.clone();
        self.run(async move { http.send(call).await })
    }

    /// Sends one call and decodes its answer into `T`.
    pub(crate) fn send_as<T: DeserializeOwned>(&self, call: Call, what: &str) -> Result<T, Error> {
        decode(self.send(call)?, what)
    }

    /// GET `path` and decode the answer.
    pub(crate) fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        class: RateClass,
        what: &str,
    ) -> Result<T, Error> {
        self.send_as(Call::get(self.http.url(path, &[]), class), what)
    }

    /// A lazy pager over a list endpoint.
    pub(crate) fn pager<T: DeserializeOwned>(
        self: &Arc<Self>,
        path: &str,
        query: &[(&str, String)],
        class: RateClass,
    ) -> Pager<T> {
        Pager::new(self.clone(), self.http.url(path, query), class)
    }

    fn close(&self) {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = stop.send(());
        }
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread.filter(|t| t.thread().id() != std::thread::current().id()) {
            let _ = t.join();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.close();
    }
}
