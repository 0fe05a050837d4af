//! The one timestamp format the database stores, so text order is time order.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Formats a time as stored: RFC 3339, UTC, six fraction digits, `Z`
/// (`2024-01-02T03:04:05.000000Z`).
pub(crate) fn format(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Parses RFC 3339 (any offset), `YYYY-MM-DD HH:MM:SS[.f]`, `YYYY-MM-DDTHH:MM:SS[.f]`
/// (both taken as UTC) or `YYYY-MM-DD` (midnight UTC).
pub(crate) fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for pattern in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, pattern) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// Parses `text` and answers it in the stored format.
pub(crate) fn normalize(text: &str) -> Option<String> {
    parse(text).map(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_every_accepted_spelling() {
        let want = "2024-01-02T03:04:05.000000Z";
        for input in [
            "2024-01-02T03:04:05Z",
            "2024-01-02T04:04:05+01:00",
            "2024-01-02 03:04:05",
            "2024-01-02T03:04:05.000",
        ] {
            assert_eq!(normalize(input).as_deref(), Some(want), "{input}");
        }
        assert_eq!(
            normalize("2024-01-02").as_deref(),
            Some("2024-01-02T00:00:00.000000Z")
        );
        assert_eq!(normalize("yesterday"), None);
    }
}
