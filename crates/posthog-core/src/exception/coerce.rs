//! Values thrown that are not exceptions (a string, a number, a plain object, an `Event`):
//! the type and message posthog-node's coercers give them. A binding reads the facts off the
//! value ([`Thrown`]); the core words the `$exception_list` entry.

use super::ExceptionInput;
use serde::Deserialize;

/// The longest list of keys in an "… captured as exception with keys: …" message
/// (posthog-node's `extractExceptionKeysForMessage`), in UTF-16 units as JavaScript counts.
const MAX_KEYS_LENGTH: usize = 40;

/// What was thrown, when it is not an exception, as the binding read it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Thrown {
    /// A string (`throw 'TypeError: bad'`).
    String {
        /// The string.
        value: String,
    },
    /// Any other primitive (number, boolean, `null`, `undefined`, bigint, symbol, function).
    Primitive {
        /// The value as the language renders it (JavaScript's `String(value)`).
        text: String,
    },
    /// An object that is not an exception.
    Object {
        /// The name of its class (the prototype's constructor), when it has one.
        #[serde(default)]
        class_name: Option<String>,
        /// Its own enumerable keys.
        #[serde(default)]
        keys: Vec<String>,
        /// Its `name`, when that is a string.
        #[serde(default)]
        name: Option<String>,
        /// Its `message`, when that is a string.
        #[serde(default)]
        message: Option<String>,
        /// Its own stack text (`stacktrace` or `stack`), when it has a non-empty one.
        #[serde(default)]
        stack: Option<String>,
    },
    /// A DOM-style event (`Event`, `CustomEvent`).
    Event {
        /// The name of its class.
        class_name: String,
        /// Its own enumerable keys.
        #[serde(default)]
        keys: Vec<String>,
    },
}

/// The type and message of a thrown value, and the stack that replaces the binding's
/// synthetic one (an object's own stack), as posthog-node's coercers decide them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coerced {
    /// `$exception_list[].type`.
    pub type_name: String,
    /// `$exception_list[].value`.
    pub value: String,
    /// The stack to parse instead of the synthetic one, when the value has its own.
    pub stack: Option<String>,
}

/// posthog-node's coercion of a non-exception value.
pub fn coerce(thrown: &Thrown) -> Coerced {
    match thrown {
        Thrown::String { value } => {
            let (type_name, value) = string_infos(value);
            Coerced {
                type_name,
                value,
                stack: None,
            }
        }
        Thrown::Primitive { text } => Coerced {
            type_name: "Error".into(),
            value: format!("Primitive value captured as exception: {text}"),
            stack: None,
        },
        Thrown::Event { class_name, keys } => Coerced {
            type_name: class_name.clone(),
            value: format!(
                "{class_name} captured as exception with keys: {}",
                keys_for_message(keys)
            ),
            stack: None,
        },
        Thrown::Object {
            class_name,
            keys,
            name,
            message,
            stack,
        } => {
            let type_name = name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "Error".into());
            let value = match (name, message) {
                (Some(name), Some(message)) => {
                    format!("'{name}' captured as exception with message: '{message}'")
                }
                (Some(name), None) => format!("'{name}' captured as exception"),
                (None, Some(message)) => message.clone(),
                (None, None) => {
                    let class = match class_name.as_deref() {
                        Some(c) if !c.is_empty() && c != "Object" => format!("'{c}'"),
                        _ => "Object".into(),
                    };
                    format!(
                        "{class} captured as exception with keys: {}",
                        keys_for_message(keys)
                    )
                }
            };
            Coerced {
                type_name,
                value,
                stack: stack.clone().filter(|s| !s.is_empty()),
            }
        }
    }
}

/// `input` with its [`Thrown`] value worded: type, value, stack and `synthetic` (a thrown
/// value never has a stack of its own making). `None` when there is no thrown value.
pub(super) fn resolve(input: &ExceptionInput) -> Option<ExceptionInput> {
    let thrown = input.thrown.as_ref()?;
    let c = coerce(thrown);
    let mut out = input.clone();
    out.type_name = Some(c.type_name);
    out.value = Some(c.value);
    if c.stack.is_some() {
        out.stack = c.stack;
    }
    out.synthetic = Some(true);
    out.thrown = None;
    Some(out)
}

