//! The event model: what a caller captures, what `before_send` sees, and the serialised forms
//! (v0 and v1) that are queued and sent unchanged on every retry.

use crate::config::Protocol;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// An event as the caller describes it. Only `event` and `distinct_id` are required.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// The event name, e.g. `"signed_up"` or `"$pageview"`.
    pub event: String,
    /// Who did it.
    pub distinct_id: String,
    /// Event properties.
    pub properties: Map<String, Value>,
    /// When it happened (any offset; sent as UTC). `None` = now.
    pub timestamp: Option<DateTime<FixedOffset>>,
    /// The event's id. `None` = a new UUID v7.
    pub uuid: Option<Uuid>,
    /// Group type → group key (sent as `$groups`).
    pub groups: Map<String, Value>,
    /// Overrides the client's `disable_geoip` for this event (`$geoip_disable`).
    pub disable_geoip: Option<bool>,
    /// `Some(false)`: a personless event (`$process_person_profile: false`).
    pub process_person_profile: Option<bool>,
}

impl Event {
    /// An event with a name and a distinct id.
    pub fn new(event: impl Into<String>, distinct_id: impl Into<String>) -> Event {
        Event {
            event: event.into(),
            distinct_id: distinct_id.into(),
            ..Event::default()
        }
    }
    /// A personless event (posthog-python's `capture` without a distinct id): a random
    /// distinct id and `$process_person_profile: false`, so no person is created.
    pub fn personless(event: impl Into<String>) -> Event {
        Event {
            process_person_profile: Some(false),
            ..Event::new(event, Uuid::new_v4().to_string())
        }
    }

    /// [`Event::personless`] with the profile's random id (a uuid v7 for posthog-node, see
    /// [`crate::profile::Rules::personless_id_v7`]).
    pub fn personless_for(profile: crate::Profile, event: impl Into<String>) -> Event {
        let mut e = Event::personless(event);
        if profile.rules().personless_id_v7 {
            e.distinct_id = Uuid::now_v7().to_string();
        }
        e
    }

    /// `$identify`: links `distinct_id` to a person, setting `$set` and `$set_once`.
    pub fn identify(
        distinct_id: impl Into<String>,
        set: Map<String, Value>,
        set_once: Map<String, Value>,
    ) -> Event {
        Event::new("$identify", distinct_id)
            .property("$set", Value::Object(set))
            .property("$set_once", Value::Object(set_once))
    }

    /// `$identify` from posthog-node's `identify({ distinctId, properties })`: `$set` is
    /// `properties.$set`, or else every other property; `$set_once` is `properties.$set_once`;
    /// `properties.$anon_distinct_id` links the anonymous id.
    pub fn identify_from_properties(
        distinct_id: impl Into<String>,
        mut properties: Map<String, Value>,
    ) -> Result<Event, crate::Error> {
        let object = |v: Option<Value>, what: &str| match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(crate::Error::InvalidInput(format!(
                "properties.{what} must be an object"
            ))),
        };
        let set_once = object(properties.remove("$set_once"), "$set_once")?.unwrap_or_default();
        let anon = properties.remove("$anon_distinct_id");
        let set = object(properties.remove("$set"), "$set")?.unwrap_or(properties);
        let mut e = Event::identify(distinct_id, set, set_once);
        if let Some(a) = anon.filter(|a| !a.is_null()) {
            e = e.property("$anon_distinct_id", a);
        }
        Ok(e)
    }

    /// `$create_alias`: makes `alias` another id of the person known as `distinct_id`.
    pub fn alias(distinct_id: impl Into<String>, alias: impl Into<String>) -> Event {
        let distinct_id = distinct_id.into();
        Event::new("$create_alias", distinct_id.clone())
            .property("distinct_id", distinct_id)
            .property("alias", alias.into())
    }

    /// `$groupidentify`: sets a group's properties. Without a distinct id, `$<type>_<key>`.
    pub fn group_identify(
        group_type: impl Into<String>,
        group_key: impl Into<String>,
        properties: Map<String, Value>,
        distinct_id: Option<String>,
    ) -> Event {
        let (group_type, group_key) = (group_type.into(), group_key.into());
        let distinct_id = distinct_id.unwrap_or_else(|| format!("${group_type}_{group_key}"));
        Event::new("$groupidentify", distinct_id)
            .property("$group_type", group_type)
            .property("$group_key", group_key)
            .property("$group_set", Value::Object(properties))
    }

    /// `$set`: sets person properties.
    pub fn set(distinct_id: impl Into<String>, properties: Map<String, Value>) -> Event {
        Event::new("$set", distinct_id).property("$set", Value::Object(properties))
    }

    /// `$set_once`: sets person properties that are not set yet.
    pub fn set_once(distinct_id: impl Into<String>, properties: Map<String, Value>) -> Event {
        Event::new("$set_once", distinct_id).property("$set_once", Value::Object(properties))
    }

    /// Overrides the client's `disable_geoip` for this event.
    pub fn disable_geoip(mut self, on: bool) -> Event {
        self.disable_geoip = Some(on);
        self
    }

    /// Adds one property.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<Value>) -> Event {
        self.properties.insert(key.into(), value.into());
        self
    }
    /// Sets all properties.
    pub fn properties(mut self, properties: Map<String, Value>) -> Event {
        self.properties = properties;
        self
    }
    /// Sets the time it happened.
    pub fn timestamp(mut self, ts: DateTime<FixedOffset>) -> Event {
        self.timestamp = Some(ts);
        self
    }
    /// Sets the uuid (for de-duplication of an event the caller may send twice).
    pub fn uuid(mut self, uuid: Uuid) -> Event {
        self.uuid = Some(uuid);
        self
    }
    /// Attaches evaluated flags: `$feature/<key>` for each and `$active_feature_flags`
    /// (properties the caller set explicitly win).
    pub fn flags(mut self, snapshot: &crate::flags::FlagsSnapshot) -> Event {
        for (k, v) in snapshot.event_properties() {
            self.properties.entry(k).or_insert(v);
        }
        self
    }
    /// Adds a group.
    pub fn group(mut self, group_type: impl Into<String>, group_key: impl Into<String>) -> Event {
        self.groups
            .insert(group_type.into(), Value::String(group_key.into()));
        self
    }
}

