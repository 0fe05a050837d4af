//! The request of one attempt: URL, headers and body for protocol v0 (`/batch/`) or v1
//! (`/i/v1/analytics/events`), assembled from pre-serialised events.

use crate::config::{Config, Protocol};
use crate::event::{QueuedEvent, format_ts};
use crate::keys::ProjectKey;
use crate::transport::{HttpRequest, gzip};
use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

/// What stays the same on every attempt of one batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchIdentity {
    /// v1 `PostHog-Request-Id`, kept across resends.
    pub request_id: Uuid,
    /// v1 `created_at`: when the batch was formed.
    pub created_at: DateTime<Utc>,
}

/// Builds the request for attempt `attempt` (1-based) of `events`, sent at `now`.
pub fn build_request(
    cfg: &Config,
    key: &ProjectKey,
    events: &[QueuedEvent],
    attempt: u32,
    id: BatchIdentity,
    now: DateTime<Utc>,
) -> HttpRequest {
    let sdk_info = format!("{}/{}", cfg.sdk_name, cfg.sdk_version);
    let mut headers = vec![
        ("Content-Type".to_string(), "application/json".to_string()),
        ("User-Agent".to_string(), sdk_info.clone()),
    ];
    let (url, body) = match cfg.protocol {
        Protocol::V0 => {
            let mut head = String::with_capacity(160);
            head.push_str("{\"api_key\":");
            head.push_str(&json_string(key.expose()));
            head.push_str(",\"historical_migration\":");
            head.push_str(if cfg.historical_migration {
                "true"
            } else {
                "false"
            });
            head.push_str(",\"sent_at\":\"");
            head.push_str(&format_ts(&now));
            head.push_str("\",\"batch\":[");
            let path = if cfg.ai_lane {
                "/i/v0/ai/batch/"
            } else {
                "/batch/"
            };
            (format!("{}{path}", cfg.host), join(head, events, "]}"))
        }
        Protocol::V1 => {
            headers.push(("Authorization".into(), format!("Bearer {}", key.expose())));
            headers.push(("PostHog-Sdk-Info".into(), sdk_info));
            headers.push(("PostHog-Attempt".into(), attempt.to_string()));
            headers.push(("PostHog-Request-Id".into(), id.request_id.to_string()));
            headers.push((
                "PostHog-Request-Timestamp".into(),
                now.to_rfc3339_opts(SecondsFormat::Millis, true),
            ));
            let head = format!(
                "{{\"created_at\":\"{}\",\"batch\":[",
                format_ts(&id.created_at)
            );
            let tail = if cfg.historical_migration {
                "],\"historical_migration\":true}"
            } else {
                "]}"
            };
            (
                format!("{}/i/v1/analytics/events", cfg.host),
                join(head, events, tail),
            )
        }
    };
    let body = if cfg.gzip {
        headers.push(("Content-Encoding".into(), "gzip".into()));
        gzip(&body)
    } else {
        body
    };
    HttpRequest {
        method: "POST".into(),
        url,
        headers,
        body,
        timeout: cfg.request_timeout,
        max_response_bytes: crate::transport::limits::INGESTION,
    }
}

fn join(head: String, events: &[QueuedEvent], tail: &str) -> Vec<u8> {
    let size = head.len() + tail.len() + events.iter().map(|e| e.len() + 1).sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(head.as_bytes());
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&e.bytes);
    }
    out.extend_from_slice(tail.as_bytes());
    out
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientOptions;
    use serde_json::Value;

    fn events() -> Vec<QueuedEvent> {
        (0..2)
            .map(|i| QueuedEvent {
                seq: i,
                uuid: Uuid::nil(),
                bytes: format!("{{\"event\":\"e{i}\"}}").into_bytes(),
            })
            .collect()
    }

    fn id() -> BatchIdentity {
        BatchIdentity {
            request_id: Uuid::nil(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn v0_body_and_headers() {
        let cfg = ClientOptions::new("phc_k")
            .gzip(false)
            .host("http://127.0.0.1:1")
            .resolve()
            .unwrap();
        let req = build_request(&cfg, &cfg.key, &events(), 1, id(), Utc::now());
        assert_eq!(req.url, "http://127.0.0.1:1/batch/");
        let v: Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(v["api_key"], "phc_k");
        assert_eq!(v["historical_migration"], false);
        assert_eq!(v["batch"][1]["event"], "e1");
        assert!(v["sent_at"].as_str().unwrap().ends_with('Z'));
        assert!(!req.headers.iter().any(|(k, _)| k == "Authorization"));
    }

    #[test]
    fn v1_body_and_headers() {
        let cfg = ClientOptions::new("phc_k")
            .protocol(Protocol::V1)
            .historical_migration(true)
            .host("http://127.0.0.1:1")
            .resolve()
            .unwrap();
        let req = build_request(&cfg, &cfg.key, &events(), 3, id(), Utc::now());
        assert_eq!(req.url, "http://127.0.0.1:1/i/v1/analytics/events");
        let h = |n: &str| {
            req.headers
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(h("Authorization").as_deref(), Some("Bearer phc_k"));
        assert_eq!(h("PostHog-Attempt").as_deref(), Some("3"));
        assert_eq!(h("Content-Encoding").as_deref(), Some("gzip"));
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&req.body[..]), &mut raw)
            .unwrap();
        let v: Value = serde_json::from_slice(&raw).unwrap();
        assert_eq!(v["historical_migration"], true);
        assert!(v.get("api_key").is_none() && v.get("sent_at").is_none());
        assert_eq!(v["batch"].as_array().unwrap().len(), 2);
    }
}
