//! The native client: converts arguments, calls `posthog_core::Client`, converts results.

use crate::convert::{
    Decoder, Rejected, encode_map, put_pystr, put_str, to_id, to_map, to_str, to_timestamp, to_uuid,
};
use crate::errors::to_pyerr;
use crate::flags::{FlagArgs, Snapshot, call_args, json_to_py, keys_arg, value_to_py};
use crate::hooks;
use posthog_core::{Client, Error, Event, Intake};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// `$lib` of every event this binding sends.
pub const SDK_NAME: &str = "posthog-sdk-python";
/// How long dropping an unclosed client waits for its queue to drain.
const DROP_TIMEOUT: Duration = Duration::from_secs(2);

/// Plain captures that may wait for the intake thread; one more makes the caller wait (with
/// the GIL released) until the intake thread has captured them. The intake thread takes about
/// 2 µs an event, a tight loop of captures about half that: such a loop meets this bound
/// (a wait of a few ms) once in several thousand calls. About 0.5 KB each.
const MAX_WAITING: usize = 4096;
/// What an event is assumed to take serialised beyond what the caller gave (`$lib`, the
/// runtime's properties, super properties, uuid, timestamp, punctuation).
const EVENT_OVERHEAD_BYTES: usize = 1024;
/// Captures deferred on one look at the queue: when it has room for the waiting ones and
/// twice this many more of up to `BUDGET_EVENT_BYTES`, this many go without asking again.
const BUDGET: usize = 32;
const BUDGET_EVENT_BYTES: usize = 4096;

/// The native client behind `posthog_sdk.Client`.
#[pyclass(module = "posthog_sdk._native", name = "Client", frozen)]
pub struct NativeClient {
    inner: Arc<Client>,
    /// The deferred capture path (`None`: every capture runs on the caller's thread — a
    /// Python `before_send`, `overflow="block"`, `storage_dir`). Taken by `Drop`.
    deferral: Option<Deferral>,
    /// With `overflow="block"`, `capture` may wait for room: it then releases the GIL so the
    /// worker can call `on_error`.
    capture_may_block: bool,
    /// The last flag call's options, reused while the next ones are equal.
    flag_options: crate::flags::OptionsCache,
    /// Set in a forked child once this client was replaced (`_after_fork_in_child`): its
    /// worker does not exist there, so dropping it must not wait or take its locks.
    forked: AtomicBool,
}

/// A plain capture as the caller's thread recorded it: the event name, the distinct id
/// (empty for a personless event), the properties and the groups in `convert`'s encoding.
struct Recorded {
    buf: Vec<u8>,
    personless: bool,
    timestamp: chrono::DateTime<chrono::FixedOffset>,
    uuid: uuid::Uuid,
    disable_geoip: Option<bool>,
    /// The estimated serialised size, counted in `Deferral::pending_bytes`.
    bytes: usize,
}

impl Recorded {
    fn event(&self) -> Event {
        let mut d = Decoder::new(&self.buf);
        let name = d.string();
        let id = d.string();
        let mut e = if self.personless {
            Event::personless(name)
        } else {
            Event::new(name, id)
        };
        e.properties = d.map();
        e.groups = d.map();
        e.timestamp = Some(self.timestamp);
        e.uuid = Some(self.uuid);
        e.disable_geoip = self.disable_geoip;
        e
    }
}

/// The plain capture path: the caller's thread converts the arguments, fixes the uuid and the
/// timestamp, checks that the client would take the event, and hands it to the core's
/// [`Intake`], whose thread builds, serialises and queues it (no GIL needed there). Every call
/// that must see the earlier captures (flush, shutdown, stats, any synchronous capture, a flag
/// lookup that may capture, fork) first waits for them: [`Deferral::settle`].
struct Deferral {
    intake: Intake<Recorded>,
    /// Events submitted and not captured yet, and their estimated serialised bytes: lowered by
    /// the intake's handler once `Client::capture` has returned. Raised only with the GIL held.
    pending: Arc<AtomicUsize>,
    pending_bytes: Arc<AtomicUsize>,
    /// Captures that may still be deferred without asking the queue (see `BUDGET`); changed
    /// only with the GIL held, zeroed by every synchronous capture.
    budget: AtomicUsize,
}

