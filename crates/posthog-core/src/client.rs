//! The ingestion client (project key): capture and friends enqueue and return at once; flush
//! and shutdown wait on the worker's progress.

mod lane;

use crate::config::{ClientOptions, Config, OverflowPolicy};
use crate::error::Error;
use crate::event::{Event, EventMessage, QueuedEvent, serialize};
use crate::keys::ProjectKey;
use crate::pending::Pending;
use crate::queue::QueueState;
use crate::stats::{Counters, DropCause, Stats};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::{Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long dropping a client waits for its queue to drain.
pub const DROP_FLUSH_TIMEOUT: Duration = Duration::from_secs(2);
/// The default bound bindings use for [`Client::flush`].
pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(30);
/// The default bound of [`Client::shutdown`].
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// State shared by the caller's threads and the worker.
pub(crate) struct Shared {
    pub config: Config,
    key: RwLock<ProjectKey>,
    state: Mutex<QueueState>,
    /// Signalled when events leave the queue or a batch finishes.
    pub changed: Condvar,
    /// Wakes the worker.
    pub wake: tokio::sync::Notify,
    /// A flush or shutdown began: batches waiting out a backoff (not a `Retry-After`) try
    /// again now and start their backoff over (once per reason), so the drain finds a server
    /// that came back.
    pub retry_now: tokio::sync::Notify,
    pub stats: Counters,
    /// Local-evaluation state and `$feature_flag_called` de-duplication.
    pub flags: crate::flags::FlagsState,
    /// The on-disk queue, when a storage directory is configured and usable.
    pub disk: Option<crate::disk::DiskQueue>,
    /// Super properties now (the options', changed by `register`/`unregister`).
    super_properties: RwLock<Arc<Map<String, Value>>>,
    /// `opt_out` was called (or the options start opted out): nothing is captured.
    opted_out: std::sync::atomic::AtomicBool,
    /// The error of the last batch that failed for good (what a posthog-node `flush` rejects with).
    last_failure: Mutex<Option<Error>>,
    /// Events dropped for a full queue since the last one accepted: a burst is reported once
    /// when it starts and once, with its count, when the queue takes events again.
    full_streak: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
    pub fn key(&self) -> ProjectKey {
        self.key.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
    /// Logs an error and hands it to `on_error`; a panicking hook is contained.
    pub fn report(&self, error: &Error) {
        self.report_batch(error, &[]);
    }
    /// Logs an error of a batch that failed for good and hands it to `on_error`, or with the
    /// batch's events (decoded from the bytes that were sent) to `on_error_batch`.
    pub fn report_batch(&self, error: &Error, events: &[QueuedEvent]) {
        if let Some(hook) = &self.config.on_error_batch {
            tracing::warn!(kind = %error.kind(), %error, events = events.len(), "posthog");
            let batch: Vec<Value> = events
                .iter()
                .filter_map(|e| serde_json::from_slice(&e.bytes).ok())
                .collect();
            let hook = hook.clone();
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(error, &batch)));
            return;
        }
        tracing::warn!(kind = %error.kind(), %error, "posthog");
        if let Some(hook) = &self.config.on_error {
            let hook = hook.clone();
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(error)));
        }
    }
    /// Remembers the error of a batch that failed for good.
    pub fn record_failure(&self, error: &Error) {
        *self.last_failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.clone());
    }
    /// The clock's time in Unix milliseconds (on-disk record times).
    pub fn now_ms(&self) -> i64 {
        self.config.clock.now().timestamp_millis()
    }
    /// Acknowledges events on disk (delivered or definitively dropped); no-op without a disk.
    pub fn resolve_on_disk(&self, seqs: impl IntoIterator<Item = u64>) {
        if let Some(d) = &self.disk
            && let Err(e) = d.resolve(seqs)
        {
            self.report(&e);
        }
    }
    /// Re-queues events parked after their retries ran out (start of a flush cycle).
    pub fn unpark(&self, st: &mut QueueState) {
        if st.parked_len() == 0 {
            return;
        }
        st.unpark();
    }
    /// The counters now.
    pub fn stats_now(&self) -> Stats {
        let st = self.lock();
        let queued = (st.len() + st.parked_len()) as u64;
        let pending = queued + st.in_flight_events() as u64;
        let spilled = st.spilled() as u64;
        drop(st);
        self.stats.snapshot(queued, pending, spilled)
    }

    /// Sends everything queued before this call and waits until it is delivered or has
    /// definitively failed. A flush with nothing queued sends nothing. While offline (see
    /// [`Client::set_online`]) it returns at once with [`Error::Timeout`] naming what waits
    /// for the network.
    pub fn flush(&self, timeout: Duration) -> Result<FlushReport, Error> {
        let before = self.stats_now();
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        self.unpark(&mut st);
        let target = st.next_seq();
        if !st.resolved_below(target) {
            st.flush_upto = st.flush_upto.max(target);
            self.wake.notify_one();
            self.retry_now.notify_waiters();
            while !st.resolved_below(target) {
                if st.stop {
                    return Err(Error::Closed);
                }
                if st.offline {
                    return Err(Error::Timeout(format!(
                        "offline: {} event(s) wait for the network",
                        st.len() + st.parked_len() + st.in_flight_events()
                    )));
                }
                let now = Instant::now();
                if now >= deadline {
                    return Err(Error::Timeout(format!(
                        "flush did not finish within {timeout:?} ({} events pending)",
                        st.len() + st.parked_len() + st.in_flight_events()
                    )));
                }
                st = self
                    .changed
                    .wait_timeout(st, deadline - now)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
        }
        drop(st);
        Ok(FlushReport::between(&before, &self.stats_now()))
    }

    /// A drop for a full queue: the first of a burst is reported (every one is counted in
    /// `stats().dropped_queue_full`), the rest wait for [`Self::queue_has_room`].
    fn queue_full(&self, n: u64, which: &str, bound: &dyn Fn() -> String) {
        use std::sync::atomic::Ordering;
        if self.full_streak.fetch_add(n, Ordering::Relaxed) == 0 {
            self.report(&Error::QueueFull(format!(
                "the queue is full ({}); dropping {which} events until it has room (counted in stats)",
                bound()
            )));
        }
    }

    /// The queue took an event normally again: ends a burst of drops with one report of its
    /// size (after the first one's).
    fn queue_has_room(&self) {
        use std::sync::atomic::Ordering;
        if self.full_streak.load(Ordering::Relaxed) == 0 {
            return;
        }
        let n = self.full_streak.swap(0, Ordering::Relaxed);
        if n > 1 {
            self.report(&Error::QueueFull(format!(
                "{n} event(s) were dropped while the queue was full"
            )));
        }
    }

    fn drop_event(&self, cause: DropCause, error: Option<Error>) {
        self.stats.drop(cause, 1);
        if let Some(e) = error {
            self.report(&e);
        }
    }
}

