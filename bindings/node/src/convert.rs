//! Reads the plain objects the JS layer hands to `capture` and friends. Property maps arrive
//! as JSON text (the JS layer runs `JSON.stringify`, so `Date`, `undefined`, `toJSON` behave as
//! in posthog-node). A value that cannot be read is an `Err(message)`: the caller hands it to
//! the core's `reject_input`, so these calls never throw.

use napi::bindgen_prelude::*;
use posthog_core::{Event, EventMessage, Profile, parse_timestamp, parse_uuid};
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
/// RFC 3339). Without a distinct id, the core's personless event.
#[allow(clippy::too_many_arguments)]
pub fn event(
    event: String,
    distinct_id: Option<String>,
    properties: Option<String>,
    groups: Option<String>,
    timestamp: Option<String>,
    uuid: Option<String>,
    disable_geoip: Option<bool>,
) -> std::result::Result<Event, Rejection> {
    let mut e = match distinct_id {
        Some(id) => Event::new(event, id),
        None => Event::personless_for(Profile::PosthogNode, event),
    };
    e.properties = map_text("properties", properties)?;
    e.groups = map_text("groups", groups)?;
    if let Some(ts) = timestamp {
        e.timestamp = Some(parse_timestamp(&ts).map_err(|err| err.to_string())?);
    }
    if let Some(id) = uuid {
        e.uuid = Some(parse_uuid(&id).map_err(|err| err.to_string())?);
    }
    e.disable_geoip = disable_geoip;
    Ok(e)
}

/// `{ distinctId, properties?, disableGeoip? }` → the core's `$identify`.
/// `properties.$set_once` becomes `$set_once`, `properties.$set` (or else the rest of
/// `properties`) becomes `$set`, as posthog-node reads its argument.
pub fn identify(message: Unknown) -> std::result::Result<Event, Rejection> {
    let f = Fields::new(message, "identify")?;
    let e = Event::identify_from_properties(f.string("distinctId")?, f.json_map("properties")?)
        .map_err(|e| e.to_string())?;
    f.geoip(e)
}

/// `{ distinctId, alias, disableGeoip? }` → the core's `$create_alias`.
pub fn alias(message: Unknown) -> std::result::Result<Event, Rejection> {
    let f = Fields::new(message, "alias")?;
    let e = Event::alias(f.string("distinctId")?, f.string("alias")?);
    f.geoip(e)
}

/// `{ groupType, groupKey, properties?, distinctId?, disableGeoip? }` → the core's
/// `$groupidentify`.
pub fn group_identify(message: Unknown) -> std::result::Result<Event, Rejection> {
    let f = Fields::new(message, "groupIdentify")?;
    let e = Event::group_identify(
        f.string("groupType")?,
        f.string("groupKey")?,
        f.json_map("properties")?,
        f.opt_string("distinctId")?,
    );
    f.geoip(e)
}

impl Fields<'_> {
    /// Applies an optional `disableGeoip` field (the core's per-event override).
    fn geoip(&self, e: Event) -> std::result::Result<Event, Rejection> {
        Ok(match self.opt_bool("disableGeoip")? {
            Some(on) => e.disable_geoip(on),
            None => e,
        })
    }
}

/// A prepared message → JSON text in posthog-node's shape (the core's `to_hook_json`).
pub fn message_text(msg: &EventMessage) -> String {
    msg.to_hook_json(Profile::PosthogNode).to_string()
}

/// The JSON text of a `beforeSend` result → a core `EventMessage`, merged onto `prepared`
/// (the text `message_text` made) as posthog-node merges a rewrite (the core's rule).
pub fn message_from_text(
    result: &str,
    prepared: &str,
) -> std::result::Result<EventMessage, Rejection> {
    let parse = |text: &str, what: &str| match serde_json::from_str::<Value>(text) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(format!("beforeSend: {what} must be an object")),
    };
    let base = EventMessage::from_hook_json(
        Profile::PosthogNode,
        parse(prepared, "the prepared message")?,
    )?;
    base.merge_hook_json(Profile::PosthogNode, parse(result, "the returned message")?)
        .map_err(|e| format!("beforeSend: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prepared() -> EventMessage {
        EventMessage {
            event: "e".into(),
            distinct_id: "d".into(),
            properties: json!({"$lib": "x"}).as_object().cloned().unwrap(),
            timestamp: parse_timestamp("2026-01-02T03:04:05.5Z").unwrap().into(),
            uuid: parse_uuid("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap(),
            set: None,
            set_once: None,
        }
    }

    #[test]
    fn message_round_trips_in_node_names() {
        let msg = prepared();
        let text = message_text(&msg);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["distinctId"], "d");
        assert_eq!(v["timestamp"], "2026-01-02T03:04:05.500000Z");
        assert_eq!(message_from_text(&text, &text).unwrap(), msg);
    }

    #[test]
    fn left_out_fields_keep_the_prepared_values() {
        let text = message_text(&prepared());
        let back = message_from_text(
            r#"{"distinctId":"other","uuid":null,"timestamp":"2026-01-02T05:04:05+02:00"}"#,
            &text,
        )
        .unwrap();
        assert_eq!(back.distinct_id, "other");
        assert_eq!(back.event, "e");
        assert_eq!(back.uuid, prepared().uuid);
        assert_eq!(back.timestamp.to_rfc3339(), "2026-01-02T03:04:05+00:00");
        assert!(message_from_text(r#"{"event":7}"#, &text).is_err());
        assert!(message_from_text("[]", &text).is_err());
    }
}
