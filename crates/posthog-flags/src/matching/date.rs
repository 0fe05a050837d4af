//! `is_date_before` / `is_date_after`: ISO 8601 dates and date-times (no offset means UTC)
//! and relative dates (`-7d`, `24h`, `-2w`, `-1m`, `-1y`).

use chrono::{
    DateTime, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};

/// A filter date: fixed, or relative to the time of evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FilterDate {
    /// A fixed instant.
    Fixed(DateTime<Utc>),
    /// `n` units before now.
    Relative(u32, Unit),
}

/// The unit of a relative date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl FilterDate {
    /// Parses a filter value's text.
    pub(crate) fn parse(text: &str) -> Option<FilterDate> {
        if let Some(rel) = parse_relative(text) {
            return Some(rel);
        }
        parse_iso(text).map(FilterDate::Fixed)
    }

    /// The instant this filter stands for, now.
    pub(crate) fn resolve(self) -> Option<DateTime<Utc>> {
        match self {
            FilterDate::Fixed(d) => Some(d),
            FilterDate::Relative(n, unit) => {
                let now = Utc::now();
                match unit {
                    Unit::Hour => now.checked_sub_signed(Duration::hours(i64::from(n))),
                    Unit::Day => now.checked_sub_signed(Duration::days(i64::from(n))),
                    Unit::Week => now.checked_sub_signed(Duration::weeks(i64::from(n))),
                    Unit::Month => now.checked_sub_months(Months::new(n)),
                    Unit::Year => now.checked_sub_months(Months::new(n.saturating_mul(12))),
                }
            }
        }
    }
}

fn parse_relative(text: &str) -> Option<FilterDate> {
    let t = text.strip_prefix('-').unwrap_or(text);
    let (digits, unit) = t.split_at(t.len().checked_sub(1)?);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let unit = match unit {
        "h" => Unit::Hour,
        "d" => Unit::Day,
        "w" => Unit::Week,
        "m" => Unit::Month,
        "y" => Unit::Year,
        _ => return None,
    };
    let n: u32 = digits.parse().ok()?;
    if n >= 10_000 {
        return None;
    }
    Some(FilterDate::Relative(n, unit))
}

/// Parses an ISO 8601 date or date-time; no offset means UTC.
pub(crate) fn parse_iso(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    // Year only.
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        let y: i32 = t.parse().ok()?;
        return NaiveDate::from_ymd_opt(y, 1, 1)
            .map(|d| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && t.len() == 10
    {
        return Some(Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)));
    }
    // Split an offset off the end.
    let (body, offset) = split_offset(t)?;
    let body = body.replacen(' ', "T", 1);
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(&body, f).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(&body, "%Y-%m-%d")
            .ok()
            .filter(|_| body.len() == 10)
            .map(|d| d.and_time(NaiveTime::MIN))
    })?;
    let dt = offset.from_local_datetime(&naive).single()?;
    Some(dt.with_timezone(&Utc))
}

fn split_offset(t: &str) -> Option<(&str, FixedOffset)> {
    let utc = FixedOffset::east_opt(0)?;
    if let Some(b) = t.strip_suffix('Z').or_else(|| t.strip_suffix('z')) {
        return Some((b, utc));
    }
    if let Some(b) = t.strip_suffix(" UTC") {
        return Some((b, utc));
    }
    // ±HH:MM or ±HHMM after the time part.
    if let Some(tpos) = t.find(['T', ' ']) {
        let time = &t[tpos..];
        if let Some(rel) = time.rfind(['+', '-']) {
            let sign_pos = tpos + rel;
            let off = &t[sign_pos + 1..];
            let digits: String = off.chars().filter(|c| *c != ':').collect();
            if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
                let h: i32 = digits[..2].parse().ok()?;
                let m: i32 = digits[2..].parse().ok()?;
                let secs = (h * 3600 + m * 60)
                    * if &t[sign_pos..=sign_pos] == "-" {
                        -1
                    } else {
                        1
                    };
                return Some((&t[..sign_pos], FixedOffset::east_opt(secs)?));
            }
            return None;
        }
    }
    Some((t, utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_forms() {
        let a = parse_iso("2024-01-15T10:30:00-05:30").unwrap();
        let b = parse_iso("2024-01-15T16:00:00Z").unwrap();
        assert_eq!(a, b);
        assert!(parse_iso("2024-01-15 10:30:00").is_some());
        assert!(parse_iso("2024-01-15T10:30").is_some());
        assert!(parse_iso("2024-01-15 UTC").is_some());
        assert!(parse_iso("2024").is_some());
        assert!(parse_iso("2024-01-15T10:30:00.123456789Z").is_some());
        assert!(parse_iso("2024-01-15T25:00:00Z").is_none());
        assert!(parse_iso("garbage").is_none());
        assert!(parse_iso("").is_none());
    }

    #[test]
    fn relative_forms() {
        assert_eq!(
            FilterDate::parse("-7d"),
            Some(FilterDate::Relative(7, Unit::Day))
        );
        assert_eq!(
            FilterDate::parse("1d"),
            Some(FilterDate::Relative(1, Unit::Day))
        );
        assert_eq!(FilterDate::parse("-10000d"), None);
        assert_eq!(FilterDate::parse("-1D"), None);
        assert_eq!(FilterDate::parse("-1 d"), None);
        assert_eq!(FilterDate::parse("--1d"), None);
    }
}
