//! `NativeClient`: the core `Client` behind a napi class. Each method converts its argument,
//! calls the core and converts the result; `flush` and `shutdown` wait on the libuv pool.

use crate::convert::{self, Rejection};
use crate::errors::{self, ErrorInfo};
use crate::flags::NativeFlagsSnapshot;
use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use posthog_core::{
    Client, DEFAULT_SHUTDOWN_TIMEOUT, Error as CoreError, Event, FlushReport, Stats,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The error listener: unref'ed (`Weak = true`), so it never keeps the process alive.
type Listener = ThreadsafeFunction<ErrorInfo, (), ErrorInfo, Status, false, true>;
/// Shared by the core's `on_error` hook and the client, which releases it after `shutdown`.
type ListenerSlot = Arc<Mutex<Option<Listener>>>;
/// Told the flag count after each load of new definitions (unref'ed too).
type LoadedListener = ThreadsafeFunction<u32, (), u32, Status, false, true>;

/// The `$lib` this binding reports.
pub const SDK_NAME: &str = "posthog-sdk-node";

/// The native client. Use the `PostHog` class of the package; this one is its engine.
#[napi]
pub struct NativeClient {
    pub(crate) client: Arc<Client>,
    /// `captureLines` hands chunks to it; every other call drains it first (order).
    pub(crate) intake: Arc<posthog_core::Intake<String>>,
    listener: ListenerSlot,
    /// Kept alive as long as the client; the core's hook holds it.
    _loaded: Option<Arc<LoadedListener>>,
}

#[napi]
impl NativeClient {
    /// Validates the options and starts the core's worker. Throws an error with `code`
    /// `invalid_key` or `config`. `onError` is called on the JS thread with each error the
    /// background work reports; `onFlagsLoaded` with the flag count after each load of new
    /// definitions (the poll or a reload).
    #[napi(constructor)]
    pub fn new(
        env: Env,
        #[napi(ts_arg_type = "string")] api_key: Unknown,
        #[napi(ts_arg_type = "string | undefined | null")] options: Option<String>,
        #[napi(ts_arg_type = "((err: ErrorInfo) => void) | undefined | null")] on_error: Option<
            Unknown,
        >,
        #[napi(ts_arg_type = "((count: number) => void) | undefined | null")]
        on_flags_loaded: Option<Unknown>,
        #[napi(ts_arg_type = "((request: string) => void) | string | undefined | null")]
        flag_cache: Option<Unknown>,
    ) -> Result<Self> {
        let fail = |e: CoreError| errors::to_js(&env, &e);
        let key = string_key(api_key).map_err(fail)?;
        let listener: ListenerSlot = Arc::new(Mutex::new(None));
        let mut opts = crate::options::client_options(key, options)
            .map_err(fail)?
            .sdk(SDK_NAME, env!("CARGO_PKG_VERSION"));
        if let Some(f) = on_error.filter(|f| matches!(f.get_type(), Ok(ValueType::Function))) {
            let f: Function<ErrorInfo, ()> = Function::from_unknown(f)?;
            let tsfn: Listener = f
                .build_threadsafe_function::<ErrorInfo>()
                .callee_handled::<false>()
                .weak::<true>()
                .build_callback(|ctx| Ok(ctx.value))?;
            *lock(&listener) = Some(tsfn);
            let slot = listener.clone();
            opts = opts.on_error(Arc::new(move |e: &CoreError| {
                if let Some(l) = lock(&slot).as_ref() {
                    l.call(ErrorInfo::from(e), ThreadsafeFunctionCallMode::NonBlocking);
                }
            }));
        }
        let mut loaded = None;
        if let Some(f) = on_flags_loaded.filter(|f| matches!(f.get_type(), Ok(ValueType::Function)))
        {
            let f: Function<u32, ()> = Function::from_unknown(f)?;
            let tsfn: Arc<LoadedListener> = Arc::new(
                f.build_threadsafe_function::<u32>()
                    .callee_handled::<false>()
                    .weak::<true>()
                    .build_callback(|ctx| Ok(ctx.value))?,
            );
            let hook = tsfn.clone();
            opts = opts.on_flags_loaded(Arc::new(move |n: usize| {
                hook.call(
                    u32::try_from(n).unwrap_or(u32::MAX),
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            }));
            loaded = Some(tsfn);
        }
        if let Some(cache) = crate::flags::cache_provider_arg(flag_cache)? {
            opts = opts.flag_definition_cache(cache);
        }
        let client = Arc::new(Client::new(opts).map_err(fail)?);
        let intake = Arc::new(crate::intake::start(client.clone()).map_err(fail)?);
        Ok(NativeClient {
            intake,
            client,
            listener,
            _loaded: loaded,
        })
    }

    /// Adds super properties (JSON text of an object) for every later event.
    #[napi]
    pub fn register(&self, properties: String) -> Result<()> {
        match serde_json::from_str::<serde_json::Value>(&properties) {
            Ok(serde_json::Value::Object(m)) => {
                self.intake.drain();
                self.client.register(m);
                Ok(())
            }
            _ => Err(Error::from_reason(
                "register expects an object of properties",
            )),
        }
    }

    /// Removes one super property.
    #[napi]
    pub fn unregister(&self, key: String) {
        self.intake.drain();
        self.client.unregister(&key);
    }

    /// Stops capturing until `optIn`.
    #[napi]
    pub fn opt_out(&self) {
        self.intake.drain();
        self.client.opt_out();
    }

    /// Captures again after `optOut`.
    #[napi]
    pub fn opt_in(&self) {
        self.intake.drain();
        self.client.opt_in();
    }

    /// Whether the client is opted out.
    #[napi]
    pub fn is_opted_out(&self) -> bool {
        self.client.is_opted_out()
    }

    /// Whether the client was configured disabled.
    #[napi(getter)]
    pub fn disabled(&self) -> bool {
        self.client.config().disabled
    }

    /// The batch size in events.
    #[napi(getter)]
    pub fn flush_at(&self) -> u32 {
        u32::try_from(self.client.config().flush_at).unwrap_or(u32::MAX)
    }

    /// Whether a personal key turned local evaluation on.
    #[napi(getter)]
    pub fn local_evaluation(&self) -> bool {
        self.client.config().local_evaluation()
    }

    /// Queues an event from positional arguments (property maps as JSON text, timestamp as
    /// RFC 3339), with `$feature/<key>` and `$active_feature_flags` from `flags` when given.
    /// Without `distinctId`, the core's personless event; `disableGeoip` overrides the
    /// client's setting for this event. Positional, so one call crosses into the addon without
    /// reading a message object. Returns the event's uuid, or nothing when it was not
    /// accepted; content problems are counted and reported, never thrown (a wrong JS type
    /// throws, and the JS layer counts it).
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn capture(
        &self,
        event: String,
        distinct_id: Option<String>,
        properties: Option<String>,
        groups: Option<String>,
        timestamp: Option<String>,
        uuid: Option<String>,
        flags: Option<&NativeFlagsSnapshot>,
        disable_geoip: Option<bool>,
    ) -> Option<String> {
        let read = read_event(
            event,
            distinct_id,
            properties,
            groups,
            timestamp,
            uuid,
            flags,
            disable_geoip,
        );
        self.queue(read)
    }

    /// `capture`'s arguments → the message the core would queue, as JSON text
    /// (`{ event, distinctId, properties, timestamp, uuid }`), for the JS `beforeSend`; follow
    /// with `captureMessage`. Nothing when it was not accepted (counted and reported).
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn prepare_capture(
        &self,
        event: String,
        distinct_id: Option<String>,
        properties: Option<String>,
        groups: Option<String>,
        timestamp: Option<String>,
        uuid: Option<String>,
        flags: Option<&NativeFlagsSnapshot>,
        disable_geoip: Option<bool>,
    ) -> Option<String> {
        let read = read_event(
            event,
            distinct_id,
            properties,
            groups,
            timestamp,
            uuid,
            flags,
            disable_geoip,
        );
        self.prepare(read)
    }

    /// `{ distinctId, properties?, disableGeoip? }` (properties as JSON text) → the core's
    /// `$identify`: `properties.$set_once` becomes `$set_once`, `properties.$set` (or else the
    /// rest of `properties`) becomes `$set`, as in posthog-node.
    #[napi(
        ts_args_type = "message: { distinctId: string; properties?: string; disableGeoip?: boolean }"
    )]
    pub fn identify(&self, message: Unknown) -> Option<String> {
        self.queue(convert::identify(message))
    }

    /// `identify`'s message → the prepared `$identify` message as JSON text (see
    /// `prepareCapture`).
    #[napi(
        ts_args_type = "message: { distinctId: string; properties?: string; disableGeoip?: boolean }"
    )]
    pub fn prepare_identify(&self, message: Unknown) -> Option<String> {
        self.prepare(convert::identify(message))
    }

    /// `{ distinctId, alias, disableGeoip? }` → the core's `$create_alias`.
    #[napi(ts_args_type = "message: { distinctId: string; alias: string; disableGeoip?: boolean }")]
    pub fn alias(&self, message: Unknown) -> Option<String> {
        self.queue(convert::alias(message))
    }

    /// `alias`'s message → the prepared `$create_alias` message as JSON text.
    #[napi(ts_args_type = "message: { distinctId: string; alias: string; disableGeoip?: boolean }")]
    pub fn prepare_alias(&self, message: Unknown) -> Option<String> {
        self.prepare(convert::alias(message))
    }

    /// `{ groupType, groupKey, properties?, distinctId?, disableGeoip? }` (properties as JSON
    /// text) → the core's `$groupidentify`.
    #[napi(
        ts_args_type = "message: { groupType: string; groupKey: string; properties?: string; distinctId?: string; disableGeoip?: boolean }"
    )]
    pub fn group_identify(&self, message: Unknown) -> Option<String> {
        self.queue(convert::group_identify(message))
    }

    /// `groupIdentify`'s message → the prepared `$groupidentify` message as JSON text.
    #[napi(
        ts_args_type = "message: { groupType: string; groupKey: string; properties?: string; distinctId?: string; disableGeoip?: boolean }"
    )]
    pub fn prepare_group_identify(&self, message: Unknown) -> Option<String> {
        self.prepare(convert::group_identify(message))
    }

    /// Queues the message a `beforeSend` returned (JSON text; fields it leaves out keep their
    /// value from `prepared`, the text a `prepare*` call returned), skipping the core's own
    /// `before_send`. Returns the uuid, or nothing when it was not accepted.
    #[napi]
    pub fn capture_message(&self, message: String, prepared: String) -> Option<String> {
        let msg = self.accept(convert::message_from_text(&message, &prepared))?;
        self.intake.drain();
        self.client.capture_message(msg).map(|u| u.to_string())
    }

    /// `capture` onto the AI lane (posthog-node's `captureAi`: `/i/v0/ai/batch/`).
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn capture_ai(
        &self,
        event: String,
        distinct_id: Option<String>,
        properties: Option<String>,
        groups: Option<String>,
        timestamp: Option<String>,
        uuid: Option<String>,
        flags: Option<&NativeFlagsSnapshot>,
        disable_geoip: Option<bool>,
    ) -> Option<String> {
        let read = read_event(
            event,
            distinct_id,
            properties,
            groups,
            timestamp,
            uuid,
            flags,
            disable_geoip,
        );
        let event = self.accept(read)?;
        self.intake.drain();
        self.client.capture_ai(event).map(|u| u.to_string())
    }

    /// `captureMessage` onto the AI lane (`captureAi` with a JS `beforeSend`).
    #[napi]
    pub fn capture_ai_message(&self, message: String, prepared: String) -> Option<String> {
        let msg = self.accept(convert::message_from_text(&message, &prepared))?;
        self.intake.drain();
        self.client.capture_ai_message(msg).map(|u| u.to_string())
    }

    /// Counts and reports an argument the JS layer could not convert (e.g. a BigInt property).
    #[napi]
    pub fn reject_input(&self, message: String) {
        self.client.reject_input(message);
    }

    /// A JS `beforeSend` that threw: the core counts the drop and reports it as the profile
    /// says (posthog-node: logged only).
    #[napi]
    pub fn before_send_failed(&self, message: String) {
        self.client.before_send_failed(message);
    }

    /// How many flags the loaded local definitions hold, or nothing before the first load.
    #[napi(getter)]
    pub fn definitions_count(&self) -> Option<u32> {
        self.client.definitions_count().map(|n| n as u32)
    }

    /// Counts an event the JS layer's `beforeSend` dropped.
    #[napi]
    pub fn record_filtered(&self) {
        self.client.record_filtered();
    }

    /// Swaps the project key for every later request. Throws `invalid_key`.
    #[napi]
    pub fn rotate_key(&self, env: Env, #[napi(ts_arg_type = "string")] key: Unknown) -> Result<()> {
        let key = string_key(key).and_then(|k| self.client.rotate_key(k));
        key.map_err(|e| errors::to_js(&env, &e))
    }

    /// The resolved ingestion host.
    #[napi(getter)]
    pub fn host(&self) -> String {
        self.client.config().host.clone()
    }

    /// The counters now.
    #[napi]
    pub fn stats(&self) -> JsStats {
        self.intake.drain();
        self.client.stats().into()
    }

    /// Sends everything queued and resolves once it is delivered or definitively failed;
    /// rejects with `code` `timeout` after `timeoutMs` (default 30 000).
    #[napi(ts_return_type = "Promise<JsFlushReport>")]
    pub fn flush(&self, timeout_ms: Option<f64>) -> AsyncTask<Wait> {
        AsyncTask::new(Wait {
            client: self.client.clone(),
            intake: self.intake.clone(),
            timeout: timeout(timeout_ms),
            listener: None,
        })
    }

    /// Stops accepting events, drains the queue within `timeoutMs` (default 30 000), stops the
    /// worker and releases the error listener.
    #[napi(ts_return_type = "Promise<JsFlushReport>")]
    pub fn shutdown(&self, timeout_ms: Option<f64>) -> AsyncTask<Wait> {
        AsyncTask::new(Wait {
            client: self.client.clone(),
            intake: self.intake.clone(),
            timeout: timeout(timeout_ms),
            listener: Some(self.listener.clone()),
        })
    }

    /// Hands over a chunk of recorded captures (newline-separated JSON lines, see
    /// `intake.rs`): the core's intake thread queues them in order. Their uuid and timestamp
    /// were fixed when they were recorded.
    #[napi]
    pub fn capture_lines(&self, lines: String) {
        self.intake.submit(lines);
    }

    /// Whether a capture would be taken now (not disabled, opted out or closed): the JS layer
    /// records captures only while this holds, and asks again after each state change.
    #[napi(getter)]
    pub fn accepts_events(&self) -> bool {
        self.client.accepts_events()
    }

    /// Whether `shutdown` has run.
    #[napi(getter)]
    pub fn is_shut_down(&self) -> bool {
        self.client.is_shut_down()
    }

    fn accept<T>(&self, r: std::result::Result<T, Rejection>) -> Option<T> {
        r.map_err(|msg| self.client.reject_input(msg)).ok()
    }

    /// Queues a converted event with the core's `capture`.
    fn queue(&self, read: std::result::Result<Event, Rejection>) -> Option<String> {
        let event = self.accept(read)?;
        self.intake.drain();
        self.client.capture(event).map(|u| u.to_string())
    }

    /// A converted event → the core's prepared message as JSON text; a message the core
    /// refuses is counted and reported as `capture` would.
    fn prepare(&self, read: std::result::Result<Event, Rejection>) -> Option<String> {
        let event = self.accept(read)?;
        self.intake.drain();
        match self.client.prepare(event) {
            Ok(msg) => Some(convert::message_text(&msg)),
            Err(CoreError::InvalidInput(m)) => {
                self.client.reject_input(m);
                None
            }
            Err(e) => {
                self.client.reject_input(e.to_string());
                None
            }
        }
    }
}