impl Deferral {
    fn start(client: Arc<Client>) -> Result<Deferral, Error> {
        let pending = Arc::new(AtomicUsize::new(0));
        let pending_bytes = Arc::new(AtomicUsize::new(0));
        let (p, b) = (pending.clone(), pending_bytes.clone());
        let intake = Intake::new(
            client,
            MAX_WAITING,
            Box::new(move |client: &Client, r: Recorded| {
                client.capture(r.event());
                b.fetch_sub(r.bytes, Ordering::Relaxed);
                p.fetch_sub(1, Ordering::Release);
            }),
        )?;
        Ok(Deferral {
            intake,
            pending,
            pending_bytes,
            budget: AtomicUsize::new(0),
        })
    }

    /// Returns once every capture submitted before the call is in the core's queue (or was
    /// refused there). Waits with the GIL released: the intake thread may need it for
    /// `on_error`.
    fn settle(&self, py: Python<'_>) {
        self.budget.store(0, Ordering::Relaxed);
        // (Once is enough: `drain` returns after every item submitted before it; captures
        // other threads submit meanwhile are not waited for.)
        if self.pending.load(Ordering::Acquire) > 0 {
            py.detach(|| self.intake.drain());
        }
    }

    /// Whether the client takes one more event of `bytes` now, after every waiting one: the
    /// queue is asked once per `BUDGET` captures of ordinary size.
    fn has_room(&self, client: &Client, bytes: usize) -> bool {
        let budget = self.budget.load(Ordering::Relaxed);
        if budget > 0 && bytes <= BUDGET_EVENT_BYTES {
            self.budget.store(budget - 1, Ordering::Relaxed);
            return true;
        }
        let waiting = self.pending.load(Ordering::Acquire) + 1;
        let waiting_bytes = self.pending_bytes.load(Ordering::Relaxed) + bytes;
        if client.has_room_for(
            waiting + 2 * BUDGET,
            waiting_bytes + 2 * BUDGET * BUDGET_EVENT_BYTES,
        ) {
            self.budget.store(BUDGET, Ordering::Relaxed);
            return true;
        }
        client.has_room_for(waiting, waiting_bytes)
    }
}

/// A UUID v7 for `millis`, its random bits from a per-thread keyed SipHash of a counter (the
/// OS is asked for the keys once per thread, not for every event).
fn uuid_v7(millis: u64) -> uuid::Uuid {
    use std::hash::BuildHasher;
    thread_local! {
        static RNG: (std::hash::RandomState, std::cell::Cell<u64>) =
            (std::hash::RandomState::new(), std::cell::Cell::new(0));
    }
    let (a, b) = RNG.with(|(keys, counter)| {
        let n = counter.get().wrapping_add(1);
        counter.set(n);
        (keys.hash_one((n, 0u8)), keys.hash_one((n, 1u8)))
    });
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&a.to_le_bytes());
    random[8..].copy_from_slice(&b.to_le_bytes()[..2]);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

fn uuid_text(u: uuid::Uuid) -> String {
    u.hyphenated()
        .encode_lower(&mut uuid::Uuid::encode_buffer())
        .to_string()
}

/// Applies the optional fields every event call takes.
fn with_common(
    mut e: Event,
    profile: posthog_core::Profile,
    timestamp: Option<&Bound<'_, PyAny>>,
    uuid: Option<&Bound<'_, PyAny>>,
    disable_geoip: Option<bool>,
) -> Result<Event, Rejected> {
    if let Some(ts) = timestamp.filter(|t| !t.is_none()) {
        e.timestamp = to_timestamp(ts, profile)?;
    }
    if let Some(u) = uuid.filter(|u| !u.is_none()) {
        e.uuid = to_uuid(u, profile)?;
    }
    e.disable_geoip = disable_geoip;
    Ok(e)
}

fn seconds_arg(timeout: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(timeout).map_err(|_| {
        pyo3::exceptions::PyValueError::new_err(
            "timeout must be a finite, non-negative number of seconds",
        )
    })
}

impl NativeClient {
    fn profile(&self) -> posthog_core::Profile {
        self.inner.config().profile
    }

