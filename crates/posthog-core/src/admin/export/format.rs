//! Row encodings: JSON Lines (one object per row, keys = column names) and CSV (a header,
//! RFC 4180 quoting, nested values as JSON text, `\n` line ends).

use serde_json::Value;

/// The text output format of an export (Parquet: `AdminClient::export_parquet`, behind the
/// `parquet` cargo feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// One JSON object per line.
    #[default]
    Jsonl,
    /// Comma-separated values with a header line.
    Csv,
}

/// Appends one row as a JSON object line.
pub(crate) fn jsonl_row(out: &mut Vec<u8>, columns: &[String], row: &[Value]) {
    out.push(b'{');
    for (i, (col, v)) in columns.iter().zip(row).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        // Writing JSON into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, col);
        out.push(b':');
        let _ = serde_json::to_writer(&mut *out, v);
    }
    out.extend_from_slice(b"}\n");
}

/// Appends the CSV header line.
pub(crate) fn csv_header(out: &mut Vec<u8>, columns: &[String]) {
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(out, c);
    }
    out.push(b'\n');
}

/// Appends one row as a CSV line.
pub(crate) fn csv_row(out: &mut Vec<u8>, row: &[Value]) {
    for (i, v) in row.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match v {
            Value::Null => {}
            Value::String(s) => csv_field(out, s),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
            nested => csv_field(out, &nested.to_string()),
        }
    }
    out.push(b'\n');
}

fn csv_field(out: &mut Vec<u8>, s: &str) {
    let needs = s.is_empty()
        || s.starts_with(' ')
        || s.ends_with(' ')
        || s.contains([',', '"', '\n', '\r']);
    if !needs {
        out.extend_from_slice(s.as_bytes());
        return;
    }
    out.push(b'"');
    for part in s.split('"').enumerate() {
        if part.0 > 0 {
            out.extend_from_slice(b"\"\"");
        }
        out.extend_from_slice(part.1.as_bytes());
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_rows() {
        let cols = vec!["a".to_string(), "b,c".to_string()];
        let mut out = Vec::new();
        jsonl_row(&mut out, &cols, &[json!(1), json!({"x": "y"})]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"a\":1,\"b,c\":{\"x\":\"y\"}}\n"
        );
        let mut out = Vec::new();
        csv_header(&mut out, &cols);
        csv_row(&mut out, &[json!("say \"hi\"\nbye"), json!({"k": [1, 2]})]);
        csv_row(&mut out, &[Value::Null, json!(true)]);
        csv_row(&mut out, &[json!(""), json!(2.5)]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"b,c\"\n\"say \"\"hi\"\"\nbye\",\"{\"\"k\"\":[1,2]}\"\n,true\n\"\",2.5\n"
        );
    }
}
