//! The native client: converts arguments, calls `posthog_core::Client`, converts results.

use crate::convert::{Rejected, to_id, to_map, to_str, to_timestamp, to_uuid};
use crate::errors::to_pyerr;
use crate::hooks;
use posthog_core::{Client, ClientOptions, Error, Event, OverflowPolicy, Protocol};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
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
}

fn config_err(text: impl Into<String>) -> Error {
    Error::Config(text.into())
}

fn number<'py, T: FromPyObjectOwned<'py>>(
    value: Option<&Bound<'py, PyAny>>,
    name: &str,
    what: &str,
) -> Result<Option<T>, Error> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => v
            .extract::<T>()
            .map(Some)
            .map_err(|_| config_err(format!("{name} must be {what}"))),
    }
}

fn seconds(value: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Option<Duration>, Error> {
    let Some(secs) = number::<f64>(value, name, "a number of seconds")? else {
        return Ok(None);
    };
    Duration::try_from_secs_f64(secs).map(Some).map_err(|_| {
        config_err(format!(
            "{name} must be a finite, non-negative number of seconds"
        ))
    })
}

fn flag(value: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Option<bool>, Error> {
    number::<bool>(value, name, "a bool")
}

fn choice(value: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Option<String>, Error> {
    number::<String>(value, name, "a str")
}

fn callable(value: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Option<Py<PyAny>>, Error> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_callable() => Ok(Some(v.clone().unbind())),
        Some(_) => Err(config_err(format!("{name} must be callable"))),
    }
}

fn seconds_arg(timeout: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(timeout).map_err(|_| {
        pyo3::exceptions::PyValueError::new_err(
            "timeout must be a finite, non-negative number of seconds",
        )
    })
}

/// Builds the core options from the constructor's keyword arguments.
#[allow(clippy::too_many_arguments)]
fn options(
    api_key: &Bound<'_, PyAny>,
    host: Option<&Bound<'_, PyAny>>,
    flush_at: Option<&Bound<'_, PyAny>>,
    flush_interval: Option<&Bound<'_, PyAny>>,
    max_queue_size: Option<&Bound<'_, PyAny>>,
    max_queue_bytes: Option<&Bound<'_, PyAny>>,
    max_batch_bytes: Option<&Bound<'_, PyAny>>,
    max_event_bytes: Option<&Bound<'_, PyAny>>,
    max_retries: Option<&Bound<'_, PyAny>>,
    timeout: Option<&Bound<'_, PyAny>>,
    gzip: Option<&Bound<'_, PyAny>>,
    max_in_flight: Option<&Bound<'_, PyAny>>,
    overflow: Option<&Bound<'_, PyAny>>,
    block_timeout: Option<&Bound<'_, PyAny>>,
    protocol: Option<&Bound<'_, PyAny>>,
    disable_geoip: Option<&Bound<'_, PyAny>>,
    historical_migration: Option<&Bound<'_, PyAny>>,
    disabled: Option<&Bound<'_, PyAny>>,
    super_properties: Option<&Bound<'_, PyAny>>,
    on_error: Option<&Bound<'_, PyAny>>,
    before_send: Option<&Bound<'_, PyAny>>,
) -> Result<(ClientOptions, bool), Error> {
    let key = api_key
        .cast::<PyString>()
        .ok()
        .and_then(|s| s.to_cow().ok().map(|c| c.into_owned()))
        .ok_or_else(|| Error::InvalidKey("the project API key must be a str".into()))?;
    let mut o = ClientOptions::new(key).sdk(SDK_NAME, env!("CARGO_PKG_VERSION"));
    if let Some(v) = choice(host, "host")? {
        o = o.host(v);
    }
    if let Some(v) = number::<usize>(flush_at, "flush_at", "a positive int")? {
        o = o.flush_at(v);
    }
    if let Some(v) = seconds(flush_interval, "flush_interval")? {
        o = o.flush_interval(v);
    }
    if let Some(v) = number::<usize>(max_queue_size, "max_queue_size", "a positive int")? {
        o = o.max_queue_size(v);
    }
    if let Some(v) = number::<usize>(max_queue_bytes, "max_queue_bytes", "a positive int")? {
        o = o.max_queue_bytes(v);
    }
    if let Some(v) = number::<usize>(max_batch_bytes, "max_batch_bytes", "a positive int")? {
        o = o.max_batch_bytes(v);
    }
    if let Some(v) = number::<usize>(max_event_bytes, "max_event_bytes", "a positive int")? {
        o = o.max_event_bytes(v);
    }
    if let Some(v) = number::<u32>(max_retries, "max_retries", "a non-negative int")? {
        o = o.max_retries(v);
    }
    if let Some(v) = seconds(timeout, "timeout")? {
        o = o.request_timeout(v);
    }
    if let Some(v) = flag(gzip, "gzip")? {
        o = o.gzip(v);
    }
    if let Some(v) = number::<usize>(max_in_flight, "max_in_flight", "a positive int")? {
        o = o.max_in_flight(v);
    }
    let block_timeout = seconds(block_timeout, "block_timeout")?;
    let policy = match (choice(overflow, "overflow")?.as_deref(), block_timeout) {
        (None | Some("drop_newest"), None) => OverflowPolicy::DropNewest,
        (Some("drop_oldest"), None) => OverflowPolicy::DropOldest,
        (Some("block"), Some(d)) => OverflowPolicy::Block(d),
        (Some("block"), None) => {
            return Err(config_err(
                "overflow=\"block\" needs block_timeout (seconds)",
            ));
        }
        (None | Some("drop_newest" | "drop_oldest"), Some(_)) => {
            return Err(config_err(
                "block_timeout only applies to overflow=\"block\"",
            ));
        }
        (Some(_), _) => {
            return Err(config_err(
                "overflow must be \"drop_newest\", \"drop_oldest\" or \"block\"",
            ));
        }
    };
    let may_block = matches!(policy, OverflowPolicy::Block(_));
    o = o.overflow(policy);
    match choice(protocol, "protocol")?.as_deref() {
        None => {}
        Some("v0") => o = o.protocol(Protocol::V0),
        Some("v1") => o = o.protocol(Protocol::V1),
        Some(_) => return Err(config_err("protocol must be \"v0\" or \"v1\"")),
    }
    if let Some(v) = flag(disable_geoip, "disable_geoip")? {
        o = o.disable_geoip(v);
    }
    if let Some(v) = flag(historical_migration, "historical_migration")? {
        o = o.historical_migration(v);
    }
    if let Some(v) = flag(disabled, "disabled")? {
        o = o.disabled(v);
    }
    if let Some(sp) = super_properties.filter(|v| !v.is_none()) {
        o = o.super_properties(to_map(Some(sp), "super_properties").map_err(config_err)?);
    }
    if let Some(cb) = callable(on_error, "on_error")? {
        o = o.on_error(hooks::on_error(cb));
    }
    if let Some(cb) = callable(before_send, "before_send")? {
        o = o.before_send(hooks::before_send(cb));
    }
    Ok((o, may_block))
}

impl NativeClient {
    /// Counts and reports an argument that could not be converted; the call returns `None`.
    fn reject(&self, text: Rejected) -> Option<String> {
        self.inner.reject_input(text);
        None
    }

    fn enqueue(&self, py: Python<'_>, event: Event) -> Option<String> {
        py_maybe_detach(py, self.capture_may_block, || self.inner.capture(event))
    }

    fn report<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
        pythonize::pythonize(py, value).map_err(PyErr::from)
    }
}

#[pymethods]
impl NativeClient {
    #[new]
    #[pyo3(signature = (api_key, *, host=None, flush_at=None, flush_interval=None,
        max_queue_size=None, max_queue_bytes=None, max_batch_bytes=None, max_event_bytes=None,
        max_retries=None, timeout=None, gzip=None, max_in_flight=None, overflow=None,
        block_timeout=None, protocol=None, disable_geoip=None, historical_migration=None,
        disabled=None, super_properties=None, on_error=None, before_send=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        api_key: &Bound<'_, PyAny>,
        host: Option<&Bound<'_, PyAny>>,
        flush_at: Option<&Bound<'_, PyAny>>,
        flush_interval: Option<&Bound<'_, PyAny>>,
        max_queue_size: Option<&Bound<'_, PyAny>>,
        max_queue_bytes: Option<&Bound<'_, PyAny>>,
        max_batch_bytes: Option<&Bound<'_, PyAny>>,
        max_event_bytes: Option<&Bound<'_, PyAny>>,
        max_retries: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        gzip: Option<&Bound<'_, PyAny>>,
        max_in_flight: Option<&Bound<'_, PyAny>>,
        overflow: Option<&Bound<'_, PyAny>>,
        block_timeout: Option<&Bound<'_, PyAny>>,
        protocol: Option<&Bound<'_, PyAny>>,
        disable_geoip: Option<&Bound<'_, PyAny>>,
        historical_migration: Option<&Bound<'_, PyAny>>,
        disabled: Option<&Bound<'_, PyAny>>,
        super_properties: Option<&Bound<'_, PyAny>>,
        on_error: Option<&Bound<'_, PyAny>>,
        before_send: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let (opts, capture_may_block) = options(
            api_key,
            host,
            flush_at,
            flush_interval,
            max_queue_size,
            max_queue_bytes,
            max_batch_bytes,
            max_event_bytes,
            max_retries,
            timeout,
            gzip,
            max_in_flight,
            overflow,
            block_timeout,
            protocol,
            disable_geoip,
            historical_migration,
            disabled,
            super_properties,
            on_error,
            before_send,
        )
        .map_err(|e| to_pyerr(py, &e))?;
        let inner = py
            .detach(|| Client::new(opts))
            .map_err(|e| to_pyerr(py, &e))?;
        Ok(NativeClient {
            inner,
            capture_may_block,
        })
    }

    /// The ingestion host events go to.
    #[getter]
    fn host(&self) -> String {
        self.inner.config().host.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "<posthog_sdk._native.Client host={:?}>",
            self.inner.config().host
        )
    }

    #[pyo3(signature = (event, distinct_id, properties=None, timestamp=None, uuid=None, groups=None))]
    #[allow(clippy::too_many_arguments)]
    fn capture(
        &self,
        py: Python<'_>,
        event: &Bound<'_, PyAny>,
        distinct_id: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
        timestamp: Option<&Bound<'_, PyAny>>,
        uuid: Option<&Bound<'_, PyAny>>,
        groups: Option<&Bound<'_, PyAny>>,
    ) -> Option<String> {
        let built = (|| -> Result<Event, Rejected> {
            let mut e = Event::new(to_str(event, "event")?, to_id(distinct_id, "distinct_id")?);
            e.properties = to_map(properties, "properties")?;
            e.groups = to_map(groups, "groups")?;
            if let Some(ts) = timestamp {
                e.timestamp = to_timestamp(ts)?;
            }
            if let Some(u) = uuid {
                e.uuid = to_uuid(u)?;
            }
            Ok(e)
        })();
        match built {
            Ok(e) => self.enqueue(py, e),
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
        let args = (|| {
            Ok::<_, Rejected>((
                to_id(distinct_id, "distinct_id")?,
                to_map(properties, "properties")?,
                to_map(set_once, "set_once")?,
            ))
        })();
        match args {
            Ok((id, set, once)) => py_maybe_detach(py, self.capture_may_block, || {
                self.inner.identify(id, set, once)
            }),
            Err(text) => self.reject(text),
        }
    }

    fn alias(
        &self,
        py: Python<'_>,
        distinct_id: &Bound<'_, PyAny>,
        alias: &Bound<'_, PyAny>,
    ) -> Option<String> {
        match (|| Ok::<_, Rejected>((to_id(distinct_id, "distinct_id")?, to_id(alias, "alias")?)))()
        {
            Ok((id, alias)) => {
                py_maybe_detach(py, self.capture_may_block, || self.inner.alias(id, alias))
            }
            Err(text) => self.reject(text),
        }
    }

    #[pyo3(signature = (group_type, group_key, properties=None, distinct_id=None))]
    fn group_identify(
        &self,
        py: Python<'_>,
        group_type: &Bound<'_, PyAny>,
        group_key: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
        distinct_id: Option<&Bound<'_, PyAny>>,
    ) -> Option<String> {
        let args = (|| {
            let id = match distinct_id {
                Some(d) if !d.is_none() => Some(to_id(d, "distinct_id")?),
                _ => None,
            };
            Ok::<_, Rejected>((
                to_str(group_type, "group_type")?,
                to_id(group_key, "group_key")?,
                to_map(properties, "properties")?,
                id,
            ))
        })();
        match args {
            Ok((t, k, p, id)) => py_maybe_detach(py, self.capture_may_block, || {
                self.inner.group_identify(t, k, p, id)
            }),
            Err(text) => self.reject(text),
        }
    }

    #[pyo3(signature = (distinct_id, properties=None))]
    fn set(
        &self,
        py: Python<'_>,
        distinct_id: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> Option<String> {
        match (|| {
            Ok::<_, Rejected>((
                to_id(distinct_id, "distinct_id")?,
                to_map(properties, "properties")?,
            ))
        })() {
            Ok((id, p)) => py_maybe_detach(py, self.capture_may_block, || self.inner.set(id, p)),
            Err(text) => self.reject(text),
        }
    }

    #[pyo3(signature = (distinct_id, properties=None))]
    fn set_once(
        &self,
        py: Python<'_>,
        distinct_id: &Bound<'_, PyAny>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> Option<String> {
        match (|| {
            Ok::<_, Rejected>((
                to_id(distinct_id, "distinct_id")?,
                to_map(properties, "properties")?,
            ))
        })() {
            Ok((id, p)) => {
                py_maybe_detach(py, self.capture_may_block, || self.inner.set_once(id, p))
            }
            Err(text) => self.reject(text),
        }
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
        if self.inner.is_shut_down() {
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