    /// Counts and reports an argument that could not be converted; the call returns `None`.
    /// The event of `capture`'s (and `capture_ai`'s) arguments: no distinct id → personless.
    #[allow(clippy::too_many_arguments)]
    fn event_of(
        &self,
        event: &Bound<'_, PyAny>,
        distinct_id: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyAny>>,
        groups: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        uuid: Option<&Bound<'_, PyAny>>,
        disable_geoip: Option<bool>,
    ) -> Result<Event, Rejected> {
        let name = to_str(event, "event")?;
        let mut e = match distinct_id.filter(|d| !d.is_none()) {
            Some(d) => Event::new(name, to_id(d, "distinct_id")?),
            None => Event::personless(name),
        };
        e.properties = to_map(properties, "properties")?;
        e.groups = to_map(groups, "groups")?;
        with_common(e, self.profile(), timestamp, uuid, disable_geoip)
    }

    fn reject(&self, text: Rejected) -> Option<String> {
        self.inner.reject_input(text);
        None
    }

    fn build(
        inner: Client,
        capture_may_block: bool,
        deferrable: bool,
        py: Python<'_>,
    ) -> PyResult<NativeClient> {
        let inner = Arc::new(inner);
        let deferral = if deferrable {
            Some(Deferral::start(inner.clone()).map_err(|e| to_pyerr(py, &e))?)
        } else {
            None
        };
        Ok(NativeClient {
            inner,
            deferral,
            capture_may_block,
            flag_options: crate::flags::OptionsCache::default(),
            forked: AtomicBool::new(false),
        })
    }

    /// Waits until every deferred capture made before the call is in the core's queue.
    fn settle(&self, py: Python<'_>) {
        if let Some(d) = &self.deferral {
            d.settle(py);
        }
    }

    /// Captures on the caller's thread, after the deferred captures made before.
    fn enqueue(&self, py: Python<'_>, event: Event) -> Option<String> {
        self.settle(py);
        py_maybe_detach(py, self.capture_may_block, || self.inner.capture(event))
    }

    /// A plain capture, handed to the intake thread when nothing needs this thread and the
    /// client takes it now (not disabled, opted out or shut down, room in the queue for it and
    /// every capture still waiting, a name and a distinct id): its uuid. `None`: capture it
    /// synchronously (which also gives any refusal of an argument its exact text).
    #[allow(clippy::too_many_arguments)]
    fn try_defer(
        &self,
        py: Python<'_>,
        d: &Deferral,
        event: &Bound<'_, PyAny>,
        distinct_id: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        uuid: Option<&Bound<'_, PyAny>>,
        groups: Option<&Bound<'_, PyAny>>,
        disable_geoip: Option<bool>,
    ) -> Option<Option<String>> {
        let mut buf = Vec::with_capacity(384);
        put_pystr(&mut buf, event.cast::<PyString>().ok()?)?;
        let name_end = buf.len();
        if name_end == 8 {
            return None; // an empty name: the core refuses it
        }
        let personless = match distinct_id.filter(|d| !d.is_none()) {
            None => {
                put_str(&mut buf, b"");
                true
            }
            Some(id) => {
                match id.cast::<PyString>() {
                    Ok(s) => put_pystr(&mut buf, s)?,
                    Err(_) => put_str(&mut buf, to_id(id, "distinct_id").ok()?.as_bytes()),
                }
                if buf.len() == name_end + 8 {
                    return None; // an empty distinct id: the core refuses it
                }
                false
            }
        };
        encode_map(&mut buf, properties, "properties").ok()?;
        encode_map(&mut buf, groups, "groups").ok()?;
        let profile = self.profile();
        let timestamp = match timestamp.filter(|t| !t.is_none()) {
            Some(t) => to_timestamp(t, profile).ok()?,
            None => None,
        };
        let uuid = match uuid.filter(|u| !u.is_none()) {
            Some(u) => to_uuid(u, profile).ok()?,
            None => None,
        };
        // At most MAX_WAITING wait: the submit below then never processes items on this
        // thread (it holds the GIL, which the intake thread may need for `on_error`).
        while d.pending.load(Ordering::Acquire) >= MAX_WAITING {
            py.detach(|| d.intake.drain());
        }
        let bytes = buf.len() + EVENT_OVERHEAD_BYTES;
        if !d.has_room(&self.inner, bytes) {
            return None;
        }
        let now = chrono::Utc::now();
        let uuid = uuid.unwrap_or_else(|| uuid_v7(now.timestamp_millis().max(0) as u64));
        let timestamp = timestamp.unwrap_or_else(|| now.fixed_offset());
        d.pending_bytes.fetch_add(bytes, Ordering::Relaxed);
        d.pending.fetch_add(1, Ordering::Release);
        d.intake.submit(Recorded {
            buf,
            personless,
            timestamp,
            uuid,
            disable_geoip,
            bytes,
        });
        Some(Some(uuid_text(uuid)))
    }

