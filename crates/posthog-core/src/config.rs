//! Client options with their defaults, validated once into a resolved [`Config`]. The
//! environment is read here and nowhere else.

use crate::clock::{Clock, SystemClock};
pub use crate::disk::{FsyncPolicy, RecordCipher};
use crate::error::Error;
use crate::event::EventMessage;
use crate::keys::{FlagsSecureKey, ProjectKey};
use crate::profile::Profile;
use crate::transport::{HttpTransport, ReqwestTransport};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The default ingestion host (PostHog Cloud US).
pub const DEFAULT_HOST: &str = "https://us.i.posthog.com";

/// Called with every error the background work reports (failed batches, drops, rejected keys).
pub type ErrorHook = Arc<dyn Fn(&Error) + Send + Sync>;
/// posthog-python's `on_error(error, batch)`: every reported error with the events of the
/// batch that failed (as sent; empty for an error that is not a failed batch).
pub type ErrorBatchHook = Arc<dyn Fn(&Error, &[serde_json::Value]) + Send + Sync>;
/// Called on the worker after new flag definitions were loaded (the poll or a reload), with
/// how many flags they hold (posthog-node's `localEvaluationFlagsLoaded`).
pub type FlagsLoadedHook = Arc<dyn Fn(usize) + Send + Sync>;
/// Called on the capturing thread with each event: `Ok(Some(msg))` sends `msg`, `Ok(None)`
/// drops the event, `Err(reason)` (the hook failed) drops it too and reports the reason, as
/// posthog-python and posthog-node do with a hook that raises.
pub type BeforeSendHook =
    Arc<dyn Fn(EventMessage) -> Result<Option<EventMessage>, String> + Send + Sync>;
/// A `before_send` hook that works on the profile's message shape as JSON (see
/// [`crate::profile::HookMessage`]); a binding's callable is wrapped as one of these.
pub type JsonHook =
    Arc<dyn Fn(serde_json::Value) -> Result<Option<serde_json::Value>, String> + Send + Sync>;

/// Which ingestion protocol the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// `POST /batch/` with the key in the body (what every official SDK uses by default).
    #[default]
    V0,
    /// `POST /i/v1/analytics/events` with a bearer project key and per-event results.
    V1,
}

/// What `capture` does when the queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OverflowPolicy {
    /// Refuse the new event (count and report it). The default, as in posthog-python.
    #[default]
    DropNewest,
    /// Evict the oldest queued event to make room.
    DropOldest,
    /// Wait up to the given time for room, then drop the new event.
    Block(Duration),
}

/// The options a user sets; everything is optional except the key. See [`ClientOptions::new`].
#[derive(Clone)]
pub struct ClientOptions {
    api_key: String,
    host: Option<String>,
    flush_at: usize,
    flush_interval: Duration,
    max_queue_size: usize,
    max_queue_bytes: usize,
    max_batch_bytes: usize,
    max_event_bytes: usize,
    max_batch_size: Option<usize>,
    max_retries: Option<u32>,
    retry_for: Option<Duration>,
    request_timeout: Duration,
    gzip: bool,
    max_in_flight: usize,
    overflow: OverflowPolicy,
    protocol: Protocol,
    disable_geoip: bool,
    historical_migration: bool,
    disabled: bool,
    send: bool,
    super_properties: serde_json::Map<String, serde_json::Value>,
    on_error: Option<ErrorHook>,
    on_error_batch: Option<ErrorBatchHook>,
    on_flags_loaded: Option<FlagsLoadedHook>,
    before_send: Option<BeforeSendHook>,
    sdk_name: String,
    sdk_version: String,
    clock: Option<Arc<dyn Clock>>,
    jitter_seed: Option<u64>,
    max_definitions_bytes: usize,
    transport: Option<Arc<dyn HttpTransport>>,
    personal_api_key: Option<String>,
    poll_interval: Duration,
    flags_request_timeout: Duration,
    send_feature_flag_events: bool,
    storage_dir: Option<PathBuf>,
    max_disk_bytes: u64,
    fsync: FsyncPolicy,
    max_event_age: Option<Duration>,
    max_attempts: Option<u32>,
    cipher: Option<Arc<dyn RecordCipher>>,
    flag_definition_cache: Option<Arc<dyn crate::flags::FlagDefinitionCache>>,
    local_evaluation: bool,
    profile: Profile,
    is_server: bool,
    opt_out: bool,
    shutdown_timeout: Duration,
    runtime_properties: serde_json::Map<String, serde_json::Value>,
}

