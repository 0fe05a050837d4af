//! The options records and their conversion to the core's `ClientOptions`. Every field is
//! optional: an unset one keeps the core profile's default. The set fields are read by the
//! core's one options schema ([`core::Options`]: names, units, validation), so no default or
//! rule is restated here; only the app's objects (listener, HTTP stack, cipher) are attached
//! directly.

use crate::convert::json_object;
use crate::error::PostHogError;
use posthog_core as core;
use serde_json::{Map, Value, json};
use std::sync::{Arc, RwLock};

/// Which binding is calling: sets `$lib` to `posthog-sdk-kotlin` or `posthog-sdk-swift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Sdk {
    /// Kotlin (Android, JVM). The default.
    Kotlin,
    /// Swift (iOS, macOS).
    Swift,
}

impl Sdk {
    fn lib_name(self) -> &'static str {
        match self {
            Sdk::Kotlin => "posthog-sdk-kotlin",
            Sdk::Swift => "posthog-sdk-swift",
        }
    }
}

/// The ingestion protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Protocol {
    /// `POST /batch/` (what every official SDK uses; the default).
    V0,
    /// `POST /i/v1/analytics/events` with per-event results.
    V1,
}

/// What `capture` does when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Overflow {
    /// Refuse the new event (counted as dropped; the default).
    DropNewest,
    /// Make room by dropping the oldest queued event.
    DropOldest,
    /// Wait up to `blockTimeoutMs` for room, then drop the new event.
    Block,
}

impl Overflow {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Overflow::DropNewest => "drop_newest",
            Overflow::DropOldest => "drop_oldest",
            Overflow::Block => "block",
        }
    }
}

/// Options read by the core's schema: canonical names, milliseconds as seconds.
#[derive(Default)]
pub(crate) struct SchemaFields(Map<String, Value>);

impl SchemaFields {
    pub(crate) fn set(&mut self, name: &str, v: Option<impl Into<Value>>) -> &mut Self {
        if let Some(v) = v {
            self.0.insert(name.into(), v.into());
        }
        self
    }
    pub(crate) fn ms(&mut self, name: &str, v: Option<u64>) -> &mut Self {
        self.set(name, v.map(|ms| json!(ms as f64 / 1000.0)))
    }
    /// The core's options for `api_key` under `profile`, from the fields set so far.
    pub(crate) fn build(
        self,
        profile: core::Profile,
        api_key: String,
    ) -> Result<core::ClientOptions, PostHogError> {
        Ok(core::Options::client_options(
            profile,
            api_key,
            Value::Object(self.0),
        )?)
    }
}

/// `fsyncIntervalMs` in the schema's terms: 0 is never, N is every N ms.
pub(crate) fn fsync_value(ms: Option<u64>) -> Option<Value> {
    ms.map(|ms| {
        if ms == 0 {
            json!("never")
        } else {
            json!(ms as f64 / 1000.0)
        }
    })
}

/// Receives every error the background work reports (failed batches, drops, rejected keys).
/// Called on the client's worker thread or the capturing thread; keep it quick.
#[uniffi::export(with_foreign)]
pub trait ErrorListener: Send + Sync {
    /// One background error with every attribute the core knows (`error.kind` is the stable
    /// kind name, `"invalid_request"`, …).
    fn on_error(&self, error: crate::error::ErrorInfo);
}

