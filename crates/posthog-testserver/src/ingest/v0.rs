//! Capture protocol v0: `/e`, `/batch`, `/i/v0/e` and friends.
//!
//! The body is tried as an array of events, then as a batch object, then as one event,
//! with the field types of PostHog's capture service; any mistyped field fails every
//! shape and refuses the whole request.

use axum::http::Method;
use serde_json::{Map, Value};

use super::decode;
use super::event::{
    check_size, corrected_timestamp, format_time, normalize_uuid, parse_with_offset,
    stringify_distinct_id,
};
use super::query;
use super::rejection::{Rejection, validate_token};
use super::{Accepted, Input};
use crate::options::Profile;
use crate::records::StoredEvent;

/// Handles one v0 request: the events to store, or why it is refused.
pub(crate) fn handle(input: &Input<'_>) -> Result<Accepted, Rejection> {
    let current = input.options.profile == Profile::Current;
    let query = query::parse(input.query, input.options.profile)?;

    let mut payload = input.body.to_vec();
    if let (true, true, true, Some(data)) = (
        current,
        payload.is_empty(),
        matches!(*input.method, Method::GET | Method::HEAD),
        &query.data,
    ) {
        payload = decode::base64(data).unwrap_or_else(|| data.clone().into_bytes());
    }
    if input.content_type() == Some("application/x-www-form-urlencoded") {
        payload = decode::form_data(&payload)?;
    }
    if current && query.compression.as_deref() == Some("base64") {
        payload = std::str::from_utf8(&payload)
            .ok()
            .and_then(decode::base64)
            .unwrap_or(payload);
    }
    let text = decode::to_text(payload)?;
    let value = parse_json(&text, current)?;
    let request = RawRequest::from_value(&value)?;

    let (events, token, historical, batch_sent_at) = match request {
        RawRequest::Batch(batch) => (batch.events, batch.token, batch.historical, batch.sent_at),
        RawRequest::One(event) => {
            let token = event.extract_token().ok_or(Rejection::NoToken)?;
            (vec![*event], token, false, None)
        }
        RawRequest::Array(events) => {
            let token = common_token(&events)?;
            (events, token, false, None)
        }
    };
    validate_token(&token)?;
    if events.is_empty() {
        return Err(Rejection::EmptyBatch);
    }
    let sent_at = batch_sent_at
        .as_deref()
        .and_then(parse_with_offset)
        .map(|t| format_time(&t))
        .or_else(|| query.sent_at.map(|t| format_time(&t)));

    let mut stored = Vec::with_capacity(events.len());
    for event in events {
        if event.event.is_empty() {
            return Err(Rejection::EmptyEventName);
        }
        let distinct_id = match &event.distinct_id {
            Some(value) => value,
            None => match event.properties.get("distinct_id") {
                None | Some(Value::Null) => return Err(Rejection::MissingDistinctId),
                Some(value) => value,
            },
        };
        let distinct_id = stringify_distinct_id(distinct_id)?;
        check_size(event.raw, input.options.max_event_bytes)?;
        let timestamp = event.timestamp.map(Value::String);
        stored.push(StoredEvent {
            event: event.event,
            distinct_id,
            uuid: event.uuid,
            corrected_timestamp: corrected_timestamp(
                timestamp.as_ref(),
                sent_at.as_deref(),
                input.received_at,
            ),
            timestamp,
            properties: event.properties,
            set: event.set,
            set_once: event.set_once,
            offset: event.offset,
            options: None,
            token: token.clone(),
            sent_at: sent_at.clone(),
            historical,
            route: input.path.to_owned(),
            ip: input.ip.clone(),
            request_seq: input.seq,
            request_id: None,
            raw: event.raw.clone(),
        });
    }
    let status = if current && query.beacon { 204 } else { 200 };
    Ok(Accepted {
        status,
        events: stored,
    })
}

fn parse_json(text: &str, current: bool) -> Result<Value, Rejection> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(err) => {
            if current {
                // Newer servers unwrap a bare base64 body.
                let unwrapped = decode::base64(text)
                    .and_then(|bytes| decode::to_text(bytes).ok())
                    .and_then(|inner| serde_json::from_str(&inner).ok());
                if let Some(value) = unwrapped {
                    return Ok(value);
                }
            }
            Err(Rejection::Parse(err.to_string()))
        }
    }
}

