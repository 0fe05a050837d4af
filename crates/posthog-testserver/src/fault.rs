//! Scripted faults: what the next request of a route family gets instead of a normal answer.

use std::time::Duration;

use serde_json::Value;

/// Which queue a fault waits in: each route family pops only its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum FaultRoute {
    /// Ingestion (v0 and v1 capture routes).
    #[default]
    Capture,
    /// `POST /flags`.
    Flags,
    /// `GET /flags/definitions` and `GET /api/feature_flag/local_evaluation/`.
    Definitions,
    /// The private API (`/api/…`, the flag routes excepted).
    Admin,
}

impl FaultRoute {
    /// The queue's index.
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Reads the control API's optional `"route"` member (default `capture`).
    pub(crate) fn from_json(value: &Value) -> Result<FaultRoute, String> {
        match value.get("route") {
            None | Some(Value::Null) => Ok(FaultRoute::Capture),
            Some(Value::String(s)) => match s.as_str() {
                "capture" => Ok(FaultRoute::Capture),
                "flags" => Ok(FaultRoute::Flags),
                "definitions" => Ok(FaultRoute::Definitions),
                "admin" => Ok(FaultRoute::Admin),
                other => Err(format!("unknown fault route {other:?}")),
            },
            Some(other) => Err(format!("invalid fault route {other}")),
        }
    }
}

/// One scripted misbehaviour. Faults wait in FIFO queues, one per route family: every
/// ingestion request (v0 or v1 route, any method but `OPTIONS`) pops one of the capture
/// queue ([`crate::TestServer::push_fault`]), every `POST /flags` one of the flags queue
/// ([`crate::TestServer::push_flags_fault`]), every `GET`/`HEAD` of a definitions route one
/// of the definitions queue ([`crate::TestServer::push_definitions_fault`]), every
/// private-API request (`/api/…`, any method but `OPTIONS`) one of the admin queue
/// ([`crate::TestServer::push_admin_fault`]), before normal handling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status, headers and body instead; store nothing.
    Status {
        /// The HTTP status code.
        status: u16,
        /// Extra response headers, e.g. `("Retry-After", "1")`.
        headers: Vec<(String, String)>,
        /// The response body (sent as `text/plain` unless a `Content-Type` header is given).
        /// In it and in header values, `{authorization}` and `{api_key}` are replaced by the
        /// request's Authorization header and project key: a server that echoes secrets.
        body: String,
    },
    /// Wait this long, then handle the request normally.
    Latency(Duration),
    /// Close the connection before the body is read; answer nothing, store nothing.
    DropConnection,
    /// Store the events normally (flag routes: compute the answer), then close the
    /// connection without any answer.
    AckLoss,
    /// For a v1 request: the per-event result strings in batch order (`"ok"`, `"retry"`,
    /// `"drop"`, `"limited"`, `"warning"` or anything else); events beyond the list get `"ok"`.
    /// Events marked `"retry"` are not stored; all others are. Popped by a v0 request, it
    /// has no effect.
    V1Results(Vec<String>),
}

impl Fault {
    /// A bare status answer with an empty body.
    pub fn status(status: u16) -> Self {
        Fault::Status {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// A status answer carrying `Retry-After: <secs>`.
    pub fn retry_after(status: u16, secs: u64) -> Self {
        Fault::Status {
            status,
            headers: vec![("Retry-After".to_owned(), secs.to_string())],
            body: String::new(),
        }
    }

    /// Reads the control API's JSON form of a fault:
    /// `{"status": 429, "headers": {"Retry-After": "1"}, "body": "…"}`, `{"latency_ms": 200}`,
    /// `{"drop_connection": true}`, `{"ack_loss": true}`, `{"v1_results": ["ok", "retry"]}`.
    pub fn from_json(value: &Value) -> Result<Fault, String> {
        let Some(obj) = value.as_object() else {
            return Err(format!("a fault must be a JSON object, got {value}"));
        };
        if let Some(status) = obj.get("status") {
            let status = status
                .as_u64()
                .and_then(|s| u16::try_from(s).ok())
                .filter(|s| (100..=999).contains(s))
                .ok_or_else(|| format!("invalid fault status {status}"))?;
            let headers = match obj.get("headers") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Object(map)) => map
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
                Some(Value::Array(pairs)) => pairs
                    .iter()
                    .map(|p| match p.as_array().map(Vec::as_slice) {
                        Some([Value::String(k), Value::String(v)]) => Ok((k.clone(), v.clone())),
                        _ => Err(format!("invalid header pair {p}")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(other) => return Err(format!("invalid fault headers {other}")),
            };
            let body = match obj.get("body") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            return Ok(Fault::Status {
                status,
                headers,
                body,
            });
        }
        if let Some(ms) = obj.get("latency_ms") {
            let ms = ms
                .as_u64()
                .ok_or_else(|| format!("invalid latency_ms {ms}"))?;
            return Ok(Fault::Latency(Duration::from_millis(ms)));
        }
        if obj.get("drop_connection") == Some(&Value::Bool(true)) {
            return Ok(Fault::DropConnection);
        }
        if obj.get("ack_loss") == Some(&Value::Bool(true)) {
            return Ok(Fault::AckLoss);
        }
        if let Some(results) = obj.get("v1_results") {
            let list = results
                .as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|r| r.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| format!("v1_results must be an array of strings, got {results}"))?;
            return Ok(Fault::V1Results(list));
        }
        Err(format!("unknown fault {value}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_json_form() {
        let cases = [
            (json!({"status": 503}), Fault::status(503)),
            (
                json!({"status": 429, "headers": {"Retry-After": "1"}}),
                Fault::retry_after(429, 1),
            ),
            (
                json!({"latency_ms": 200}),
                Fault::Latency(Duration::from_millis(200)),
            ),
            (json!({"drop_connection": true}), Fault::DropConnection),
            (json!({"ack_loss": true}), Fault::AckLoss),
            (
                json!({"v1_results": ["ok", "retry"]}),
                Fault::V1Results(vec!["ok".into(), "retry".into()]),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Fault::from_json(&input).unwrap(), expected, "{input}");
        }
        assert!(Fault::from_json(&json!({"nope": 1})).is_err());
        assert!(Fault::from_json(&json!({"status": 70000})).is_err());
        assert!(Fault::from_json(&json!(3)).is_err());
    }
}
