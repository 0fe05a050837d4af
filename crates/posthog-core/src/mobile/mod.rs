//! The mobile client API: a [`MobileClient`] wraps a core [`Client`] (which does all the
//! sending) and adds what an app needs on a device — a persisted anonymous id and `identify`,
//! persisted super properties, groups and opt-out, sessions, the app's [`DeviceContext`] on
//! every event, lifecycle entry points, and feature flags cached on disk.
//!
//! Nothing here blocks the caller on the network or on a file write: state changes are
//! written by the core's worker (newest state wins; the last one is written at shutdown),
//! flags are fetched there, and `capture` touches no file beyond the core's own queue. Only
//! [`MobileClient::new`] reads the state and flags files (a few hundred bytes) so the first
//! event and the first flag lookup need no wait. The session is held in memory: a new process
//! starts a new session.

pub mod context;
pub mod flags;
pub mod options;
pub mod session;
pub mod state;

pub use context::DeviceContext;
pub use flags::{CachedFlag, CachedFlags, FLAGS_FILE};
pub use options::MobileOptions;
pub use session::{SESSION_IDLE_TIMEOUT, Session};
pub use state::{Loaded, MobileState, STATE_FILE, StateFile};

use crate::client::{Client, FlushReport};
use crate::config::ClientOptions;
use crate::error::Error;
use crate::event::Event;
use crate::flags::{FlagOptions, FlagValue};
use crate::pending::Pending;
use flags::FlagsCache;
use serde_json::{Map, Value};
use state::StateWriter;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use uuid::Uuid;

/// The client an app uses on a device. Every call returns at once (see the module docs).
pub struct MobileClient {
    client: Client,
    writer: Arc<StateWriter>,
    flags: Arc<FlagsCache>,
    context: Map<String, Value>,
    lifecycle_events: bool,
    inner: Mutex<Inner>,
}

struct Inner {
    state: MobileState,
    session: Session,
    /// `on_background` was called in this process (the next foreground is a return).
    backgrounded: bool,
}

impl std::fmt::Debug for MobileClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MobileClient")
            .field("client", &self.client)
            .field("state_file", &self.writer.file().path())
            .finish_non_exhaustive()
    }
}

impl MobileClient {
    /// Starts a client with the default [`MobileOptions`] (flags preloaded, lifecycle events
    /// on). See [`MobileClient::start`].
    pub fn new(
        options: ClientOptions,
        state_dir: PathBuf,
        context: DeviceContext,
    ) -> Result<MobileClient, Error> {
        MobileClient::start(MobileOptions::new(options, state_dir).context(context))
    }

    /// Starts the core client and loads the state and cached flags from the state directory
    /// (created if missing). A missing state file is a first start: a new anonymous id is
    /// generated and persisted. A corrupt state or flags file is reported through `on_error`
    /// and replaced. Fails only when the options are invalid or the directory cannot be
    /// created.
    pub fn start(options: MobileOptions) -> Result<MobileClient, Error> {
        let file = StateFile::new(&options.state_dir)?;
        let client = Client::new(options.client)?;
        let (state, save) = match file.load() {
            Loaded::Found(s) => (s, false),
            Loaded::Missing => (MobileState::fresh(), true),
            Loaded::Corrupt(e) => {
                client.shared().report(&e);
                (MobileState::fresh(), true)
            }
        };
        let (flags, problem) = FlagsCache::open(&options.state_dir, &state.distinct_id);
        if let Some(e) = problem {
            client.shared().report(&e);
        }
        let session = Session::new(client.config().clock.now());
        let mobile = MobileClient {
            client,
            writer: Arc::new(StateWriter::new(file)),
            flags: Arc::new(flags),
            context: options.context.properties(),
            lifecycle_events: options.lifecycle_events,
            inner: Mutex::new(Inner {
                state,
                session,
                backgrounded: false,
            }),
        };
        if save {
            let inner = mobile.lock();
            mobile.persist(&inner.state);
        }
        if options.preload_feature_flags {
            drop(mobile.reload_feature_flags());
        }
        Ok(mobile)
    }

    /// The core client (stats, flags, …).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The current distinct id (anonymous until `identify`).
    pub fn distinct_id(&self) -> String {
        self.lock().state.distinct_id.clone()
    }

    /// Whether the current id came from `identify`.
    pub fn is_identified(&self) -> bool {
        self.lock().state.identified
    }

    /// The current session id, without touching the session's activity.
    pub fn session_id(&self) -> Uuid {
        self.lock().session.id()
    }

    /// Whether capture is opted out.
    pub fn is_opted_out(&self) -> bool {
        self.lock().state.opted_out
    }