    /// Queues a built event, or counts and reports why it could not be built.
    fn send(&self, py: Python<'_>, built: Result<Event, Rejected>) -> Option<String> {
        match built {
            Ok(e) => self.enqueue(py, e),
            Err(text) => self.reject(text),
        }
    }

    /// A flag's value: answered at once when the loaded definitions decide (no I/O, the GIL
    /// kept), else through the blocking lookup with the GIL released.
    fn flag_value(
        &self,
        py: Python<'_>,
        key: &str,
        id: &str,
        opts: &posthog_core::FlagOptions,
    ) -> Result<Option<posthog_core::FlagValue>, Error> {
        Ok(self.flag_result(py, key, id, opts)?.map(|r| r.value))
    }

    /// As [`NativeClient::flag_value`], the whole result.
    fn flag_result(
        &self,
        py: Python<'_>,
        key: &str,
        id: &str,
        opts: &posthog_core::FlagOptions,
    ) -> Result<Option<posthog_core::FlagResult>, Error> {
        // A lookup may capture `$feature_flag_called`: after the captures made before it.
        self.settle(py);
        match self.inner.try_get_feature_flag_result(key, id, opts)? {
            Some(answer) => Ok(answer),
            None => py.detach(|| self.inner.get_feature_flag_result(key, id, opts)),
        }
    }

