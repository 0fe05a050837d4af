//! Feature flags: per-call options from Python, values and snapshots back to Python, and the
//! core's pure local evaluator (`posthog_sdk.flags`). Only conversion here: what a flag
//! evaluates to, and when the server is asked, is decided in `posthog-core`.

use crate::convert::{Rejected, to_id, to_map, to_str, with_utf8};
use crate::errors::to_pyerr;
use posthog_core::flags::{Definitions, EvalContext, FlagValue, hash};
use posthog_core::{CaptureFlags, Error, FlagOptions, FlagsSnapshot};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString, PyTuple};
use serde_json::{Map, Value};
use std::sync::Arc;

/// The per-call options of every flag call, passed by the Python layer as one tuple in this
/// order (positions, not names: nothing to match per call): `groups`, `person_properties`,
/// `group_properties`, `only_evaluate_locally`, `send_feature_flag_events`, `disable_geoip`,
/// `force_remote`, `device_id`. `None` means "not given".
#[derive(FromPyObject)]
pub struct FlagArgs<'py>(
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
    Option<Bound<'py, PyAny>>,
);

fn to_bool(v: Option<&Bound<'_, PyAny>>, what: &str) -> Result<Option<bool>, Rejected> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => v
            .cast::<PyBool>()
            .map(|b| Some(b.is_true()))
            .map_err(|_| format!("{what} must be a bool")),
    }
}

/// The core's per-call options.
fn flag_options(a: Option<&FlagArgs<'_>>) -> Result<FlagOptions, Rejected> {
    let Some(a) = a else {
        return Ok(FlagOptions::default());
    };
    let device_id = match &a.7 {
        Some(d) if !d.is_none() => Some(to_id(d, "device_id")?),
        _ => None,
    };
    Ok(FlagOptions {
        groups: to_map(a.0.as_ref(), "groups")?,
        person_properties: to_map(a.1.as_ref(), "person_properties")?,
        group_properties: to_map(a.2.as_ref(), "group_properties")?,
        only_evaluate_locally: to_bool(a.3.as_ref(), "only_evaluate_locally")?.unwrap_or(false),
        send_feature_flag_events: to_bool(a.4.as_ref(), "send_feature_flag_events")?,
        disable_geoip: to_bool(a.5.as_ref(), "disable_geoip")?,
        force_remote: to_bool(a.6.as_ref(), "force_remote")?.unwrap_or(false),
        device_id,
    })
}

fn invalid(py: Python<'_>, text: Rejected) -> PyErr {
    to_pyerr(py, &Error::InvalidInput(text))
}

/// The per-call options alone (a value that cannot be converted raises `InvalidInputError`).
pub fn options_arg(py: Python<'_>, options: &FlagArgs<'_>) -> PyResult<FlagOptions> {
    flag_options(Some(options)).map_err(|text| invalid(py, text))
}

/// The arguments of a flag call: the key (when the call has one), the distinct id and the
/// options (reused from `cache` when they equal the last ones). A value that cannot be
/// converted raises `InvalidInputError`.
pub fn call_args(
    py: Python<'_>,
    key: Option<&Bound<'_, PyAny>>,
    distinct_id: &Bound<'_, PyAny>,
    options: Option<&FlagArgs<'_>>,
    cache: &OptionsCache,
) -> PyResult<(String, String, Arc<FlagOptions>)> {
    (|| {
        let key = match key {
            Some(k) => to_str(k, "key")?,
            None => String::new(),
        };
        Ok((
            key,
            to_id(distinct_id, "distinct_id")?,
            cache.options(options)?,
        ))
    })()
    .map_err(|text| invalid(py, text))
}

/// The flag options of the last call, reused while the next calls pass equal ones: a request
/// that asks several flags for one user (the same person properties, groups and group
/// properties) converts them once. Equal means what converting them again would give,
/// exactly (`same_map`); anything it cannot tell is converted again.
#[derive(Default)]
pub struct OptionsCache(std::sync::Mutex<Option<Arc<FlagOptions>>>);

