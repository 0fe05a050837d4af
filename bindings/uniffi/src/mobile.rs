//! `PostHogMobile`: the core's mobile client for an app — a persisted anonymous id and
//! `identify`, super properties, groups, opt-out, sessions, the app's device context, lifecycle
//! entry points, feature flags cached on disk, and the crash-safe on-disk queue — behind a
//! uniffi object. Every call returns at once: what blocks (sending, flag requests, file
//! writes) runs on the core's worker; `flush` and `reloadFeatureFlags` are `suspend`/`async`.

use crate::client::{FlushReport, Stats};
use crate::convert::properties;
use crate::error::PostHogError;
use crate::exception::{self, ExceptionCapture, ThrownException};
use crate::flags::FlagValue;
use crate::http::HttpClient;
use crate::options::{ClientOptions, ErrorListener, ListenerSlot, Overflow, Sdk};
use posthog_core as core;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The app and device, as the app reports them (the core never guesses): each field that is
/// set is added to every event under its PostHog name (`$app_name`, `$os`, `$device_model`…).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct DeviceContext {
    /// `$app_name`.
    #[uniffi(default = None)]
    pub app_name: Option<String>,
    /// `$app_version`.
    #[uniffi(default = None)]
    pub app_version: Option<String>,
    /// `$app_build`.
    #[uniffi(default = None)]
    pub app_build: Option<String>,
    /// `$app_namespace` (package name / bundle id).
    #[uniffi(default = None)]
    pub app_namespace: Option<String>,
    /// `$os` (`Android`, `iOS`).
    #[uniffi(default = None)]
    pub os_name: Option<String>,
    /// `$os_version`.
    #[uniffi(default = None)]
    pub os_version: Option<String>,
    /// `$device_model`.
    #[uniffi(default = None)]
    pub device_model: Option<String>,
    /// `$device_manufacturer`.
    #[uniffi(default = None)]
    pub device_manufacturer: Option<String>,
    /// `$device_type` (`Mobile`, `Tablet`).
    #[uniffi(default = None)]
    pub device_type: Option<String>,
    /// `$locale`.
    #[uniffi(default = None)]
    pub locale: Option<String>,
    /// `$timezone` (IANA name).
    #[uniffi(default = None)]
    pub timezone: Option<String>,
}

impl From<DeviceContext> for core::DeviceContext {
    fn from(c: DeviceContext) -> Self {
        core::DeviceContext {
            app_name: c.app_name,
            app_version: c.app_version,
            app_build: c.app_build,
            app_namespace: c.app_namespace,
            os_name: c.os_name,
            os_version: c.os_version,
            device_model: c.device_model,
            device_manufacturer: c.device_manufacturer,
            device_type: c.device_type,
            locale: c.locale,
            timezone: c.timezone,
        }
    }
}

