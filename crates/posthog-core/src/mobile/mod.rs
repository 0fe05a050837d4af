//! The mobile client API: a [`MobileClient`] wraps a core [`Client`] (which does all the
//! sending) and adds what an app needs on a device — a persisted anonymous id and `identify`,
//! persisted super properties, groups and opt-out, sessions, and the app's [`DeviceContext`]
//! on every event.
//!
//! State lives in one small JSON file in a directory the app owns (see [`state`]). It is
//! written only when the state changes (identify, reset, register, group, opt-out), never on
//! `capture`, so capturing stays free of I/O. The session is held in memory: a new process
//! starts a new session.

pub mod context;
pub mod session;
pub mod state;

pub use context::DeviceContext;
pub use session::{SESSION_IDLE_TIMEOUT, Session};
pub use state::{Loaded, MobileState, STATE_FILE, StateFile};

use crate::client::{Client, FlushReport};
use crate::config::ClientOptions;
use crate::error::Error;
use crate::event::Event;
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;
use uuid::Uuid;

/// The client an app uses on a device. Cheap calls; `capture` never blocks on I/O.
pub struct MobileClient {
    client: Client,
    file: StateFile,
    context: Map<String, Value>,
    inner: Mutex<Inner>,
}

struct Inner {
    state: MobileState,
    session: Session,
}

impl std::fmt::Debug for MobileClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MobileClient")
            .field("client", &self.client)
            .field("state_file", &self.file.path())
            .finish_non_exhaustive()
    }
}

impl MobileClient {
    /// Starts the core client and loads the state from `state_dir` (created if missing).
    /// A missing state file is a first start: a new anonymous id is generated and persisted.
    /// A corrupt one is reported through `on_error` and replaced by a fresh state.
    /// Fails only when the options are invalid or the directory cannot be created.
    pub fn new(
        options: ClientOptions,
        state_dir: PathBuf,
        context: DeviceContext,
    ) -> Result<MobileClient, Error> {
        let file = StateFile::new(&state_dir)?;
        let client = Client::new(options)?;
        let (state, save) = match file.load() {
            Loaded::Found(s) => (s, false),
            Loaded::Missing => (MobileState::fresh(), true),
            Loaded::Corrupt(e) => {
                client.shared().report(&e);
                (MobileState::fresh(), true)
            }
        };
        let session = Session::new(client.config().clock.now());
        let mobile = MobileClient {
            client,
            file,
            context: context.properties(),
            inner: Mutex::new(Inner { state, session }),
        };
        if save {
            let inner = mobile.lock();
            mobile.persist(&inner.state);
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
    /// While opted out the id still switches, but nothing is sent.
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
        }
        self.send(event)
    }

    /// Forgets the user: a new anonymous id, no super properties or groups, a new session.
    /// The opt-out choice is kept (it belongs to the device, not the user).
    pub fn reset(&self) {
        let now = self.client.config().clock.now();
        let mut inner = self.lock();
        let opted_out = inner.state.opted_out;
        inner.state = MobileState {
            opted_out,
            ..MobileState::fresh()
        };
        inner.session = Session::new(now);
        self.persist(&inner.state);
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
    /// a `$groupidentify` now with `properties` as `$group_set`.
    pub fn group(
        &self,
        group_type: impl Into<String>,
        group_key: impl Into<String>,
        properties: Map<String, Value>,
    ) -> Option<Uuid> {
        let (group_type, group_key) = (group_type.into(), group_key.into());
        if group_type.is_empty() || group_key.is_empty() {
            self.client
                .reject_input("group needs a non-empty group type and key");
            return None;
        }
        {
            let mut inner = self.lock();
            let key = Value::String(group_key.clone());
            if inner.state.groups.get(&group_type) != Some(&key) {
                inner.state.groups.insert(group_type.clone(), key);
                self.persist(&inner.state);
            }
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

    /// See [`Client::flush`].
    pub fn flush(&self, timeout: Duration) -> Result<FlushReport, Error> {
        self.client.flush(timeout)
    }

    /// See [`Client::shutdown`].
    pub fn shutdown(&self, timeout: Duration) -> Result<FlushReport, Error> {
        self.client.shutdown(timeout)
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
        self.client.capture(event)
    }

    /// Writes the state; a failure is reported through `on_error` and the in-memory state
    /// stays authoritative for this process.
    fn persist(&self, state: &MobileState) {
        if let Err(e) = self.file.save(state) {
            self.client.shared().report(&e);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}
