//! `PostHogClient`: the core client behind a uniffi object. Calls that record never throw:
//! an argument that does not convert is counted and reported through the core
//! (`reject_input`) and the call returns `null`/`nil`.

use crate::convert::{input_message, properties};
use crate::error::PostHogError;
use crate::flags::FlagsSnapshot;
use crate::options::{ClientOptions, ErrorListener, ListenerSlot};
use posthog_core as core;
use serde_json::Map;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// An event to capture. Only `event` and `distinct_id` are required.
#[derive(uniffi::Record)]
pub struct CaptureEvent {
    /// The event name, e.g. `"signed_up"`.
    pub event: String,
    /// Who did it.
    pub distinct_id: String,
    /// Properties as a JSON object.
    #[uniffi(default = None)]
    pub properties_json: Option<String>,
    /// String properties (added over `properties_json`).
    #[uniffi(default)]
    pub properties: HashMap<String, String>,
    /// When it happened: RFC 3339 (any offset), or without offset as UTC. Unset = now.
    #[uniffi(default = None)]
    pub timestamp: Option<String>,
    /// The event's uuid, to de-duplicate an event sent twice. Unset = a new UUID v7.
    #[uniffi(default = None)]
    pub uuid: Option<String>,
    /// Group type → group key.
    #[uniffi(default)]
    pub groups: HashMap<String, String>,
    /// Flags evaluated with `evaluateFlags`, attached as `$feature/<key>` and
    /// `$active_feature_flags` (properties set explicitly win). No request is made.
    #[uniffi(default = None)]
    pub flags: Option<FlagsSnapshot>,
}

/// What a flush or shutdown achieved: events resolved while it waited.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FlushReport {
    /// Events acknowledged by the server.
    pub sent: u64,
    /// Events that definitively failed.
    pub failed: u64,
    /// Events dropped (any cause).
    pub dropped: u64,
    /// Requests sent again.
    pub retried: u64,
    /// Events accepted and not yet delivered when it returned (in memory, or left on disk by a
    /// shutdown).
    pub undelivered: u64,
}

impl From<core::FlushReport> for FlushReport {
    fn from(r: core::FlushReport) -> Self {
        FlushReport {
            sent: r.sent,
            failed: r.failed,
            dropped: r.dropped,
            retried: r.retried,
            undelivered: r.undelivered,
        }
    }
}

/// The client's counters.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Stats {
    /// Events waiting in the queue now.
    pub queued: u64,
    /// Events waiting or being sent now.
    pub pending: u64,
    /// Events accepted by `capture` since start.
    pub accepted: u64,
    /// Events the server acknowledged.
    pub sent: u64,
    /// Requests sent again after a failure.
    pub retried: u64,
    /// Events that definitively failed.
    pub failed: u64,
    /// Batches that definitively failed.
    pub failed_batches: u64,
    /// All drops, every cause.
    pub dropped: u64,
    /// Dropped: queue full.
    pub dropped_queue_full: u64,
    /// Dropped: too large.
    pub dropped_too_large: u64,
    /// Dropped: invalid input.
    pub dropped_invalid: u64,
    /// Dropped: captured after shutdown.
    pub dropped_closed: u64,
    /// Dropped by the server.
    pub dropped_server: u64,
    /// Requests answered 401/403 in a row.
    pub consecutive_auth_failures: u64,
    /// Events kept in the on-disk queue after their retries ran out.
    pub deferred: u64,
    /// Events waiting in the on-disk queue beyond the memory queue's bounds (`storageDir`;
    /// counted in `queued` and `pending` too).
    pub spilled: u64,
}

impl From<core::Stats> for Stats {
    fn from(s: core::Stats) -> Self {
        Stats {
            queued: s.queued,
            pending: s.pending,
            accepted: s.accepted,
            sent: s.sent,
            retried: s.retried,
            failed: s.failed,
            failed_batches: s.failed_batches,
            dropped: s.dropped(),
            dropped_queue_full: s.dropped_queue_full,
            dropped_too_large: s.dropped_too_large,
            dropped_invalid: s.dropped_invalid,
            dropped_closed: s.dropped_closed,
            dropped_server: s.dropped_server,
            consecutive_auth_failures: s.consecutive_auth_failures,
            deferred: s.deferred,
            spilled: s.spilled,
        }
    }
}

/// The PostHog ingestion client. Thread-safe; one background worker per client.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PostHogClient {
    pub(crate) inner: core::Client,
    listener: Arc<ListenerSlot>,
}

impl PostHogClient {
    /// Converts or reports: `None` after `reject_input` when `r` is an error.
    fn accept<T>(&self, r: Result<T, String>) -> Option<T> {
        r.map_err(|m| self.inner.reject_input(m)).ok()
    }

    fn props(&self, json: Option<String>, what: &str) -> Option<Map<String, serde_json::Value>> {
        self.accept(properties(json.as_deref(), HashMap::new(), what))
    }
}

#[uniffi::export]
impl PostHogClient {
    /// Validates the options and starts the client. The key is a project key (`phc_…`);
    /// a personal key (`phx_…`) throws `InvalidKey`. `personal_api_key` (a flags secure
    /// `phs_…` or personal `phx_…` key with `feature_flag:read`) turns on local flag
    /// evaluation; a project key there throws `InvalidKey`.
    #[uniffi::constructor(default(personal_api_key = None))]
    pub fn new(
        api_key: String,
        options: ClientOptions,
        personal_api_key: Option<String>,
    ) -> Result<Arc<Self>, PostHogError> {
        let listener = Arc::new(ListenerSlot::default());
        let opts = options.into_core(core::Profile::Core, api_key, personal_api_key, &listener)?;
        let inner = core::Client::new(opts)?;
        Ok(Arc::new(PostHogClient { inner, listener }))
    }

