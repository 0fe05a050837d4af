//! Reads the plain objects the JS layer hands to `capture` and friends. Property maps arrive
//! as JSON text (the JS layer runs `JSON.stringify`, so `Date`, `undefined`, `toJSON` behave as
//! in posthog-node). A value that cannot be read is an `Err(message)`: the caller hands it to
//! the core's `reject_input`, so these calls never throw.

use napi::bindgen_prelude::*;
use posthog_core::{Event, parse_timestamp, parse_uuid};
use serde_json::{Map, Value};

/// A failed conversion: a message without any payload in it.
pub type Rejection = String;

/// The fields of one call's argument object.
pub struct Fields<'env>(Object<'env>);

impl<'env> Fields<'env> {
    /// `what` names the call in messages (`"capture"`).
    pub fn new(arg: Unknown<'env>, what: &str) -> std::result::Result<Fields<'env>, Rejection> {
        if !matches!(arg.get_type(), Ok(ValueType::Object)) {
            return Err(format!("{what} expects an object argument"));
        }
        Object::from_unknown(arg)
            .map(Fields)
            .map_err(|_| format!("{what} expects an object argument"))
    }

    fn field(&self, name: &str) -> std::result::Result<Option<Unknown<'env>>, Rejection> {
        let v: Option<Unknown> = self
            .0
            .get(name)
            .map_err(|_| format!("{name} cannot be read"))?;
        Ok(v.filter(|v| !matches!(v.get_type(), Ok(ValueType::Null | ValueType::Undefined))))
    }

    /// An optional string field.
    pub fn opt_string(&self, name: &str) -> std::result::Result<Option<String>, Rejection> {
        let Some(v) = self.field(name)? else {
            return Ok(None);
        };
        if !matches!(v.get_type(), Ok(ValueType::String)) {
            return Err(format!("{name} must be a string"));
        }
        String::from_unknown(v)
            .map(Some)
            .map_err(|_| format!("{name} must be a string"))
    }

    /// An optional boolean field.
    pub fn opt_bool(&self, name: &str) -> std::result::Result<Option<bool>, Rejection> {
        let Some(v) = self.field(name)? else {
            return Ok(None);
        };
        if !matches!(v.get_type(), Ok(ValueType::Boolean)) {
            return Err(format!("{name} must be a boolean"));
        }
        bool::from_unknown(v)
            .map(Some)
            .map_err(|_| format!("{name} must be a boolean"))
    }

    /// An optional array of strings.
    pub fn opt_strings(&self, name: &str) -> std::result::Result<Option<Vec<String>>, Rejection> {
        let Some(v) = self.field(name)? else {
            return Ok(None);
        };
        Vec::<String>::from_unknown(v)
            .map(Some)
            .map_err(|_| format!("{name} must be an array of strings"))
    }

    /// A required string field (its emptiness is the core's business).
    pub fn string(&self, name: &str) -> std::result::Result<String, Rejection> {
        self.opt_string(name)?
            .ok_or_else(|| format!("{name} is required"))
    }

    /// An optional JSON object given as text; `{}` when absent.
    pub fn json_map(&self, name: &str) -> std::result::Result<Map<String, Value>, Rejection> {
        match self.opt_string(name)? {
            None => Ok(Map::new()),
            Some(text) => match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(m)) => Ok(m),
                _ => Err(format!("{name} must be an object")),
            },
        }
    }
}

/// A JSON-text property map (absent = empty).
fn map_text(
    name: &str,
    text: Option<String>,
) -> std::result::Result<Map<String, Value>, Rejection> {
    match text {
        None => Ok(Map::new()),
        Some(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(format!("{name} must be an object")),
        },
    }
}

/// The positional arguments of `capture` → a core `Event` (maps as JSON text, timestamp as
/// RFC 3339).
pub fn event(
    event: String,
    distinct_id: String,
    properties: Option<String>,
    groups: Option<String>,
    timestamp: Option<String>,
    uuid: Option<String>,
) -> std::result::Result<Event, Rejection> {
    let mut e = Event::new(event, distinct_id);
    e.properties = map_text("properties", properties)?;
    e.groups = map_text("groups", groups)?;
    if let Some(ts) = timestamp {
        e.timestamp = Some(parse_timestamp(&ts).map_err(|err| err.to_string())?);
    }
    if let Some(id) = uuid {
        e.uuid = Some(parse_uuid(&id).map_err(|err| err.to_string())?);
    }
    Ok(e)
}