/// Client options. The API keys are not here on purpose (records print every field): pass the
/// project key, and the personal/secure key for local flag evaluation, to the `PostHogClient`
/// constructor. Unset fields keep the core's defaults.
#[derive(uniffi::Record)]
pub struct ClientOptions {
    /// The PostHog host (default `https://us.i.posthog.com`); `http://` only for loopback.
    #[uniffi(default = None)]
    pub host: Option<String>,
    /// Send a batch once this many events are queued (default 100).
    #[uniffi(default = None)]
    pub flush_at: Option<u32>,
    /// Send what is queued at least this often, in milliseconds (default 5000).
    #[uniffi(default = None)]
    pub flush_interval_ms: Option<u64>,
    /// The most events the queue holds (default 10 000).
    #[uniffi(default = None)]
    pub max_queue_size: Option<u32>,
    /// At most this many resends after the first attempt (default: no count limit, a
    /// failing batch is retried until `retryForMs`).
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    /// How long a failing batch keeps being retried, in milliseconds (default 10 minutes;
    /// one hour per delivery cycle with `storageDir`).
    #[uniffi(default = None)]
    pub retry_for_ms: Option<u64>,
    /// Timeout of one HTTP request, in milliseconds (default 15 000).
    #[uniffi(default = None)]
    pub request_timeout_ms: Option<u64>,
    /// Gzip request bodies (default on).
    #[uniffi(default = None)]
    pub gzip: Option<bool>,
    /// The ingestion protocol (default v0).
    #[uniffi(default = None)]
    pub protocol: Option<Protocol>,
    /// Ask PostHog not to resolve locations from the sender's IP.
    #[uniffi(default = None)]
    pub disable_geoip: Option<bool>,
    /// Route every batch to the import pipeline (back-fills).
    #[uniffi(default = None)]
    pub historical_migration: Option<bool>,
    /// Accept calls but send nothing.
    #[uniffi(default = None)]
    pub disabled: Option<bool>,
    /// Properties added to every event, as a JSON object.
    #[uniffi(default = None)]
    pub super_properties_json: Option<String>,
    /// How often flag definitions are polled for local evaluation, in milliseconds (default
    /// 30 000, at least 1 000). Used only with a personal/secure key.
    #[uniffi(default = None)]
    pub poll_interval_ms: Option<u64>,
    /// Timeout of one `/flags` request, in milliseconds (default 3 000).
    #[uniffi(default = None)]
    pub feature_flags_request_timeout_ms: Option<u64>,
    /// Capture `$feature_flag_called` on flag lookups (default on).
    #[uniffi(default = None)]
    pub send_feature_flag_events: Option<bool>,
    /// A directory the app owns for the crash-safe on-disk queue (e.g. Android's
    /// `filesDir/posthog`): accepted events survive a kill and are delivered after a restart.
    #[uniffi(default = None)]
    pub storage_dir: Option<String>,
    /// With `storage_dir`: fsync every event (unset), every N ms, or never (0: OS-buffered).
    #[uniffi(default = None)]
    pub fsync_interval_ms: Option<u64>,
    /// With `storage_dir`: give up an event older than this, in milliseconds.
    #[uniffi(default = None)]
    pub max_event_age_ms: Option<u64>,
    /// With `storage_dir`: give up an event after this many delivery attempts.
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    /// With `storage_dir`: the queue's bound in bytes on disk (default 1 GiB); the memory
    /// queue is a window over it.
    #[uniffi(default = None)]
    pub max_disk_bytes: Option<u64>,
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
    /// The largest flag definitions answer accepted, in bytes (default 64 MiB).
    #[uniffi(default = None)]
    pub max_definitions_bytes: Option<u64>,
    /// What `capture` does when the queue is full (default drop the newest).
    #[uniffi(default = None)]
    pub overflow: Option<Overflow>,
    /// With `overflow = Block`: how long `capture` waits for room, in milliseconds.
    #[uniffi(default = None)]
    pub block_timeout_ms: Option<u64>,
    /// Evaluate flags locally when a personal/secure key is given (default on).
    #[uniffi(default = None)]
    pub enable_local_evaluation: Option<bool>,
    /// Start opted out: nothing is captured until `optIn()`.
    #[uniffi(default = None)]
    pub opt_out: Option<bool>,
    /// The calling platform, for `$lib` (default Kotlin).
    #[uniffi(default = None)]
    pub sdk: Option<Sdk>,
    /// Receives background errors (also settable later with `setErrorListener`).
    #[uniffi(default = None)]
    pub error_listener: Option<Arc<dyn ErrorListener>>,
    /// Send every request through the app's own HTTP stack (proxies, pinning…) instead of
    /// the core's.
    #[uniffi(default = None)]
    pub http_client: Option<Arc<dyn crate::http::HttpClient>>,
    /// With `storage_dir`: encrypt each on-disk record with the app's cipher.
    #[uniffi(default = None)]
    pub cipher: Option<Arc<dyn crate::cipher::RecordCipher>>,
}

/// The listener the core's `on_error` hook forwards to; replaceable at any time.
#[derive(Default)]
pub(crate) struct ListenerSlot(RwLock<Option<Arc<dyn ErrorListener>>>);