/// What a flush or shutdown achieved: counts of events resolved while it waited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct FlushReport {
    /// Events acknowledged by the server.
    pub sent: u64,
    /// Events that definitively failed.
    pub failed: u64,
    /// Events dropped (any cause).
    pub dropped: u64,
    /// Requests sent again.
    pub retried: u64,
    /// Events accepted and not yet delivered when it returned: in memory (queued, in flight,
    /// or kept for the next delivery cycle) and, after a shutdown, left in the on-disk queue
    /// for the next start. Never 0 while an accepted event waits.
    pub undelivered: u64,
}

impl FlushReport {
    /// Both reports' counts together (a client and its AI lane).
    fn plus(&self, other: &FlushReport) -> FlushReport {
        FlushReport {
            sent: self.sent + other.sent,
            failed: self.failed + other.failed,
            dropped: self.dropped + other.dropped,
            retried: self.retried + other.retried,
            undelivered: self.undelivered + other.undelivered,
        }
    }

    fn between(before: &Stats, after: &Stats) -> FlushReport {
        FlushReport {
            sent: after.sent - before.sent,
            failed: after.failed - before.failed,
            dropped: after.dropped() - before.dropped(),
            retried: after.retried - before.retried,
            undelivered: after.pending,
        }
    }
}

/// The ingestion client. Cheap calls, one background thread, never panics into the caller.
pub struct Client {
    shared: Arc<Shared>,
    worker: Mutex<Option<JoinHandle<()>>>,
    runtime: tokio::runtime::Handle,
    /// This is a forked child's copy: its worker thread does not exist here.
    forked: std::sync::atomic::AtomicBool,
    /// The AI lane (`capture_ai`), started on first use.
    ai: std::sync::OnceLock<Option<Box<Client>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Validates the options and starts the worker.
    pub fn new(options: ClientOptions) -> Result<Client, Error> {
        Client::start(options.resolve()?)
    }

    fn start(config: Config) -> Result<Client, Error> {
        let key = config.key.clone();
        let (disk, loaded, problems, lost) = match &config.storage_dir {
            None => (None, Vec::new(), Vec::new(), 0),
            Some(dir) => match crate::disk::DiskQueue::open(
                dir,
                config.fsync,
                config.max_attempts,
                config.max_event_age,
                config.max_disk_bytes,
                config.cipher.clone(),
            ) {
                Ok((q, records, problems, lost)) => (Some(q), records, problems, lost),
                Err(e) => (None, Vec::new(), vec![e], 0),
            },
        };
        let shared = Arc::new(Shared {
            key: RwLock::new(key),
            state: Mutex::new(QueueState::default()),
            changed: Condvar::new(),
            wake: tokio::sync::Notify::new(),
            retry_now: tokio::sync::Notify::new(),
            stats: Counters::default(),
            flags: crate::flags::FlagsState::new(),
            disk,
            super_properties: RwLock::new(Arc::new(config.super_properties.clone())),
            opted_out: std::sync::atomic::AtomicBool::new(config.opt_out),
            last_failure: Mutex::new(None),
            full_streak: std::sync::atomic::AtomicU64::new(0),
            config,
        });
        // Records lost to corruption or an unusable cipher count as failed events.
        Counters::add(&shared.stats.failed, lost);
        for e in &problems {
            shared.report(e);
        }
        if shared.disk.is_none() && shared.config.storage_dir.is_some() {
            shared.report(&Error::Io(
                "the on-disk queue is unavailable; using the memory queue".into(),
            ));
        }
        load(&shared, loaded);
        let (worker, runtime) = crate::worker::spawn(shared.clone())?;
        Ok(Client {
            shared,
            worker: Mutex::new(Some(worker)),
            runtime,
            forked: std::sync::atomic::AtomicBool::new(false),
            ai: std::sync::OnceLock::new(),
        })
    }