/// The one key shared by every event of an array that carries one.
fn common_token(events: &[RawEvent<'_>]) -> Result<String, Rejection> {
    let mut found: Option<String> = None;
    for token in events.iter().filter_map(RawEvent::extract_token) {
        match &found {
            None => found = Some(token),
            Some(existing) if *existing == token => {}
            Some(_) => return Err(Rejection::MultipleTokens),
        }
    }
    found.ok_or(Rejection::NoToken)
}

enum RawRequest<'a> {
    Array(Vec<RawEvent<'a>>),
    Batch(Batch<'a>),
    One(Box<RawEvent<'a>>),
}

impl<'a> RawRequest<'a> {
    fn from_value(value: &'a Value) -> Result<Self, Rejection> {
        match value {
            Value::Array(items) => items
                .iter()
                .map(RawEvent::from_value)
                .collect::<Option<Vec<_>>>()
                .map(RawRequest::Array)
                .ok_or(Rejection::Shape),
            Value::Object(map) => Batch::from_map(map)
                .map(RawRequest::Batch)
                .or_else(|| RawEvent::from_value(value).map(|e| RawRequest::One(Box::new(e))))
                .ok_or(Rejection::Shape),
            _ => Err(Rejection::Shape),
        }
    }
}

struct Batch<'a> {
    token: String,
    historical: bool,
    sent_at: Option<String>,
    events: Vec<RawEvent<'a>>,
}

impl<'a> Batch<'a> {
    fn from_map(map: &'a Map<String, Value>) -> Option<Self> {
        let token = match one_of(map, &["token", "api_key"])? {
            Some(Value::String(s)) => s.clone(),
            _ => return None,
        };
        let historical = match map.get("historical_migration") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return None,
        };
        let sent_at = opt_string(map.get("sent_at"))?;
        let events = map
            .get("batch")?
            .as_array()?
            .iter()
            .map(RawEvent::from_value)
            .collect::<Option<Vec<_>>>()?;
        Some(Batch {
            token,
            historical,
            sent_at,
            events,
        })
    }
}

struct RawEvent<'a> {
    token: Option<String>,
    distinct_id: Option<&'a Value>,
    uuid: Option<String>,
    event: String,
    properties: Map<String, Value>,
    timestamp: Option<String>,
    offset: Option<i64>,
    set: Option<Map<String, Value>>,
    set_once: Option<Map<String, Value>>,
    raw: &'a Value,
}

impl<'a> RawEvent<'a> {
    fn from_value(raw: &'a Value) -> Option<Self> {
        let map = raw.as_object()?;
        let token = match one_of(map, &["token", "$token", "api_key"])? {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return None,
        };
        let distinct_id = match one_of(map, &["distinct_id", "$distinct_id"])? {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        };
        let uuid = match map.get("uuid") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(normalize_uuid(s)?),
            Some(_) => return None,
        };
        let event = map.get("event")?.as_str()?.to_owned();
        let properties = match map.get("properties") {
            None => Map::new(),
            Some(Value::Object(p)) => p.clone(),
            Some(_) => return None,
        };
        let timestamp = opt_string(map.get("timestamp"))?;
        let offset = match map.get("offset") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64()?),
        };
        Some(RawEvent {
            token,
            distinct_id,
            uuid,
            event,
            properties,
            timestamp,
            offset,
            set: opt_object(map.get("$set"))?,
            set_once: opt_object(map.get("$set_once"))?,
            raw,
        })
    }

    /// The event's own key, else a string `properties.token`.
    fn extract_token(&self) -> Option<String> {
        match &self.token {
            Some(token) => Some(token.clone()),
            None => self
                .properties
                .get("token")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}

/// The value under one of several alias names; `None` (the outer) when two are present.
fn one_of<'a>(map: &'a Map<String, Value>, names: &[&str]) -> Option<Option<&'a Value>> {
    let mut found = None;
    for name in names {
        if let Some(value) = map.get(*name) {
            if found.is_some() {
                return None;
            }
            found = Some(value);
        }
    }
    Some(found)
}

/// An optional string field: `Some(None)` when absent or null, `None` when mistyped.
fn opt_string(value: Option<&Value>) -> Option<Option<String>> {
    match value {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

/// An optional object field: `Some(None)` when absent or null, `None` when mistyped.
fn opt_object(value: Option<&Value>) -> Option<Option<Map<String, Value>>> {
    match value {
        None | Some(Value::Null) => Some(None),
        Some(Value::Object(m)) => Some(Some(m.clone())),
        Some(_) => None,
    }
}