impl OptionsCache {
    fn options(&self, a: Option<&FlagArgs<'_>>) -> Result<Arc<FlagOptions>, Rejected> {
        let Some(a) = a else {
            return Ok(Arc::new(FlagOptions::default()));
        };
        let last = self.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(last) = last
            && same_scalars(a, &last)
            && same_map(a.0.as_ref(), &last.groups)
            && same_map(a.1.as_ref(), &last.person_properties)
            && same_map(a.2.as_ref(), &last.group_properties)
        {
            return Ok(last);
        }
        let fresh = Arc::new(flag_options(Some(a))?);
        let old = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .replace(fresh.clone());
        drop(old);
        Ok(fresh)
    }
}

/// Whether the options other than the maps convert to `o`'s (a value that would not convert
/// is not the same: the call converts everything and reports it).
fn same_scalars(a: &FlagArgs<'_>, o: &FlagOptions) -> bool {
    let device_id = match &a.7 {
        Some(d) if !d.is_none() => match to_id(d, "device_id") {
            Ok(d) => Some(d),
            Err(_) => return false,
        },
        _ => None,
    };
    let flag = |v: &Option<Bound<'_, PyAny>>, what| to_bool(v.as_ref(), what).ok();
    device_id == o.device_id
        && flag(&a.3, "").map(|b| b.unwrap_or(false)) == Some(o.only_evaluate_locally)
        && flag(&a.4, "") == Some(o.send_feature_flag_events)
        && flag(&a.5, "") == Some(o.disable_geoip)
        && flag(&a.6, "").map(|b| b.unwrap_or(false)) == Some(o.force_remote)
}

/// Whether `to_map(obj)` would give exactly `m` (same keys in the same order, same values in
/// the same JSON representation). `false` whenever it cannot tell cheaply.
fn same_map(obj: Option<&Bound<'_, PyAny>>, m: &Map<String, Value>) -> bool {
    match obj {
        None => m.is_empty(),
        Some(o) if o.is_none() => m.is_empty(),
        Some(o) => match o.cast::<PyDict>() {
            Ok(d) => same_dict(d, m, 0),
            Err(_) => false,
        },
    }
}

fn same_dict(d: &Bound<'_, PyDict>, m: &Map<String, Value>, depth: usize) -> bool {
    if d.len() != m.len() {
        return false;
    }
    let mut cached = m.iter();
    for (k, v) in d.iter() {
        let Some((ck, cv)) = cached.next() else {
            return false;
        };
        let Ok(k) = k.cast::<PyString>() else {
            return false; // int keys: converted again
        };
        if with_utf8(k, |t| t == ck) != Some(true) || !same_value(&v, cv, depth + 1) {
            return false;
        }
    }
    cached.next().is_none()
}

fn same_value(obj: &Bound<'_, PyAny>, v: &Value, depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    if obj.is_none() {
        return v.is_null();
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return v.as_bool() == Some(b.is_true());
    }
    if obj.is_instance_of::<pyo3::types::PyInt>() {
        if v.is_f64() {
            return false;
        }
        if let Ok(i) = obj.extract::<i64>() {
            return v.as_i64() == Some(i);
        }
        return obj.extract::<u64>().is_ok_and(|u| v.as_u64() == Some(u));
    }
    if let Ok(f) = obj.cast::<pyo3::types::PyFloat>() {
        let f = f.value();
        return if f.is_finite() {
            v.is_f64() && v.as_f64().map(f64::to_bits) == Some(f.to_bits())
        } else {
            v.is_null()
        };
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return match v {
            Value::String(cs) => with_utf8(s, |t| t == cs) == Some(true),
            _ => false,
        };
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return match v {
            Value::Object(m) => same_dict(d, m, depth),
            _ => false,
        };
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let Value::Array(a) = v else { return false };
        let Ok(iter) = obj.try_iter() else {
            return false;
        };
        let mut cached = a.iter();
        for item in iter {
            match (item, cached.next()) {
                (Ok(item), Some(cv)) if same_value(&item, cv, depth + 1) => {}
                _ => return false,
            }
        }
        return cached.next().is_none();
    }
    false
}