/// Options of `PostHogMobile`, with a device's defaults: batches of 20, sent at least every
/// 30 s, at most 1 000 events kept, the on-disk queue OS-buffered (`onBackground` syncs it).
/// The project key is not here (records print every field): pass it to the constructor.
#[derive(uniffi::Record)]
pub struct MobileOptions {
    /// The PostHog host (default `https://us.i.posthog.com`); `http://` only for loopback.
    #[uniffi(default = None)]
    pub host: Option<String>,
    /// The app and device properties added to every event.
    #[uniffi(default = None)]
    pub context: Option<DeviceContext>,
    /// Send a batch once this many events are queued (default 20).
    #[uniffi(default = None)]
    pub flush_at: Option<u32>,
    /// Send what is queued at least this often, in milliseconds (default 30 000).
    #[uniffi(default = None)]
    pub flush_interval_ms: Option<u64>,
    /// The most events kept, in memory and on disk (default 1 000).
    #[uniffi(default = None)]
    pub max_queue_size: Option<u32>,
    /// Resends after the first attempt in one delivery cycle (default: no count limit, retried until `retryForMs`); events whose
    /// retries ran out stay on disk for the next cycle.
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    /// Timeout of one HTTP request, in milliseconds (default 15 000).
    #[uniffi(default = None)]
    pub request_timeout_ms: Option<u64>,
    /// The on-disk queue's fsync: every N ms, or 0 (the default) for OS-buffered writes,
    /// which survive the app being killed; `onBackground` syncs them.
    #[uniffi(default = None)]
    pub fsync_interval_ms: Option<u64>,
    /// Give up an undelivered event older than this, in milliseconds (default: never).
    #[uniffi(default = None)]
    pub max_event_age_ms: Option<u64>,
    /// Give up an event after this many delivery cycles (default: never).
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    /// The queue's bound in bytes on disk (default 64 MiB); events past the memory queue
    /// wait there and are read back as batches are delivered.
    #[uniffi(default = None)]
    pub max_disk_bytes: Option<u64>,
    /// Ask PostHog not to resolve locations from the device's IP.
    #[uniffi(default = None)]
    pub disable_geoip: Option<bool>,
    /// Ask `/flags` for the user at start (default on); cached flags answer meanwhile.
    #[uniffi(default = None)]
    pub preload_feature_flags: Option<bool>,
    /// Timeout of one `/flags` request, in milliseconds (default 3 000).
    #[uniffi(default = None)]
    pub feature_flags_request_timeout_ms: Option<u64>,
    /// Capture `$feature_flag_called` on the first lookup of each value (default on).
    #[uniffi(default = None)]
    pub send_feature_flag_events: Option<bool>,
    /// Capture `Application Opened` / `Application Backgrounded` (default on).
    #[uniffi(default = None)]
    pub capture_lifecycle_events: Option<bool>,
    /// How long a failing batch keeps being retried in one delivery cycle, in milliseconds
    /// (default one hour); its events then stay on disk for the next cycle.
    #[uniffi(default = None)]
    pub retry_for_ms: Option<u64>,
    /// The most serialised bytes the queue holds.
    #[uniffi(default = None)]
    pub max_queue_bytes: Option<u64>,
    /// The most serialised event bytes in one request.
    #[uniffi(default = None)]
    pub max_batch_bytes: Option<u64>,
    /// The largest single event, in serialised bytes.
    #[uniffi(default = None)]
    pub max_event_bytes: Option<u64>,
    /// Requests in flight at once.
    #[uniffi(default = None)]
    pub max_in_flight: Option<u32>,
    /// What `capture` does when the queue is full (default drop the newest).
    #[uniffi(default = None)]
    pub overflow: Option<Overflow>,
    /// With `overflow = Block`: how long `capture` waits for room, in milliseconds.
    #[uniffi(default = None)]
    pub block_timeout_ms: Option<u64>,
    /// The calling platform, for `$lib` (default Kotlin).
    #[uniffi(default = None)]
    pub sdk: Option<Sdk>,
    /// Receives background errors (also settable later with `setErrorListener`).
    #[uniffi(default = None)]
    pub error_listener: Option<Arc<dyn ErrorListener>>,
    /// Send every request through the app's own HTTP stack.
    #[uniffi(default = None)]
    pub http_client: Option<Arc<dyn HttpClient>>,
    /// Encrypt each record of the on-disk queue with the app's cipher (Keystore/Keychain).
    #[uniffi(default = None)]
    pub cipher: Option<Arc<dyn crate::cipher::RecordCipher>>,
}

/// The on-disk queue's directory inside the state directory.
const QUEUE_DIR: &str = "queue";

impl MobileOptions {
    fn into_core(
        self,
        api_key: String,
        state_dir: &str,
        slot: &Arc<ListenerSlot>,
    ) -> Result<core::MobileOptions, PostHogError> {
        let dir = PathBuf::from(state_dir);
        // Unset fields keep the core's mobile profile defaults (20 events, 30 s, 1 000 queued).
        let client = ClientOptions {
            host: self.host,
            flush_at: self.flush_at,
            flush_interval_ms: self.flush_interval_ms,
            max_queue_size: self.max_queue_size,
            max_queue_bytes: self.max_queue_bytes,
            max_batch_bytes: self.max_batch_bytes,
            max_event_bytes: self.max_event_bytes,
            max_in_flight: self.max_in_flight,
            max_definitions_bytes: None,
            overflow: self.overflow,
            block_timeout_ms: self.block_timeout_ms,
            enable_local_evaluation: None,
            opt_out: None,
            max_retries: self.max_retries,
            retry_for_ms: self.retry_for_ms,
            request_timeout_ms: self.request_timeout_ms,
            gzip: None,
            protocol: None,
            disable_geoip: self.disable_geoip,
            historical_migration: None,
            disabled: None,
            super_properties_json: None,
            poll_interval_ms: None,
            feature_flags_request_timeout_ms: self.feature_flags_request_timeout_ms,
            send_feature_flag_events: self.send_feature_flag_events,
            storage_dir: Some(dir.join(QUEUE_DIR).to_string_lossy().into_owned()),
            // An app's queue is OS-buffered unless asked otherwise: an fsync per event costs
            // battery, and the OS keeps the data through an app kill.
            fsync_interval_ms: Some(self.fsync_interval_ms.unwrap_or(0)),
            max_event_age_ms: self.max_event_age_ms,
            max_attempts: self.max_attempts,
            max_disk_bytes: self.max_disk_bytes,
            sdk: self.sdk,
            error_listener: self.error_listener,
            http_client: self.http_client,
            cipher: self.cipher,
        }
        .into_core(core::Profile::Mobile, api_key, None, slot)?;
        Ok(core::MobileOptions::new(client, dir)
            .context(self.context.unwrap_or_default().into())
            .preload_feature_flags(self.preload_feature_flags.unwrap_or(true))
            .capture_lifecycle_events(self.capture_lifecycle_events.unwrap_or(true)))
    }
}