    /// Fork safety: call in the CHILD right after `fork()` (Python: `os.register_at_fork`).
    /// Only the forking thread survives a fork, so this client's worker is gone and its locks
    /// may be held by threads that no longer exist. This marks it as a dead copy (dropping or
    /// shutting it down then does nothing, never waits) and returns a fresh client with the
    /// same configuration and key: an empty queue (the parent still delivers what it had
    /// queued, so nothing is sent twice), a new worker, and a new HTTP connection pool unless
    /// the app supplied its own transport. Keep using the returned client in the child.
    pub fn after_fork_in_child(&self) -> Result<Client, Error> {
        self.forked.store(true, Ordering::SeqCst);
        let mut config = self.shared.config.clone();
        if let Ok(key) = self.shared.key.try_read() {
            config.key = key.clone();
        }
        // The parent keeps its storage directory: two writers must not share one.
        let dir = config.storage_dir.take();
        if config.default_transport {
            config.transport = Arc::new(crate::transport::ReqwestTransport::new()?);
        }
        let child = Client::start(config)?;
        if let Some(dir) = dir {
            child.shared.report(&Error::Io(format!(
                "on-disk queue {}: a forked child cannot share its parent's directory; this client keeps its events in memory (give the child its own storage_dir to keep them on disk)",
                dir.display()
            )));
        }
        Ok(child)
    }