/// `capture(send_feature_flags=…)`: `False`/`None` → nothing, `True` → the defaults, a dict
/// → its `only_evaluate_locally`, `person_properties`, `group_properties` and
/// `flag_keys_filter`; any other type raises `TypeError` (as posthog-python does).
pub fn capture_flags_arg(v: &Bound<'_, PyAny>) -> PyResult<Option<CaptureFlags>> {
    if v.is_none() {
        return Ok(None);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(b.is_true().then(CaptureFlags::default));
    }
    let Ok(d) = v.cast::<PyDict>() else {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "Invalid type for send_feature_flags: {}. Expected bool or dict.",
            v.get_type().name()?
        )));
    };
    let py = v.py();
    let get = |k: &str| d.get_item(k).ok().flatten();
    let spec = (|| {
        Ok::<_, Rejected>(CaptureFlags {
            only_evaluate_locally: to_bool(
                get("only_evaluate_locally").as_ref(),
                "only_evaluate_locally",
            )?,
            person_properties: to_map(get("person_properties").as_ref(), "person_properties")?,
            group_properties: to_map(get("group_properties").as_ref(), "group_properties")?,
            flag_keys: None,
        })
    })()
    .map_err(|t| invalid(py, t))?;
    let flag_keys = keys_arg(py, get("flag_keys_filter").as_ref())?;
    Ok(Some(CaptureFlags { flag_keys, ..spec }))
}

/// `match_value`: `None`, `True`/`False` or a variant key (str).
pub fn match_value_arg(
    py: Python<'_>,
    v: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<FlagValue>> {
    match v.filter(|v| !v.is_none()) {
        None => Ok(None),
        Some(v) if v.is_instance_of::<PyBool>() => Ok(Some(FlagValue::Bool(v.is_truthy()?))),
        Some(v) if v.is_instance_of::<PyString>() => Ok(Some(FlagValue::Variant(
            to_str(v, "match_value").map_err(|t| invalid(py, t))?,
        ))),
        Some(_) => Err(invalid(py, "match_value must be a bool or a str".into())),
    }
}

/// The flag keys of `evaluate_flags(flag_keys=…)`: `None` or an iterable of str.
pub fn keys_arg(py: Python<'_>, keys: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<String>>> {
    let Some(keys) = keys.filter(|k| !k.is_none()) else {
        return Ok(None);
    };
    if keys.is_instance_of::<PyString>() {
        return Err(invalid(
            py,
            "flag_keys must be a list of str, not a str".into(),
        ));
    }
    let iter = keys
        .try_iter()
        .map_err(|_| invalid(py, "flag_keys must be a list of str".into()))?;
    let mut out = Vec::new();
    for k in iter {
        let k = k.map_err(|_| invalid(py, "flag_keys must be a list of str".into()))?;
        out.push(to_str(&k, "each of flag_keys").map_err(|t| invalid(py, t))?);
    }
    Ok(Some(out))
}

/// `True`/`False`, or the variant key as a str.
pub fn value_to_py<'py>(py: Python<'py>, v: &FlagValue) -> Bound<'py, PyAny> {
    match v {
        FlagValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        FlagValue::Variant(s) => PyString::new(py, s).into_any(),
    }
}

/// A JSON value as Python objects (ints stay ints, floats stay floats), built directly.
pub fn json_to_py<'py>(py: Python<'py>, v: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for item in a {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(m) => {
            let d = PyDict::new(py);
            for (k, item) in m {
                d.set_item(key_to_py(py, k), json_to_py(py, item)?)?;
            }
            d.into_any()
        }
    })
}

/// Keys made into Python strings lately on this thread (flag keys, the shape's field names),
/// by text: the same key is the same `str` object, whose hash Python has already computed.
/// Direct-mapped on an FNV-1a hash of the text; only short keys.
const KEY_CACHE_SLOTS: usize = 256;
const KEY_CACHE_MAX_BYTES: usize = 64;

type KeySlot = Option<(Box<str>, Py<PyString>)>;