impl ClientOptions {
    /// Options for a project key (`phc_…`) with the core's own defaults ([`Profile::Core`]).
    pub fn new(api_key: impl Into<String>) -> ClientOptions {
        ClientOptions::for_profile(api_key, Profile::Core)
    }

    /// Options for a project key with the defaults and rules of a compatibility profile
    /// (posthog-python's, posthog-node's, the mobile SDKs'): see [`crate::profile::Rules`].
    pub fn for_profile(api_key: impl Into<String>, profile: Profile) -> ClientOptions {
        let rules = profile.rules();
        ClientOptions {
            api_key: api_key.into(),
            host: None,
            flush_at: rules.flush_at,
            flush_interval: rules.flush_interval,
            max_queue_size: rules.max_queue_size,
            max_queue_bytes: 64 * 1024 * 1024,
            max_batch_bytes: 5 * 1024 * 1024,
            max_event_bytes: 1_000_000,
            max_batch_size: rules.max_batch_size,
            max_retries: rules.max_retries,
            retry_for: None,
            request_timeout: rules.request_timeout,
            gzip: rules.gzip,
            max_in_flight: 4,
            overflow: OverflowPolicy::DropNewest,
            protocol: Protocol::V0,
            disable_geoip: rules.disable_geoip,
            historical_migration: false,
            disabled: false,
            send: true,
            super_properties: serde_json::Map::new(),
            on_error: None,
            on_error_batch: None,
            on_flags_loaded: None,
            before_send: None,
            sdk_name: rules.sdk_name.into(),
            sdk_version: env!("CARGO_PKG_VERSION").into(),
            clock: None,
            jitter_seed: None,
            max_definitions_bytes: crate::transport::limits::DEFINITIONS,
            transport: None,
            personal_api_key: None,
            poll_interval: Duration::from_secs(30),
            flags_request_timeout: Duration::from_secs(3),
            send_feature_flag_events: true,
            storage_dir: None,
            max_disk_bytes: rules.max_disk_bytes,
            fsync: FsyncPolicy::Always,
            max_event_age: None,
            max_attempts: None,
            cipher: None,
            flag_definition_cache: None,
            local_evaluation: true,
            profile,
            is_server: rules.is_server,
            opt_out: false,
            shutdown_timeout: crate::client::DEFAULT_SHUTDOWN_TIMEOUT,
            runtime_properties: serde_json::Map::new(),
        }
    }

    /// What the binding's runtime says about itself (`$python_version`, `$os`, …), added to
    /// every captured event except person, alias and group updates (posthog-python's system
    /// context; in that profile it wins over the event's own properties).
    pub fn runtime_properties(mut self, p: serde_json::Map<String, serde_json::Value>) -> Self {
        self.runtime_properties = p;
        self
    }

    /// The overflow policy set so far.
    pub fn overflow_policy(&self) -> OverflowPolicy {
        self.overflow
    }
    /// The compatibility profile these options were made for.
    pub fn profile(&self) -> Profile {
        self.profile
    }
    /// `$is_server: true` on every event (on by default in the posthog-python and
    /// posthog-node profiles).
    pub fn is_server(mut self, on: bool) -> Self {
        self.is_server = on;
        self
    }
    /// Start opted out: nothing is captured until [`crate::Client::opt_in`].
    pub fn opt_out(mut self, on: bool) -> Self {
        self.opt_out = on;
        self
    }
    /// The bound of [`crate::Client::shutdown_default`] and of the flush when the client is
    /// dropped at exit (default 30 s).
    pub fn shutdown_timeout(mut self, d: Duration) -> Self {
        self.shutdown_timeout = d;
        self
    }
    /// A `before_send` hook on the profile's JSON message shape: the core builds the message
    /// the official SDK hands its hook and merges the rewrite back as that SDK does.
    pub fn before_send_json(mut self, hook: JsonHook) -> Self {
        let profile = self.profile;
        self.before_send = Some(Arc::new(move |msg: EventMessage| {
            let json = msg.to_hook_json(profile);
            match hook(json)? {
                None => Ok(None),
                Some(v) => msg.merge_hook_json(profile, v).map(Some),
            }
        }));
        self
    }

