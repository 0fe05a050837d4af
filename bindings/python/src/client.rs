//! The native client: converts arguments, calls `posthog_core::Client`, converts results.

use crate::convert::{Rejected, to_id, to_map, to_str, to_timestamp, to_uuid};
use crate::errors::to_pyerr;
use crate::flags::{FlagArgs, Snapshot, call_args, json_to_py, keys_arg, value_to_py};
use crate::hooks;
use posthog_core::{Client, Error, Event};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::time::Duration;

/// `$lib` of every event this binding sends.
pub const SDK_NAME: &str = "posthog-sdk-python";
/// How long dropping an unclosed client waits for its queue to drain.
const DROP_TIMEOUT: Duration = Duration::from_secs(2);

/// The native client behind `posthog_sdk.Client`.
#[pyclass(module = "posthog_sdk._native", name = "Client", frozen)]
pub struct NativeClient {
    inner: Client,
    /// With `overflow="block"`, `capture` may wait for room: it then releases the GIL so the
    /// worker can call `on_error`.
    capture_may_block: bool,
    /// Set in a forked child once this client was replaced (`_after_fork_in_child`): its
    /// worker does not exist there, so dropping it must not wait or take its locks.
    forked: std::sync::atomic::AtomicBool,
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
    fn reject(&self, text: Rejected) -> Option<String> {
        self.inner.reject_input(text);
        None
    }

    fn enqueue(&self, py: Python<'_>, event: Event) -> Option<String> {
        py_maybe_detach(py, self.capture_may_block, || self.inner.capture(event))
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
        let (opts, capture_may_block) =
            crate::options::options(api_key, options).map_err(|e| to_pyerr(py, &e))?;
        let inner = py
            .detach(|| Client::new(opts))
            .map_err(|e| to_pyerr(py, &e))?;
        Ok(NativeClient {
            inner,
            capture_may_block,
            forked: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Fork safety, in the CHILD right after `fork()`: marks this client as a dead copy (it
    /// never waits or sends again) and returns the client to use in its place, with the same
    /// options, an empty queue and its own worker (the parent delivers what was queued).
    fn _after_fork_in_child(&self, py: Python<'_>) -> PyResult<NativeClient> {
        self.forked.store(true, std::sync::atomic::Ordering::SeqCst);
        let inner = self
            .inner
            .after_fork_in_child()
            .map_err(|e| to_pyerr(py, &e))?;
        Ok(NativeClient {
            inner,
            capture_may_block: self.capture_may_block,
            forked: std::sync::atomic::AtomicBool::new(false),
        })
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
        let built = (|| -> Result<Event, Rejected> {
            let name = to_str(event, "event")?;
            let mut e = match distinct_id.filter(|d| !d.is_none()) {
                Some(d) => Event::new(name, to_id(d, "distinct_id")?),
                None => Event::personless(name),
            };
            e.properties = to_map(properties, "properties")?;
            e.groups = to_map(groups, "groups")?;
            if let Some(f) = flags.filter(|f| !f.is_none()) {
                let snap = f.cast::<Snapshot>().map_err(|_| {
                    "flags must be a FlagsSnapshot (from evaluate_flags)".to_string()
                })?;
                e = e.flags(&snap.get().inner);
            }
            with_common(e, self.profile(), timestamp, uuid, disable_geoip)
        })();
        let built = match (built, with_flags) {
            (Ok(mut e), Some(spec)) => {
                py.detach(|| self.inner.add_flag_properties(&mut e, &spec));
                Ok(e)
            }
            (built, _) => built,
        };
        Ok(self.send(py, built))
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
        let (key, id, opts) = call_args(py, Some(key), distinct_id, options.as_ref())?;
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
        let (key, id, opts) = call_args(py, Some(key), distinct_id, options.as_ref())?;
        let r = self
            .flag_result(py, &key, &id, &opts)
            .map_err(|e| to_pyerr(py, &e))?;
        match r {
            Some(r) => json_to_py(py, &r.result_json(self.profile(), &key)),
            None => Ok(py.None().into_bound(py)),
        }
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
        let (key, id, opts) = call_args(py, Some(key), distinct_id, options.as_ref())?;
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
        let (key, id, opts) = call_args(py, Some(key), distinct_id, options.as_ref())?;
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
        let (_, id, opts) = call_args(py, None, distinct_id, options.as_ref())?;
        let keys = keys_arg(py, flag_keys)?;
        let v = py
            .detach(|| {
                self.inner
                    .all_flags_json(&id, &opts, keys.as_deref(), with_payloads)
            })
            .map_err(|e| to_pyerr(py, &e))?;
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
        let (_, id, opts) = call_args(py, None, distinct_id, options.as_ref())?;
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
        let report = py
            .detach(|| self.inner.flush(timeout))
            .map_err(|e| to_pyerr(py, &e))?;
        Self::report(py, &report)
    }

    /// Stops accepting events, drains the queue (without the GIL) and stops the worker.
    fn shutdown<'py>(&self, py: Python<'py>, timeout: f64) -> PyResult<Bound<'py, PyAny>> {
        let timeout = seconds_arg(timeout)?;
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
    /// An unclosed client drains briefly on collection. The GIL is released meanwhile so the
    /// worker can still call `on_error`; once the interpreter is finalizing it is not needed.
    fn drop(&mut self) {
        if self.forked.load(std::sync::atomic::Ordering::SeqCst) || self.inner.is_shut_down() {
            return;
        }
        let inner = &self.inner;
        if hooks::finalizing() {
            let _ = inner.shutdown(DROP_TIMEOUT);
            return;
        }
        let _ = Python::try_attach(|py| {
            py.detach(|| {
                let _ = inner.shutdown(DROP_TIMEOUT);
            })
        });
        let _ = inner.shutdown(DROP_TIMEOUT);
    }
}