thread_local! {
    static KEY_CACHE: std::cell::RefCell<Vec<KeySlot>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn key_to_py<'py>(py: Python<'py>, k: &str) -> Bound<'py, PyString> {
    if k.len() > KEY_CACHE_MAX_BYTES {
        return PyString::new(py, k);
    }
    let hash = k.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let slot = (hash as usize) % KEY_CACHE_SLOTS;
    let hit = KEY_CACHE.with(|c| {
        let c = c.try_borrow().ok()?;
        match c.get(slot) {
            Some(Some((text, obj))) if &**text == k => Some(obj.bind(py).clone()),
            _ => None,
        }
    });
    if let Some(obj) = hit {
        return obj;
    }
    let obj = PyString::new(py, k);
    let old = KEY_CACHE.with(|c| {
        let mut c = c.try_borrow_mut().ok()?;
        if c.is_empty() {
            c.resize_with(KEY_CACHE_SLOTS, || None);
        }
        c[slot].replace((k.into(), obj.clone().unbind()))
    });
    drop(old);
    obj
}

fn opt_json_to_py<'py>(py: Python<'py>, v: Option<&Value>) -> PyResult<Bound<'py, PyAny>> {
    match v {
        Some(v) => json_to_py(py, v),
        None => Ok(py.None().into_bound(py)),
    }
}

/// The flags of one distinct id, evaluated at one moment (`Client.evaluate_flags`). Pass it to
/// `Client.capture(..., flags=snapshot)` to attach `$feature/<key>` and
/// `$active_feature_flags` without another evaluation.
#[pyclass(module = "posthog_sdk", name = "FlagsSnapshot", frozen)]
pub struct Snapshot {
    /// The core's snapshot.
    pub inner: FlagsSnapshot,
}

#[pymethods]
impl Snapshot {
    /// The flag's value (`True`, `False` or a variant key), or `None` when it was not decided.
    fn get_flag<'py>(&self, py: Python<'py>, key: &str) -> Bound<'py, PyAny> {
        match self.inner.value(key) {
            Some(v) => value_to_py(py, v),
            None => py.None().into_bound(py),
        }
    }

    /// Whether the flag is on (`True` or any variant); `False` when it was not decided.
    fn is_enabled(&self, key: &str) -> bool {
        self.inner.is_enabled(key)
    }

    /// The payload of the flag's value, or `None`.
    fn get_payload<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        opt_json_to_py(py, self.inner.payload(key))
    }

    /// The keys of every decided flag, sorted.
    #[getter]
    fn keys(&self) -> Vec<String> {
        self.inner.keys().map(str::to_string).collect()
    }

    /// Flags that could not be decided, with the reason (`missing_context`, …).
    #[getter]
    fn unresolved<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, r) in &self.inner.unresolved {
            d.set_item(k, r)?;
        }
        Ok(d)
    }

    /// The `/flags` request id when the server was asked, else `None`.
    #[getter]
    fn request_id(&self) -> Option<String> {
        self.inner.request_id.clone()
    }

    /// Whom the flags were evaluated for.
    #[getter]
    fn distinct_id(&self) -> String {
        self.inner.distinct_id.clone()
    }

    /// Everything as plain Python values: `distinct_id`, `request_id`, `unresolved` and
    /// `flags` (key → `value`, `payload`, `locally_evaluated`, `reason`, `id`, `version`,
    /// `request_id`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let flags = PyDict::new(py);
        for (k, f) in &self.inner.flags {
            let d = PyDict::new(py);
            d.set_item("value", value_to_py(py, &f.value))?;
            d.set_item("payload", opt_json_to_py(py, f.payload.as_ref())?)?;
            d.set_item("locally_evaluated", f.locally_evaluated)?;
            d.set_item("reason", f.reason.as_deref())?;
            d.set_item("id", f.id)?;
            d.set_item("version", f.version)?;
            d.set_item("request_id", f.request_id.as_deref())?;
            flags.set_item(k, d)?;
        }
        let out = PyDict::new(py);
        out.set_item("distinct_id", &self.inner.distinct_id)?;
        out.set_item("request_id", self.inner.request_id.as_deref())?;
        out.set_item("flags", flags)?;
        out.set_item("unresolved", self.unresolved(py)?)?;
        Ok(out)
    }

    /// The event properties `capture(flags=…)` adds: `$feature/<key>` and
    /// `$active_feature_flags`.
    fn event_properties<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &Value::Object(self.inner.event_properties()))
    }

    fn __len__(&self) -> usize {
        self.inner.flags.len()
    }

    fn __contains__(&self, key: &str) -> bool {
        self.inner.flags.contains_key(key)
    }

    fn __repr__(&self) -> String {
        format!(
            "<posthog_sdk.FlagsSnapshot flags={} unresolved={}>",
            self.inner.flags.len(),
            self.inner.unresolved.len()
        )
    }
}

