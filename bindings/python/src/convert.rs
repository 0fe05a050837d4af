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

/// Short strings seen recently on this thread (dict keys, flag keys, constant values), by
/// identity: a `str` is immutable and the slot keeps it alive, so the same object always has
/// the same text. Saves encoding it to UTF-8 again on every call. Direct-mapped; a miss
/// replaces the slot. Only touched with the GIL held.
const STR_CACHE_SLOTS: usize = 256;
/// Longer strings are not kept (the cache must not hold on to big values).
const STR_CACHE_MAX_BYTES: usize = 64;

type StrSlot = Option<(Py<PyString>, Box<str>)>;

thread_local! {
    static STR_CACHE: std::cell::RefCell<Vec<StrSlot>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Calls `f` with the UTF-8 text of a `str`; `None` for one that has none (lone surrogates).
pub fn with_utf8<R>(s: &Bound<'_, PyString>, f: impl FnOnce(&str) -> R) -> Option<R> {
    let ptr = s.as_ptr() as usize;
    let slot = (ptr >> 4) % STR_CACHE_SLOTS;
    let mut f = Some(f);
    let hit = STR_CACHE.with(|c| {
        let c = c.try_borrow().ok()?;
        match c.get(slot) {
            // (`f` only copies the text: it never comes back here.)
            Some(Some((obj, text))) if obj.as_ptr() as usize == ptr => f.take().map(|f| f(text)),
            _ => None,
        }
    });
    if hit.is_some() {
        return hit;
    }
    let f = f?;
    let bytes = s.encode_utf8().ok()?;
    let text = std::str::from_utf8(bytes.as_bytes()).ok()?;
    if text.len() <= STR_CACHE_MAX_BYTES {
        let old = STR_CACHE.with(|c| {
            let mut c = c.try_borrow_mut().ok()?;
            if c.is_empty() {
                c.resize_with(STR_CACHE_SLOTS, || None);
            }
            c[slot].replace((s.clone().unbind(), text.into()))
        });
        drop(old); // (a decref, outside the borrow: it may free an object)
    }
    Some(f(text))
}

/// The text of a `str` as an owned `String`.
pub fn owned_str(s: &Bound<'_, PyString>) -> Option<String> {
    with_utf8(s, str::to_owned)
}

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
        return owned_str(s)
            .map(Value::String)
            .ok_or_else(|| format!("{what} holds a str that is not valid Unicode"));
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
            owned_str(s).ok_or_else(|| format!("{what} has a key that is not valid Unicode"))?
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
        Ok(s) => owned_str(s).ok_or_else(|| format!("{what} is not valid Unicode")),
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

// ---- The deferred capture path's encoding ---------------------------------------------------
//
// The caller's thread writes the converted arguments of a plain `capture` into one buffer
// (no allocation per value, so nothing it allocates is freed by another thread but the
// buffer), and the intake thread decodes them into exactly the `serde_json` values `to_map`
// builds. `encode_map` accepts and refuses the same inputs as `to_map`, with the same texts
// (`_native._encoding_agrees` lets the tests check it on any value).

const T_NULL: u8 = 0;
const T_FALSE: u8 = 1;
const T_TRUE: u8 = 2;
const T_I64: u8 = 3;
const T_U64: u8 = 4;
const T_F64: u8 = 5;
const T_STR: u8 = 6;
const T_ARRAY: u8 = 7;
const T_OBJECT: u8 = 8;

fn put_len(buf: &mut Vec<u8>, n: usize) {
    buf.extend_from_slice(&(n as u64).to_le_bytes());
}

/// Writes a string (its length, then its UTF-8 bytes).
pub fn put_str(buf: &mut Vec<u8>, s: &[u8]) {
    put_len(buf, s.len());
    buf.extend_from_slice(s);
}

/// Writes a Python `str`; `None` (nothing written) for one without UTF-8 text.
pub fn put_pystr(buf: &mut Vec<u8>, s: &Bound<'_, PyString>) -> Option<()> {
    with_utf8(s, |t| put_str(buf, t.as_bytes()))
}

fn put_f64(buf: &mut Vec<u8>, f: f64) {
    // NaN and infinities have no JSON form: `null`, as `float` makes them.
    if f.is_finite() {
        buf.push(T_F64);
        buf.extend_from_slice(&f.to_bits().to_le_bytes());
    } else {
        buf.push(T_NULL);
    }
}

fn encode_value(
    buf: &mut Vec<u8>,
    obj: &Bound<'_, PyAny>,
    what: &str,
    depth: usize,
) -> Result<(), Rejected> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{what} is nested more than {MAX_DEPTH} levels deep"
        ));
    }
    if obj.is_none() {
        buf.push(T_NULL);
        return Ok(());
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        buf.push(if b.is_true() { T_TRUE } else { T_FALSE });
        return Ok(());
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            buf.push(T_I64);
            buf.extend_from_slice(&i.to_le_bytes());
            return Ok(());
        }
        if let Ok(u) = obj.extract::<u64>() {
            buf.push(T_U64);
            buf.extend_from_slice(&u.to_le_bytes());
            return Ok(());
        }
        return obj
            .extract::<f64>()
            .map(|f| put_f64(buf, f))
            .map_err(|_| format!("{what} holds an int too large for JSON"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        put_f64(buf, f.value());
        return Ok(());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        buf.push(T_STR);
        return put_pystr(buf, s)
            .ok_or_else(|| format!("{what} holds a str that is not valid Unicode"));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return encode_dict(buf, d, what, depth);
    }
    if obj.is_instance_of::<PyList>()
        || obj.is_instance_of::<PyTuple>()
        || obj.is_instance_of::<PySet>()
        || obj.is_instance_of::<PyFrozenSet>()
    {
        let iter = obj
            .try_iter()
            .map_err(|_| format!("{what} holds a {} that cannot be iterated", type_name(obj)))?;
        buf.push(T_ARRAY);
        let at = buf.len();
        put_len(buf, 0);
        let mut n = 0usize;
        for item in iter {
            let item = item.map_err(|_| {
                format!("{what} holds a {} that cannot be iterated", type_name(obj))
            })?;
            encode_value(buf, &item, what, depth + 1)?;
            n += 1;
        }
        buf[at..at + 8].copy_from_slice(&(n as u64).to_le_bytes());
        return Ok(());
    }
    // The rest as `value` converts it (UUID, Decimal, isoformat()).
    let v = value(obj, what, depth)?;
    encode_json(buf, &v);
    Ok(())
}