    fn report<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
        pythonize::pythonize(py, value).map_err(PyErr::from)
    }
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api_key, **options))]
    fn new(
        py: Python<'_>,
        api_key: &Bound<'_, PyAny>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let built = crate::options::options(api_key, options).map_err(|e| to_pyerr(py, &e))?;
        let opts = built.options;
        let inner = py
            .detach(|| Client::new(opts))
            .map_err(|e| to_pyerr(py, &e))?;
        // A Python before_send needs the caller's thread; a blocking overflow makes the
        // caller wait by design; with storage_dir an accepted event is on disk on return.
        let deferrable = !built.before_send
            && !built.capture_may_block
            && inner.config().storage_dir.is_none()
            && !inner.config().disabled;
        Self::build(inner, built.capture_may_block, deferrable, py)
    }

    /// Fork safety, in the PARENT right before `fork()`: every deferred capture reaches the
    /// core's queue, so the intake thread is idle when the process is copied.
    fn _before_fork(&self, py: Python<'_>) {
        self.settle(py);
    }

    /// Fork safety, in the CHILD right after `fork()`: marks this client as a dead copy (it
    /// never waits or sends again) and returns the client to use in its place, with the same
    /// options, an empty queue and its own worker (the parent delivers what was queued).
    fn _after_fork_in_child(&self, py: Python<'_>) -> PyResult<NativeClient> {
        self.forked.store(true, Ordering::SeqCst);
        let inner = self
            .inner
            .after_fork_in_child()
            .map_err(|e| to_pyerr(py, &e))?;
        Self::build(inner, self.capture_may_block, self.deferral.is_some(), py)
    }

    /// The ingestion host events go to.
    #[getter]
    fn host(&self) -> String {
        self.inner.config().host.clone()
    }

    /// The bound of `shutdown()` and of the flush at exit, in seconds.
    #[getter]
    fn shutdown_timeout(&self) -> f64 {
        self.inner.config().shutdown_timeout.as_secs_f64()
    }

    /// Whether the client was configured disabled.
    #[getter]
    fn disabled(&self) -> bool {
        self.inner.config().disabled
    }

    fn __repr__(&self) -> String {
        format!(
            "<posthog_sdk._native.Client host={:?}>",
            self.inner.config().host
        )
    }

    /// `distinct_id=None` makes a personless event (a random id, no person profile).
    /// `send_feature_flags` (posthog-python's): `True` or a dict of `CaptureFlags` options
    /// (anything else raises `TypeError`); ignored when `flags` is given.
    #[pyo3(signature = (event, distinct_id, properties=None, timestamp=None, uuid=None, groups=None,
        flags=None, disable_geoip=None, send_feature_flags=None))]
    #[allow(clippy::too_many_arguments)]
    fn capture(
        &self,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
        distinct_id: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        uuid: Option<&Bound<'_, PyAny>>,
        groups: Option<&Bound<'_, PyAny>>,
        flags: Option<&Bound<'_, PyAny>>,
        disable_geoip: Option<bool>,
        send_feature_flags: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<String>> {
        let with_flags = match send_feature_flags.filter(|_| flags.is_none_or(|f| f.is_none())) {
            Some(s) => crate::flags::capture_flags_arg(s)?,
            None => None,
        };
        if let Some(d) = &self.deferral
            && with_flags.is_none()
            && flags.is_none_or(|f| f.is_none())
            && let Some(answer) = self.try_defer(
                py,
                d,
                event,
                distinct_id,
                properties,
                timestamp,
                uuid,
                groups,
                disable_geoip,
            )
        {
            return Ok(answer);
        }
        let built = (|| -> Result<Event, Rejected> {
            let mut e = self.event_of(
                event,
                distinct_id,
                properties,
                groups,
                timestamp,
                uuid,
                disable_geoip,
            )?;
            if let Some(f) = flags.filter(|f| !f.is_none()) {
                let snap = f.cast::<Snapshot>().map_err(|_| {
                    "flags must be a FlagsSnapshot (from evaluate_flags)".to_string()
                })?;
                e = e.flags(&snap.get().inner);
            }
            Ok(e)
        })();
        Ok(match (built, with_flags) {
            (Ok(mut e), Some(spec)) => {
                py.detach(|| self.inner.add_flag_properties(&mut e, &spec));
                self.enqueue(py, e)
            }
            (Ok(e), None) => self.enqueue(py, e),
            (Err(text), _) => self.reject(text),
        })
    }

    /// posthog-python's `capture_ai`: the message `capture` builds, queued on the AI lane
    /// (`/i/v0/ai/batch/`, see `posthog_core::Client::capture_ai`).
    #[pyo3(signature = (event, distinct_id, properties=None, timestamp=None, uuid=None, groups=None,
        disable_geoip=None))]
    #[allow(clippy::too_many_arguments)]
    fn capture_ai(
        &self,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
        distinct_id: Option<&Bound<'_, PyAny>>,
        properties: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        uuid: Option<&Bound<'_, PyAny>>,
        groups: Option<&Bound<'_, PyAny>>,
        disable_geoip: Option<bool>,
    ) -> Option<String> {
        let built = self.event_of(
            event,
            distinct_id,
            properties,
            groups,
            timestamp,
            uuid,
            disable_geoip,
        );
        match built {
            Ok(e) => {
                self.settle(py);
                py_maybe_detach(py, self.capture_may_block, || self.inner.capture_ai(e))
            }
            Err(text) => self.reject(text),
        }
    }

    #[pyo3(signature = (distinct_id, properties=None, set_once=None))]
    fn identify(
        &self,
        py: Python<'_>,
        distinct_id: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
        set_once: Option<&Bound<'_, PyAny>>,
    ) -> Option<String> {
        let built = (|| {
            Ok(Event::identify(
                to_id(distinct_id, "distinct_id")?,
                to_map(properties, "properties")?,
                to_map(set_once, "set_once")?,
            ))
        })();
        self.send(py, built)
    }

    #[pyo3(signature = (distinct_id, alias, timestamp=None, uuid=None, disable_geoip=None))]
    fn alias(
        &self,
        py: Python<'_>,
        distinct_id: &Bound<'_, PyAny>,
        alias: &Bound<'_, PyAny>,
        timestamp: Option<&Bound<'_, PyAny>>,
        uuid: Option<&Bound<'_, PyAny>>,
        disable_geoip: Option<bool>,
    ) -> Option<String> {
        let built = (|| {
            let e = Event::alias(to_id(distinct_id, "distinct_id")?, to_id(alias, "alias")?);
            with_common(e, self.profile(), timestamp, uuid, disable_geoip)
        })();
        self.send(py, built)
    }

    /// `session_id`: the context's, sent as `$session_id` as posthog-python does.
    #[pyo3(signature = (group_type, group_key, properties=None, distinct_id=None, timestamp=None,
        uuid=None, disable_geoip=None, session_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn group_identify(
        &self,
        py: Python<'_>,
        group_type: &Bound<'_, PyAny>,
        group_key: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
        distinct_id: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        uuid: Option<&Bound<'_, PyAny>>,
        disable_geoip: Option<bool>,
        session_id: Option<String>,
    ) -> Option<String> {
        let built = (|| {
            let id = match distinct_id {
                Some(d) if !d.is_none() => Some(to_id(d, "distinct_id")?),
                _ => None,
            };
            let mut e = self
                .inner
                .group_identify_event(
                    to_str(group_type, "group_type")?,
                    to_id(group_key, "group_key")?,
                    to_map(properties, "properties")?,
                    id,
                )
                .map_err(|e| e.to_string())?;
            if let Some(s) = session_id {
                e.properties.insert("$session_id".into(), s.into());
            }
            with_common(e, self.profile(), timestamp, uuid, disable_geoip)
        })();
        self.send(py, built)
    }

    #[pyo3(signature = (distinct_id, properties=None, timestamp=None, uuid=None, disable_geoip=None))]
    fn set(
        &self,
        py: Python<'_>,
        distinct_id: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        uuid: Option<&Bound<'_, PyAny>>,
        disable_geoip: Option<bool>,
    ) -> Option<String> {
        let built = (|| {
            let e = Event::set(
                to_id(distinct_id, "distinct_id")?,
                to_map(properties, "properties")?,
            );
            with_common(e, self.profile(), timestamp, uuid, disable_geoip)
        })();
        self.send(py, built)
    }

    #[pyo3(signature = (distinct_id, properties=None, timestamp=None, uuid=None, disable_geoip=None))]
    fn set_once(
        &self,
        py: Python<'_>,
        distinct_id: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        uuid: Option<&Bound<'_, PyAny>>,
        disable_geoip: Option<bool>,
    ) -> Option<String> {
        let built = (|| {
            let e = Event::set_once(
                to_id(distinct_id, "distinct_id")?,
                to_map(properties, "properties")?,
            );
            with_common(e, self.profile(), timestamp, uuid, disable_geoip)
        })();
        self.send(py, built)
    }

    /// `True`, `False`, a variant key, or `None` (unknown flag, or a network or server
    /// failure, reported to `on_error`). Bad input raises `InvalidInputError`.
    #[pyo3(signature = (key, distinct_id, options=None))]
    fn get_feature_flag<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        distinct_id: &Bound<'py, PyAny>,
        options: Option<FlagArgs<'py>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (key, id, opts) = call_args(
            py,
            Some(key),
            distinct_id,
            options.as_ref(),
            &self.flag_options,
        )?;
        let v = self
            .flag_value(py, &key, &id, &opts)
            .map_err(|e| to_pyerr(py, &e))?;
        Ok(match v {
            Some(v) => value_to_py(py, &v),
            None => py.None().into_bound(py),
        })
    }

    /// The flag's result in the profile's shape (a dict), or `None` (as `get_feature_flag`).
    #[pyo3(signature = (key, distinct_id, options=None))]
    fn get_feature_flag_result<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        distinct_id: &Bound<'py, PyAny>,
        options: Option<FlagArgs<'py>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (key, id, opts) = call_args(
            py,
            Some(key),
            distinct_id,
            options.as_ref(),
            &self.flag_options,
        )?;
        let r = self
            .flag_result(py, &key, &id, &opts)
            .map_err(|e| to_pyerr(py, &e))?;
        match r {
            Some(r) => json_to_py(py, &r.result_json(self.profile(), &key)),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The remote-config payload of flag `key` (`crate::flags::remote_config_payload`).
    fn get_remote_config_payload<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::flags::remote_config_payload(py, &self.inner, key)
    }

    /// The normalised `/flags` answer (`crate::flags::flags_decision`).
    #[pyo3(signature = (distinct_id, flag_keys=None, options=None))]
    fn get_flags_decision<'py>(
        &self,
        py: Python<'py>,
        distinct_id: &Bound<'py, PyAny>,
        flag_keys: Option<&Bound<'py, PyAny>>,
        options: Option<FlagArgs<'py>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crate::flags::flags_decision(py, &self.inner, distinct_id, flag_keys, options.as_ref())
    }

    /// Whether the flag is on, or `None` (as `get_feature_flag`).
    #[pyo3(signature = (key, distinct_id, options=None))]
    fn is_feature_enabled(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        distinct_id: &Bound<'_, PyAny>,
        options: Option<FlagArgs<'_>>,
    ) -> PyResult<Option<bool>> {
        let (key, id, opts) = call_args(
            py,
            Some(key),
            distinct_id,
            options.as_ref(),
            &self.flag_options,
        )?;
        self.flag_value(py, &key, &id, &opts)
            .map(|v| v.map(|v| v.is_enabled()))
            .map_err(|e| to_pyerr(py, &e))
    }

    /// The payload of the flag's value, or `None`. Captures no event. `match_value` (`True`,
    /// `False` or a variant key) as the profile reads it (the core's `payload_lookup`).
    #[pyo3(signature = (key, distinct_id, options=None, match_value=None))]
    fn get_feature_flag_payload<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        distinct_id: &Bound<'py, PyAny>,
        options: Option<FlagArgs<'py>>,
        match_value: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (key, id, opts) = call_args(
            py,
            Some(key),
            distinct_id,
            options.as_ref(),
            &self.flag_options,
        )?;
        let want = crate::flags::match_value_arg(py, match_value)?;
        let p = py
            .detach(|| self.inner.payload_lookup(&key, &id, &opts, want.as_ref()))
            .map_err(|e| to_pyerr(py, &e))?;
        match p.flatten() {
            Some(p) => json_to_py(py, &p),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// `get_all_flags` (`with_payloads=False`) or `get_all_flags_and_payloads`, in the
    /// profile's shape (the core's `all_flags_json`); `flag_keys` limits the evaluation.
    #[pyo3(signature = (distinct_id, flag_keys=None, with_payloads=false, options=None))]
    fn all_flags<'py>(
        &self,
        py: Python<'py>,
        distinct_id: &Bound<'py, PyAny>,
        flag_keys: Option<&Bound<'py, PyAny>>,
        with_payloads: bool,
        options: Option<FlagArgs<'py>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let (_, id, opts) = call_args(py, None, distinct_id, options.as_ref(), &self.flag_options)?;
        let keys = keys_arg(py, flag_keys)?;
        self.settle(py);
        // Answered at once when the loaded definitions decide (no I/O, the GIL kept).
        let local = self
            .inner
            .try_all_flags_json(&id, &opts, keys.as_deref(), with_payloads)
            .map_err(|e| to_pyerr(py, &e))?;
        let v = match local {
            Some(v) => v,
            None => py
                .detach(|| {
                    self.inner
                        .all_flags_json(&id, &opts, keys.as_deref(), with_payloads)
                })
                .map_err(|e| to_pyerr(py, &e))?,
        };
        json_to_py(py, &v)
    }

    /// Every flag (or `flag_keys` only) in one snapshot. Raises every error.
    #[pyo3(signature = (distinct_id, flag_keys=None, options=None))]
    fn evaluate_flags(
        &self,
        py: Python<'_>,
        distinct_id: &Bound<'_, PyAny>,
        flag_keys: Option<&Bound<'_, PyAny>>,
        options: Option<FlagArgs<'_>>,
    ) -> PyResult<Snapshot> {
        let (_, id, opts) = call_args(py, None, distinct_id, options.as_ref(), &self.flag_options)?;
        let keys = keys_arg(py, flag_keys)?;
        let inner = py
            .detach(|| self.inner.evaluate_flags(&id, &opts, keys.as_deref()))
            .map_err(|e| to_pyerr(py, &e))?;
        Ok(Snapshot { inner })
    }

    /// A read of `key` from `snapshot` (evaluated with `options`): `$feature_flag_called` when
    /// the profile says so (the core's `record_flag_read`).
    #[pyo3(signature = (snapshot, key, options=None))]
    fn record_flag_read(
        &self,
        py: Python<'_>,
        snapshot: &Bound<'_, Snapshot>,
        key: &str,
        options: Option<FlagArgs<'_>>,
    ) -> PyResult<()> {
        let opts = match options {
            Some(o) => crate::flags::options_arg(py, &o)?,
            None => posthog_core::FlagOptions::default(),
        };
        self.settle(py);
        self.inner
            .record_flag_read(&snapshot.get().inner, key, &opts);
        Ok(())
    }

    /// Fetches the flag definitions now and waits for them. Raises every error.
    fn reload_feature_flags(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.reload_feature_flags())
            .map_err(|e| to_pyerr(py, &e))
    }

    /// Waits (without the GIL) until everything queued is delivered or failed.
    fn flush<'py>(&self, py: Python<'py>, timeout: f64) -> PyResult<Bound<'py, PyAny>> {
        let timeout = seconds_arg(timeout)?;
        self.settle(py);
        let report = py
            .detach(|| self.inner.flush(timeout))
            .map_err(|e| to_pyerr(py, &e))?;
        Self::report(py, &report)
    }

    /// Stops accepting events, drains the queue (without the GIL) and stops the worker.
    fn shutdown<'py>(&self, py: Python<'py>, timeout: f64) -> PyResult<Bound<'py, PyAny>> {
        let timeout = seconds_arg(timeout)?;
        self.settle(py);
        let report = py
            .detach(|| self.inner.shutdown(timeout))
            .map_err(|e| to_pyerr(py, &e))?;
        Self::report(py, &report)
    }

    /// Whether `shutdown` has run.
    #[getter]
    fn is_shut_down(&self) -> bool {
        self.inner.is_shut_down()
    }

    /// The counters, as a dict.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        self.settle(py);
        Ok(Self::report(py, &self.inner.stats())?.cast_into::<PyDict>()?)
    }

    /// Swaps the project key for every later request.
    fn rotate_key(&self, py: Python<'_>, api_key: &Bound<'_, PyAny>) -> PyResult<()> {
        let key = to_str(api_key, "api_key").map_err(|_| {
            to_pyerr(
                py,
                &Error::InvalidKey("the project API key must be a str".into()),
            )
        })?;
        self.inner.rotate_key(key).map_err(|e| to_pyerr(py, &e))
    }
}