/// Evaluates flags locally from a definitions response (the body of PostHog's
/// flag-definitions endpoint, as a dict or as JSON text), with no I/O. A flag that cannot be
/// decided locally raises `InconclusiveError` (its `reason` says why).
#[pyclass(module = "posthog_sdk.flags", name = "LocalEvaluator", frozen)]
pub struct LocalEvaluator {
    defs: Definitions,
}

fn definitions_json(obj: &Bound<'_, PyAny>) -> Result<Value, Rejected> {
    if obj.is_instance_of::<PyString>() {
        let text = to_str(obj, "definitions")?;
        return serde_json::from_str(&text).map_err(|e| format!("definitions are not JSON: {e}"));
    }
    to_map(Some(obj), "definitions").map(Value::Object)
}

#[pymethods]
impl LocalEvaluator {
    #[new]
    fn new(py: Python<'_>, definitions: &Bound<'_, PyAny>) -> PyResult<Self> {
        let json = definitions_json(definitions).map_err(|t| invalid(py, t))?;
        let defs = py
            .detach(|| Definitions::parse(&json))
            .map_err(|e| invalid(py, e.to_string()))?;
        Ok(LocalEvaluator { defs })
    }

    /// Evaluates one flag: `(value, payload)`, where value is `True`, `False` or a variant
    /// key. Raises `InconclusiveError` when local evaluation cannot decide.
    #[pyo3(signature = (key, distinct_id, *, device_id=None, person_properties=None,
        groups=None, group_properties=None))]
    #[allow(clippy::too_many_arguments)]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        distinct_id: &Bound<'py, PyAny>,
        device_id: Option<&Bound<'py, PyAny>>,
        person_properties: Option<&Bound<'py, PyAny>>,
        groups: Option<&Bound<'py, PyAny>>,
        group_properties: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let (key, ctx) = (|| {
            let device_id = match device_id {
                Some(d) if !d.is_none() => Some(to_id(d, "device_id")?),
                _ => None,
            };
            Ok::<_, Rejected>((
                to_str(key, "key")?,
                EvalContext {
                    distinct_id: to_id(distinct_id, "distinct_id")?,
                    device_id,
                    person_properties: to_map(person_properties, "person_properties")?,
                    groups: to_map(groups, "groups")?,
                    group_properties: to_map(group_properties, "group_properties")?,
                },
            ))
        })()
        .map_err(|t| invalid(py, t))?;
        let ev = py
            .detach(|| self.defs.evaluate(&key, &ctx))
            .map_err(|inc| to_pyerr(py, &Error::from(inc)))?;
        let payload = opt_json_to_py(py, ev.payload.as_ref())?;
        PyTuple::new(py, [value_to_py(py, &ev.value), payload])
    }

    /// The keys of every loaded flag, in the order served.
    #[getter]
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.defs.keys())
    }

    fn __len__(&self) -> usize {
        self.defs.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<posthog_sdk.flags.LocalEvaluator flags={}>",
            self.defs.len()
        )
    }
}

/// Matches one property filter (as it appears in a flag condition) against `values`. Raises
/// `InconclusiveError` when it cannot be decided locally. No `distinct_id` is added.
#[pyfunction]
#[pyo3(signature = (property, values, property_matching_version=1))]
pub fn match_property(
    py: Python<'_>,
    property: &Bound<'_, PyAny>,
    values: &Bound<'_, PyAny>,
    property_matching_version: u32,
) -> PyResult<bool> {
    let (property, values): (Value, Map<String, Value>) = (|| {
        Ok::<_, Rejected>((
            Value::Object(to_map(Some(property), "property")?),
            to_map(Some(values), "values")?,
        ))
    })()
    .map_err(|t| invalid(py, t))?;
    posthog_core::flags::match_property(&property, &values, property_matching_version)
        .map_err(|inc| to_pyerr(py, &Error::from(inc)))
}