fn encode_json(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => buf.push(T_NULL),
        Value::Bool(b) => buf.push(if *b { T_TRUE } else { T_FALSE }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                buf.push(T_I64);
                buf.extend_from_slice(&i.to_le_bytes());
            } else if let Some(u) = n.as_u64() {
                buf.push(T_U64);
                buf.extend_from_slice(&u.to_le_bytes());
            } else {
                put_f64(buf, n.as_f64().unwrap_or(f64::NAN));
            }
        }
        Value::String(s) => {
            buf.push(T_STR);
            put_str(buf, s.as_bytes());
        }
        Value::Array(a) => {
            buf.push(T_ARRAY);
            put_len(buf, a.len());
            for v in a {
                encode_json(buf, v);
            }
        }
        Value::Object(m) => {
            buf.push(T_OBJECT);
            put_len(buf, m.len());
            for (k, v) in m {
                put_str(buf, k.as_bytes());
                encode_json(buf, v);
            }
        }
    }
}

fn encode_dict(
    buf: &mut Vec<u8>,
    d: &Bound<'_, PyDict>,
    what: &str,
    depth: usize,
) -> Result<(), Rejected> {
    buf.push(T_OBJECT);
    let at = buf.len();
    put_len(buf, 0);
    let mut n = 0usize;
    for (k, v) in d.iter() {
        if let Ok(s) = k.cast::<PyString>() {
            put_pystr(buf, s)
                .ok_or_else(|| format!("{what} has a key that is not valid Unicode"))?;
        } else if k.is_instance_of::<PyInt>() && !k.is_instance_of::<PyBool>() {
            let text = k
                .str()
                .map_err(|_| format!("{what} has an int key that cannot be printed"))?;
            put_pystr(buf, &text)
                .ok_or_else(|| format!("{what} has an int key that cannot be printed"))?;
        } else {
            return Err(format!(
                "{what} has a key of type '{}' (keys must be str)",
                type_name(&k)
            ));
        }
        encode_value(buf, &v, what, depth + 1)?;
        n += 1;
    }
    buf[at..at + 8].copy_from_slice(&(n as u64).to_le_bytes());
    Ok(())
}