    fn is_forked_copy(&self) -> bool {
        self.forked.load(Ordering::SeqCst)
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn runtime(&self) -> &tokio::runtime::Handle {
        &self.runtime
    }

    /// The resolved configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Swaps the project key for every later request, without a restart.
    pub fn rotate_key(&self, key: impl Into<String>) -> Result<(), Error> {
        let key = ProjectKey::parse(key)?;
        if let Some(lane) = self.started_ai_lane() {
            *lane.shared.key.write().unwrap_or_else(|p| p.into_inner()) = key.clone();
        }
        *self.shared.key.write().unwrap_or_else(|p| p.into_inner()) = key;
        Ok(())
    }

    /// Queues an event and returns its uuid, or `None` when it was not accepted (disabled,
    /// invalid, filtered, too large, queue full, shut down — each counted and reported).
    /// Never blocks on I/O (only the `Block` overflow policy waits, up to its bound).
    pub fn capture(&self, event: Event) -> Option<Uuid> {
        self.capture_on(event, false)
    }

    fn capture_on(&self, event: Event, ai: bool) -> Option<Uuid> {
        let cfg = &self.shared.config;
        if cfg.disabled || self.is_opted_out() {
            return None;
        }
        if self.shared.lock().closed {
            self.shared
                .drop_event(DropCause::Closed, Some(Error::Closed));
            return None;
        }
        let msg = match self.message(event) {
            Ok(m) => m,
            Err(e) => {
                self.shared.drop_event(DropCause::Invalid, Some(e));
                return None;
            }
        };
        let msg = match &cfg.before_send {
            None => msg,
            Some(hook) => {
                let hook = hook.clone();
                let name = truncate(&msg.event, 64);
                // A hook that fails drops the event (posthog-python and posthog-node do).
                let failed =
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(msg))) {
                        Ok(Ok(Some(m))) => return self.enqueue_on(m, ai),
                        Ok(Ok(None)) => None,
                        Ok(Err(reason)) => Some(reason),
                        Err(_) => Some("it panicked".to_string()),
                    };
                match failed {
                    Some(reason) => self.before_send_failed(format!(
                        "before_send failed for event '{name}' ({reason}); the event was dropped"
                    )),
                    None => self.shared.drop_event(DropCause::BeforeSend, None),
                }
                return None;
            }
        };
        self.enqueue_on(msg, ai)
    }

    /// Builds the message `capture` would queue — defaults, super properties, `$lib`, groups,
    /// geoip, UTC timestamp, uuid — without queueing it, for a binding that runs its own
    /// `before_send` (Node's JavaScript hook). Follow with [`Client::capture_message`].
    pub fn prepare(&self, event: Event) -> Result<EventMessage, Error> {
        self.message(event)
    }

    /// Queues a message from [`Client::prepare`] (possibly rewritten by the binding's hook),
    /// skipping the client's own `before_send`. Same guarantees as [`Client::capture`].
    pub fn capture_message(&self, msg: EventMessage) -> Option<Uuid> {
        self.capture_message_on(msg, false)
    }

    fn capture_message_on(&self, msg: EventMessage, ai: bool) -> Option<Uuid> {
        if self.shared.config.disabled || self.is_opted_out() {
            return None;
        }
        if self.shared.lock().closed {
            self.shared
                .drop_event(DropCause::Closed, Some(Error::Closed));
            return None;
        }
        self.enqueue_on(msg, ai)
    }

    fn enqueue_message(&self, msg: EventMessage) -> Option<Uuid> {
        let cfg = &self.shared.config;
        if msg.event.is_empty() || msg.distinct_id.is_empty() {
            let e = Error::InvalidInput(
                "the event has no name or distinct_id after before_send".into(),
            );
            self.shared.drop_event(DropCause::Invalid, Some(e));
            return None;
        }
        let uuid = msg.uuid;
        let bytes = match serialize(&msg, cfg.protocol) {
            Ok(b) => b,
            Err(e) => {
                let e = Error::InvalidInput(format!("the event cannot be serialised: {e}"));
                self.shared.drop_event(DropCause::Invalid, Some(e));
                return None;
            }
        };
        if bytes.len() > cfg.max_event_bytes {
            let e = Error::TooLarge(format!(
                "event '{}' is {} bytes serialised, over the {}-byte limit",
                truncate(&msg.event, 64),
                bytes.len(),
                cfg.max_event_bytes
            ));
            self.shared.drop_event(DropCause::TooLarge, Some(e));
            return None;
        }
        if !cfg.send {
            // `send = false` (posthog-python's `send=False`): accepted, never sent.
            return Some(uuid);
        }
        self.enqueue(QueuedEvent {
            seq: 0,
            uuid,
            bytes,
        })
        .then_some(uuid)
    }

    fn message(&self, event: Event) -> Result<EventMessage, Error> {
        let cfg = &self.shared.config;
        if event.event.is_empty() {
            return Err(Error::InvalidInput("the event name is empty".into()));
        }
        if event.distinct_id.is_empty() {
            return Err(Error::InvalidInput(format!(
                "event '{}' has an empty distinct_id",
                truncate(&event.event, 64)
            )));
        }
        let rules = cfg.profile.rules();
        let supers = self.super_properties();
        let mut properties = Map::with_capacity(supers.len() + event.properties.len() + 5);
        let runtime = !matches!(
            event.event.as_str(),
            "$identify" | "$set" | "$set_once" | "$create_alias" | "$groupidentify"
        );
        if rules.super_properties_win {
            properties.extend(event.properties);
            if runtime {
                // posthog-python: the runtime's context wins over the event's own properties.
                for (k, v) in &cfg.runtime_properties {
                    properties.insert(k.clone(), v.clone());
                }
            }
            for (k, v) in supers.iter() {
                properties.insert(k.clone(), v.clone());
            }
        } else {
            if runtime {
                for (k, v) in &cfg.runtime_properties {
                    properties.insert(k.clone(), v.clone());
                }
            }
            for (k, v) in supers.iter() {
                properties.insert(k.clone(), v.clone());
            }
            properties.extend(event.properties);
        }
        properties.insert("$lib".into(), Value::String(cfg.sdk_name.clone()));
        properties.insert(
            "$lib_version".into(),
            Value::String(cfg.sdk_version.clone()),
        );
        // Only `true` is sent: an absent `$geoip_disable` means geoip, as the official SDKs send it.
        match event.disable_geoip {
            Some(true) => {
                properties.insert("$geoip_disable".into(), Value::Bool(true));
            }
            Some(false) => {
                properties.remove("$geoip_disable");
            }
            None if cfg.disable_geoip => {
                properties
                    .entry("$geoip_disable")
                    .or_insert(Value::Bool(true));
            }
            None => {}
        }
        if let Some(p) = event.process_person_profile {
            properties.insert("$process_person_profile".into(), Value::Bool(p));
        }
        if cfg.is_server {
            // After the super properties: the SDK's classification is not overridden.
            properties.insert("$is_server".into(), Value::Bool(true));
        }
        let (mut set, mut set_once) = (None, None);
        if rules.person_properties_top_level
            && matches!(event.event.as_str(), "$identify" | "$set" | "$set_once")
        {
            let mut take = |k: &str| match properties.remove(k) {
                Some(Value::Object(m)) if !m.is_empty() || event.event == k => Some(m),
                Some(Value::Object(_)) | None => None,
                Some(other) => {
                    properties.insert(k.to_string(), other);
                    None
                }
            };
            set = take("$set");
            set_once = take("$set_once");
        }
        if !event.groups.is_empty() {
            properties.insert("$groups".into(), Value::Object(event.groups));
        }
        let timestamp = match event.timestamp {
            Some(ts) => ts.with_timezone(&chrono::Utc),
            None => cfg.clock.now(),
        };
        Ok(EventMessage {
            event: event.event,
            distinct_id: event.distinct_id,
            properties,
            timestamp,
            uuid: event.uuid.unwrap_or_else(Uuid::now_v7),
            set,
            set_once,
        })
    }

    fn enqueue(&self, ev: QueuedEvent) -> bool {
        match self.shared.disk.as_ref() {
            Some(d) => self.enqueue_durable(d, ev),
            None => self.enqueue_memory(ev),
        }
    }

    /// The memory queue alone: bounded by `max_queue_size` and `max_queue_bytes`, whose
    /// overflow policy decides what a full queue does.
    fn enqueue_memory(&self, ev: QueuedEvent) -> bool {
        let cfg = &self.shared.config;
        let len = ev.len();
        let mut st = self.shared.lock();
        let mut evicted = Vec::new();
        if !st.has_room(len, cfg.max_queue_size, cfg.max_queue_bytes) {
            match cfg.overflow {
                OverflowPolicy::DropNewest => {}
                OverflowPolicy::DropOldest => {
                    while !st.has_room(len, cfg.max_queue_size, cfg.max_queue_bytes) {
                        let Some(old) = st.pop_oldest() else { break };
                        evicted.push(old);
                    }
                }
                OverflowPolicy::Block(limit) => {
                    let deadline = Instant::now() + limit;
                    self.shared.wake.notify_one();
                    while !st.closed && !st.has_room(len, cfg.max_queue_size, cfg.max_queue_bytes) {
                        let now = Instant::now();
                        if now >= deadline {
                            break;
                        }
                        st = self
                            .shared
                            .changed
                            .wait_timeout(st, deadline - now)
                            .map(|(g, _)| g)
                            .unwrap_or_else(|p| p.into_inner().0);
                    }
                }
            }
        }
        let accepted = st.has_room(len, cfg.max_queue_size, cfg.max_queue_bytes);
        if accepted {
            st.push(ev);
            Counters::add(&self.shared.stats.accepted, 1);
        }
        let due = accepted && became_due(&st, cfg, len);
        drop(st);
        let n = evicted.len() as u64;
        self.release(evicted);
        let bound = || format!("{} events max", cfg.max_queue_size);
        self.settle(accepted, due, n, &bound)
    }

    /// With `storage_dir`: every event is appended to disk first ("durable before accepted");
    /// it is held in memory while the memory queue has room, else on disk only, read back as
    /// batches are delivered. The bound is `max_disk_bytes`, whose overflow meets the policy.
    /// Once appends fail the memory queue takes over.
    fn enqueue_durable(&self, d: &crate::disk::DiskQueue, ev: QueuedEvent) -> bool {
        use crate::disk::Append;
        let cfg = &self.shared.config;
        let len = ev.len();
        let mut evicted = 0u64;
        let deadline = match cfg.overflow {
            OverflowPolicy::Block(limit) => Some(Instant::now() + limit),
            _ => None,
        };
        let bound = || format!("max_disk_bytes = {}", cfg.max_disk_bytes);
        let entry = loop {
            match d.append(&ev, self.shared.now_ms()) {
                Ok(Append::Written(entry)) => break entry,
                Ok(Append::Off) => return self.enqueue_memory(ev),
                Err(e) => {
                    self.shared.report(&e);
                    return self.enqueue_memory(ev);
                }
                Ok(Append::Full(size)) => {
                    let mut st = self.shared.lock();
                    let room = match cfg.overflow {
                        OverflowPolicy::DropNewest => false,
                        OverflowPolicy::DropOldest => {
                            let mut freed = 0u64;
                            let mut out = Vec::new();
                            while d.live_bytes().saturating_sub(freed).saturating_add(size)
                                > cfg.max_disk_bytes
                            {
                                let Some(old) = st.pop_oldest() else { break };
                                freed += d.size_of(&old);
                                out.push(old);
                            }
                            drop(st);
                            // Evicted events free their disk bytes once acknowledged.
                            let evicted_now = out.len() as u64;
                            evicted += evicted_now;
                            self.release(out);
                            st = self.shared.lock();
                            evicted_now > 0
                        }
                        OverflowPolicy::Block(_) => {
                            self.shared.wake.notify_one();
                            let deadline = deadline.unwrap_or_else(Instant::now);
                            while !st.closed && !d.has_room(size) {
                                let now = Instant::now();
                                if now >= deadline {
                                    break;
                                }
                                st = self
                                    .shared
                                    .changed
                                    .wait_timeout(st, deadline - now)
                                    .map(|(g, _)| g)
                                    .unwrap_or_else(|p| p.into_inner().0);
                            }
                            !st.closed && d.has_room(size)
                        }
                    };
                    drop(st);
                    if !room {
                        return self.settle(false, false, evicted, &bound);
                    }
                }
            }
        };
        let mut st = self.shared.lock();
        if st.has_room(len, cfg.max_queue_size, cfg.max_queue_bytes) {
            st.push(ev);
            // Linked under the queue lock, so the worker cannot resolve it unlinked.
            d.bind(st.next_seq() - 1, entry);
        } else {
            st.push_spilled(len, entry);
        }
        Counters::add(&self.shared.stats.accepted, 1);
        let due = became_due(&st, cfg, len);
        drop(st);
        self.settle(true, due, evicted, &bound)
    }

    /// Acknowledges evicted events on disk (no-op without one).
    fn release(&self, slots: Vec<crate::queue::Slot>) {
        use crate::queue::Slot;
        let mut seqs = Vec::new();
        let mut locs = Vec::new();
        for s in slots {
            match s {
                Slot::Mem(e) => seqs.push(e.seq),
                Slot::Disk(s) => locs.push(s.entry.loc),
            }
        }
        self.shared.resolve_on_disk(seqs);
        if let Some(d) = &self.shared.disk
            && let Err(e) = d.ack_locs(&locs)
        {
            self.shared.report(&e);
        }
    }

    /// After an enqueue: wakes the worker when a batch is due, and counts and reports what a
    /// full queue evicted or refused (once per burst).
    fn settle(&self, accepted: bool, due: bool, n: u64, bound: &dyn Fn() -> String) -> bool {
        if due {
            self.shared.wake.notify_one();
        }
        if n > 0 {
            self.shared.changed.notify_all();
            self.shared.stats.drop(DropCause::QueueFull, n);
            self.shared.queue_full(n, "the oldest", bound);
        } else if accepted {
            self.shared.queue_has_room();
        }
        if !accepted {
            self.shared.stats.drop(DropCause::QueueFull, 1);
            self.shared.queue_full(1, "the new", bound);
        }
        accepted
    }

    /// `$identify`: links `distinct_id` to a person and sets person properties.
    pub fn identify(
        &self,
        distinct_id: impl Into<String>,
        set: Map<String, Value>,
        set_once: Map<String, Value>,
    ) -> Option<Uuid> {
        self.capture(Event::identify(distinct_id, set, set_once))
    }

    /// `$create_alias`: makes `alias` another id of the person known as `distinct_id`.
    pub fn alias(&self, distinct_id: impl Into<String>, alias: impl Into<String>) -> Option<Uuid> {
        self.capture(Event::alias(distinct_id, alias))
    }

    /// `$groupidentify`: sets properties of a group. Without a distinct id, the profile's:
    /// `$<type>_<key>` (core, posthog-node, mobile) or a random one (posthog-python).
    pub fn group_identify(
        &self,
        group_type: impl Into<String>,
        group_key: impl Into<String>,
        properties: Map<String, Value>,
        distinct_id: Option<String>,
    ) -> Option<Uuid> {
        match self.group_identify_event(group_type, group_key, properties, distinct_id) {
            Ok(e) => self.capture(e),
            Err(e) => {
                self.reject_input(e.to_string());
                None
            }
        }
    }

    /// The `$groupidentify` event [`Client::group_identify`] sends (a binding adds its
    /// per-call options — timestamp, uuid, geoip — before capturing it). A blank group type
    /// or key is [`Error::InvalidInput`]: the official SDKs drop such an event.
    pub fn group_identify_event(
        &self,
        group_type: impl Into<String>,
        group_key: impl Into<String>,
        properties: Map<String, Value>,
        distinct_id: Option<String>,
    ) -> Result<Event, Error> {
        let (group_type, group_key) = (group_type.into(), group_key.into());
        if group_type.trim().is_empty() || group_key.trim().is_empty() {
            return Err(Error::InvalidInput(
                "group_identify needs a group type and a group key".into(),
            ));
        }
        let distinct_id =
            distinct_id.or_else(
                || match self.config().profile.rules().group_identify_default_id {
                    crate::profile::GroupIdentifyId::GroupKey => None,
                    crate::profile::GroupIdentifyId::Random => Some(Uuid::new_v4().to_string()),
                },
            );
        Ok(Event::group_identify(
            group_type,
            group_key,
            properties,
            distinct_id,
        ))
    }

    /// Adds (or replaces) super properties for every later event (posthog-node's `register`).
    pub fn register(&self, properties: Map<String, Value>) {
        let mut guard = self
            .shared
            .super_properties
            .write()
            .unwrap_or_else(|p| p.into_inner());
        let mut next = (**guard).clone();
        next.extend(properties);
        *guard = Arc::new(next);
    }

    /// Removes one super property (posthog-node's `unregister`).
    pub fn unregister(&self, key: &str) {
        let mut guard = self
            .shared
            .super_properties
            .write()
            .unwrap_or_else(|p| p.into_inner());
        if guard.contains_key(key) {
            let mut next = (**guard).clone();
            next.remove(key);
            *guard = Arc::new(next);
        }
    }

    /// The super properties now.
    pub fn super_properties(&self) -> Arc<Map<String, Value>> {
        self.shared
            .super_properties
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Stops capturing: every later `capture` returns `None` until [`Client::opt_in`] (not
    /// counted as a drop: nothing was accepted).
    pub fn opt_out(&self) {
        self.shared.opted_out.store(true, Ordering::SeqCst);
    }

    /// Captures again after [`Client::opt_out`].
    pub fn opt_in(&self) {
        self.shared.opted_out.store(false, Ordering::SeqCst);
    }

    /// Whether the client is opted out.
    pub fn is_opted_out(&self) -> bool {
        self.shared.opted_out.load(Ordering::SeqCst)
    }

    /// Whether `capture` would take an event now: not disabled, not opted out, not closed by
    /// a final shutdown. A binding that defers captures ([`crate::Intake`]) asks this once
    /// after each state change, so a refused event is refused on the caller's thread.
    pub fn accepts_events(&self) -> bool {
        !self.shared.config.disabled && !self.is_opted_out() && !self.shared.lock().closed
    }

    /// [`Client::shutdown`] bounded by the options' `shutdown_timeout`.
    pub fn shutdown_default(&self) -> Result<FlushReport, Error> {
        self.shutdown(self.config().shutdown_timeout)
    }

    /// `$set`: sets person properties.
    pub fn set(
        &self,
        distinct_id: impl Into<String>,
        properties: Map<String, Value>,
    ) -> Option<Uuid> {
        self.capture(Event::set(distinct_id, properties))
    }

    /// `$set_once`: sets person properties that are not set yet.
    pub fn set_once(
        &self,
        distinct_id: impl Into<String>,
        properties: Map<String, Value>,
    ) -> Option<Uuid> {
        self.capture(Event::set_once(distinct_id, properties))
    }

    /// Counts and reports an event a binding could not even convert (a wrong argument type).
    pub fn reject_input(&self, message: impl Into<String>) {
        self.shared.drop_event(
            DropCause::Invalid,
            Some(Error::InvalidInput(message.into())),
        );
    }

    /// Counts an event whose `before_send` failed (it is dropped, as the official SDKs do),
    /// logs it, and reports it to `on_error` when the profile does
    /// ([`crate::profile::Rules::before_send_failure_reported`]). For a binding that runs its
    /// own hook (Node) as well as for the core's.
    pub fn before_send_failed(&self, message: impl Into<String>) {
        let e = Error::InvalidInput(message.into());
        if self
            .shared
            .config
            .profile
            .rules()
            .before_send_failure_reported
        {
            self.shared.drop_event(DropCause::BeforeSend, Some(e));
        } else {
            tracing::warn!(%e, "posthog");
            self.shared.drop_event(DropCause::BeforeSend, None);
        }
    }

    /// Counts an event that a binding's own `before_send` layer filtered out (Node applies
    /// `beforeSend` in JavaScript), so `stats()` tells the same story in every language.
    pub fn record_filtered(&self) {
        self.shared.drop_event(DropCause::BeforeSend, None);
    }

    /// Whether `events` more events of about `bytes` serialised bytes in all would be taken
    /// now: not disabled, not opted out, not shut down, and the memory queue has room for
    /// them without its overflow policy acting. A binding that hands captures to an
    /// [`crate::Intake`] asks before promising their uuids, so a capture refused for any of
    /// these reasons is refused on the caller's thread. (With `storage_dir` the bound is the
    /// disk's: this answers for the memory queue only.)
    pub fn has_room_for(&self, events: usize, bytes: usize) -> bool {
        let cfg = &self.shared.config;
        if cfg.disabled || self.is_opted_out() {
            return false;
        }
        let st = self.shared.lock();
        let max_events = cfg.max_queue_size.saturating_sub(events.saturating_sub(1));
        !st.closed && st.has_room(bytes, max_events, cfg.max_queue_bytes)
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        let main = self.shared.stats_now();
        match self.started_ai_lane() {
            Some(lane) => main.merged(&lane.stats()),
            None => main,
        }
    }

    /// Sends everything queued before this call and waits until it is delivered or has
    /// definitively failed. A flush with nothing queued sends nothing. While offline (see
    /// [`Client::set_online`]) it returns at once with [`Error::Timeout`] naming what waits
    /// for the network.
    ///
    /// In the posthog-node profile a flush during which a batch failed for good is an error
    /// (that batch's), as posthog-node's `flush()` rejects; elsewhere the report's `failed`
    /// says so.
    pub fn flush(&self, timeout: Duration) -> Result<FlushReport, Error> {
        let mut report = self.shared.flush(timeout)?;
        if let Some(lane) = self.started_ai_lane() {
            report = report.plus(&lane.flush(timeout)?);
        }
        if report.failed > 0 && self.config().profile.rules().flush_fails_on_failed_batch {
            let last = self
                .shared
                .last_failure
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            return Err(last.unwrap_or_else(|| {
                Error::Unexpected(format!(
                    "{} event(s) failed during the flush",
                    report.failed
                ))
            }));
        }
        Ok(report)
    }

    /// [`Client::flush`] without blocking the caller: the wait runs on the worker's blocking
    /// pool and the answer is awaited (or waited for) through the returned [`Pending`].
    pub fn flush_pending(&self, timeout: Duration) -> Pending<FlushReport> {
        let (answer, pending) = crate::pending::pending();
        let shared = self.shared.clone();
        drop(
            self.runtime
                .spawn_blocking(move || answer.send(shared.flush(timeout))),
        );
        pending
    }

    /// Starts sending everything queued now and returns at once (an app going to the
    /// background). With an on-disk queue, its appends are also synced to stable storage on
    /// the worker, off the caller's thread.
    pub fn flush_in_background(&self) {
        if self.is_forked_copy() {
            return;
        }
        {
            let mut st = self.shared.lock();
            if !st.offline {
                self.shared.unpark(&mut st);
                st.flush_upto = st.flush_upto.max(st.next_seq());
            }
        }
        self.shared.wake.notify_one();
        if self.shared.disk.is_some() {
            let shared = self.shared.clone();
            drop(self.runtime.spawn_blocking(move || {
                if let Some(d) = &shared.disk {
                    d.sync();
                }
            }));
        }
    }

    /// Tells the client whether the network is reachable (an app's connectivity callback).
    /// Offline, no request is started and a batch whose request fails is kept without
    /// spending its retries; events are still accepted (and kept on disk with a storage
    /// directory). Back online, everything queued is sent at once. Starts online.
    pub fn set_online(&self, online: bool) {
        if let Some(lane) = self.started_ai_lane() {
            lane.set_online(online);
        }
        {
            let mut st = self.shared.lock();
            if st.offline != online {
                return;
            }
            st.offline = !online;
            if online {
                self.shared.unpark(&mut st);
                st.flush_upto = st.flush_upto.max(st.next_seq());
            }
        }
        self.shared.wake.notify_one();
        self.shared.changed.notify_all();
    }

    /// Whether the client may send (see [`Client::set_online`]).
    pub fn is_online(&self) -> bool {
        !self.shared.lock().offline
    }

    /// Stops accepting events, drains the queue (bounded by `timeout`), and stops the worker.
    /// Events still undelivered at the deadline are counted as failed and reported.
    ///
    /// Under a profile whose `shutdown` is not final ([`crate::profile::Rules::shutdown_is_final`],
    /// posthog-node) and without `storage_dir` this only flushes; the worker stops when the
    /// client is dropped.
    pub fn shutdown(&self, timeout: Duration) -> Result<FlushReport, Error> {
        // The flag-definitions cache provider releases its locks first (the official SDKs
        // stop their poller with it).
        self.shutdown_flag_cache(timeout.min(Duration::from_secs(30)));
        // With an on-disk queue shutdown stays final: it releases the directory for the next
        // process.
        if !self.shared.config.profile.rules().shutdown_is_final && self.shared.disk.is_none() {
            if self.is_shut_down() {
                return Ok(FlushReport::default());
            }
            return self.flush(timeout);
        }
        self.close(timeout)
    }

    /// The final shutdown, whatever the profile: stops accepting events, drains the queue
    /// (bounded by `timeout`) and stops the worker.
    pub fn close(&self, timeout: Duration) -> Result<FlushReport, Error> {
        if self.is_forked_copy() {
            return Ok(FlushReport::default());
        }
        let lane = match self.started_ai_lane() {
            Some(lane) => Some(lane.close(timeout)?),
            None => None,
        };
        let report = self.close_own(timeout)?;
        Ok(match lane {
            Some(l) => report.plus(&l),
            None => report,
        })
    }

    fn close_own(&self, timeout: Duration) -> Result<FlushReport, Error> {
        let Some(handle) = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return Ok(FlushReport::default());
        };
        let before = self.stats();
        self.shared.lock().closed = true;
        self.shared.retry_now.notify_waiters();
        let flushed = self.shared.flush(timeout);
        {
            let mut st = self.shared.lock();
            st.stop = true;
        }
        self.shared.wake.notify_one();
        // Flushes waiting on the worker's blocking pool give up, so the runtime can stop.
        self.shared.changed.notify_all();
        let _ = handle.join();
        let (queued, in_flight) = self.shared.lock().abandon();
        let lost = (queued + in_flight) as u64;
        if let Some(d) = &self.shared.disk {
            d.release();
        }
        if lost > 0 && self.shared.disk.is_some() {
            self.shared.report(&Error::Timeout(format!(
                "shutdown ran out of time; {lost} event(s) stay in the on-disk queue for the next start"
            )));
        } else if lost > 0 {
            // Counted as one failed batch, so `failed_batches` is never 0 while `failed` is not.
            Counters::add(&self.shared.stats.failed, lost);
            Counters::add(&self.shared.stats.failed_batches, 1);
            self.shared.report(&Error::Timeout(format!(
                "shutdown ran out of time; {lost} event(s) were not confirmed as delivered"
            )));
        }
        self.shared.changed.notify_all();
        let on_disk = if self.shared.disk.is_some() { lost } else { 0 };
        flushed.map(|_| FlushReport {
            undelivered: on_disk,
            ..FlushReport::between(&before, &self.stats())
        })
    }

    /// Whether `shutdown` has run.
    pub fn is_shut_down(&self) -> bool {
        self.worker
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.is_forked_copy() {
            return;
        }
        let _ = self.close(DROP_FLUSH_TIMEOUT);
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// Queues what a previous run left on disk (before the worker starts), oldest first, and
/// marks it due at once. Records past `max_event_age` are given up.
fn load(shared: &Shared, records: Vec<crate::disk::log::Record>) {
    let Some(d) = &shared.disk else { return };
    if records.is_empty() {
        return;
    }
    let now = shared.now_ms();
    let (old, live): (Vec<_>, Vec<_>) = records
        .into_iter()
        .partition(|r| d.too_old(r.written_at, now));
    if !old.is_empty() {
        Counters::add(&shared.stats.failed, old.len() as u64);
        if let Err(e) = d.ack_locs(&old.iter().map(|r| r.loc).collect::<Vec<_>>()) {
            shared.report(&e);
        }
        shared.report(&Error::Timeout(format!(
            "{} event(s) in the on-disk queue were older than max_event_age and were given up",
            old.len()
        )));
    }
    // Oldest first into memory while it has room; the rest stay on disk only and are read
    // back as batches are delivered.
    let cfg = &shared.config;
    let mut st = shared.lock();
    for r in live {
        let entry = crate::disk::Entry {
            loc: r.loc,
            offset: r.offset,
            size: r.size,
            written_at: r.written_at,
            attempts: 0,
        };
        if st.has_room(r.bytes.len(), cfg.max_queue_size, cfg.max_queue_bytes) {
            st.push(QueuedEvent {
                seq: 0,
                uuid: r.uuid,
                bytes: r.bytes,
            });
            d.bind(st.next_seq() - 1, entry);
        } else {
            st.push_spilled(r.bytes.len(), entry);
        }
    }
    st.flush_upto = st.next_seq();
}

/// Whether the event just pushed (`len` bytes) made a batch due: the queue reached `flush_at`
/// events, another `max_batch_size` beyond it, or crossed the byte bound. One wake per
/// threshold is enough — the worker re-checks the queue after every batch it finishes — and
/// under a burst a wake per event would cost a thread wake-up each.
fn became_due(st: &crate::queue::QueueState, cfg: &Config, len: usize) -> bool {
    let n = st.len();
    let bytes = st.bytes();
    n == cfg.flush_at
        || (n > cfg.flush_at && (n - cfg.flush_at).is_multiple_of(cfg.max_batch_size))
        || (bytes >= cfg.max_batch_bytes && bytes.saturating_sub(len) < cfg.max_batch_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ErrorBatchHook;

    type Reports = Arc<Mutex<Vec<(String, Vec<Value>)>>>;

    #[test]
    fn the_worker_is_woken_once_per_threshold() {
        let cfg = ClientOptions::for_profile("phc_test", crate::Profile::PosthogNode)
            .host("http://127.0.0.1:9")
            .max_batch_bytes(2_000_000)
            .max_event_bytes(1_000_000)
            .resolve()
            .unwrap();
        assert_eq!((cfg.flush_at, cfg.max_batch_size), (20, 100));
        let mut st = crate::queue::QueueState::default();
        let mut woken = Vec::new();
        for i in 1..=250 {
            st.push(crate::event::QueuedEvent {
                seq: 0,
                uuid: Uuid::nil(),
                bytes: vec![b'x'; 10],
            });
            if became_due(&st, &cfg, 10) {
                woken.push(i);
            }
        }
        assert_eq!(woken, vec![20, 120, 220]);
        // Crossing the byte bound wakes it too, once.
        let big = crate::event::QueuedEvent {
            seq: 0,
            uuid: Uuid::nil(),
            bytes: vec![b'x'; 1_000_000],
        };
        let mut st = crate::queue::QueueState::default();
        st.push(big.clone());
        assert!(!became_due(&st, &cfg, 1_000_000));
        st.push(big.clone());
        assert!(became_due(&st, &cfg, 1_000_000));
        st.push(big);
        assert!(!became_due(&st, &cfg, 1_000_000));
    }

    #[test]
    fn a_failed_batch_reaches_on_error_batch_with_its_events() {
        let got: Reports = Arc::default();
        let seen = got.clone();
        let hook: ErrorBatchHook = Arc::new(move |e, batch| {
            seen.lock().unwrap().push((e.to_string(), batch.to_vec()));
        });
        let c = Client::new(
            ClientOptions::for_profile("phc_test", crate::Profile::PosthogPython)
                .host("http://127.0.0.1:9")
                .on_error_batch(hook),
        )
        .unwrap();
        let msg = c.prepare(Event::new("failed", "u")).unwrap();
        let ev = QueuedEvent {
            seq: 1,
            uuid: msg.uuid,
            bytes: serialize(&msg, crate::Protocol::V0).unwrap(),
        };
        let err = Error::InvalidInput("rejected".into());
        c.shared().report_batch(&err, std::slice::from_ref(&ev));
        c.shared().report(&err);
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), 1);
        assert_eq!(got[0].1[0]["event"], "failed");
        assert_eq!(got[0].1[0]["uuid"], msg.uuid.to_string());
        assert!(got[1].1.is_empty(), "an error that is not a batch: []");
        drop(got);
        let _ = c.close(Duration::from_millis(100));
    }
}
