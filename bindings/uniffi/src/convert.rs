//! Argument conversions: JSON text and string maps into the core's JSON maps. Error texts name
//! the argument and never repeat its content.

use serde_json::{Map, Value};
use std::collections::HashMap;

/// Parses `text` as a JSON object; the error names `what` and the parse position only.
pub(crate) fn json_object(text: &str, what: &str) -> Result<Map<String, Value>, String> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("{what} is not a JSON object")),
        Err(e) => Err(format!(
            "{what} is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )),
    }
}

/// An optional JSON object (absent = empty), merged with string entries (which win).
pub(crate) fn properties(
    json: Option<&str>,
    strings: HashMap<String, String>,
    what: &str,
) -> Result<Map<String, Value>, String> {
    let mut map = match json {
        Some(text) => json_object(text, what)?,
        None => Map::new(),
    };
    map.extend(strings.into_iter().map(|(k, v)| (k, Value::String(v))));
    Ok(map)
}

/// The message inside a core `InvalidInput` (so `reject_input` does not prefix it twice).
pub(crate) fn input_message(e: posthog_core::Error) -> String {
    match e {
        posthog_core::Error::InvalidInput(m) => m,
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_errors_do_not_echo_the_payload() {
        let e = json_object("{\"secret\": phc_abc", "properties_json").unwrap_err();
        assert!(!e.contains("phc_abc") && !e.contains("secret"), "{e}");
        assert!(
            json_object("[1]", "x")
                .unwrap_err()
                .contains("not a JSON object")
        );
    }

    #[test]
    fn strings_merge_over_json() {
        let m = properties(
            Some(r#"{"a": 1, "b": 2}"#),
            HashMap::from([("b".to_string(), "s".to_string())]),
            "p",
        )
        .unwrap();
        assert_eq!(m["a"], 1);
        assert_eq!(m["b"], "s");
    }
}