    /// Options from `POSTHOG_PROJECT_API_KEY` and (optionally) `POSTHOG_HOST`.
    pub fn from_env() -> Result<ClientOptions, Error> {
        let key = std::env::var("POSTHOG_PROJECT_API_KEY")
            .map_err(|_| Error::InvalidKey("POSTHOG_PROJECT_API_KEY is not set".into()))?;
        let mut opts = ClientOptions::new(key);
        if let Ok(host) = std::env::var("POSTHOG_HOST") {
            opts = opts.host(host);
        }
        if let Ok(secret) = std::env::var("POSTHOG_FEATURE_FLAGS_SECURE_API_KEY")
            .or_else(|_| std::env::var("POSTHOG_PERSONAL_API_KEY"))
        {
            opts = opts.personal_api_key(secret);
        }
        Ok(opts)
    }

    /// The PostHog host (`https://us.i.posthog.com` by default). App hosts map to their
    /// ingestion host; `http://` is only allowed for loopback.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }
    /// Send a batch once this many events are queued (default 100).
    pub fn flush_at(mut self, n: usize) -> Self {
        self.flush_at = n;
        self
    }
    /// Send what is queued at least this often (default 5 s); zero: no timed flush (batches go
    /// by count, bytes and explicit flushes), as posthog-node's `flushInterval: 0`.
    pub fn flush_interval(mut self, d: Duration) -> Self {
        self.flush_interval = d;
        self
    }
    /// The most events the queue holds (default 100 000; mobile 1 000).
    pub fn max_queue_size(mut self, n: usize) -> Self {
        self.max_queue_size = n;
        self
    }
    /// The most serialised bytes the queue holds (default 64 MiB).
    pub fn max_queue_bytes(mut self, n: usize) -> Self {
        self.max_queue_bytes = n;
        self
    }
    /// The most serialised event bytes in one request (default 5 MiB, under PostHog's 20 MB cap).
    pub fn max_batch_bytes(mut self, n: usize) -> Self {
        self.max_batch_bytes = n;
        self
    }
    /// The most events in one request (default: `flush_at`; posthog-node's profile 100, as its
    /// `maxBatchSize`). `flush_at` queued events start a send; when more are queued by then (a
    /// burst, a flush), one request carries up to this many. Never below `flush_at`.
    pub fn max_batch_size(mut self, n: usize) -> Self {
        self.max_batch_size = Some(n);
        self
    }
    /// The largest single event accepted (default 1 000 000 bytes serialised).
    pub fn max_event_bytes(mut self, n: usize) -> Self {
        self.max_event_bytes = n;
        self
    }
    /// At most this many resends after the first attempt. Default: no count limit — a batch
    /// is retried (backoff with jitter, `Retry-After` as a floor) until [`Self::retry_for`].
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = Some(n);
        self
    }
    /// How long a batch keeps being retried after its first attempt (default 10 minutes in
    /// memory; with `storage_dir` one hour per delivery cycle, after which the events stay on
    /// disk for the next flush until `max_event_age`). An outage shorter than this loses
    /// nothing that fits the queue.
    pub fn retry_for(mut self, d: Duration) -> Self {
        self.retry_for = Some(d);
        self
    }
    /// Timeout of one HTTP request (default 15 s).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }
    /// Gzip request bodies (default on).
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }
    /// Requests in flight at once (default 4), so one slow batch never stalls the rest.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n;
        self
    }
    /// What happens when the queue is full (default: drop the newest).
    pub fn overflow(mut self, p: OverflowPolicy) -> Self {
        self.overflow = p;
        self
    }
    /// The ingestion protocol (default v0).
    pub fn protocol(mut self, p: Protocol) -> Self {
        self.protocol = p;
        self
    }
    /// Ask PostHog not to resolve locations from the sender's IP (`$geoip_disable`).
    pub fn disable_geoip(mut self, on: bool) -> Self {
        self.disable_geoip = on;
        self
    }
    /// Route every batch to the import pipeline (back-fills).
    pub fn historical_migration(mut self, on: bool) -> Self {
        self.historical_migration = on;
        self
    }
    /// Accept calls but send nothing.
    pub fn disabled(mut self, on: bool) -> Self {
        self.disabled = on;
        self
    }

    /// `false`: events are accepted (hooks run, the uuid is returned) but never queued or
    /// sent (posthog-python's `send=False`); flag lookups still work. Default `true`.
    pub fn send(mut self, on: bool) -> Self {
        self.send = on;
        self
    }
    /// Properties added to every event (the event's own win, except in the posthog-python
    /// profile where super properties win, as there).
    pub fn super_properties(mut self, p: serde_json::Map<String, serde_json::Value>) -> Self {
        self.super_properties = p;
        self
    }
    /// Called with every error the background work reports.
    pub fn on_error(mut self, hook: ErrorHook) -> Self {
        self.on_error = Some(hook);
        self
    }
    /// Called with every error the background work reports and, for a batch that failed for
    /// good, its events (posthog-python's `on_error(error, batch)`); replaces `on_error`.
    pub fn on_error_batch(mut self, hook: ErrorBatchHook) -> Self {
        self.on_error_batch = Some(hook);
        self
    }
    /// Called after each load that brought new flag definitions, with their flag count.
    pub fn on_flags_loaded(mut self, hook: FlagsLoadedHook) -> Self {
        self.on_flags_loaded = Some(hook);
        self
    }
    /// Shares the flag definitions of local evaluation with other processes through `cache`
    /// (posthog-python's `flag_definition_cache_provider`, posthog-node's
    /// `flagDefinitionCacheProvider`; see [`crate::flags::FlagDefinitionCache`]).
    pub fn flag_definition_cache(
        mut self,
        cache: Arc<dyn crate::flags::FlagDefinitionCache>,
    ) -> Self {
        self.flag_definition_cache = Some(cache);
        self
    }
    /// `false`: no local evaluation (no polling) even with a secret key, which stays usable
    /// for remote config (default `true`).
    pub fn local_evaluation(mut self, on: bool) -> Self {
        self.local_evaluation = on;
        self
    }
    /// Called on the capturing thread with each event; may rewrite it or drop it (`None`).
    pub fn before_send(mut self, hook: BeforeSendHook) -> Self {
        self.before_send = Some(hook);
        self
    }
    /// The `$lib` / `$lib_version` pair (each binding sets its own).
    pub fn sdk(mut self, name: impl Into<String>, version: impl Into<String>) -> Self {
        self.sdk_name = name.into();
        self.sdk_version = version.into();
        self
    }
    /// A flags secure key (`phs_…`) or personal key (`phx_…`) with `feature_flag:read`: turns on
    /// local evaluation (definitions polled every `poll_interval`). Sent only as a bearer to the
    /// definitions endpoint.
    pub fn personal_api_key(mut self, key: impl Into<String>) -> Self {
        self.personal_api_key = Some(key.into());
        self
    }
    /// How often flag definitions are polled (default 30 s).
    pub fn poll_interval(mut self, d: Duration) -> Self {
        self.poll_interval = d;
        self
    }
    /// Timeout of one `/flags` request (default 3 s), so a lookup never stalls the app.
    pub fn feature_flags_request_timeout(mut self, d: Duration) -> Self {
        self.flags_request_timeout = d;
        self
    }
    /// Capture `$feature_flag_called` on flag lookups (default on).
    pub fn send_feature_flag_events(mut self, on: bool) -> Self {
        self.send_feature_flag_events = on;
        self
    }
    /// Keep the queue in this directory (which the app owns), so events survive a crash or a
    /// kill: each accepted event is appended there before `capture` returns and removed once
    /// the server acknowledged it; a new client on the same directory delivers what is left.
    /// Off by default (memory queue). One client per directory at a time: the directory is
    /// locked, and a second client on it reports an `Io` error and keeps its events in memory.
    ///
    /// Failures never reach `capture`: they are reported through `on_error` as
    /// [`crate::ErrorKind::Io`] when they happen, never per event. A directory that cannot be
    /// created or listed → the memory queue is used. One that is read-only or full at start → what it
    /// holds is still delivered, new events stay in memory. The disk fills up or turns
    /// read-only while running → later events stay in memory (and are delivered; a crash
    /// would lose them). Corrupt records or ack entries found at start are reported and
    /// skipped (a bad ack entry means a uuid-identical resend, which PostHog de-duplicates).
    /// Records are written in the clear unless a [`ClientOptions::cipher`] is set.
    pub fn storage_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.storage_dir = Some(dir.into());
        self
    }
    /// With a storage directory: the bound of the queue, in bytes of unacknowledged records on
    /// disk (default 1 GiB; 64 MiB under the mobile profile). The memory queue
    /// (`max_queue_size`, `max_queue_bytes`) is then a window over the disk: events past it
    /// wait on disk only and are read back as batches are delivered, so a long outage or a
    /// burst is held up to this bound. Past it the overflow policy applies. Files can take up
    /// to one 8 MiB segment more than this, since a segment is deleted once all its records
    /// are acknowledged.
    pub fn max_disk_bytes(mut self, n: u64) -> Self {
        self.max_disk_bytes = n;
        self
    }
    /// When on-disk appends reach stable storage (default: every event).
    pub fn fsync(mut self, policy: FsyncPolicy) -> Self {
        self.fsync = policy;
        self
    }
    /// With a storage directory: an event still undelivered this long after capture is given
    /// up (counted as failed, reported) instead of being retried again. Default: no limit.
    pub fn max_event_age(mut self, age: Duration) -> Self {
        self.max_event_age = Some(age);
        self
    }
    /// With a storage directory: how many delivery cycles (each up to `max_retries` resends)
    /// an event gets before it is given up. Default: no limit (until `max_event_age`).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = Some(n);
        self
    }
    /// With a storage directory: encrypt each on-disk record with the app's cipher (and key
    /// management), e.g. AES-GCM with a key from the Android Keystore or the iOS Keychain. The
    /// core applies it to every record's payload (uuid, write time, event bytes) and nothing
    /// else; the record checksum covers the sealed bytes, so torn and corrupt records are
    /// still detected. A record that fails to open — wrong or unavailable key, tampering,
    /// a cipher change on an existing directory — is reported through `on_error` as
    /// [`crate::ErrorKind::Io`] and given up, like a corrupt record; see [`RecordCipher`].
    /// Off by default.
    pub fn cipher(mut self, cipher: Arc<dyn RecordCipher>) -> Self {
        self.cipher = Some(cipher);
        self
    }
    /// The largest flag definitions answer accepted, in bytes (default 64 MiB, at least
    /// 64 KiB); a longer one is refused unread and reported, and the current definitions stay.
    pub fn max_definitions_bytes(mut self, n: usize) -> Self {
        self.max_definitions_bytes = n.max(64 * 1024);
        self
    }
    /// Makes the retry jitter reproducible (schedule tests; default random).
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.jitter_seed = Some(seed);
        self
    }
    /// Replace the clock (tests). Retry waits, the flush timer, the definitions poll and event
    /// ages all read it.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }
    /// Replace the HTTP transport (tests, or an app's own HTTP stack).
    pub fn transport(mut self, transport: Arc<dyn HttpTransport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Validates everything once.
    pub fn resolve(self) -> Result<Config, Error> {
        let key = ProjectKey::parse(self.api_key)?;
        let host = resolve_ingestion_host(self.host.as_deref().unwrap_or(DEFAULT_HOST))?;
        let positive = |name: &str, v: usize| {
            if v == 0 {
                Err(Error::Config(format!("{name} must be at least 1")))
            } else {
                Ok(v)
            }
        };
        positive("flush_at", self.flush_at)?;
        positive("max_queue_size", self.max_queue_size)?;
        positive("max_in_flight", self.max_in_flight)?;
        positive("max_event_bytes", self.max_event_bytes)?;
        if self.max_batch_bytes < self.max_event_bytes {
            return Err(Error::Config(
                "max_batch_bytes must be at least max_event_bytes".into(),
            ));
        }
        if self.max_queue_bytes < self.max_event_bytes {
            return Err(Error::Config(
                "max_queue_bytes must be at least max_event_bytes".into(),
            ));
        }
        if self.max_batch_bytes > 20 * 1024 * 1024 {
            return Err(Error::Config(
                "max_batch_bytes must stay under PostHog's 20 MB request limit".into(),
            ));
        }
        if self.request_timeout.is_zero() {
            return Err(Error::Config("request_timeout must be positive".into()));
        }
        if self.poll_interval < Duration::from_secs(1) && self.clock.is_none() {
            return Err(Error::Config("poll_interval must be at least 1 s".into()));
        }
        if self.max_attempts == Some(0) {
            return Err(Error::Config("max_attempts must be at least 1".into()));
        }
        if let FsyncPolicy::Interval(d) = self.fsync
            && d.is_zero()
        {
            return Err(Error::Config("the fsync interval must be positive".into()));
        }
        if self.flags_request_timeout.is_zero() {
            return Err(Error::Config(
                "feature_flags_request_timeout must be positive".into(),
            ));
        }
        let flags_key = self
            .personal_api_key
            .map(FlagsSecureKey::parse)
            .transpose()?;
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let default_transport = self.transport.is_none();
        let transport = match self.transport {
            Some(t) => t,
            None => Arc::new(ReqwestTransport::new()?),
        };
        Ok(Config {
            key,
            host,
            flush_at: self.flush_at,
            max_batch_size: self
                .max_batch_size
                .unwrap_or(self.flush_at)
                .max(self.flush_at),
            flush_interval: self.flush_interval,
            max_queue_size: self.max_queue_size,
            max_queue_bytes: self.max_queue_bytes,
            max_batch_bytes: self.max_batch_bytes,
            max_event_bytes: self.max_event_bytes,
            max_retries: self.max_retries,
            retry_for: self.retry_for.unwrap_or(if self.storage_dir.is_some() {
                Duration::from_secs(3600)
            } else {
                Duration::from_secs(600)
            }),
            request_timeout: self.request_timeout,
            gzip: self.gzip,
            max_in_flight: self.max_in_flight,
            overflow: self.overflow,
            protocol: self.protocol,
            disable_geoip: self.disable_geoip,
            historical_migration: self.historical_migration,
            disabled: self.disabled,
            send: self.send,
            super_properties: self.super_properties,
            on_error: self.on_error,
            on_error_batch: self.on_error_batch,
            on_flags_loaded: self.on_flags_loaded,
            before_send: self.before_send,
            sdk_name: self.sdk_name,
            sdk_version: self.sdk_version,
            clock,
            jitter_seed: self.jitter_seed,
            max_definitions_bytes: self.max_definitions_bytes,
            transport,
            default_transport,
            flags_key,
            poll_interval: self.poll_interval,
            flags_request_timeout: self.flags_request_timeout,
            send_feature_flag_events: self.send_feature_flag_events,
            storage_dir: self.storage_dir,
            max_disk_bytes: self.max_disk_bytes,
            fsync: self.fsync,
            max_event_age: self.max_event_age,
            max_attempts: self.max_attempts,
            cipher: self.cipher,
            flag_definition_cache: self.flag_definition_cache,
            local_evaluation_enabled: self.local_evaluation,
            profile: self.profile,
            is_server: self.is_server,
            opt_out: self.opt_out,
            shutdown_timeout: self.shutdown_timeout,
            runtime_properties: self.runtime_properties,
            ai_lane: false,
        })
    }
}

impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("api_key", &"[redacted]")
            .field("host", &self.host)
            .field("flush_at", &self.flush_at)
            .field("protocol", &self.protocol)
            .field("storage_dir", &self.storage_dir)
            .field("cipher", &SetOrNot(self.cipher.is_some()))
            .finish_non_exhaustive()
    }
}

/// Prints whether an opaque option (a cipher) is set, never what it holds.
struct SetOrNot(bool);

impl fmt::Debug for SetOrNot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0 { "<set>" } else { "<none>" })
    }
}

/// The validated configuration the client runs with.
#[derive(Clone)]
pub struct Config {
    pub(crate) key: ProjectKey,
    /// The ingestion origin, without a trailing slash.
    pub host: String,
    /// See [`ClientOptions::flush_at`].
    pub flush_at: usize,
    /// See [`ClientOptions::max_batch_size`] (resolved: at least `flush_at`).
    pub max_batch_size: usize,
    /// See [`ClientOptions::flush_interval`].
    pub flush_interval: Duration,
    /// See [`ClientOptions::max_queue_size`].
    pub max_queue_size: usize,
    /// See [`ClientOptions::max_queue_bytes`].
    pub max_queue_bytes: usize,
    /// See [`ClientOptions::max_batch_bytes`].
    pub max_batch_bytes: usize,
    /// See [`ClientOptions::max_event_bytes`].
    pub max_event_bytes: usize,
    /// See [`ClientOptions::max_retries`].
    pub max_retries: Option<u32>,
    /// See [`ClientOptions::retry_for`].
    pub retry_for: Duration,
    /// See [`ClientOptions::request_timeout`].
    pub request_timeout: Duration,
    /// See [`ClientOptions::gzip`].
    pub gzip: bool,
    /// See [`ClientOptions::max_in_flight`].
    pub max_in_flight: usize,
    /// See [`ClientOptions::overflow`].
    pub overflow: OverflowPolicy,
    /// See [`ClientOptions::protocol`].
    pub protocol: Protocol,
    /// See [`ClientOptions::disable_geoip`].
    pub disable_geoip: bool,
    /// See [`ClientOptions::historical_migration`].
    pub historical_migration: bool,
    /// See [`ClientOptions::disabled`].
    pub disabled: bool,
    /// See [`ClientOptions::send`].
    pub send: bool,
    pub(crate) super_properties: serde_json::Map<String, serde_json::Value>,
    pub(crate) on_error: Option<ErrorHook>,
    pub(crate) on_error_batch: Option<ErrorBatchHook>,
    pub(crate) on_flags_loaded: Option<FlagsLoadedHook>,
    pub(crate) before_send: Option<BeforeSendHook>,
    /// `$lib`.
    pub sdk_name: String,
    /// `$lib_version`.
    pub sdk_version: String,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) jitter_seed: Option<u64>,
    pub(crate) max_definitions_bytes: usize,
    pub(crate) transport: Arc<dyn HttpTransport>,
    /// The transport is the built-in one (rebuilt in a forked child: its pooled connections
    /// belong to the parent's runtime).
    pub(crate) default_transport: bool,
    pub(crate) flags_key: Option<FlagsSecureKey>,
    /// See [`ClientOptions::poll_interval`].
    pub poll_interval: Duration,
    /// See [`ClientOptions::feature_flags_request_timeout`].
    pub flags_request_timeout: Duration,
    /// See [`ClientOptions::send_feature_flag_events`].
    pub send_feature_flag_events: bool,
    /// See [`ClientOptions::storage_dir`].
    pub storage_dir: Option<PathBuf>,
    /// See [`ClientOptions::max_disk_bytes`].
    pub max_disk_bytes: u64,
    /// See [`ClientOptions::fsync`].
    pub fsync: FsyncPolicy,
    /// See [`ClientOptions::max_event_age`].
    pub max_event_age: Option<Duration>,
    /// See [`ClientOptions::max_attempts`].
    pub max_attempts: Option<u32>,
    /// See [`ClientOptions::cipher`].
    pub(crate) cipher: Option<Arc<dyn RecordCipher>>,
    /// See [`ClientOptions::flag_definition_cache`].
    pub(crate) flag_definition_cache: Option<Arc<dyn crate::flags::FlagDefinitionCache>>,
    /// See [`ClientOptions::local_evaluation`].
    pub(crate) local_evaluation_enabled: bool,
    /// See [`ClientOptions::for_profile`].
    pub profile: Profile,
    /// See [`ClientOptions::is_server`].
    pub is_server: bool,
    /// See [`ClientOptions::opt_out`].
    pub opt_out: bool,
    /// See [`ClientOptions::shutdown_timeout`].
    pub shutdown_timeout: Duration,
    pub(crate) runtime_properties: serde_json::Map<String, serde_json::Value>,
    /// This client is another client's AI lane (see [`crate::Client::capture_ai`]): batches
    /// go to `/i/v0/ai/batch/`.
    pub(crate) ai_lane: bool,
}