    /// The client with local flag evaluation: `PostHogClient(api_key, options, personal_api_key)`.
    #[uniffi::constructor]
    pub fn with_local_evaluation(
        api_key: String,
        personal_api_key: String,
        options: ClientOptions,
    ) -> Result<Arc<Self>, PostHogError> {
        Self::new(api_key, options, Some(personal_api_key))
    }

    /// Queues an event; returns its uuid, or null when it was not accepted (counted in
    /// `stats()` and reported to the error listener). Never throws, never blocks on I/O.
    pub fn capture(&self, event: CaptureEvent) -> Option<String> {
        let CaptureEvent {
            event: name,
            distinct_id,
            properties_json,
            properties: strings,
            timestamp,
            uuid,
            groups,
            flags,
        } = event;
        let mut e = core::Event::new(name, distinct_id);
        e.properties = self.accept(properties(
            properties_json.as_deref(),
            strings,
            "properties_json",
        ))?;
        if let Some(ts) = timestamp {
            e.timestamp = Some(self.accept(core::parse_timestamp(&ts).map_err(input_message))?);
        }
        if let Some(u) = uuid {
            e.uuid = Some(self.accept(core::parse_uuid(&u).map_err(input_message))?);
        }
        for (group_type, key) in groups {
            e = e.group(group_type, key);
        }
        if let Some(snapshot) = flags {
            e = e.flags(&self.accept(snapshot.into_core())?);
        }
        self.inner.capture(e).map(|u| u.to_string())
    }

    /// Captures `$exception` for `distinct_id`: `exceptions` is the chain (the thrown one first,
    /// then its cause, …), each one's frames innermost first (Kotlin:
    /// `client.captureException(distinctId, throwable)` in the companion file converts a
    /// `Throwable`). The core builds `$exception_list`. Returns the uuid or null; never throws.
    #[uniffi::method(default(capture = None, properties_json = None))]
    pub fn capture_exception(
        &self,
        distinct_id: String,
        exceptions: Vec<crate::exception::ThrownException>,
        capture: Option<crate::exception::ExceptionCapture>,
        properties_json: Option<String>,
    ) -> Option<String> {
        if exceptions.is_empty() {
            self.inner.reject_input("capture_exception: no exception");
            return None;
        }
        let p = self.props(properties_json, "properties_json")?;
        let input = crate::exception::to_input(exceptions);
        let options = crate::exception::to_options(capture.unwrap_or_default());
        self.inner
            .capture_exception(distinct_id, &input, &options, p)
            .map(|u| u.to_string())
    }

    /// `$identify`: links `distinct_id` to a person and sets person properties (JSON objects).
    #[uniffi::method(default(set_json = None, set_once_json = None))]
    pub fn identify(
        &self,
        distinct_id: String,
        set_json: Option<String>,
        set_once_json: Option<String>,
    ) -> Option<String> {
        let set = self.props(set_json, "set_json")?;
        let set_once = self.props(set_once_json, "set_once_json")?;
        self.inner
            .identify(distinct_id, set, set_once)
            .map(|u| u.to_string())
    }

    /// `$create_alias`: makes `alias` another id of the person known as `distinct_id`.
    pub fn alias(&self, distinct_id: String, alias: String) -> Option<String> {
        self.inner.alias(distinct_id, alias).map(|u| u.to_string())
    }

    /// `$groupidentify`: sets properties (a JSON object) of a group.
    #[uniffi::method(default(properties_json = None, distinct_id = None))]
    pub fn group_identify(
        &self,
        group_type: String,
        group_key: String,
        properties_json: Option<String>,
        distinct_id: Option<String>,
    ) -> Option<String> {
        let props = self.props(properties_json, "properties_json")?;
        self.inner
            .group_identify(group_type, group_key, props, distinct_id)
            .map(|u| u.to_string())
    }

    /// `$set`: sets person properties (a JSON object).
    pub fn set(&self, distinct_id: String, properties_json: String) -> Option<String> {
        let props = self.props(Some(properties_json), "properties_json")?;
        self.inner.set(distinct_id, props).map(|u| u.to_string())
    }

    /// `$set_once`: sets person properties (a JSON object) that are not set yet.
    pub fn set_once(&self, distinct_id: String, properties_json: String) -> Option<String> {
        let props = self.props(Some(properties_json), "properties_json")?;
        self.inner
            .set_once(distinct_id, props)
            .map(|u| u.to_string())
    }

    /// Sends everything queued and waits (blocking; call it off the main thread) until it is
    /// delivered or failed. Throws `Timeout` when `timeout_ms` passes first.
    pub fn flush(&self, timeout_ms: u64) -> Result<FlushReport, PostHogError> {
        Ok(self.inner.flush(Duration::from_millis(timeout_ms))?.into())
    }

    /// Stops accepting events, drains the queue within `timeout_ms`, stops the worker.
    /// Later calls return an empty report.
    pub fn shutdown(&self, timeout_ms: u64) -> Result<FlushReport, PostHogError> {
        Ok(self
            .inner
            .shutdown(Duration::from_millis(timeout_ms))?
            .into())
    }

    /// Whether `shutdown` has run.
    pub fn is_shut_down(&self) -> bool {
        self.inner.is_shut_down()
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.inner.stats().into()
    }

    /// Swaps the project key for every later request.
    pub fn rotate_key(&self, api_key: String) -> Result<(), PostHogError> {
        Ok(self.inner.rotate_key(api_key)?)
    }

    /// Replaces (or with null removes) the error listener.
    pub fn set_error_listener(&self, listener: Option<Arc<dyn ErrorListener>>) {
        self.listener.set(listener);
    }
}