/// An event after defaults were applied: what `before_send` receives and returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventMessage {
    /// The event name.
    pub event: String,
    /// Who did it.
    pub distinct_id: String,
    /// All properties, including `$lib`, super properties and `$groups`.
    pub properties: Map<String, Value>,
    /// When it happened, UTC.
    pub timestamp: DateTime<Utc>,
    /// The event's id, kept across retries.
    pub uuid: Uuid,
    /// `$set` at the top level of the message, as posthog-python sends person updates (the
    /// profile decides; PostHog merges it into the properties' `$set`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<Map<String, Value>>,
    /// `$set_once` at the top level of the message (see `set`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_once: Option<Map<String, Value>>,
}

/// A queued, serialised event: the bytes that go into every attempt of its batch.
#[derive(Debug, Clone)]
pub struct QueuedEvent {
    pub(crate) seq: u64,
    pub(crate) uuid: Uuid,
    pub(crate) bytes: Vec<u8>,
}

impl QueuedEvent {
    /// The serialised size.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
    /// Never true for a real event.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Parses a caller's timestamp: RFC 3339 with any offset, or a date-time without an offset
/// (taken as UTC). Bindings use this so every language reads times the same way.
pub fn parse_timestamp(text: &str) -> Result<DateTime<FixedOffset>, crate::Error> {
    let t = text.trim();
    if let Ok(ts) = DateTime::parse_from_rfc3339(t) {
        return Ok(ts);
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(naive.and_utc().fixed_offset());
        }
    }
    Err(crate::Error::InvalidInput(format!(
        "timestamp {:?} is not an RFC 3339 date-time",
        t.chars().take(40).collect::<String>()
    )))
}

/// Parses a caller's uuid (any case, with or without hyphens or braces).
pub fn parse_uuid(text: &str) -> Result<Uuid, crate::Error> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        crate::Error::InvalidInput(format!(
            "uuid {:?} is not a UUID",
            text.chars().take(40).collect::<String>()
        ))
    })
}

/// RFC 3339 UTC with microseconds and a `Z`.
pub fn format_ts(ts: &DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[derive(Serialize)]
struct WireV0<'a> {
    uuid: &'a Uuid,
    event: &'a str,
    distinct_id: &'a str,
    properties: &'a Map<String, Value>,
    timestamp: String,
    #[serde(rename = "$set", skip_serializing_if = "Option::is_none")]
    set: Option<&'a Map<String, Value>>,
    #[serde(rename = "$set_once", skip_serializing_if = "Option::is_none")]
    set_once: Option<&'a Map<String, Value>>,
}

#[derive(Serialize)]
struct WireV1<'a> {
    event: &'a str,
    uuid: &'a Uuid,
    distinct_id: &'a str,
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    window_id: Option<String>,
    properties: &'a Map<String, Value>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    options: Map<String, Value>,
}