impl Config {
    /// Whether local evaluation is configured: a definitions key was given, or (where the
    /// profile allows cache-only readers, [`crate::profile::Rules::cache_only_reader`]) a
    /// flag-definitions cache; and it was not turned off.
    pub fn local_evaluation(&self) -> bool {
        self.local_evaluation_enabled
            && (self.flags_key.is_some()
                || (self.flag_definition_cache.is_some() && self.profile.rules().cache_only_reader))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("key", &self.key)
            .field("host", &self.host)
            .field("flush_at", &self.flush_at)
            .field("flush_interval", &self.flush_interval)
            .field("max_queue_size", &self.max_queue_size)
            .field("max_retries", &self.max_retries)
            .field("gzip", &self.gzip)
            .field("protocol", &self.protocol)
            .field("flags_key", &self.flags_key)
            .field("poll_interval", &self.poll_interval)
            .field("storage_dir", &self.storage_dir)
            .field("cipher", &SetOrNot(self.cipher.is_some()))
            .finish_non_exhaustive()
    }
}

/// Checks a host and maps PostHog app hosts to their ingestion hosts.
pub fn resolve_ingestion_host(host: &str) -> Result<String, Error> {
    let origin = validate_origin(host)?;
    let mapped = match origin.as_str() {
        "https://us.posthog.com" | "https://app.posthog.com" => "https://us.i.posthog.com",
        "https://eu.posthog.com" => "https://eu.i.posthog.com",
        other => other,
    };
    Ok(mapped.to_string())
}