    /// The persisted super properties.
    pub fn super_properties(&self) -> Map<String, Value> {
        self.lock().state.super_properties.clone()
    }

    /// The persisted groups (type → key).
    pub fn groups(&self) -> Map<String, Value> {
        self.lock().state.groups.clone()
    }

    /// Captures an event for the current user with the context, super properties, groups and
    /// `$session_id` (the event's own properties win). Returns `None` when the event was not
    /// accepted — including while opted out, which is not counted as a drop anywhere.
    pub fn capture(
        &self,
        event: impl Into<String>,
        properties: Map<String, Value>,
    ) -> Option<Uuid> {
        let event = Event::new(event, String::new()).properties(properties);
        self.send(event)
    }

    /// `$exception` for the current user and session: `exception` as the platform describes it
    /// (JVM or Swift frames, innermost first), built by [`crate::exception`] with the mobile
    /// rules (system frames are not in-app), then `properties` (which win).
    pub fn capture_exception(
        &self,
        exception: &crate::exception::ExceptionInput,
        options: &crate::exception::ExceptionOptions,
        properties: Map<String, Value>,
    ) -> Option<Uuid> {
        let profile = self.client.config().profile;
        let props = crate::exception::exception_properties(profile, exception, options, properties);
        self.capture("$exception", props)
    }

    /// `$screen` with `$screen_name`.
    pub fn screen(&self, name: impl Into<String>, properties: Map<String, Value>) -> Option<Uuid> {
        let event = Event::new("$screen", String::new())
            .properties(properties)
            .property("$screen_name", name.into());
        self.send(event)
    }

    /// Links the current user to `distinct_id`: sends `$identify` (with `$anon_distinct_id`
    /// when the previous id was anonymous, `$set` and `$set_once`) and makes `distinct_id` the
    /// persisted id for later events. An empty id is rejected (counted and reported).
    /// While opted out the id still switches, but nothing is sent. A new id refreshes the
    /// cached flags (the previous user's stay until the answer arrives).
    pub fn identify(
        &self,
        distinct_id: impl Into<String>,
        set: Map<String, Value>,
        set_once: Map<String, Value>,
    ) -> Option<Uuid> {
        let new_id = distinct_id.into();
        if new_id.trim().is_empty() {
            self.client
                .reject_input("identify needs a non-empty distinct id");
            return None;
        }
        let mut event = Event::identify(new_id.clone(), set, set_once);
        let changed;
        {
            let mut inner = self.lock();
            let previous = inner.state.distinct_id.clone();
            if !inner.state.identified && previous != new_id {
                event = event.property("$anon_distinct_id", previous.clone());
            }
            if previous != new_id || !inner.state.identified {
                inner.state.distinct_id = new_id;
                inner.state.identified = true;
                self.persist(&inner.state);
            }
            changed = previous != inner.state.distinct_id;
        }
        if changed {
            self.flags.bump();
            drop(self.reload_feature_flags());
        }
        self.send(event)
    }

    /// Forgets the user: a new anonymous id, no super properties, groups or cached flags, a
    /// new session; then asks `/flags` for the new anonymous user. The opt-out choice is kept
    /// (it belongs to the device, not the user).
    pub fn reset(&self) {
        let now = self.client.config().clock.now();
        {
            let mut inner = self.lock();
            let opted_out = inner.state.opted_out;
            inner.state = MobileState {
                opted_out,
                ..MobileState::fresh()
            };
            inner.session = Session::new(now);
            self.flags.clear();
            self.persist(&inner.state);
        }
        let flags = self.flags.clone();
        let shared = self.client.shared().clone();
        self.on_worker(move || {
            if let Err(e) = flags.remove_file() {
                shared.report(&e);
            }
        });
        drop(self.reload_feature_flags());
    }

    /// Adds a persisted super property, sent with every later event.
    pub fn register(&self, key: impl Into<String>, value: impl Into<Value>) {
        let mut inner = self.lock();
        inner
            .state
            .super_properties
            .insert(key.into(), value.into());
        self.persist(&inner.state);
    }

    /// Removes a persisted super property.
    pub fn unregister(&self, key: &str) {
        let mut inner = self.lock();
        if inner.state.super_properties.remove(key).is_some() {
            self.persist(&inner.state);
        }
    }