/// `capture`'s positional arguments → the event (with the snapshot's flags).
#[allow(clippy::too_many_arguments)]
fn read_event(
    event: String,
    distinct_id: Option<String>,
    properties: Option<String>,
    groups: Option<String>,
    timestamp: Option<String>,
    uuid: Option<String>,
    flags: Option<&NativeFlagsSnapshot>,
    disable_geoip: Option<bool>,
) -> std::result::Result<Event, Rejection> {
    convert::event(
        event,
        distinct_id,
        properties,
        groups,
        timestamp,
        uuid,
        disable_geoip,
    )
    .map(|e| with_flags(e, flags))
}

fn with_flags(event: Event, flags: Option<&NativeFlagsSnapshot>) -> Event {
    match flags {
        Some(f) => event.flags(&f.snapshot),
        None => event,
    }
}

/// A key argument: a string, or an `invalid_key` error that does not echo the value.
fn string_key(v: Unknown) -> std::result::Result<String, CoreError> {
    match v.get_type() {
        Ok(ValueType::String) => String::from_unknown(v)
            .map_err(|_| CoreError::InvalidKey("the API key cannot be read".into())),
        _ => Err(CoreError::InvalidKey("the API key must be a string".into())),
    }
}

fn lock(slot: &ListenerSlot) -> std::sync::MutexGuard<'_, Option<Listener>> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

