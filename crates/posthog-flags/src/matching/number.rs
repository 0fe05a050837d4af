//! `gt`, `gte`, `lt`, `lte`: numeric comparison of a filter number and a value.

use serde_json::Value;
use std::cmp::Ordering;

/// A number as a filter or a value holds it: exact integers stay exact.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    /// An integer.
    Int(i128),
    /// Anything else.
    Float(f64),
}

impl Num {
    pub(crate) fn cmp(self, other: Num) -> Option<Ordering> {
        match (self, other) {
            (Num::Int(a), Num::Int(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

/// A decimal number in text: optional sign, digits with an optional fraction, optional
/// exponent. No spaces, underscores, hex, `inf` or `nan`.
pub(crate) fn parse_decimal(s: &str) -> Option<Num> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    let mut is_float = false;
    if i < b.len() && b[i] == b'.' {
        is_float = true;
        i += 1;
        let fs = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - fs;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        is_float = true;
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let es = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == es {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    if !is_float && let Ok(n) = s.parse::<i128>() {
        return Some(Num::Int(n));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Num::Float)
}

/// A JSON number as a [`Num`].
pub(crate) fn from_json_number(n: &serde_json::Number) -> Option<Num> {
    if let Some(i) = n.as_i64() {
        Some(Num::Int(i128::from(i)))
    } else if let Some(u) = n.as_u64() {
        Some(Num::Int(i128::from(u)))
    } else {
        n.as_f64().map(Num::Float)
    }
}

/// The filter side: a JSON number, or a string holding a decimal number.
pub(crate) fn parse_filter(value: &Value) -> Option<Num> {
    match value {
        Value::Number(n) => from_json_number(n),
        Value::String(s) => parse_decimal(s),
        _ => None,
    }
}

/// The value side: a number, or a string holding a decimal number; anything else cannot be
/// compared (the filter does not match).
pub(crate) fn parse_value(value: &Value) -> Option<Num> {
    parse_filter(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text() {
        assert_eq!(parse_decimal("1e2"), Some(Num::Float(100.0)));
        assert_eq!(parse_decimal("-0"), Some(Num::Int(0)));
        assert_eq!(parse_decimal("1_000"), None);
        assert_eq!(parse_decimal(" 7"), None);
        assert_eq!(parse_decimal("Infinity"), None);
        assert_eq!(parse_decimal("0x1F"), None);
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_decimal("5."), Some(Num::Float(5.0)));
    }
}