impl ListenerSlot {
    pub(crate) fn set(&self, listener: Option<Arc<dyn ErrorListener>>) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = listener;
    }
    fn get(&self) -> Option<Arc<dyn ErrorListener>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl std::fmt::Debug for ListenerSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.get().is_some() {
            "Some(ErrorListener)"
        } else {
            "None"
        })
    }
}

impl ClientOptions {
    /// The schema fields of this record (everything but the app's objects and `sdk`).
    pub(crate) fn schema_fields(&self) -> SchemaFields {
        let mut f = SchemaFields::default();
        f.set("host", self.host.clone())
            .set("flush_at", self.flush_at)
            .ms("flush_interval", self.flush_interval_ms)
            .set("max_queue_size", self.max_queue_size)
            .set("max_queue_bytes", self.max_queue_bytes)
            .set("max_batch_bytes", self.max_batch_bytes)
            .set("max_event_bytes", self.max_event_bytes)
            .set("max_in_flight", self.max_in_flight)
            .set("max_definitions_bytes", self.max_definitions_bytes)
            .set("overflow", self.overflow.map(Overflow::name))
            .ms("block_timeout", self.block_timeout_ms)
            .set("max_retries", self.max_retries)
            .ms("retry_for", self.retry_for_ms)
            .ms("timeout", self.request_timeout_ms)
            .set("gzip", self.gzip)
            .set(
                "protocol",
                self.protocol.map(|p| match p {
                    Protocol::V0 => "v0",
                    Protocol::V1 => "v1",
                }),
            )
            .set("disable_geoip", self.disable_geoip)
            .set("historical_migration", self.historical_migration)
            .set("disabled", self.disabled)
            .ms("poll_interval", self.poll_interval_ms)
            .ms(
                "feature_flags_request_timeout_seconds",
                self.feature_flags_request_timeout_ms,
            )
            .set("send_feature_flag_events", self.send_feature_flag_events)
            .set("enable_local_evaluation", self.enable_local_evaluation)
            .set("opt_out", self.opt_out)
            .set("storage_dir", self.storage_dir.clone())
            .set("fsync", fsync_value(self.fsync_interval_ms))
            .ms("max_event_age", self.max_event_age_ms)
            .set("max_attempts", self.max_attempts)
            .set("max_disk_bytes", self.max_disk_bytes);
        f
    }

    /// The core's options for `api_key` (and `personal_api_key`, which turns on local flag
    /// evaluation) under `profile`, with `on_error` forwarding to `slot`.
    pub(crate) fn into_core(
        self,
        profile: core::Profile,
        api_key: String,
        personal_api_key: Option<String>,
        slot: &Arc<ListenerSlot>,
    ) -> Result<core::ClientOptions, PostHogError> {
        let mut fields = self.schema_fields();
        if let Some(text) = self.super_properties_json.as_deref() {
            let map = json_object(text, "super_properties_json")
                .map_err(|m| PostHogError::from(core::Error::Config(m)))?;
            fields.set("super_properties", Some(Value::Object(map)));
        }
        fields.set("personal_api_key", personal_api_key);
        self.attach(fields.build(profile, api_key)?, slot)
    }

    /// Attaches what the schema cannot carry: `$lib`, the app's HTTP stack, cipher and
    /// listener.
    pub(crate) fn attach(
        self,
        o: core::ClientOptions,
        slot: &Arc<ListenerSlot>,
    ) -> Result<core::ClientOptions, PostHogError> {
        let sdk = self.sdk.unwrap_or(Sdk::Kotlin);
        let mut o = o.sdk(sdk.lib_name(), env!("CARGO_PKG_VERSION"));
        if let Some(c) = self.cipher {
            o = o.cipher(Arc::new(crate::cipher::ForeignCipher(c)));
        }
        if let Some(c) = self.http_client {
            o = o.transport(Arc::new(crate::http::ForeignTransport(c)));
        }
        slot.set(self.error_listener);
        let hook_slot = slot.clone();
        let hook: core::config::ErrorHook = Arc::new(move |e: &core::Error| {
            if let Some(listener) = hook_slot.get() {
                listener.on_error(crate::error::ErrorInfo::from(e));
            }
        });
        Ok(o.on_error(hook))
    }
}