fn timeout(ms: Option<f64>) -> Duration {
    match ms {
        Some(ms) if ms.is_finite() && ms >= 0.0 => Duration::from_millis(ms as u64),
        _ => DEFAULT_SHUTDOWN_TIMEOUT,
    }
}

/// A blocking `flush` or `shutdown`, run on the libuv pool.
pub struct Wait {
    client: Arc<Client>,
    /// Drained first, so the flush sees every capture made before it.
    intake: Arc<posthog_core::Intake<String>>,
    timeout: Duration,
    /// `Some` for shutdown: the listener to release once it is done.
    listener: Option<ListenerSlot>,
}

impl Task for Wait {
    type Output = std::result::Result<FlushReport, CoreError>;
    type JsValue = JsFlushReport;

    fn compute(&mut self) -> Result<Self::Output> {
        self.intake.drain();
        Ok(match self.listener {
            None => self.client.flush(self.timeout),
            Some(_) => self.client.shutdown(self.timeout),
        })
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<JsFlushReport> {
        output.map(Into::into).map_err(|e| errors::to_js(&env, &e))
    }

    fn finally(self, _env: Env) -> Result<()> {
        // Errors reported during shutdown are already queued on the listener; releasing it
        // lets them be delivered and then lets the listener go.
        if let Some(slot) = self.listener {
            lock(&slot).take();
        }
        Ok(())
    }
}

/// What a flush or shutdown achieved while it waited.
#[napi(object)]
pub struct JsFlushReport {
    /// Events acknowledged by the server.
    pub sent: f64,
    /// Events that definitively failed.
    pub failed: f64,
    /// Events dropped (any cause).
    pub dropped: f64,
    /// Requests sent again.
    pub retried: f64,
    /// Events accepted and not yet delivered when it returned (in memory, or left on disk by a
    /// shutdown).
    pub undelivered: f64,
}

impl From<FlushReport> for JsFlushReport {
    fn from(r: FlushReport) -> Self {
        JsFlushReport {
            sent: r.sent as f64,
            failed: r.failed as f64,
            dropped: r.dropped as f64,
            retried: r.retried as f64,
            undelivered: r.undelivered as f64,
        }
    }
}

/// The client's counters.
#[napi(object)]
pub struct JsStats {
    /// Events waiting in the queue now.
    pub queued: f64,
    /// Events waiting or being sent now.
    pub pending: f64,
    /// Events accepted by `capture` since start.
    pub accepted: f64,
    /// Events the server acknowledged.
    pub sent: f64,
    /// Requests sent again after a failure.
    pub retried: f64,
    /// Events that definitively failed.
    pub failed: f64,
    /// Batches that definitively failed.
    pub failed_batches: f64,
    /// Events dropped, every cause.
    pub dropped: f64,
    /// Dropped: queue full.
    pub dropped_queue_full: f64,
    /// Dropped: too large.
    pub dropped_too_large: f64,
    /// Dropped: invalid input.
    pub dropped_invalid: f64,
    /// Dropped: captured after shutdown.
    pub dropped_closed: f64,
    /// Dropped by `beforeSend`.
    pub dropped_before_send: f64,
    /// Dropped by the server.
    pub dropped_server: f64,
    /// Events kept in the on-disk queue after their retries ran out.
    pub deferred: f64,
    /// Events waiting in the on-disk queue beyond the memory queue's bounds (`storageDir`;
    /// counted in `queued` and `pending` too).
    pub spilled: f64,
}

impl From<Stats> for JsStats {
    fn from(s: Stats) -> Self {
        let n = |v: u64| v as f64;
        JsStats {
            queued: n(s.queued),
            pending: n(s.pending),
            accepted: n(s.accepted),
            sent: n(s.sent),
            retried: n(s.retried),
            failed: n(s.failed),
            failed_batches: n(s.failed_batches),
            dropped: n(s.dropped()),
            dropped_queue_full: n(s.dropped_queue_full),
            dropped_too_large: n(s.dropped_too_large),
            dropped_invalid: n(s.dropped_invalid),
            dropped_closed: n(s.dropped_closed),
            dropped_before_send: n(s.dropped_before_send),
            dropped_server: n(s.dropped_server),
            deferred: n(s.deferred),
            spilled: n(s.spilled),
        }
    }
}
