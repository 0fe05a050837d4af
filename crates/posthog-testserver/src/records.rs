//! What the server records: stored events, received requests, counters.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

/// One event as the server stored it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredEvent {
    /// The event name.
    pub event: String,
    /// The distinct id as stored: a string, non-strings as their compact JSON (object keys
    /// sorted), cut to 200 characters.
    pub distinct_id: String,
    /// The uuid the client sent, normalised (lower case, hyphenated); `None` when it sent none.
    pub uuid: Option<String>,
    /// The event's `timestamp` exactly as sent (never parsed).
    pub timestamp: Option<Value>,
    /// The event's `timestamp` corrected for clock skew as newer servers do
    /// (`timestamp − (sent_at − received_at)`), in RFC 3339 UTC, when both parse.
    pub corrected_timestamp: Option<String>,
    /// The event's properties (`{}` when absent).
    pub properties: Map<String, Value>,
    /// A root `$set` object (v0), when present.
    #[serde(rename = "$set")]
    pub set: Option<Map<String, Value>>,
    /// A root `$set_once` object (v0), when present.
    #[serde(rename = "$set_once")]
    pub set_once: Option<Map<String, Value>>,
    /// The event's `offset` (v0), when present.
    pub offset: Option<i64>,
    /// v1 `options`, when present.
    pub options: Option<Map<String, Value>>,
    /// The project key the event was filed under.
    pub token: String,
    /// The `sent_at` the server kept (batch `sent_at` with an offset, or `?_=<ms>`).
    pub sent_at: Option<String>,
    /// Whether the event went to the historical-migration stream.
    pub historical: bool,
    /// The request path it arrived on, e.g. `/batch/` or `/i/v1/analytics/events`.
    pub route: String,
    /// The client address: first `X-Forwarded-For` entry, else `X-Real-IP`, else the peer.
    pub ip: String,
    /// The sequence number of the request that carried it ([`RecordedRequest::seq`]).
    pub request_seq: u64,
    /// The v1 `PostHog-Request-Id` header of that request, if any.
    pub request_id: Option<String>,
    /// The event exactly as the client sent it.
    pub raw: Value,
}

/// One request as the server received it (control routes under `/_test/` excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// Arrival sequence number, unique for the server's lifetime.
    pub seq: u64,
    /// The HTTP method.
    pub method: String,
    /// The path, as sent.
    pub path: String,
    /// The raw query string without `?` (empty when none).
    pub query: String,
    /// Headers in arrival order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Whether the body started with the gzip magic bytes.
    pub gzip: bool,
    /// The body, gunzipped when it was gzip (raw when it did not decompress).
    pub body: Vec<u8>,
    /// The status answered; 0 when the connection was closed without an answer.
    pub status: u16,
}

impl RecordedRequest {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Serialize for RecordedRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Headers<'a>(&'a [(String, String)]);
        impl Serialize for Headers<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut merged: Vec<(&str, String)> = Vec::new();
                for (k, v) in self.0 {
                    match merged.iter_mut().find(|(name, _)| name == k) {
                        Some((_, existing)) => {
                            existing.push_str(", ");
                            existing.push_str(v);
                        }
                        None => merged.push((k, v.clone())),
                    }
                }
                let mut map = serializer.serialize_map(Some(merged.len()))?;
                for (k, v) in &merged {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(8))?;
        map.serialize_entry("seq", &self.seq)?;
        map.serialize_entry("method", &self.method)?;
        map.serialize_entry("path", &self.path)?;
        map.serialize_entry("query", &self.query)?;
        map.serialize_entry("headers", &Headers(&self.headers))?;
        map.serialize_entry("gzip", &self.gzip)?;
        map.serialize_entry("body", &self.body_text())?;
        map.serialize_entry("status", &self.status)?;
        map.end()
    }
}

/// Counters since start or the last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ServerStats {
    /// Requests received (control routes excluded), dropped ones included.
    pub requests: u64,
    /// Events stored, duplicates included.
    pub events_stored: u64,
    /// Distinct uuids among the stored events (events without a uuid are not counted).
    pub unique_uuids: u64,
    /// Stored events whose uuid had been stored before.
    pub duplicate_events: u64,
    /// Requests closed without an answer (`DropConnection`, `AckLoss`, client gone).
    pub dropped_connections: u64,
    /// Requests to `/flags` (remote evaluation), whatever the answer.
    pub flags_requests: u64,
    /// Requests to either definitions route, whatever the answer (404s of a missing route
    /// included).
    pub definitions_requests: u64,
    /// Definitions requests answered `304 Not Modified`.
    pub definitions_not_modified: u64,
    /// Answers by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Faults still queued, all route families together.
    pub faults_pending: u64,
    /// Usage dashboards the private API made: one per flag created without
    /// `"_should_create_usage_dashboard": false`.
    pub usage_dashboards_created: u64,
    /// `GET …/feature_flags/` list calls made with a personal API key; PostHog bills each
    /// as a local-evaluation request.
    pub flag_list_requests: u64,
}