    /// Puts the user in a group: persisted and sent as `$groups` with every later event, and
    /// a `$groupidentify` now with `properties` as `$group_set`. A new group refreshes the
    /// cached flags.
    pub fn group(
        &self,
        group_type: impl Into<String>,
        group_key: impl Into<String>,
        properties: Map<String, Value>,
    ) -> Option<Uuid> {
        let (group_type, group_key) = (group_type.into(), group_key.into());
        let changed;
        if group_type.is_empty() || group_key.is_empty() {
            self.client
                .reject_input("group needs a non-empty group type and key");
            return None;
        }
        {
            let mut inner = self.lock();
            let key = Value::String(group_key.clone());
            changed = inner.state.groups.get(&group_type) != Some(&key);
            if changed {
                inner.state.groups.insert(group_type.clone(), key);
                self.persist(&inner.state);
            }
        }
        if changed {
            drop(self.reload_feature_flags());
        }
        let event = Event::group_identify(group_type, group_key, properties, Some(String::new()));
        self.send(event)
    }

    /// Stops capture (persisted): `capture` and friends then record nothing and return `None`.
    pub fn opt_out(&self) {
        self.set_opted_out(true);
    }

    /// Resumes capture (persisted).
    pub fn opt_in(&self) {
        self.set_opted_out(false);
    }

    /// See [`Client::flush`] (blocks the caller: not on a UI thread; see
    /// [`MobileClient::flush_pending`]).
    pub fn flush(&self, timeout: Duration) -> Result<FlushReport, Error> {
        self.client.flush(timeout)
    }

    /// See [`Client::flush_pending`]: a flush to await, blocking no one.
    pub fn flush_pending(&self, timeout: Duration) -> Pending<FlushReport> {
        self.client.flush_pending(timeout)
    }

    /// Writes the pending state, then see [`Client::shutdown`]. Blocks: call it when the app
    /// is terminating, not on every background.
    pub fn shutdown(&self, timeout: Duration) -> Result<FlushReport, Error> {
        if let Err(e) = self.writer.write_pending() {
            self.client.shared().report(&e);
        }
        self.client.shutdown(timeout)
    }

    /// The app went to the background: captures `Application Backgrounded` (when lifecycle
    /// events are on) and starts sending everything queued; with an on-disk queue, its
    /// appends are synced on the worker. Returns at once.
    pub fn on_background(&self) {
        self.lock().backgrounded = true;
        if self.lifecycle_events {
            self.capture("Application Backgrounded", Map::new());
        }
        self.client.flush_in_background();
    }

    /// The app came to the foreground: captures `Application Opened` with `from_background`
    /// (whether `on_background` came before in this process) when lifecycle events are on. A
    /// session idle for more than [`SESSION_IDLE_TIMEOUT`] is replaced by a new one on this
    /// event. Returns at once.
    pub fn on_foreground(&self) {
        if self.lifecycle_events {
            let from_background = self.lock().backgrounded;
            let mut p = Map::new();
            p.insert("from_background".into(), Value::Bool(from_background));
            self.capture("Application Opened", p);
        }
    }

    /// The network came or went (the app's connectivity callback). Offline, nothing is sent
    /// and failed requests keep their events without spending retries; events are still
    /// accepted. Back online, everything queued is sent at once. See [`Client::set_online`].
    pub fn on_network_change(&self, online: bool) {
        self.client.set_online(online);
    }

    /// A flag's cached value for the current user (`None`: unknown), with no request. The
    /// first lookup of each value captures `$feature_flag_called` (unless
    /// `send_feature_flag_events` is off).
    pub fn get_feature_flag(&self, key: &str) -> Option<FlagValue> {
        let flags = self.current_flags();
        let value = flags
            .as_ref()
            .and_then(|f| f.flags.get(key))
            .map(|f| f.value.clone());
        self.flag_called(key, value.as_ref(), flags.as_deref());
        value
    }

    /// Whether a flag is on (`true` or any variant) in the cached flags; `false` if unknown.
    pub fn is_feature_enabled(&self, key: &str) -> bool {
        self.get_feature_flag(key).is_some_and(|v| v.is_enabled())
    }

    /// A flag's cached payload.
    pub fn get_feature_flag_payload(&self, key: &str) -> Option<Value> {
        self.current_flags()
            .and_then(|f| f.flags.get(key).and_then(|f| f.payload.clone()))
    }

    /// Every cached flag of the current user (`None` before the first answer arrived).
    pub fn feature_flags(&self) -> Option<Arc<CachedFlags>> {
        self.current_flags()
    }

