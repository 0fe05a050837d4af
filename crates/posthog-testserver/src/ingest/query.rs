//! The query parameters of a v0 capture request.

use chrono::{DateTime, Datelike, Utc};

use super::decode::url_pairs;
use super::rejection::Rejection;
use crate::options::Profile;

/// What the capture handler reads from the query string; unknown parameters are ignored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct EventQuery {
    pub(crate) compression: Option<String>,
    pub(crate) lib_version: Option<String>,
    /// `?_=<ms>`, kept only when it falls after 2020 (older values are seconds).
    pub(crate) sent_at: Option<DateTime<Utc>>,
    pub(crate) beacon: bool,
    pub(crate) data: Option<String>,
}

/// Parses the raw query string as the capture service does for `profile`.
pub(crate) fn parse(raw: &str, profile: Profile) -> Result<EventQuery, Rejection> {
    let strict = profile == Profile::Capture2024;
    let mut query = EventQuery::default();
    let mut seen_sent_at = false;
    for (key, value) in url_pairs(raw.as_bytes()) {
        let key = match key.as_str() {
            "ver" if strict => "lib_version",
            other => other,
        };
        match key {
            "compression" => {
                if query.compression.is_some() {
                    return Err(Rejection::Query("duplicate field `compression`".into()));
                }
                if strict && !matches!(value.as_str(), "gzip" | "gzip-js" | "Unsupported") {
                    return Err(Rejection::Query(format!(
                        "unknown variant `{value}`, expected one of `Unsupported`, `gzip`, `gzip-js`"
                    )));
                }
                query.compression = Some(value);
            }
            "lib_version" => {
                if query.lib_version.is_some() {
                    return Err(Rejection::Query("duplicate field `lib_version`".into()));
                }
                query.lib_version = Some(value);
            }
            "_" => {
                if seen_sent_at {
                    return Err(Rejection::Query("duplicate field `_`".into()));
                }
                seen_sent_at = true;
                let ms: i64 = value
                    .parse()
                    .map_err(|e: std::num::ParseIntError| Rejection::Query(e.to_string()))?;
                query.sent_at = DateTime::from_timestamp_millis(ms).filter(|t| t.year() > 2020);
            }
            "beacon" if !strict => query.beacon = value == "1" || value == "true",
            "data" if !strict => query.data = Some(value),
            _ => {}
        }
    }
    Ok(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_rules() {
        let p = Profile::Capture2024;
        assert!(parse("compression=lz64", p).is_err());
        assert!(parse("compression=", p).is_err());
        assert!(parse("ver=1&lib_version=2", p).is_err());
        assert!(parse("_=1&_=2", p).is_err());
        assert!(parse("_=abc", p).is_err());
        assert_eq!(parse("_=1700000000", p).unwrap().sent_at, None);
        assert!(parse("_=1704067200000", p).unwrap().sent_at.is_some());
        assert!(parse("foo=bar&compression=gzip-js", p).is_ok());
    }

    #[test]
    fn current_is_tolerant() {
        let p = Profile::Current;
        assert!(parse("compression=lz64", p).is_ok());
        assert!(parse("ver=1&lib_version=2", p).is_ok());
        assert!(parse("beacon=1", p).unwrap().beacon);
        assert!(parse("_=abc", p).is_err());
    }
}
