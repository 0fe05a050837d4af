//! The fast capture path: the JS layer records each plain `capture` as one line of JSON
//! (`[event, distinctId, properties, groups, timestampMs, uuid, disableGeoip]`, serialised by
//! V8) and hands the lines over in chunks, newline-separated (JSON text never holds a raw
//! newline). The core's [`Intake`] turns them into events and queues them on its own thread,
//! in order, so the JS thread pays one crossing per chunk.

use chrono::DateTime;
use posthog_core::{Backpressure, Client, Event, Intake, Profile, parse_uuid};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;

/// Chunks waiting for the intake thread before a hand-over waits for it to catch up (a burst
/// of 64 × 256 captures ahead of it; the JS thread then sleeps, freeing its core for the
/// intake and the worker, rather than competing for the same items).
const MAX_WAITING_CHUNKS: usize = 64;

/// One recorded capture.
#[derive(Deserialize)]
struct Line(
    String,
    Option<String>,
    Option<Map<String, Value>>,
    Option<Map<String, Value>>,
    i64,
    String,
    Option<bool>,
);

/// Starts the intake of `client`.
pub fn start(client: Arc<Client>) -> Result<Intake<String>, posthog_core::Error> {
    Intake::with_backpressure(
        client,
        MAX_WAITING_CHUNKS,
        Backpressure::Wait,
        Box::new(capture_lines),
    )
}

/// Captures every line of a chunk; a line that cannot be read is counted and reported.
fn capture_lines(client: &Client, chunk: String) {
    for line in chunk.split('\n').filter(|l| !l.is_empty()) {
        match event(line) {
            Ok(e) => {
                client.capture(e);
            }
            Err(m) => client.reject_input(format!("capture: {m}")),
        }
    }
}

fn event(line: &str) -> Result<Event, String> {
    let Line(name, id, properties, groups, ms, uuid, geoip) =
        serde_json::from_str(line).map_err(|e| format!("unreadable recorded capture ({e})"))?;
    let mut e = match id {
        Some(id) => Event::new(name, id),
        None => Event::personless_for(Profile::PosthogNode, name),
    };
    e.properties = properties.unwrap_or_default();
    e.groups = groups.unwrap_or_default();
    let ts = DateTime::from_timestamp_millis(ms).ok_or("timestamp out of range")?;
    e.timestamp = Some(ts.fixed_offset());
    e.uuid = Some(parse_uuid(&uuid).map_err(|err| err.to_string())?);
    e.disable_geoip = geoip;
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_recorded_line() {
        let e = event(
            r#"["pageview","u1",{"plan":"pro"},{"company":"acme"},1700000000123,"0190a6b2-7c1e-7b3a-9d2e-3f4a5b6c7d8e",true]"#,
        )
        .unwrap();
        assert_eq!(e.event, "pageview");
        assert_eq!(e.distinct_id, "u1");
        assert_eq!(e.properties["plan"], "pro");
        assert_eq!(e.groups["company"], "acme");
        assert_eq!(e.timestamp.unwrap().timestamp_millis(), 1_700_000_000_123);
        assert_eq!(e.disable_geoip, Some(true));
    }

    #[test]
    fn a_personless_line_gets_a_random_id() {
        let e =
            event(r#"["x",null,null,null,0,"0190a6b2-7c1e-7b3a-9d2e-3f4a5b6c7d8e",null]"#).unwrap();
        assert_eq!(e.process_person_profile, Some(false));
        assert!(!e.distinct_id.is_empty());
    }

    #[test]
    fn an_unreadable_line_is_an_error() {
        assert!(event("[1,2]").is_err());
        assert!(event(r#"["x","u",null,null,0,"nope",null]"#).is_err());
    }
}