/// Parses a host URL: `https://` anywhere, `http://` only on loopback. Returns it without a
/// trailing slash.
pub fn validate_origin(host: &str) -> Result<String, Error> {
    let url = reqwest::Url::parse(host.trim())
        .map_err(|e| Error::Config(format!("host is not a valid URL ({e})")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(Error::Config("host has no host name".into())),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::Config(
                "host must use https:// (plain http is only allowed for loopback addresses)".into(),
            ));
        }
        other => return Err(Error::Config(format!("unsupported URL scheme {other:?}"))),
    }
    if !url.username().is_empty()
        || url.password().is_some()
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(Error::Config(
            "host must not carry credentials, a query string or a #fragment".into(),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert_eq!(
            resolve_ingestion_host("https://us.posthog.com").unwrap(),
            "https://us.i.posthog.com"
        );
        assert_eq!(
            resolve_ingestion_host("https://eu.posthog.com/").unwrap(),
            "https://eu.i.posthog.com"
        );
        assert_eq!(
            resolve_ingestion_host("https://app.posthog.com").unwrap(),
            "https://us.i.posthog.com"
        );
        assert_eq!(
            resolve_ingestion_host("https://ph.example.com/").unwrap(),
            "https://ph.example.com"
        );
        for ok in [
            "http://127.0.0.1:8000",
            "http://localhost:1",
            "http://[::1]:9",
        ] {
            assert!(resolve_ingestion_host(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://ph.example.com",
            "ftp://x",
            "not a url",
            "http://10.0.0.1",
            // A fragment would silently drop the path after it.
            "https://ph.example.com#/proxy",
            "https://ph.example.com/proxy?x=1",
            "https://user:pw@ph.example.com",
        ] {
            assert_eq!(
                resolve_ingestion_host(bad).unwrap_err().kind(),
                crate::ErrorKind::Config,
                "{bad}"
            );
        }
    }

    #[test]
    fn resolve_refuses_personal_key_and_bad_sizes() {
        let err = ClientOptions::new("phx_secret").resolve().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidKey);
        let err = ClientOptions::new("phc_x")
            .flush_at(0)
            .resolve()
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
        let err = ClientOptions::new("phc_x")
            .max_batch_bytes(30 << 20)
            .resolve()
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Config);
    }

    #[test]
    fn debug_hides_key() {
        let o = ClientOptions::new("phc_topsecret");
        assert!(!format!("{o:?}").contains("topsecret"));
        let c = o.resolve().unwrap();
        assert!(!format!("{c:?}").contains("topsecret"));
    }

    /// A cipher holding a key, to show it never reaches a Debug string.
    struct KeyedCipher([u8; 4]);

    impl RecordCipher for KeyedCipher {
        fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String> {
            Ok(plain.iter().map(|b| b ^ self.0[0]).collect())
        }
        fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, String> {
            self.seal(sealed)
        }
    }

    impl fmt::Debug for KeyedCipher {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "KEY-MATERIAL-{:?}", self.0)
        }
    }

    #[test]
    fn debug_shows_only_that_a_cipher_is_set() {
        let o = ClientOptions::new("phc_x");
        assert!(format!("{o:?}").contains("cipher: <none>"), "{o:?}");
        let o = o.cipher(Arc::new(KeyedCipher([9, 8, 7, 6])));
        let c = o.clone().resolve().unwrap();
        for s in [format!("{o:?}"), format!("{c:?}"), format!("{o:#?}")] {
            assert!(s.contains("cipher: <set>"), "{s}");
            assert!(
                !s.contains("KEY-MATERIAL") && !s.contains("[9, 8, 7, 6]"),
                "{s}"
            );
        }
    }
}