/// posthog-node's `StringCoercer`: `Uncaught `, `Uncaught exception: ` and a built-in error
/// type prefix (`TypeError: `, any case) are read off a one-line string; otherwise the type is
/// `Error` and the value the whole string.
fn string_infos(s: &str) -> (String, String) {
    // JavaScript's `.` stops at line terminators, so the pattern only matches one line.
    if s.contains(['\n', '\r', '\u{2028}', '\u{2029}']) {
        return ("Error".into(), s.to_string());
    }
    let mut rest = s;
    if let Some(r) = strip_prefix_ci(rest, "uncaught ") {
        rest = strip_prefix_ci(r, "exception: ").unwrap_or(r);
    }
    for kind in [
        "Eval",
        "Internal",
        "Range",
        "Reference",
        "Syntax",
        "Type",
        "URI",
        "",
    ] {
        let prefix = format!("{kind}Error: ");
        if let Some(value) = strip_prefix_ci(rest, &prefix) {
            let type_len = prefix.len() - 2;
            return (rest[..type_len].to_string(), value.to_string());
        }
    }
    ("Error".into(), rest.to_string())
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// posthog-node's `extractExceptionKeysForMessage`: the keys sorted, joined with `, ` while
/// the text stays within 40 characters; `[object has no keys]` for none.
fn keys_for_message(keys: &[String]) -> String {
    if keys.is_empty() {
        return "[object has no keys]".into();
    }
    let mut sorted: Vec<&String> = keys.iter().collect();
    // JavaScript's default sort compares UTF-16 code units.
    sorted.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    let mut out = String::new();
    let mut len = 0;
    for key in sorted {
        let key_len = key.encode_utf16().count();
        let next = if out.is_empty() {
            key_len
        } else {
            len + 2 + key_len
        };
        if next > MAX_KEYS_LENGTH {
            break;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(key);
        len = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn coerced(v: serde_json::Value) -> (String, String) {
        let t: Thrown = serde_json::from_value(v).unwrap();
        let c = coerce(&t);
        (c.type_name, c.value)
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn strings_read_their_type_prefix() {
        let s = |v: &str| coerced(json!({"kind": "string", "value": v}));
        assert_eq!(s("plain text"), pair("Error", "plain text"));
        assert_eq!(s("TypeError: bad"), pair("TypeError", "bad"));
        assert_eq!(s("typeerror: bad"), pair("typeerror", "bad"));
        assert_eq!(s("Uncaught RangeError: x"), pair("RangeError", "x"));
        assert_eq!(s("Uncaught exception: boom"), pair("Error", "boom"));
        assert_eq!(s("Error: e"), pair("Error", "e"));
        assert_eq!(s("CustomError: e"), pair("Error", "CustomError: e"));
        assert_eq!(s("TypeError: a\nb"), pair("Error", "TypeError: a\nb"));
        assert_eq!(s(""), pair("Error", ""));
    }

    #[test]
    fn primitives_and_events() {
        assert_eq!(
            coerced(json!({"kind": "primitive", "text": "42"})),
            pair("Error", "Primitive value captured as exception: 42")
        );
        assert_eq!(
            coerced(json!({"kind": "event", "class_name": "CustomEvent", "keys": ["isTrusted"]})),
            pair(
                "CustomEvent",
                "CustomEvent captured as exception with keys: isTrusted"
            )
        );
    }

    #[test]
    fn objects_as_posthog_node_words_them() {
        assert_eq!(
            coerced(json!({"kind": "object", "class_name": "Object", "keys": ["b", "a", "code"]})),
            pair(
                "Error",
                "Object captured as exception with keys: a, b, code"
            )
        );
        assert_eq!(
            coerced(json!({"kind": "object", "class_name": "Foo", "keys": []})),
            pair(
                "Error",
                "'Foo' captured as exception with keys: [object has no keys]"
            )
        );
        assert_eq!(
            coerced(json!({"kind": "object", "keys": ["x"]})),
            pair("Error", "Object captured as exception with keys: x")
        );
        assert_eq!(
            coerced(
                json!({"kind": "object", "name": "Oops", "message": "m", "keys": ["name", "message"]})
            ),
            pair("Oops", "'Oops' captured as exception with message: 'm'")
        );
        assert_eq!(
            coerced(json!({"kind": "object", "name": "", "keys": ["name"]})),
            pair("Error", "'' captured as exception")
        );
        assert_eq!(
            coerced(json!({"kind": "object", "message": "just a message", "keys": ["message"]})),
            pair("Error", "just a message")
        );
        let long: Vec<String> = (0..20).map(|i| format!("key{i:02}")).collect();
        let (_, value) = coerced(json!({"kind": "object", "keys": long}));
        assert_eq!(
            value,
            "Object captured as exception with keys: key00, key01, key02, key03, key04, key05"
        );
    }

    #[test]
    fn an_objects_own_stack_replaces_the_synthetic_one() {
        let input: ExceptionInput = serde_json::from_value(json!({
            "thrown": {"kind": "object", "keys": ["stack"], "stack": "Error\n    at f (/a.js:1:2)"},
            "stack": "Error: PostHog syntheticException\n    at g (/b.js:1:2)",
            "skip_stack_lines": 1
        }))
        .unwrap();
        let out = resolve(&input).unwrap();
        assert_eq!(out.stack.as_deref(), Some("Error\n    at f (/a.js:1:2)"));
        assert_eq!(out.synthetic, Some(true));
        assert_eq!(out.type_name.as_deref(), Some("Error"));
        assert!(out.thrown.is_none());
    }
}