/// The bucketing hash in [0, 1) of a flag key and a bucketing value (distinct id, device id
/// or group key): `salt` is `""` for rollout and `"variant"` for variant choice.
#[pyfunction]
#[pyo3(signature = (key, bucketing_value, salt="", separator="."))]
pub fn flag_hash(key: &str, bucketing_value: &str, salt: &str, separator: &str) -> f64 {
    hash::hash_with(key, separator, bucketing_value, salt)
}

// ---- remote config, flags decision ------------------------------------------------------

/// `get_remote_config_payload(key)`: the core's answer (in the profile's decoding), `None`
/// when there is none. Raises `ConfigError` without a secret key.
pub fn remote_config_payload<'py>(
    py: Python<'py>,
    client: &posthog_core::Client,
    key: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let key = to_str(key, "key").map_err(|t| invalid(py, t))?;
    let r = py
        .detach(|| client.get_remote_config_payload(&key))
        .map_err(|e| to_pyerr(py, &e))?;
    match r {
        Some(v) => json_to_py(py, &v),
        None => Ok(py.None().into_bound(py)),
    }
}

/// `get_flags_decision(...)`: the core's normalised `/flags` answer as a dict (the Python
/// layer turns its records into `FeatureFlag`s). Raises on every failure.
pub fn flags_decision<'py>(
    py: Python<'py>,
    client: &posthog_core::Client,
    distinct_id: &Bound<'py, PyAny>,
    keys: Option<&Bound<'py, PyAny>>,
    options: Option<&FlagArgs<'py>>,
) -> PyResult<Bound<'py, PyAny>> {
    let id = to_id(distinct_id, "distinct_id").map_err(|t| invalid(py, t))?;
    let opts = match options {
        Some(o) => options_arg(py, o)?,
        None => FlagOptions::default(),
    };
    let keys = keys_arg(py, keys)?;
    let v = py
        .detach(|| client.get_flags_decision(&id, &opts, keys))
        .map_err(|e| to_pyerr(py, &e))?;
    json_to_py(py, &v)
}

// ---- the flag-definitions cache provider ------------------------------------------------

/// `posthog_sdk.flags.FileFlagDefinitionCache(path, lease_seconds=None)`: the core's
/// file-based cache provider (a JSON file and a lease shared by every process that names the
/// same path). It also has the provider protocol's four methods, so it can be called (or
/// wrapped) directly.
#[pyclass(module = "posthog_sdk.flags", name = "FileFlagDefinitionCache", frozen)]
pub struct FileCache {
    inner: posthog_core::flags::FileFlagDefinitionCache,
}

fn io_err(text: String) -> PyErr {
    pyo3::exceptions::PyOSError::new_err(text)
}

#[pymethods]
impl FileCache {
    /// A cache in the file `path`; the lease (at most one fetch per lease among the processes)
    /// follows the client's poll interval unless `lease_seconds` is given.
    #[new]
    #[pyo3(signature = (path, lease_seconds = None))]
    fn new(path: std::path::PathBuf, lease_seconds: Option<f64>) -> PyResult<Self> {
        use posthog_core::flags::FileFlagDefinitionCache as F;
        let inner = match lease_seconds {
            None => F::new(path),
            Some(s) if s.is_finite() && s >= 0.0 => {
                F::with_lease(path, std::time::Duration::from_secs_f64(s))
            }
            Some(_) => {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "lease_seconds must be a finite number, 0 or more",
                ));
            }
        };
        Ok(FileCache { inner })
    }

    /// The definitions file.
    #[getter]
    fn path(&self) -> std::path::PathBuf {
        self.inner.path().to_path_buf()
    }

    /// The stored definitions (a dict), or `None`.
    fn get_flag_definitions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        match py.detach(move || inner.read()).map_err(io_err)? {
            Some(v) => json_to_py(py, &v),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// Takes the lease when it is free or expired: whether this process should fetch.
    fn should_fetch_flag_definitions(&self, py: Python<'_>) -> PyResult<bool> {
        let inner = self.inner.clone();
        py.detach(move || inner.try_take_lease()).map_err(io_err)
    }

    /// Stores `data` (replacing the file atomically).
    fn on_flag_definitions_received(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let v = crate::convert::to_json(data, "data").map_err(|t| invalid(py, t))?;
        let inner = self.inner.clone();
        py.detach(move || inner.write(&v)).map_err(io_err)
    }

    /// Gives the lease up when this process holds it.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.clone();
        py.detach(move || inner.release_lease()).map_err(io_err)
    }

    fn __repr__(&self) -> String {
        format!("FileFlagDefinitionCache({:?})", self.inner.path())
    }
}