/// Writes what `to_map(obj, what)` converts (`None` is empty; anything but a dict is refused).
pub fn encode_map(
    buf: &mut Vec<u8>,
    obj: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> Result<(), Rejected> {
    match obj {
        Some(o) if !o.is_none() => match o.cast::<PyDict>() {
            Ok(d) => encode_dict(buf, d, what, 0),
            Err(_) => Err(format!("{what} must be a dict, not '{}'", type_name(o))),
        },
        _ => {
            buf.push(T_OBJECT);
            put_len(buf, 0);
            Ok(())
        }
    }
}

/// Reads back what the `encode_*`/`put_*` functions wrote, in order.
pub struct Decoder<'a> {
    buf: &'a [u8],
}

impl<'a> Decoder<'a> {
    pub fn new(buf: &'a [u8]) -> Decoder<'a> {
        Decoder { buf }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        head
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().unwrap_or_default())
    }

    fn byte(&mut self) -> u8 {
        self.take(1)[0]
    }

    /// A string written by `put_str` (valid UTF-8: it came from a Python `str`).
    pub fn string(&mut self) -> String {
        let n = self.u64() as usize;
        String::from_utf8_lossy(self.take(n)).into_owned()
    }

    pub fn value(&mut self) -> Value {
        match self.byte() {
            T_FALSE => Value::Bool(false),
            T_TRUE => Value::Bool(true),
            T_I64 => Value::from(self.u64() as i64),
            T_U64 => Value::from(self.u64()),
            T_F64 => float(f64::from_bits(self.u64())),
            T_STR => Value::String(self.string()),
            T_ARRAY => {
                let n = self.u64() as usize;
                let mut out = Vec::with_capacity(n.min(self.buf.len()));
                for _ in 0..n {
                    out.push(self.value());
                }
                Value::Array(out)
            }
            T_OBJECT => Value::Object(self.object_body()),
            _ => Value::Null,
        }
    }

    fn object_body(&mut self) -> Map<String, Value> {
        let n = self.u64() as usize;
        let mut out = Map::with_capacity(n.min(self.buf.len()));
        for _ in 0..n {
            let k = self.string();
            let v = self.value();
            out.insert(k, v);
        }
        out
    }

    /// A map written by `encode_map`.
    pub fn map(&mut self) -> Map<String, Value> {
        match self.value() {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }
}

/// Tests: whether `encode_map` then decoding gives what `to_map` gives (the same map, or the
/// same refusal text).
#[pyfunction]
#[pyo3(name = "_encoding_agrees")]
pub fn encoding_agrees(obj: &Bound<'_, PyAny>) -> (bool, String) {
    let direct = to_map(Some(obj), "properties");
    let mut buf = Vec::new();
    let encoded = encode_map(&mut buf, Some(obj), "properties").map(|()| {
        let mut d = Decoder::new(&buf);
        d.map()
    });
    let text = |r: &Result<Map<String, Value>, Rejected>| match r {
        Ok(m) => serde_json::to_string(m).unwrap_or_default(),
        Err(e) => format!("refused: {e}"),
    };
    let shown = text(&direct);
    (shown == text(&encoded), shown)
}