    /// Asks `/flags` for the current user (with the persisted groups) on the worker; the
    /// answer replaces the cache in memory and on disk. Returns at once; await or wait the
    /// [`Pending`] to know when the new values are in. Errors are also reported through
    /// `on_error`. An answer that lands after `identify`/`reset` is discarded.
    pub fn reload_feature_flags(&self) -> Pending<()> {
        let (answer, pending) = crate::pending::pending();
        let (distinct_id, groups) = {
            let inner = self.lock();
            (inner.state.distinct_id.clone(), inner.state.groups.clone())
        };
        let generation = self.flags.generation();
        let shared = self.client.shared().clone();
        let cache = self.flags.clone();
        let task = async move {
            let opts = FlagOptions {
                groups,
                ..FlagOptions::default()
            };
            let result = match crate::flags::remote::fetch(&shared, &distinct_id, &opts, None).await
            {
                Ok(r) if r.quota_limited => Err(Error::QuotaLimited(
                    "feature flags are quota limited: the cached values stay".into(),
                )),
                Ok(r) => {
                    if let Some(stored) = cache.store(generation, &distinct_id, &r) {
                        let save =
                            tokio::task::spawn_blocking(move || cache.save(generation, &stored))
                                .await;
                        if let Ok(Err(e)) = save {
                            shared.report(&e);
                        }
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            };
            if let Err(e) = &result {
                shared.report(e);
            }
            answer.send(result);
        };
        if !self.client.is_shut_down() {
            drop(self.client.runtime().spawn(task));
        }
        pending
    }

    fn set_opted_out(&self, on: bool) {
        let mut inner = self.lock();
        if inner.state.opted_out != on {
            inner.state.opted_out = on;
            self.persist(&inner.state);
        }
    }

    /// Fills in the distinct id, session, groups, super properties and context, then hands
    /// the event to the core client. The event's own properties and groups win.
    fn send(&self, mut event: Event) -> Option<Uuid> {
        let now = self.client.config().clock.now();
        {
            let mut inner = self.lock();
            if inner.state.opted_out {
                return None;
            }
            if event.distinct_id.is_empty() {
                event.distinct_id = inner.state.distinct_id.clone();
            }
            let session = inner.session.touch(now);
            event
                .properties
                .entry("$session_id")
                .or_insert_with(|| Value::String(session.to_string()));
            for (k, v) in &inner.state.super_properties {
                event
                    .properties
                    .entry(k.clone())
                    .or_insert_with(|| v.clone());
            }
            for (k, v) in &inner.state.groups {
                event.groups.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        for (k, v) in &self.context {
            event
                .properties
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        // The flags of the user the event is for (one flag-cache read; its properties are
        // built once per answer, not per event).
        if let Some(flags) = self
            .flags
            .get()
            .filter(|f| f.distinct_id == event.distinct_id && !f.flags.is_empty())
        {
            for (k, v) in flags.event_properties() {
                event
                    .properties
                    .entry(k.clone())
                    .or_insert_with(|| v.clone());
            }
        }
        self.client.capture(event)
    }

    /// The cached flags, if they belong to the current user.
    fn current_flags(&self) -> Option<Arc<CachedFlags>> {
        let id = self.lock().state.distinct_id.clone();
        self.flags.get().filter(|f| f.distinct_id == id)
    }

    /// `$feature_flag_called` once per (user, flag, value).
    fn flag_called(&self, key: &str, value: Option<&FlagValue>, flags: Option<&CachedFlags>) {
        if !self.client.config().send_feature_flag_events {
            return;
        }
        let response = value.map_or(Value::Null, FlagValue::to_json);
        let id = self.distinct_id();
        let first = self
            .flags
            .called
            .lock()
            .map(|mut d| d.first_time(&id, key, &response.to_string(), ""))
            .unwrap_or(false);
        if !first {
            return;
        }
        let mut p = Map::new();
        p.insert("$feature_flag".into(), Value::String(key.to_string()));
        p.insert("$feature_flag_response".into(), response);
        if let Some(rid) = flags.and_then(|f| f.request_id.clone()) {
            p.insert("$feature_flag_request_id".into(), Value::String(rid));
        }
        self.capture("$feature_flag_called", p);
    }

    /// Runs blocking work on the worker's blocking pool; after shutdown, on the caller.
    fn on_worker(&self, work: impl FnOnce() + Send + 'static) {
        if self.client.is_shut_down() {
            work();
        } else {
            drop(self.client.runtime().spawn_blocking(work));
        }
    }

    /// Stages the state and has the worker write it; a failure is reported through
    /// `on_error` and the in-memory state stays authoritative for this process.
    fn persist(&self, state: &MobileState) {
        self.writer.stage(state.clone());
        let writer = self.writer.clone();
        let shared = self.client.shared().clone();
        self.on_worker(move || {
            if let Err(e) = writer.write_pending() {
                shared.report(&e);
            }
        });
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for MobileClient {
    fn drop(&mut self) {
        if let Err(e) = self.writer.write_pending() {
            self.client.shared().report(&e);
        }
    }
}