/// A Python object with the provider protocol's methods, called through
/// `posthog_sdk.flags._call_provider` (which runs an awaitable to completion, as
/// posthog-python does). What it raises is the reported reason.
struct PyCacheProvider(Py<PyAny>);

impl PyCacheProvider {
    fn call(&self, method: &'static str, arg: Option<Value>) -> Result<Value, String> {
        if crate::hooks::finalizing() {
            return Err("the interpreter is shutting down".into());
        }
        Python::attach(|py| {
            let describe = |e: PyErr| format!("{method}() raised {e}");
            let helper = py
                .import("posthog_sdk.flags")
                .and_then(|m| m.getattr("_call_provider"))
                .map_err(describe)?;
            let arg = match arg {
                Some(v) => pythonize::pythonize(py, &v).map_err(|e| describe(PyErr::from(e)))?,
                None => py.None().into_bound(py),
            };
            let out = helper
                .call1((self.0.bind(py), method, arg))
                .map_err(describe)?;
            crate::convert::to_json(&out, &format!("{method}()'s result"))
        })
    }
}

impl posthog_core::flags::FlagDefinitionCache for PyCacheProvider {
    fn get_flag_definitions(&self) -> posthog_core::flags::CacheFuture<'_, Option<Value>> {
        Box::pin(async move {
            self.call("get_flag_definitions", None)
                .map(|v| Some(v).filter(|v| !v.is_null()))
        })
    }
    fn should_fetch_flag_definitions(&self) -> posthog_core::flags::CacheFuture<'_, bool> {
        Box::pin(async move {
            self.call("should_fetch_flag_definitions", None)
                .map(|v| v.as_bool().unwrap_or(true))
        })
    }
    fn on_flag_definitions_received(
        &self,
        data: Value,
    ) -> posthog_core::flags::CacheFuture<'_, ()> {
        Box::pin(async move {
            self.call("on_flag_definitions_received", Some(data))
                .map(|_| ())
        })
    }
    fn shutdown(&self) -> posthog_core::flags::CacheFuture<'_, ()> {
        Box::pin(async move { self.call("shutdown", None).map(|_| ()) })
    }
}

/// The option `flag_definition_cache_provider`: our `FileFlagDefinitionCache` (used natively,
/// no GIL), or any object with the protocol's four methods.
pub fn cache_provider(
    v: &Bound<'_, PyAny>,
) -> Result<Arc<dyn posthog_core::flags::FlagDefinitionCache>, Error> {
    if let Ok(file) = v.cast::<FileCache>() {
        return Ok(Arc::new(file.get().inner.clone()));
    }
    let has = |name: &str| v.getattr(name).map(|m| m.is_callable()).unwrap_or(false);
    let methods = [
        "get_flag_definitions",
        "should_fetch_flag_definitions",
        "on_flag_definitions_received",
        "shutdown",
    ];
    if !methods.iter().all(|m| has(m)) {
        return Err(Error::Config(
            "flag_definition_cache_provider must have get_flag_definitions(), \
             should_fetch_flag_definitions(), on_flag_definitions_received(data) and \
             shutdown() methods"
                .into(),
        ));
    }
    Ok(Arc::new(PyCacheProvider(v.clone().unbind())))
}
