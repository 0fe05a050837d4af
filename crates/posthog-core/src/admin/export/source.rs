//! What to export and the HogQL of each page. Every outside value travels as a `values`
//! placeholder; only our own integers (LIMIT, OFFSET) and checked identifiers are in the text.

use super::checkpoint::Position;
use crate::error::Error;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

/// The columns of an events export, in order.
pub const EVENT_COLUMNS: [&str; 5] = ["uuid", "event", "timestamp", "distinct_id", "properties"];

/// The rows to export.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportSource {
    /// Raw events in `[after, before)`, optionally of one event name and with property
    /// equalities, paged by keyset on (timestamp, uuid): no row is skipped or repeated, even
    /// when many events share a timestamp, and deep pages cost no more than the first.
    Events {
        /// The first timestamp included.
        after: DateTime<Utc>,
        /// The first timestamp excluded.
        before: DateTime<Utc>,
        /// Only this event name.
        event: Option<String>,
        /// Only events whose property `key` (a `[A-Za-z_$][A-Za-z0-9_$]*` name) equals the value.
        properties: Vec<(String, Value)>,
    },
    /// Any HogQL `SELECT` without its own `LIMIT`, paged by `LIMIT`/`OFFSET`. Give it an
    /// `ORDER BY` that makes the order total, or pages may overlap.
    HogQL {
        /// The query text, with `{name}` placeholders.
        query: String,
        /// The placeholder values (a JSON object, or `Null`).
        values: Value,
    },
}

impl ExportSource {
    /// A HogQL source without placeholders.
    pub fn hogql(query: impl Into<String>) -> ExportSource {
        ExportSource::HogQL {
            query: query.into(),
            values: Value::Null,
        }
    }

    /// Events of `[after, before)`, unfiltered.
    pub fn events(after: DateTime<Utc>, before: DateTime<Utc>) -> ExportSource {
        ExportSource::Events {
            after,
            before,
            event: None,
            properties: Vec::new(),
        }
    }

    /// Refuses what cannot be exported, before the first request.
    pub(crate) fn check(&self) -> Result<(), Error> {
        match self {
            ExportSource::Events {
                after,
                before,
                properties,
                ..
            } => {
                if before <= after {
                    return Err(Error::InvalidInput(
                        "the export window is empty (before <= after)".into(),
                    ));
                }
                for (k, v) in properties {
                    if !is_ident(k) {
                        return Err(Error::InvalidInput(format!(
                            "property filter {k:?} is not a plain property name"
                        )));
                    }
                    if v.is_object() || v.is_array() {
                        return Err(Error::InvalidInput(format!(
                            "property filter {k:?}: compare with a string, number, boolean or null"
                        )));
                    }
                }
                Ok(())
            }
            ExportSource::HogQL { query, values } => {
                if has_limit(query) {
                    return Err(Error::InvalidInput(
                        "an exported query must not have its own LIMIT or OFFSET (the export pages it)".into(),
                    ));
                }
                if !(values.is_null() || values.is_object()) {
                    return Err(Error::InvalidInput(
                        "query values must be a JSON object".into(),
                    ));
                }
                Ok(())
            }
        }
    }

