//! Python values to the core's types and back. Messages name types, never values.

use chrono::{DateTime, FixedOffset};
use posthog_core::{Error, Profile};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString, PyTuple, PyType,
};
use serde_json::{Map, Number, Value};
use uuid::Uuid;

/// Nesting deeper than this is refused (it also stops self-referencing containers).
const MAX_DEPTH: usize = 64;

static UUID_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DECIMAL_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Why an argument could not be converted: the text for `InvalidInput`.
pub type Rejected = String;

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn is_uuid(obj: &Bound<'_, PyAny>) -> bool {
    UUID_TYPE
        .import(obj.py(), "uuid", "UUID")
        .and_then(|t| obj.is_instance(t))
        .unwrap_or(false)
}

fn is_decimal(obj: &Bound<'_, PyAny>) -> bool {
    DECIMAL_TYPE
        .import(obj.py(), "decimal", "Decimal")
        .and_then(|t| obj.is_instance(t))
        .unwrap_or(false)
}

/// A JSON value from a Python value: `None`, bool, int, float, str, dict (str or int keys),
/// list, tuple, set, `datetime`/`date`/`time` (ISO 8601), `UUID` (str), `Decimal` (float).
fn value(obj: &Bound<'_, PyAny>, what: &str, depth: usize) -> Result<Value, Rejected> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{what} is nested more than {MAX_DEPTH} levels deep"
        ));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return obj
            .extract::<f64>()
            .map(float)
            .map_err(|_| format!("{what} holds an int too large for JSON"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(float(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|_| format!("{what} holds a str that is not valid Unicode"));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return dict(d, what, depth).map(Value::Object);
    }
    if obj.is_instance_of::<PyList>()
        || obj.is_instance_of::<PyTuple>()
        || obj.is_instance_of::<PySet>()
        || obj.is_instance_of::<PyFrozenSet>()
    {
        let iter = obj
            .try_iter()
            .map_err(|_| format!("{what} holds a {} that cannot be iterated", type_name(obj)))?;
        let mut out = Vec::new();
        for item in iter {
            let item = item.map_err(|_| {
                format!("{what} holds a {} that cannot be iterated", type_name(obj))
            })?;
            out.push(value(&item, what, depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    if is_uuid(obj) {
        return obj
            .str()
            .map(|s| Value::String(s.to_string()))
            .map_err(|_| format!("{what} holds a UUID that cannot be printed"));
    }
    if is_decimal(obj) {
        return obj
            .extract::<f64>()
            .map(float)
            .map_err(|_| format!("{what} holds a Decimal that is not a number"));
    }
    if let Ok(iso) = obj.getattr("isoformat")
        && let Ok(text) = iso.call0()
        && let Ok(text) = text.extract::<String>()
    {
        return Ok(Value::String(text));
    }
    Err(format!(
        "{what} holds a value of type '{}' that cannot be sent as JSON",
        type_name(obj)
    ))
}

/// NaN and infinities have no JSON form: they become `null`.
fn float(f: f64) -> Value {
    Number::from_f64(f)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn dict(d: &Bound<'_, PyDict>, what: &str, depth: usize) -> Result<Map<String, Value>, Rejected> {
    let mut out = Map::with_capacity(d.len());
    for (k, v) in d.iter() {
        let key = if let Ok(s) = k.cast::<PyString>() {
            s.to_cow()
                .map_err(|_| format!("{what} has a key that is not valid Unicode"))?
                .into_owned()
        } else if k.is_instance_of::<PyInt>() && !k.is_instance_of::<PyBool>() {
            k.str()
                .map_err(|_| format!("{what} has an int key that cannot be printed"))?
                .to_string()
        } else {
            return Err(format!(
                "{what} has a key of type '{}' (keys must be str)",
                type_name(&k)
            ));
        };
        out.insert(key, value(&v, what, depth + 1)?);
    }
    Ok(out)
}

/// A JSON object from an optional dict (`None` is empty).
pub fn to_map(obj: Option<&Bound<'_, PyAny>>, what: &str) -> Result<Map<String, Value>, Rejected> {
    match obj {
        None => Ok(Map::new()),
        Some(o) if o.is_none() => Ok(Map::new()),
        Some(o) => match o.cast::<PyDict>() {
            Ok(d) => dict(d, what, 0),
            Err(_) => Err(format!("{what} must be a dict, not '{}'", type_name(o))),
        },
    }
}

/// A string argument (event names, group types and keys).
pub fn to_str(obj: &Bound<'_, PyAny>, what: &str) -> Result<String, Rejected> {
    match obj.cast::<PyString>() {
        Ok(s) => s
            .to_cow()
            .map(|c| c.into_owned())
            .map_err(|_| format!("{what} is not valid Unicode")),
        Err(_) => Err(format!("{what} must be a str, not '{}'", type_name(obj))),
    }
}

/// A distinct id: a str, an int or a `UUID` (the latter two as their text).
pub fn to_id(obj: &Bound<'_, PyAny>, what: &str) -> Result<String, Rejected> {
    if obj.is_instance_of::<PyString>() {
        return to_str(obj, what);
    }
    if (obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>()) || is_uuid(obj) {
        return obj
            .str()
            .map(|s| s.to_string())
            .map_err(|_| format!("{what} cannot be printed"));
    }
    Err(format!("{what} must be a str, not '{}'", type_name(obj)))
}

/// A timestamp: an aware or naive `datetime` (naive = UTC) or an RFC 3339 string.
pub fn to_timestamp(
    obj: &Bound<'_, PyAny>,
    profile: Profile,
) -> Result<Option<DateTime<FixedOffset>>, Rejected> {
    if obj.is_none() {
        return Ok(None);
    }
    let text = if obj.is_instance_of::<PyString>() {
        to_str(obj, "timestamp")?
    } else {
        obj.call_method0("isoformat")
            .and_then(|t| t.extract::<String>())
            .map_err(|_| {
                format!(
                    "timestamp must be a datetime or a str, not '{}'",
                    type_name(obj)
                )
            })?
    };
    profile.event_timestamp(&text).map_err(input_text)
}

/// A uuid: a `UUID` or its text.
pub fn to_uuid(obj: &Bound<'_, PyAny>, profile: Profile) -> Result<Option<Uuid>, Rejected> {
    if obj.is_none() {
        return Ok(None);
    }
    let text = if obj.is_instance_of::<PyString>() {
        to_str(obj, "uuid")?
    } else if is_uuid(obj) {
        obj.str()
            .map(|s| s.to_string())
            .map_err(|_| "uuid cannot be printed".to_string())?
    } else {
        return Err(format!(
            "uuid must be a UUID or a str, not '{}'",
            type_name(obj)
        ));
    };
    profile.event_uuid(&text).map_err(input_text)
}

/// The text of a core input error without its "invalid input:" prefix.
fn input_text(e: Error) -> Rejected {
    match e {
        Error::InvalidInput(text) => text,
        other => other.to_string(),
    }
}

/// Any JSON value from a Python value (the conversions of `to_map`'s values).
pub fn to_json(obj: &Bound<'_, PyAny>, what: &str) -> Result<Value, Rejected> {
    value(obj, what, 0)
}