fn py_maybe_detach<F>(py: Python<'_>, detach: bool, f: F) -> Option<String>
where
    F: FnOnce() -> Option<uuid::Uuid> + Send,
{
    let uuid = if detach { py.detach(f) } else { f() };
    uuid.map(|u| u.to_string())
}

impl Drop for NativeClient {
    /// An unclosed client drains briefly on collection (the deferred captures first). The GIL
    /// is released meanwhile so the intake thread and the worker can still call `on_error`;
    /// once the interpreter is finalizing it is not needed.
    fn drop(&mut self) {
        let deferral = self.deferral.take();
        if self.forked.load(Ordering::SeqCst) {
            // A forked child's dead copy: its intake thread does not exist here (the parent
            // captures what waited), so it is neither joined nor drained.
            std::mem::forget(deferral);
            return;
        }
        let inner = &self.inner;
        let mut finish = Some(move || {
            drop(deferral);
            if !inner.is_shut_down() {
                let _ = inner.shutdown(DROP_TIMEOUT);
            }
        });
        if !hooks::finalizing() {
            let _ = Python::try_attach(|py| {
                py.detach(|| {
                    if let Some(f) = finish.take() {
                        f();
                    }
                })
            });
        }
        if let Some(f) = finish.take() {
            f();
        }
    }
}
