//! How a property value turns into text, and the case folding the string operators use.

use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Write;

/// The text of a value as the string operators see it: strings as they are, `true`/`false`,
/// `null`, numbers in their shortest round-trip form (a float keeps its `.0`), arrays and
/// objects as compact JSON with sorted keys.
pub(crate) fn text(value: &Value) -> Cow<'_, str> {
    match value {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Bool(true) => Cow::Borrowed("true"),
        Value::Bool(false) => Cow::Borrowed("false"),
        Value::Null => Cow::Borrowed("null"),
        other => {
            let mut out = String::new();
            write_json(&mut out, other);
            Cow::Owned(out)
        }
    }
}

/// Writes a number the way Python's `repr` does: integers plainly, floats in the shortest
/// round-trip form with `.0` for integral values and an exponent outside `1e-4 ..= 1e16`.
pub(crate) fn write_number(out: &mut String, n: &serde_json::Number) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        write_float(out, f);
    }
}

/// Python `repr(float)`.
pub(crate) fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("nan");
        return;
    }
    if f.is_infinite() {
        out.push_str(if f > 0.0 { "inf" } else { "-inf" });
        return;
    }
    if f == 0.0 {
        out.push_str(if f.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    // Shortest round-trip digits and exponent, from Rust's `{:e}` formatting.
    let sci = format!("{f:e}");
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci.as_str(), 0),
    };
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                for _ in digits.len()..int_len {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
}

/// Compact JSON with sorted object keys.
pub(crate) fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => {
            let _ = write!(out, "{}", Value::String(s.clone()));
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{}", Value::String((*k).clone()));
                out.push(':');
                if let Some(v) = map.get(k.as_str()) {
                    write_json(out, v);
                }
            }
            out.push('}');
        }
    }
}

/// Full Unicode lower-casing (used by `exact`/`is_not`), borrowing when nothing changes.
pub(crate) fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// ASCII-only lower-casing (used by `icontains`, `starts_with`, `ends_with`).
pub(crate) fn ascii_lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_read_like_python() {
        let cases = [
            (json!(1.0), "1.0"),
            (json!(1.5), "1.5"),
            (json!(2.5e-05), "2.5e-05"),
            (json!(1e21), "1e+21"),
            (json!(1e16), "1e+16"),
            (json!(123456.789), "123456.789"),
            (json!(0.0001), "0.0001"),
            (json!(-0.0), "-0.0"),
            (json!(5), "5"),
        ];
        for (v, want) in cases {
            assert_eq!(text(&v), want, "{v}");
        }
    }

    #[test]
    fn objects_are_compact_sorted_json() {
        assert_eq!(text(&json!({"b": 2.5, "a": "x"})), r#"{"a":"x","b":2.5}"#);
        assert_eq!(text(&json!([1, true, null])), "[1,true,null]");
    }
}