/// Serialises a message in the wire form of `protocol`.
pub fn serialize(msg: &EventMessage, protocol: Protocol) -> Result<Vec<u8>, serde_json::Error> {
    match protocol {
        Protocol::V0 => serde_json::to_vec(&WireV0 {
            uuid: &msg.uuid,
            event: &msg.event,
            distinct_id: &msg.distinct_id,
            properties: &msg.properties,
            timestamp: format_ts(&msg.timestamp),
            set: msg.set.as_ref(),
            set_once: msg.set_once.as_ref(),
        }),
        Protocol::V1 => {
            let mut properties = msg.properties.clone();
            // v1 has no top-level person updates: they travel in the properties.
            for (k, v) in [("$set", &msg.set), ("$set_once", &msg.set_once)] {
                if let Some(m) = v {
                    properties.insert(k.into(), Value::Object(m.clone()));
                }
            }
            properties.remove("$lib");
            properties.remove("$lib_version");
            let options = v1_options(&mut properties);
            let take_str = |p: &mut Map<String, Value>, k: &str| {
                p.remove(k).and_then(|v| match v {
                    Value::String(s) => Some(s),
                    Value::Null => None,
                    other => Some(other.to_string()),
                })
            };
            let session_id = take_str(&mut properties, "$session_id");
            let window_id = take_str(&mut properties, "$window_id");
            serde_json::to_vec(&WireV1 {
                event: &msg.event,
                uuid: &msg.uuid,
                distinct_id: &msg.distinct_id,
                timestamp: format_ts(&msg.timestamp),
                session_id,
                window_id,
                properties: &properties,
                options,
            })
        }
    }
}

/// Moves the legacy per-event option properties out of `properties` into v1 `options`,
/// coerced to their strict JSON types; values that do not coerce are dropped.
fn v1_options(properties: &mut Map<String, Value>) -> Map<String, Value> {
    let mut options = Map::new();
    for (prop, opt) in [
        ("$cookieless_mode", "cookieless_mode"),
        ("$ignore_sent_at", "disable_skew_correction"),
        ("$process_person_profile", "process_person_profile"),
    ] {
        if let Some(v) = properties.remove(prop)
            && let Some(b) = coerce_bool(&v)
        {
            options.insert(opt.into(), Value::Bool(b));
        }
    }
    if let Some(v) = properties.remove("$product_tour_id") {
        match v {
            Value::String(s) => {
                options.insert("product_tour_id".into(), Value::String(s));
            }
            Value::Number(n) => {
                options.insert("product_tour_id".into(), Value::String(n.to_string()));
            }
            _ => {}
        }
    }
    options
}

fn coerce_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(props: Value) -> EventMessage {
        EventMessage {
            event: "e".into(),
            distinct_id: "d".into(),
            properties: props.as_object().cloned().unwrap(),
            timestamp: DateTime::parse_from_rfc3339("2026-01-02T03:04:05.678+02:00")
                .unwrap()
                .with_timezone(&Utc),
            uuid: Uuid::nil(),
            set: None,
            set_once: None,
        }
    }

    #[test]
    fn parses_inputs() {
        let t = parse_timestamp("2026-01-02T03:04:05+05:30").unwrap();
        assert_eq!(
            t.with_timezone(&Utc).to_rfc3339(),
            "2026-01-01T21:34:05+00:00"
        );
        let naive = parse_timestamp("2026-01-02T03:04:05.5").unwrap();
        assert_eq!(naive.offset().local_minus_utc(), 0);
        assert!(parse_timestamp("yesterday").is_err());
        assert!(parse_uuid("{67E55044-10B1-426F-9247-BB680E5FE0C8}").is_ok());
        assert_eq!(
            parse_uuid("nope").unwrap_err().kind(),
            crate::ErrorKind::InvalidInput
        );
    }

    #[test]
    fn v0_form() {
        let b = serialize(&msg(json!({"$lib": "x", "a": 1})), Protocol::V0).unwrap();
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["timestamp"], "2026-01-02T01:04:05.678000Z");
        assert_eq!(v["properties"]["$lib"], "x");
        assert_eq!(v["uuid"], "00000000-0000-0000-0000-000000000000");
    }

    #[test]
    fn v1_form_moves_options() {
        let b = serialize(
            &msg(
                json!({"$lib": "x", "$lib_version": "1", "$process_person_profile": "false",
                "$cookieless_mode": "maybe", "$ignore_sent_at": 1, "$product_tour_id": 7,
                "$session_id": "s1", "$set": {"a": 1}}),
            ),
            Protocol::V1,
        )
        .unwrap();
        let v: Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(
            v["options"],
            json!({"process_person_profile": false, "disable_skew_correction": true, "product_tour_id": "7"})
        );
        assert_eq!(v["session_id"], "s1");
        assert_eq!(v["properties"], json!({"$set": {"a": 1}}));
    }
}