/// The PostHog client of an app (Android, iOS). Thread-safe; one background worker.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PostHogMobile {
    inner: core::MobileClient,
    listener: Arc<ListenerSlot>,
}

impl PostHogMobile {
    fn props(&self, json: Option<String>, what: &str) -> Option<Map<String, Value>> {
        properties(json.as_deref(), HashMap::new(), what)
            .map_err(|m| self.inner.client().reject_input(m))
            .ok()
    }
}

fn uuid(u: Option<uuid::Uuid>) -> Option<String> {
    u.map(|u| u.to_string())
}

#[uniffi::export]
impl PostHogMobile {
    /// Starts the client on `state_dir`, a directory the app owns (e.g. Android's
    /// `filesDir/posthog`, iOS's Application Support): the persisted user, the cached flags
    /// and the on-disk queue live there. The key is a project key (`phc_…`); any other
    /// throws `InvalidKey`. Events left by a previous run are delivered.
    #[uniffi::constructor]
    pub fn new(
        api_key: String,
        state_dir: String,
        options: MobileOptions,
    ) -> Result<Arc<Self>, PostHogError> {
        let listener = Arc::new(ListenerSlot::default());
        let opts = options.into_core(api_key, &state_dir, &listener)?;
        let inner = core::MobileClient::start(opts)?;
        Ok(Arc::new(PostHogMobile { inner, listener }))
    }

    /// The current distinct id (a generated anonymous id until `identify`).
    pub fn distinct_id(&self) -> String {
        self.inner.distinct_id()
    }

    /// Whether the current id came from `identify`.
    pub fn is_identified(&self) -> bool {
        self.inner.is_identified()
    }

    /// The current session id (`$session_id`).
    pub fn session_id(&self) -> String {
        self.inner.session_id().to_string()
    }

    /// Captures an event for the current user; returns its uuid, or null when it was not
    /// accepted (opted out, bad properties — counted and reported). Never throws.
    #[uniffi::method(default(properties_json = None))]
    pub fn capture(&self, event: String, properties_json: Option<String>) -> Option<String> {
        let p = self.props(properties_json, "properties_json")?;
        uuid(self.inner.capture(event, p))
    }

    /// Captures `$exception` for the current user and session: `exceptions` is the chain (the
    /// thrown exception first, then its cause, …) with each one's frames innermost first, as
    /// the platform lists them (Kotlin: `PostHogMobile.captureException(throwable)` in the
    /// companion file converts a `Throwable`). The core builds `$exception_list`; returns the
    /// event's uuid, or null when it was not accepted. Never throws.
    #[uniffi::method(default(capture = None, properties_json = None))]
    pub fn capture_exception(
        &self,
        exceptions: Vec<ThrownException>,
        capture: Option<ExceptionCapture>,
        properties_json: Option<String>,
    ) -> Option<String> {
        if exceptions.is_empty() {
            self.inner
                .client()
                .reject_input("capture_exception: no exception");
            return None;
        }
        let p = self.props(properties_json, "properties_json")?;
        let input = exception::to_input(exceptions);
        let options = exception::to_options(capture.unwrap_or_default());
        uuid(self.inner.capture_exception(&input, &options, p))
    }

    /// Captures `$screen` with `$screen_name`.
    #[uniffi::method(default(properties_json = None))]
    pub fn screen(&self, name: String, properties_json: Option<String>) -> Option<String> {
        let p = self.props(properties_json, "properties_json")?;
        uuid(self.inner.screen(name, p))
    }

    /// Links the current (anonymous) user to `distinct_id` and uses it from now on; sends
    /// `$identify` with `$anon_distinct_id`, `$set` and `$set_once`, and refreshes the flags.
    #[uniffi::method(default(set_json = None, set_once_json = None))]
    pub fn identify(
        &self,
        distinct_id: String,
        set_json: Option<String>,
        set_once_json: Option<String>,
    ) -> Option<String> {
        let set = self.props(set_json, "set_json")?;
        let set_once = self.props(set_once_json, "set_once_json")?;
        uuid(self.inner.identify(distinct_id, set, set_once))
    }

