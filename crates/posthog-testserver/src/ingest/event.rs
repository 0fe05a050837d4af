//! Field rules shared by both protocols: uuids, distinct ids, sizes, skew correction.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Map, Value};

use super::rejection::Rejection;

/// Longest stored distinct id, in characters.
pub(crate) const MAX_DISTINCT_ID_CHARS: usize = 200;

/// Parses any uuid spelling the `uuid` crate accepts; returns it lower-case, hyphenated.
pub(crate) fn normalize_uuid(text: &str) -> Option<String> {
    uuid::Uuid::parse_str(text)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// Turns a distinct id value into the stored string: strings as is, anything else as its
/// compact JSON with object keys sorted; then cut to 200 characters. Empty is refused.
pub(crate) fn stringify_distinct_id(value: &Value) -> Result<String, Rejection> {
    let text = match value {
        Value::String(s) => s.clone(),
        other => sorted(other).to_string(),
    };
    if text.is_empty() {
        return Err(Rejection::EmptyDistinctId);
    }
    Ok(text.chars().take(MAX_DISTINCT_ID_CHARS).collect())
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                if let Some(v) = map.get(k) {
                    out.insert(k.clone(), sorted(v));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Refuses an event whose compact JSON exceeds `limit` bytes.
pub(crate) fn check_size(raw: &Value, limit: usize) -> Result<(), Rejection> {
    if limit == usize::MAX {
        return Ok(());
    }
    let mut size = Counted(0);
    let _ = serde_json::to_writer(&mut size, raw);
    let size = size.0;
    if size > limit {
        return Err(Rejection::EventTooLarge { size, limit });
    }
    Ok(())
}

/// Counts the bytes written to it (the serialised size, without keeping the text).
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Parses an ISO 8601 / RFC 3339 date-time that carries an offset.
pub(crate) fn parse_with_offset(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

/// Formats as RFC 3339, `Z` for UTC, sub-seconds only when present.
pub(crate) fn format_time<Tz: chrono::TimeZone>(time: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Newer servers' skew correction: `timestamp − (sent_at − received_at)`, in UTC.
pub(crate) fn corrected_timestamp(
    timestamp: Option<&Value>,
    sent_at: Option<&str>,
    received_at: DateTime<Utc>,
) -> Option<String> {
    let ts = parse_with_offset(timestamp?.as_str()?)?;
    let corrected = match sent_at.and_then(parse_with_offset) {
        Some(sent) => ts.with_timezone(&Utc) - (sent.with_timezone(&Utc) - received_at),
        None => ts.with_timezone(&Utc),
    };
    Some(format_time(&corrected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn distinct_ids() {
        assert_eq!(stringify_distinct_id(&json!(42)).unwrap(), "42");
        assert_eq!(
            stringify_distinct_id(&json!({"b": 1, "a": "x"})).unwrap(),
            r#"{"a":"x","b":1}"#
        );
        let v: Value = serde_json::from_str("1e3").unwrap();
        assert_eq!(stringify_distinct_id(&v).unwrap(), "1000.0");
        assert_eq!(
            stringify_distinct_id(&json!("é".repeat(250)))
                .unwrap()
                .chars()
                .count(),
            200
        );
        assert!(stringify_distinct_id(&json!("")).is_err());
    }

    #[test]
    fn uuids() {
        let want = Some("0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a81".to_owned());
        assert_eq!(normalize_uuid("0190C2A6-7D3E-7C1A-9F2B-3C4D5E6F7A81"), want);
        assert_eq!(
            normalize_uuid("{0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a81}"),
            want
        );
        assert_eq!(normalize_uuid("0190c2a67d3e7c1a9f2b3c4d5e6f7a81"), want);
        assert_eq!(normalize_uuid("not-a-uuid"), None);
    }

    #[test]
    fn skew() {
        let now = DateTime::parse_from_rfc3339("2024-01-01T00:00:10Z")
            .unwrap()
            .with_timezone(&Utc);
        let got = corrected_timestamp(
            Some(&json!("2024-01-01T00:00:00Z")),
            Some("2024-01-01T00:00:05Z"),
            now,
        );
        assert_eq!(got.as_deref(), Some("2024-01-01T00:00:05Z"));
    }
}
