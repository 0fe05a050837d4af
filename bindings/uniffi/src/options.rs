//! The options record and its conversion to the core's `ClientOptions`. Every field is
//! optional: an unset one keeps the core's default, so no default is restated here.

use crate::convert::json_object;
use crate::error::PostHogError;
use posthog_core as core;
use std::sync::{Arc, RwLock};
use std::time::Duration;

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
    /// Resends after the first attempt (default 3).
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
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
    /// The core's options for `api_key` (and `personal_api_key`, which turns on local flag
    /// evaluation), with `on_error` forwarding to `slot`.
    pub(crate) fn into_core(
        self,
        api_key: String,
        personal_api_key: Option<String>,
        slot: &Arc<ListenerSlot>,
    ) -> Result<core::ClientOptions, PostHogError> {
        let sdk = self.sdk.unwrap_or(Sdk::Kotlin);
        let mut o =
            core::ClientOptions::new(api_key).sdk(sdk.lib_name(), env!("CARGO_PKG_VERSION"));
        if let Some(v) = personal_api_key {
            o = o.personal_api_key(v);
        }
        if let Some(v) = self.poll_interval_ms {
            o = o.poll_interval(Duration::from_millis(v));
        }
        if let Some(v) = self.feature_flags_request_timeout_ms {
            o = o.feature_flags_request_timeout(Duration::from_millis(v));
        }
        if let Some(v) = self.send_feature_flag_events {
            o = o.send_feature_flag_events(v);
        }
        if let Some(v) = self.host {
            o = o.host(v);
        }
        if let Some(v) = self.flush_at {
            o = o.flush_at(v as usize);
        }
        if let Some(v) = self.flush_interval_ms {
            o = o.flush_interval(Duration::from_millis(v));
        }
        if let Some(v) = self.max_queue_size {
            o = o.max_queue_size(v as usize);
        }
        if let Some(v) = self.max_retries {
            o = o.max_retries(v);
        }
        if let Some(v) = self.request_timeout_ms {
            o = o.request_timeout(Duration::from_millis(v));
        }
        if let Some(v) = self.gzip {
            o = o.gzip(v);
        }
        if let Some(v) = self.protocol {
            o = o.protocol(match v {
                Protocol::V0 => core::Protocol::V0,
                Protocol::V1 => core::Protocol::V1,
            });
        }
        if let Some(v) = self.disable_geoip {
            o = o.disable_geoip(v);
        }
        if let Some(v) = self.historical_migration {
            o = o.historical_migration(v);
        }
        if let Some(v) = self.disabled {
            o = o.disabled(v);
        }
        if let Some(dir) = self.storage_dir {
            o = o.storage_dir(dir);
        }
        if let Some(ms) = self.fsync_interval_ms {
            o = o.fsync(if ms == 0 {
                core::FsyncPolicy::Never
            } else {
                core::FsyncPolicy::Interval(Duration::from_millis(ms))
            });
        }
        if let Some(ms) = self.max_event_age_ms {
            o = o.max_event_age(Duration::from_millis(ms));
        }
        if let Some(n) = self.max_attempts {
            o = o.max_attempts(n);
        }
        if let Some(text) = self.super_properties_json.as_deref() {
            let map = json_object(text, "super_properties_json")
                .map_err(|m| PostHogError::from(core::Error::Config(m)))?;
            o = o.super_properties(map);
        }
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