    /// Forgets the user: a new anonymous id, session, no super properties, groups or flags.
    pub fn reset(&self) {
        self.inner.reset();
    }

    /// Adds a persisted super property with a string value.
    pub fn register(&self, key: String, value: String) {
        self.inner.register(key, value);
    }

    /// Adds a persisted super property with any JSON value (`"42"`, `"[1,2]"`, `"{…}"`).
    pub fn register_json(&self, key: String, value_json: String) -> Result<(), PostHogError> {
        let v: Value = serde_json::from_str(&value_json).map_err(|e| {
            core::Error::InvalidInput(format!(
                "value_json is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        self.inner.register(key, v);
        Ok(())
    }

    /// Removes a persisted super property.
    pub fn unregister(&self, key: String) {
        self.inner.unregister(&key);
    }

    /// The persisted super properties as a JSON object.
    pub fn super_properties_json(&self) -> String {
        Value::Object(self.inner.super_properties()).to_string()
    }

    /// Puts the user in a group (persisted, sent as `$groups` on every event) and sends
    /// `$groupidentify` with `properties_json` as `$group_set`.
    #[uniffi::method(default(properties_json = None))]
    pub fn group(
        &self,
        group_type: String,
        group_key: String,
        properties_json: Option<String>,
    ) -> Option<String> {
        let p = self.props(properties_json, "properties_json")?;
        uuid(self.inner.group(group_type, group_key, p))
    }

    /// The persisted groups (type → key).
    pub fn groups(&self) -> HashMap<String, String> {
        self.inner
            .groups()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect()
    }

    /// Stops capturing (persisted across restarts).
    pub fn opt_out(&self) {
        self.inner.opt_out();
    }

    /// Resumes capturing (persisted).
    pub fn opt_in(&self) {
        self.inner.opt_in();
    }

    /// Whether capture is opted out.
    pub fn is_opted_out(&self) -> bool {
        self.inner.is_opted_out()
    }

    /// Call when the app goes to the background: sends what is queued and syncs the disk.
    pub fn on_background(&self) {
        self.inner.on_background();
    }

    /// Call when the app comes to the foreground.
    pub fn on_foreground(&self) {
        self.inner.on_foreground();
    }

    /// Call from the connectivity callback: offline pauses sending (events are kept),
    /// online sends everything queued.
    pub fn on_network_change(&self, online: bool) {
        self.inner.on_network_change(online);
    }

    /// A flag's cached value (null: unknown). No request; the first lookup of each value
    /// captures `$feature_flag_called`.
    pub fn get_feature_flag(&self, key: String) -> Option<FlagValue> {
        self.inner.get_feature_flag(&key).map(Into::into)
    }

    /// Whether a cached flag is on (`true` or any variant); false when unknown.
    pub fn is_feature_enabled(&self, key: String) -> bool {
        self.inner.is_feature_enabled(&key)
    }

    /// A cached flag's payload as JSON text (null: none).
    pub fn get_feature_flag_payload_json(&self, key: String) -> Option<String> {
        self.inner
            .get_feature_flag_payload(&key)
            .map(|v| v.to_string())
    }

    /// Every cached flag (empty before the first answer).
    pub fn feature_flags(&self) -> HashMap<String, FlagValue> {
        self.inner
            .feature_flags()
            .map(|f| {
                f.flags
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.clone().into()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asks `/flags` for the current user; resumes when the new values are cached (in memory
    /// and on disk). Throws what went wrong (also sent to the error listener); the previous
    /// values stay on failure.
    pub async fn reload_feature_flags(&self) -> Result<(), PostHogError> {
        self.inner.reload_feature_flags().await.map_err(Into::into)
    }

    /// Sends everything queued and resumes when it is delivered or definitively failed (or
    /// after `timeout_ms`). Offline, it throws `Timeout` at once.
    pub async fn flush(&self, timeout_ms: u64) -> Result<FlushReport, PostHogError> {
        self.inner
            .flush_pending(Duration::from_millis(timeout_ms))
            .await
            .map(Into::into)
            .map_err(Into::into)
    }

    /// Writes the state, drains the queue (bounded) and stops the worker. Blocks up to
    /// `timeout_ms`: call it off the main thread, when the app terminates.
    pub fn shutdown(&self, timeout_ms: u64) -> Result<FlushReport, PostHogError> {
        Ok(self
            .inner
            .shutdown(Duration::from_millis(timeout_ms))?
            .into())
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        self.inner.client().stats().into()
    }

    /// Replaces (or removes, with null) the error listener.
    pub fn set_error_listener(&self, listener: Option<Arc<dyn ErrorListener>>) {
        self.listener.set(listener);
    }
}
