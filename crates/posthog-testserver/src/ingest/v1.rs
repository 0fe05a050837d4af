//! Capture protocol v1: `POST /i/v1/analytics/events` (see `capture-v1.md`).

use serde_json::{Map, Value, json};

use super::decode;
use super::event::{check_size, corrected_timestamp, normalize_uuid, stringify_distinct_id};
use super::rejection::{Rejection, validate_token};
use super::{Accepted, Input};
use crate::records::StoredEvent;

/// A v1 answer: status, JSON body, extra headers, and the events to store.
pub(crate) struct V1Answer {
    pub(crate) status: u16,
    pub(crate) body: Value,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) accepted: Accepted,
}

/// Handles one v1 request; `results` are scripted per-event results (from a fault).
pub(crate) fn handle(input: &Input<'_>, results: Option<&[String]>) -> V1Answer {
    match accept(input, results) {
        Ok(answer) => answer,
        Err(rejection) => V1Answer {
            status: rejection.status(),
            body: error_body(&rejection),
            headers: Vec::new(),
            accepted: Accepted::default(),
        },
    }
}

/// The JSON error body of a refused v1 request.
pub(crate) fn error_body(rejection: &Rejection) -> Value {
    json!({"error": rejection.code(), "error_description": rejection.to_string()})
}

fn accept(input: &Input<'_>, results: Option<&[String]>) -> Result<V1Answer, Rejection> {
    let token = bearer(input.header("authorization")).ok_or(Rejection::MissingAuth)?;
    validate_token(token)?;

    let body = match input
        .header("content-encoding")
        .map(str::to_ascii_lowercase)
    {
        _ if decode::is_gzip(input.body) => decode::gunzip(input.body)?,
        Some(enc) if enc == "gzip" => decode::gunzip(input.body)?,
        Some(enc) if enc == "deflate" => decode::inflate(input.body)?,
        Some(enc) if enc.is_empty() || enc == "identity" => input.body.to_vec(),
        Some(enc) => return Err(Rejection::UnsupportedEncoding(enc)),
        None => input.body.to_vec(),
    };
    let text = String::from_utf8(body).map_err(|_| Rejection::Decode("invalid body encoding"))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| Rejection::Parse(e.to_string()))?;
    let Some(root) = value.as_object() else {
        return Err(invalid("the body must be a JSON object"));
    };
    for forbidden in ["api_key", "token", "sent_at"] {
        if root.contains_key(forbidden) {
            return Err(invalid(format!(
                "`{forbidden}` is not allowed in a v1 body; the key goes in Authorization"
            )));
        }
    }
    match root.get("created_at") {
        Some(Value::String(_)) => {}
        _ => return Err(invalid("`created_at` must be a string")),
    }
    let historical = match root.get("historical_migration") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(invalid("`historical_migration` must be a boolean")),
    };
    let Some(batch) = root.get("batch").and_then(Value::as_array) else {
        return Err(invalid("`batch` must be an array"));
    };
    if batch.is_empty() {
        return Err(Rejection::EmptyBatch);
    }
    let events = batch
        .iter()
        .enumerate()
        .map(|(i, raw)| V1Event::parse(raw).map_err(|msg| invalid(format!("batch[{i}]: {msg}"))))
        .collect::<Result<Vec<_>, _>>()?;

    let request_id = input.header("posthog-request-id").map(str::to_owned);
    let mut answers = Map::new();
    let mut stored = Vec::new();
    let mut any_retry = false;
    for (i, event) in events.into_iter().enumerate() {
        let scripted = results.and_then(|r| r.get(i)).cloned();
        let oversize = check_size(event.raw, input.options.max_event_bytes).is_err();
        let result = match scripted {
            Some(result) => result,
            None if oversize => "drop".to_owned(),
            None => "ok".to_owned(),
        };
        let mut answer = Map::new();
        answer.insert("result".into(), Value::String(result.clone()));
        if oversize && result == "drop" {
            answer.insert("details".into(), json!("event too large"));
        }
        answers.insert(event.uuid.clone(), Value::Object(answer));
        if result == "retry" {
            any_retry = true;
            continue;
        }
        stored.push(StoredEvent {
            corrected_timestamp: corrected_timestamp(
                event.raw.get("timestamp"),
                input.header("posthog-request-timestamp"),
                input.received_at,
            ),
            event: event.event,
            distinct_id: event.distinct_id,
            uuid: Some(event.uuid),
            timestamp: event.raw.get("timestamp").cloned(),
            properties: event.properties,
            set: None,
            set_once: None,
            offset: None,
            options: event.options,
            token: token.to_owned(),
            sent_at: None,
            historical,
            route: input.path.to_owned(),
            ip: input.ip.clone(),
            request_seq: input.seq,
            request_id: request_id.clone(),
            raw: event.raw.clone(),
        });
    }
    let mut headers = Vec::new();
    if any_retry {
        headers.push((
            "Retry-After".to_owned(),
            input.options.v1_retry_after_secs.to_string(),
        ));
    }
    Ok(V1Answer {
        status: 200,
        body: json!({ "results": answers }),
        headers,
        accepted: Accepted {
            status: 200,
            events: stored,
        },
    })
}

fn invalid(message: impl Into<String>) -> Rejection {
    Rejection::Invalid(message.into())
}

fn bearer(header: Option<&str>) -> Option<&str> {
    let header = header?.trim();
    let (scheme, rest) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

struct V1Event<'a> {
    event: String,
    uuid: String,
    distinct_id: String,
    properties: Map<String, Value>,
    options: Option<Map<String, Value>>,
    raw: &'a Value,
}

impl<'a> V1Event<'a> {
    fn parse(raw: &'a Value) -> Result<Self, String> {
        let map = raw.as_object().ok_or("an event must be an object")?;
        let event = match map.get("event") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            _ => return Err("`event` must be a non-empty string".into()),
        };
        let uuid = map
            .get("uuid")
            .and_then(Value::as_str)
            .and_then(normalize_uuid)
            .ok_or("`uuid` must be a UUID string")?;
        let distinct_id = match map.get("distinct_id") {
            Some(Value::String(s)) if !s.is_empty() => {
                stringify_distinct_id(&Value::String(s.clone())).map_err(|e| e.to_string())?
            }
            _ => return Err("`distinct_id` must be a non-empty string".into()),
        };
        match map.get("timestamp") {
            None | Some(Value::String(_)) => {}
            Some(_) => return Err("`timestamp` must be a string".into()),
        }
        let properties = match map.get("properties") {
            None => Map::new(),
            Some(Value::Object(p)) => p.clone(),
            Some(_) => return Err("`properties` must be an object".into()),
        };
        for key in ["session_id", "window_id"] {
            match map.get(key) {
                None | Some(Value::String(_)) => {}
                Some(_) => return Err(format!("`{key}` must be a string")),
            }
        }
        let options = match map.get("options") {
            None => None,
            Some(Value::Object(o)) => {
                check_options(o)?;
                Some(o.clone())
            }
            Some(_) => return Err("`options` must be an object".into()),
        };
        Ok(V1Event {
            event,
            uuid,
            distinct_id,
            properties,
            options,
            raw,
        })
    }
}

fn check_options(options: &Map<String, Value>) -> Result<(), String> {
    for (key, value) in options {
        let ok = match key.as_str() {
            "cookieless_mode" | "disable_skew_correction" | "process_person_profile" => {
                value.is_boolean()
            }
            "product_tour_id" => value.is_string(),
            _ => true,
        };
        if !ok {
            return Err(format!("`options.{key}` has the wrong JSON type"));
        }
    }
    Ok(())
}