    /// The query text and values of the page after `pos`.
    pub(crate) fn page(&self, pos: &Position, page_size: usize) -> Result<(String, Value), Error> {
        match self {
            ExportSource::Events {
                after,
                before,
                event,
                properties,
            } => {
                let mut values = Map::new();
                let mut q = format!(
                    "SELECT {} FROM events WHERE timestamp >= toDateTime({{after}}) AND timestamp < toDateTime({{before}})",
                    EVENT_COLUMNS.join(", ")
                );
                values.insert("after".into(), json!(ts(after)));
                values.insert("before".into(), json!(ts(before)));
                if let Some(e) = event {
                    q.push_str(" AND event = {event}");
                    values.insert("event".into(), json!(e));
                }
                // HogQL reads a property as text unless its property definition types it
                // (Numeric, Boolean): a number or boolean is compared as text through
                // `toString`, so 5 matches a property sent as 5 or as "5" whatever PostHog
                // decided its type is; text is compared as is (materialised columns stay usable).
                for (i, (k, v)) in properties.iter().enumerate() {
                    match v {
                        Value::Null => q.push_str(&format!(" AND properties.{k} IS NULL")),
                        Value::String(s) => {
                            q.push_str(&format!(" AND properties.{k} = {{p{i}}}"));
                            values.insert(format!("p{i}"), json!(s));
                        }
                        other => {
                            q.push_str(&format!(" AND toString(properties.{k}) = {{p{i}}}"));
                            values.insert(format!("p{i}"), json!(other.to_string()));
                        }
                    }
                }
                match pos {
                    Position::Start => {}
                    Position::Keyset { timestamp, uuid } => {
                        q.push_str(" AND (timestamp > toDateTime({last_ts}) OR (timestamp = toDateTime({last_ts}) AND uuid > {last_uuid}))");
                        values.insert("last_ts".into(), json!(timestamp));
                        values.insert("last_uuid".into(), json!(uuid));
                    }
                    Position::Offset { .. } => {
                        return Err(Error::InvalidInput(
                            "this checkpoint belongs to a HogQL export, not an events export"
                                .into(),
                        ));
                    }
                }
                q.push_str(&format!(
                    " ORDER BY timestamp ASC, uuid ASC LIMIT {page_size}"
                ));
                Ok((q, Value::Object(values)))
            }
            ExportSource::HogQL { query, values } => {
                let offset = match pos {
                    Position::Start => 0,
                    Position::Offset { offset } => *offset,
                    Position::Keyset { .. } => {
                        return Err(Error::InvalidInput(
                            "this checkpoint belongs to an events export, not a HogQL export"
                                .into(),
                        ));
                    }
                };
                let base = query.trim().trim_end_matches(';').trim_end();
                Ok((
                    format!("{base} LIMIT {page_size} OFFSET {offset}"),
                    values.clone(),
                ))
            }
        }
    }
}

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn is_ident(k: &str) -> bool {
    let mut chars = k.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Whether the query text has a `LIMIT` or `OFFSET` word outside string literals.
fn has_limit(q: &str) -> bool {
    let mut in_str = false;
    let mut prev = '\0';
    let mut word = String::new();
    for c in q.chars().chain(std::iter::once(' ')) {
        if in_str {
            if c == '\'' && prev != '\\' {
                in_str = false;
            }
        } else if c == '\'' {
            in_str = true;
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
            word.push(c);
        } else {
            if word.eq_ignore_ascii_case("limit") || word.eq_ignore_ascii_case("offset") {
                return true;
            }
            word.clear();
        }
        prev = c;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_pages_use_placeholders() {
        let src = ExportSource::Events {
            after: "2024-01-01T00:00:00Z".parse().unwrap(),
            before: "2024-01-02T00:00:00Z".parse().unwrap(),
            event: Some("x' OR 1=1".into()),
            properties: vec![("$browser".into(), json!("Chrome"))],
        };
        src.check().unwrap();
        let pos = Position::Keyset {
            timestamp: "2024-01-01T05:00:00.000000Z".into(),
            uuid: "u'".into(),
        };
        let (q, v) = src.page(&pos, 100).unwrap();
        assert!(
            !q.contains("OR 1=1") && !q.contains("u'") && !q.contains("2024"),
            "{q}"
        );
        assert!(
            q.ends_with("ORDER BY timestamp ASC, uuid ASC LIMIT 100"),
            "{q}"
        );
        assert_eq!(v["event"], "x' OR 1=1");
        assert_eq!(v["p0"], "Chrome");
        assert_eq!(v["last_uuid"], "u'");
        let mut bad = src.clone();
        if let ExportSource::Events { properties, .. } = &mut bad {
            properties.push(("a b".into(), json!(1)));
        }
        assert!(bad.check().is_err());
    }

    #[test]
    fn hogql_pages_by_offset() {
        let src = ExportSource::hogql("SELECT event FROM events ORDER BY uuid;");
        src.check().unwrap();
        let (q, _) = src.page(&Position::Offset { offset: 20 }, 10).unwrap();
        assert_eq!(
            q,
            "SELECT event FROM events ORDER BY uuid LIMIT 10 OFFSET 20"
        );
        assert!(ExportSource::hogql("SELECT 1 LIMIT 5").check().is_err());
        assert!(
            ExportSource::hogql("SELECT 'limit' FROM events")
                .check()
                .is_ok()
        );
    }
}
