//! Code variables of error tracking (posthog-python's `capture_exception_code_variables`): the
//! local variables of in-app frames, masked before they leave the process, as posthog-python
//! 7.91.1 masks them.
//!
//! A binding renders each local as a [`Rendered`] tree (JSON): plain scalars as themselves,
//! and tagged objects for what only the language can see — a mapping's entries (`$map`), a
//! sequence (`$seq`), an object's `repr` (`$repr`), the names of the data members its class
//! declares (`$members`), and the markers for a value too deep or too large to walk
//! (`$too_long`) or already visited (`$circular`). When every masking option is off
//! ([`Masker::masks_nothing`]) the binding renders values as `json.dumps` would, with no
//! bounds but the text's. The rules are the core's:
//!
//! - a variable whose name matches an ignore pattern is left out;
//! - a name, mapping key or string value matching a mask pattern is replaced by
//!   [`REDACTED`]; so is a string that looks like a secret (known key formats, PEM keys,
//!   long high-entropy tokens);
//! - credentials in URLs (`scheme://user:pass@`) and `Authorization` values
//!   (`Bearer <token>`, `Basic <user:pass>`) inside other text are replaced;
//! - strings over 2048 characters are [`TOO_LONG`]; a rendered value is cut at 1024
//!   characters; all variables of one capture share a 10 KiB budget (scalars first, then
//!   the others, each group by name).

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::OnceLock;

/// The value written in place of a masked variable.
pub const REDACTED: &str = "$$_posthog_redacted_based_on_masking_rules_$$";
/// The value written in place of a variable over the size budget or too long to scan.
pub const TOO_LONG: &str = "$$_posthog_value_too_long_$$";
/// A value met again while walking the same variable.
pub const CIRCULAR: &str = "<circular ref>";
/// Total characters of the variables of one capture.
pub const TOTAL_SIZE_LIMIT: usize = 10 * 1024;
/// Longest rendered variable (longer ones are cut and end with `...`).
pub const MAX_VALUE_LENGTH: usize = 1024;
/// Strings longer than this are [`TOO_LONG`] rather than scanned.
pub const MAX_SCAN_LENGTH: usize = 2048;
/// Most items of one collection a binding renders (more: `$too_long`).
pub const MAX_COLLECTION_ITEMS: usize = 50;
/// Deepest nesting a binding renders (deeper: `$too_long`).
pub const MAX_DEPTH: usize = 12;
/// Most collections and objects a binding renders for one variable (more: `$too_long`).
pub const MAX_NODES: usize = 100;

/// posthog-python's default mask patterns (case-insensitive name fragments).
pub const DEFAULT_MASK_PATTERNS: &[&str] = &[
    r"(?i)password",
    r"(?i)secret",
    r"(?i)passwd",
    r"(?i)pwd",
    r"(?i)api_key",
    r"(?i)apikey",
    r"(?i)auth",
    r"(?i)credentials",
    r"(?i)privatekey",
    r"(?i)private_key",
    r"(?i)token",
    r"(?i)aws_access_key_id",
    r"(?i)_pass",
    r"(?i)sk_",
    r"(?i)jwt",
    r"(?i)connection_string",
    r"(?i)connectionstring",
    r"(?i)conn_str",
    r"(?i)connstr",
    r"(?i)dsn",
    r"(?i)[?&]sig=",
];
/// posthog-python's default ignore patterns (dunder names).
pub const DEFAULT_IGNORE_PATTERNS: &[&str] = &[r"^__.*"];

/// The masking options (posthog-python's `code_variables_*` options).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VariablesConfig {
    /// Regexes of names (and string values) to mask; `(?i)word` is a case-insensitive
    /// fragment. Patterns that do not compile are skipped, as posthog-python skips them.
    pub mask_patterns: Vec<String>,
    /// Regexes of names to leave out.
    pub ignore_patterns: Vec<String>,
    /// Mask `user:password@` in URLs.
    pub mask_url_credentials: bool,
    /// Mask values that look like secrets (known key formats, high-entropy tokens).
    pub detect_secrets: bool,
}

impl Default for VariablesConfig {
    fn default() -> Self {
        VariablesConfig {
            mask_patterns: DEFAULT_MASK_PATTERNS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ignore_patterns: DEFAULT_IGNORE_PATTERNS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            mask_url_credentials: true,
            detect_secrets: true,
        }
    }
}

/// Compiled patterns: lower-cased plain fragments (from `(?i)word`) and regexes.
#[derive(Debug, Default)]
struct Matcher {
    fragments: Vec<String>,
    regexes: Vec<Regex>,
}

impl Matcher {
    /// `None` when nothing compiles (posthog-python then masks nothing by name).
    fn new(patterns: &[String]) -> Option<Matcher> {
        let mut m = Matcher::default();
        for p in patterns {
            if let Some(plain) = plain_fragment(p) {
                m.fragments.push(plain);
            } else if let Ok(re) = RegexBuilder::new(p).size_limit(1 << 20).build() {
                m.regexes.push(re);
            }
        }
        (!m.fragments.is_empty() || !m.regexes.is_empty()).then_some(m)
    }

    fn matches(&self, text: &str) -> bool {
        if !self.fragments.is_empty() {
            let lower = text.to_lowercase();
            if self.fragments.iter().any(|f| lower.contains(f.as_str())) {
                return true;
            }
        }
        self.regexes.iter().any(|r| r.is_match(text))
    }
}

fn matches(m: &Option<Matcher>, text: &str) -> bool {
    m.as_ref().is_some_and(|m| m.matches(text))
}

/// `(?i)word` without regex metacharacters → `word` (lower-cased).
fn plain_fragment(pattern: &str) -> Option<String> {
    let rest = pattern.strip_prefix("(?")?;
    let close = rest.find(')')?;
    let flags = &rest[..close];
    if !flags.contains('i') || !flags.chars().all(|c| "aiLmsux".contains(c)) {
        return None;
    }
    let remainder = &rest[close + 1..];
    if remainder.is_empty() || remainder.chars().any(|c| r"\.^$*+?{}[]|()".contains(c)) {
        return None;
    }
    Some(remainder.to_lowercase())
}

/// One capture's masking: the compiled options and the size budget its variables share.
pub struct Masker {
    mask: Option<Matcher>,
    ignore: Option<Matcher>,
    mask_url_credentials: bool,
    detect_secrets: bool,
    used: usize,
}

impl Masker {
    /// A masker for one capture.
    pub fn new(config: &VariablesConfig) -> Masker {
        Masker {
            mask: Matcher::new(&config.mask_patterns),
            ignore: Matcher::new(&config.ignore_patterns),
            mask_url_credentials: config.mask_url_credentials,
            detect_secrets: config.detect_secrets,
            used: 0,
        }
    }

    /// No mask pattern compiles and both URL-credential masking and secret detection are off.
    pub fn masks_nothing(&self) -> bool {
        self.mask.is_none() && !self.mask_url_credentials && !self.detect_secrets
    }

    fn can_add(&self, size: usize) -> bool {
        self.used + size <= TOTAL_SIZE_LIMIT
    }

    /// The masked variables of one frame, `{name: value}`: numbers stay numbers, everything
    /// else is a string (a collection as posthog-python's `json.dumps` text). Stops when the
    /// capture's budget is spent.
    pub fn frame(&mut self, vars: &[(String, Value)]) -> Map<String, Value> {
        let mut simple: Vec<&(String, Value)> = Vec::new();
        let mut complex: Vec<&(String, Value)> = Vec::new();
        for var in vars {
            if matches(&self.ignore, &var.0) {
                continue;
            }
            if is_simple(&var.1) {
                simple.push(var);
            } else {
                complex.push(var);
            }
        }
        simple.sort_by(|a, b| a.0.cmp(&b.0));
        complex.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = Map::new();
        for (name, value) in simple.into_iter().chain(complex) {
            match self.variable(name, value) {
                Some(v) => {
                    out.insert(name.clone(), v);
                }
                None => break,
            }
        }
        out
    }

    fn variable(&mut self, name: &str, value: &Value) -> Option<Value> {
        if matches(&self.mask, name) {
            if !self.can_add(REDACTED.len()) {
                return None;
            }
            self.used += REDACTED.len();
            return Some(Value::from(REDACTED));
        }
        // With nothing to mask, `{"$json": value}` is a collection or object written as
        // `json.dumps` writes it (an object's repr quoted).
        let json = value.as_object().and_then(|o| o.get("$json"));
        let masked = match json {
            Some(inner) if self.masks_nothing() => Masked::Json(Box::new(plain(inner))),
            _ if self.masks_nothing() => plain(value),
            _ => self.value(value),
        };
        let text = match masked {
            Masked::Null => "None".to_string(),
            Masked::Bool(b) => if b { "True" } else { "False" }.to_string(),
            Masked::Number(n) => {
                let size = n.to_string().len();
                if !self.can_add(size) {
                    return None;
                }
                self.used += size;
                return Some(Value::Number(n));
            }
            Masked::Str(s) => s,
            other => {
                let mut s = String::new();
                other.write_python_json(&mut s);
                s
            }
        };
        let text = cut(text, MAX_VALUE_LENGTH);
        let size = text.chars().count();
        if !self.can_add(size) {
            return None;
        }
        self.used += size;
        Some(Value::from(text))
    }

    fn value(&self, value: &Value) -> Masked {
        match value {
            Value::Null => Masked::Null,
            Value::Bool(b) => Masked::Bool(*b),
            Value::Number(n) => Masked::Number(n.clone()),
            Value::String(s) => Masked::Str(self.string(s)),
            Value::Array(items) => Masked::Seq(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(obj) => self.tagged(obj),
        }
    }

    fn tagged(&self, obj: &Map<String, Value>) -> Masked {
        if obj.contains_key("$too_long") {
            return Masked::Str(TOO_LONG.into());
        }
        if obj.contains_key("$circular") {
            return Masked::Str(CIRCULAR.into());
        }
        let class = obj.get("$class").and_then(Value::as_str);
        if let Some(Value::Array(items)) = obj.get("$seq") {
            return Masked::Seq(items.iter().map(|v| self.value(v)).collect());
        }
        if let Some(Value::Array(entries)) = obj.get("$map") {
            let mut out = self.mapping(entries);
            if let Some(class) = class {
                out.push(("__class__".into(), Masked::Str(class.into())));
            }
            return Masked::Map(out);
        }
        if let Some(Value::Array(members)) = obj.get("$members")
            && self.mask.is_some()
        {
            let mut out: Vec<(String, Masked)> = Vec::new();
            for name in members.iter().filter_map(Value::as_str) {
                if matches(&self.mask, name) && !out.iter().any(|(k, _)| k == name) {
                    out.push((name.into(), Masked::Str(REDACTED.into())));
                }
            }
            if !out.is_empty() {
                out.push((
                    "__class__".into(),
                    Masked::Str(class.unwrap_or("unknown").into()),
                ));
                return Masked::Map(out);
            }
        }
        match obj.get("$repr") {
            Some(Value::String(text)) => Masked::Str(self.repr(text)),
            _ => Masked::Str(format!("<{}>", class.unwrap_or("unknown"))),
        }
    }

    /// posthog-python's `_safe_repr`: an object's `repr`, redacted whole when it is too long
    /// to scan, matches a mask or looks like a secret.
    fn repr(&self, text: &str) -> String {
        if text.chars().count() > MAX_SCAN_LENGTH
            || matches(&self.mask, text)
            || (self.detect_secrets && looks_like_secret(text))
        {
            return REDACTED.into();
        }
        self.embedded(text)
    }

    /// posthog-python's `_mask_string`.
    fn string(&self, s: &str) -> String {
        if s.chars().count() > MAX_SCAN_LENGTH {
            return TOO_LONG.into();
        }
        if matches(&self.mask, s) || (self.detect_secrets && looks_like_secret(s)) {
            return REDACTED.into();
        }
        self.embedded(s)
    }

    fn embedded(&self, s: &str) -> String {
        let s = if self.mask_url_credentials {
            mask_url_credentials(s)
        } else {
            s.to_string()
        };
        mask_auth_header_credentials(&s)
    }

    /// posthog-python's `_mask_mapping`: entries `{"k": text, "kind": "str" | "scalar" |
    /// "other", "v": value, "o": output key}`.
    fn mapping(&self, entries: &[Value]) -> Vec<(String, Masked)> {
        let mut out: Vec<(String, Masked)> = Vec::new();
        for entry in entries {
            let Some(entry) = entry.as_object() else {
                continue;
            };
            let Some(text) = entry.get("k").and_then(Value::as_str) else {
                let key = placeholder(&out);
                out.push((key, Masked::Str(REDACTED.into())));
                continue;
            };
            let kind = entry.get("kind").and_then(Value::as_str).unwrap_or("str");
            let shown = entry
                .get("o")
                .and_then(Value::as_str)
                .unwrap_or(text)
                .to_string();
            let value = entry.get("v").unwrap_or(&Value::Null);
            if text.chars().count() > MAX_SCAN_LENGTH {
                let key = placeholder(&out);
                out.push((key, Masked::Str(TOO_LONG.into())));
                continue;
            }
            let key_masked = matches(&self.mask, text);
            let field_name = match kind {
                "str" => is_field_name(text),
                "scalar" => true,
                _ => false,
            };
            // A key whose text can hold a secret is replaced: a matching key that is not a
            // field name (`password=hunter2`), a secret-looking key, or a repr key whose
            // parts do not all survive masking.
            let replace = (key_masked && !field_name)
                || (self.detect_secrets && looks_like_secret(text))
                || (kind == "other" && self.key_fails(text));
            let mut key = if replace {
                placeholder(&out)
            } else if kind == "scalar" {
                shown
            } else {
                self.embedded(&shown)
            };
            if out.iter().any(|(k, _)| *k == key) {
                key = placeholder(&out);
            }
            let v = if key_masked {
                Masked::Str(REDACTED.into())
            } else {
                self.value(value)
            };
            out.push((key, v));
        }
        out
    }

    fn key_fails(&self, text: &str) -> bool {
        let masked = self.string(text);
        [REDACTED, TOO_LONG, CIRCULAR]
            .iter()
            .any(|m| masked.contains(m))
    }
}

fn placeholder(out: &[(String, Masked)]) -> String {
    (0..)
        .map(|n| format!("$$_posthog_redacted_key_{n}_$$"))
        .find(|c| !out.iter().any(|(k, _)| k == c))
        .unwrap_or_default()
}

fn is_field_name(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')
}

fn is_simple(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn cut(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    let mut out: String = text.chars().take(max - 3).collect();
    out.push_str("...");
    out
}

/// A value when every masking option is off: posthog-python then writes the value as
/// `json.dumps` does, its non-JSON parts (`$repr`) as quoted reprs; a binding sends a value
/// `json.dumps` refuses (a cycle, a tuple key) as one `$repr`. Reprs over 2048 characters are
/// still redacted, and `Authorization` credentials in them masked.
fn plain(value: &Value) -> Masked {
    match value {
        Value::Null => Masked::Null,
        Value::Bool(b) => Masked::Bool(*b),
        Value::Number(n) => Masked::Number(n.clone()),
        Value::String(s) => Masked::Str(s.clone()),
        Value::Array(items) => Masked::Seq(items.iter().map(plain).collect()),
        Value::Object(obj) => {
            if let Some(Value::Array(items)) = obj.get("$seq") {
                return Masked::Seq(items.iter().map(plain).collect());
            }
            if let Some(Value::Array(entries)) = obj.get("$map") {
                let out: Vec<(String, Masked)> = entries
                    .iter()
                    .filter_map(Value::as_object)
                    .map(|e| {
                        let k = e
                            .get("o")
                            .or_else(|| e.get("k"))
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string();
                        (k, plain(e.get("v").unwrap_or(&Value::Null)))
                    })
                    .collect();
                return Masked::Map(out);
            }
            if obj.contains_key("$too_long") {
                return Masked::Str(TOO_LONG.into());
            }
            if obj.contains_key("$circular") {
                return Masked::Str(CIRCULAR.into());
            }
            match obj.get("$repr") {
                Some(Value::String(s)) if s.chars().count() > MAX_SCAN_LENGTH => {
                    Masked::Str(REDACTED.into())
                }
                Some(Value::String(s)) => Masked::Str(mask_auth_header_credentials(s)),
                _ => Masked::Str(format!(
                    "<{}>",
                    obj.get("$class")
                        .and_then(Value::as_str)
                        .unwrap_or("unknown")
                )),
            }
        }
    }
}

/// A masked value, keeping the order of mapping entries.
#[derive(Debug, Clone, PartialEq)]
enum Masked {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    Str(String),
    Seq(Vec<Masked>),
    Map(Vec<(String, Masked)>),
    /// A value written as JSON text even when it is a string.
    Json(Box<Masked>),
}

impl Masked {
    /// Python's `json.dumps(value)`: `", "` and `": "` separators, non-ASCII as `\uXXXX`.
    fn write_python_json(&self, out: &mut String) {
        match self {
            Masked::Null => out.push_str("null"),
            Masked::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Masked::Number(n) => out.push_str(&n.to_string()),
            Masked::Str(s) => write_python_str(s, out),
            Masked::Json(inner) => inner.write_python_json(out),
            Masked::Seq(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_python_json(out);
                }
                out.push(']');
            }
            Masked::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_python_str(k, out);
                    out.push_str(": ");
                    v.write_python_json(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_python_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (' '..='~').contains(&c) => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// The masked variables of one frame with a budget of its own (see [`Masker::frame`]).
pub fn mask_frame_variables(
    config: &VariablesConfig,
    vars: &[(String, Value)],
) -> Map<String, Value> {
    Masker::new(config).frame(vars)
}

/// `scheme://user:password@host` → `scheme://$$_posthog_redacted…$$@host` (posthog-python's
/// `_redact_url_credentials`: everything between `://` and the last `@` before a `/`, when a
/// `:` comes before the first `@`).
pub fn mask_url_credentials(s: &str) -> String {
    static SCHEME: OnceLock<Option<Regex>> = OnceLock::new();
    if !s.contains("://") {
        return s.to_string();
    }
    let Some(re) = SCHEME
        .get_or_init(|| Regex::new(r"(?i)[a-z][a-z0-9+.\-]{0,30}://").ok())
        .as_ref()
    else {
        return s.to_string();
    };
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(m) = re.find_at(s, from) {
        let rest = &s[m.end()..];
        // `(?=[^/@\s]*:)`: a colon before any `/`, `@` or space.
        let has_colon = rest
            .chars()
            .find(|c| matches!(c, '/' | '@' | ':') || c.is_whitespace())
            == Some(':');
        // `[^/\s]*@`: the authority up to its last `@`.
        let authority_len: usize = rest
            .char_indices()
            .find(|(_, c)| *c == '/' || c.is_whitespace())
            .map_or(rest.len(), |(i, _)| i);
        let at = rest[..authority_len].rfind('@');
        match (has_colon, at) {
            (true, Some(at)) => {
                out.push_str(&s[last..m.end()]);
                out.push_str(REDACTED);
                out.push('@');
                last = m.end() + at + 1;
                from = last;
            }
            _ => from = m.end(),
        }
        if from >= s.len() {
            break;
        }
    }
    out.push_str(&s[last..]);
    out
}

/// posthog-python's `_redact_auth_header_credentials`: the credential of `Bearer …` /
/// `Basic …` in text, unless it is short prose.
pub fn mask_auth_header_credentials(s: &str) -> String {
    static AUTH: OnceLock<Option<Regex>> = OnceLock::new();
    let lower = s.to_ascii_lowercase();
    if !lower.contains("bearer") && !lower.contains("basic") {
        return s.to_string();
    }
    let Some(re) = AUTH
        .get_or_init(|| {
            Regex::new(r#"(?i)\b(bearer|basic)((?:\s*:\s*|\s+)['"]?)([A-Za-z0-9._~+/-]+=*)"#).ok()
        })
        .as_ref()
    else {
        return s.to_string();
    };
    re.replace_all(s, |c: &regex::Captures<'_>| {
        let scheme = &c[1];
        let credential = &c[3];
        let basic_pair = scheme.eq_ignore_ascii_case("basic") && is_basic_credential(credential);
        let prose = credential.chars().count() <= 15
            && credential.chars().all(char::is_alphabetic)
            && credential.chars().all(char::is_lowercase);
        if !basic_pair && (credential.chars().count() < 8 || prose) {
            c[0].to_string()
        } else {
            format!("{scheme}{}{REDACTED}", &c[2])
        }
    })
    .into_owned()
}

/// Python's `base64.b64decode(text, validate=True)` decodes to UTF-8 text with a `:`.
fn is_basic_credential(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    let value = |b: u8| -> Option<u32> {
        Some(match b {
            b'A'..=b'Z' => u32::from(b - b'A'),
            b'a'..=b'z' => u32::from(b - b'a') + 26,
            b'0'..=b'9' => u32::from(b - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let pad = bytes.iter().rev().take_while(|b| **b == b'=').count();
    if pad > 2 || bytes[..bytes.len() - pad].contains(&b'=') {
        return false;
    }
    let mut decoded = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut acc = 0u32;
        let mut n: usize = 0;
        for &b in chunk {
            if b == b'=' {
                break;
            }
            let Some(v) = value(b) else { return false };
            acc = (acc << 6) | v;
            n += 1;
        }
        acc <<= 6 * (4 - n);
        let out = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        decoded.extend_from_slice(&out[..n.saturating_sub(1)]);
    }
    std::str::from_utf8(&decoded).is_ok_and(|t| t.contains(':'))
}

/// Well-known credential formats (posthog-python's list, from the gitleaks and
/// detect-secrets rule sets), matched regardless of entropy.
const KNOWN_SECRET_PATTERNS: &[&str] = &[
    r"sk-ant-[A-Za-z0-9_-]{16,}",
    r"sk-(?:proj-)?[A-Za-z0-9_-]{20,}",
    r"hf_[A-Za-z0-9]{34}",
    r"AKIA[0-9A-Z]{16}",
    r"(?:ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[0-9A-Z]{16}",
    r"AIza[A-Za-z0-9_-]{35}",
    r"ya29\.[A-Za-z0-9_-]{20,}",
    r"do[opr]_v1_[a-f0-9]{64}",
    r"(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}",
    r"sq0[a-z]{3}-[A-Za-z0-9_-]{22,43}",
    r"gh[pousr]_[A-Za-z0-9]{36}",
    r"github_pat_[A-Za-z0-9_]{20,}",
    r"gl(?:pat|ptt|rt|soat)-[A-Za-z0-9_-]{20}",
    r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
    r"xox[abeoprs]-[A-Za-z0-9-]{10,}",
    r"xapp-[0-9]-[A-Za-z0-9-]{10,}",
    r"SK[0-9a-fA-F]{32}",
    r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
    r"key-[0-9a-f]{32}",
    r"[0-9a-f]{32}-us[0-9]{1,2}",
    r"npm_[A-Za-z0-9]{36}",
    r"pypi-AgEI[A-Za-z0-9_-]{50,}",
    r"dapi[0-9a-f]{32}",
    r"dp\.pt\.[A-Za-z0-9]{40,}",
    r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",
    r"lin_api_[A-Za-z0-9]{40}",
    r"ntn_[A-Za-z0-9]{40,}",
    r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
    r"NR(?:AK|JS|II|MA|RA)-[A-Za-z0-9]{27}",
    r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{6,}",
];

fn known_secret() -> Option<&'static Regex> {
    static KNOWN: OnceLock<Option<Regex>> = OnceLock::new();
    KNOWN
        .get_or_init(|| Regex::new(&KNOWN_SECRET_PATTERNS.join("|")).ok())
        .as_ref()
}

/// posthog-python's `_looks_like_secret`: a PEM private key, a long high-entropy token of
/// three character classes that is not a path, URL, UUID, hex digest or repr, or a known
/// key format.
pub fn looks_like_secret(s: &str) -> bool {
    if s.contains("PRIVATE KEY-----") {
        return true;
    }
    let n = s.chars().count();
    if n < 16 {
        return false;
    }
    if is_high_entropy_secret(s) {
        return true;
    }
    n <= MAX_SCAN_LENGTH && known_secret().is_some_and(|re| re.is_match(s))
}

fn looks_like_path_or_url(s: &str) -> bool {
    if s.contains("://") || s.contains('\\') {
        return true;
    }
    if s.contains('/') {
        let words = s
            .split('/')
            .filter(|seg| {
                let mut chars = seg.chars();
                chars.next().is_some_and(|c| c.is_ascii_lowercase())
                    && chars.all(|c| c.is_ascii_lowercase() || c == '.')
            })
            .count();
        return words >= 2;
    }
    false
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn is_high_entropy_secret(s: &str) -> bool {
    if s.contains(' ') || looks_like_path_or_url(s) || is_uuid(s) {
        return false;
    }
    let mut counts: std::collections::HashMap<char, usize> = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0) += 1;
    }
    if counts.keys().any(|c| "()[]{}<>'\"`,;".contains(*c)) {
        return false;
    }
    let (mut lower, mut upper, mut digit, mut symbol) = (false, false, false, false);
    let mut hex_only = true;
    for &c in counts.keys() {
        if c.is_whitespace() {
            return false;
        }
        if c.is_lowercase() {
            lower = true;
            hex_only &= c.is_ascii_hexdigit();
        } else if c.is_uppercase() {
            upper = true;
            hex_only &= c.is_ascii_hexdigit();
        } else if c.is_numeric() {
            digit = true;
        } else {
            symbol = true;
            hex_only = false;
        }
    }
    if hex_only {
        return false;
    }
    let classes = [lower, upper, digit, symbol].iter().filter(|b| **b).count();
    if classes < 3 {
        return false;
    }
    let n = s.chars().count() as f64;
    let entropy: f64 = counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy >= 3.8
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn frame(vars: Value) -> Map<String, Value> {
        let vars: Vec<(String, Value)> = serde_json::from_value(vars).unwrap();
        mask_frame_variables(&VariablesConfig::default(), &vars)
    }

    #[test]
    fn names_values_and_ignores() {
        let out = frame(json!([
            ["user_id", 42],
            ["password", "hunter2"],
            ["__name__", "x"],
            ["note", "my token is x"],
            ["flag", true],
            ["nothing", null],
            ["ratio", 0.5]
        ]));
        assert_eq!(out["user_id"], 42);
        assert_eq!(out["password"], REDACTED);
        assert!(out.get("__name__").is_none());
        assert_eq!(out["note"], REDACTED, "a value matching a mask pattern");
        assert_eq!(out["flag"], "True");
        assert_eq!(out["nothing"], "None");
        assert_eq!(out["ratio"], 0.5);
    }

    #[test]
    fn url_and_auth_header_credentials() {
        assert_eq!(
            mask_url_credentials("postgres://admin:s3cr3t@db:5432/app"),
            format!("postgres://{REDACTED}@db:5432/app")
        );
        assert_eq!(
            mask_url_credentials("see https://example.com/a@b and ftp://u@h"),
            "see https://example.com/a@b and ftp://u@h"
        );
        assert_eq!(
            mask_auth_header_credentials("Bearer abcdefghijk12345"),
            format!("Bearer {REDACTED}")
        );
        assert_eq!(
            mask_auth_header_credentials("Basic YTpi"),
            format!("Basic {REDACTED}")
        );
        assert_eq!(
            mask_auth_header_credentials("the bearer of news"),
            "the bearer of news"
        );
        assert_eq!(mask_auth_header_credentials("basicConfig"), "basicConfig");
    }

    #[test]
    fn secrets_are_detected() {
        assert!(looks_like_secret("phx_Abc123def456GHI789jkl012"));
        assert!(looks_like_secret("AKIAIOSFODNN7EXAMPLE"));
        assert!(looks_like_secret("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(!looks_like_secret("550e8400-e29b-41d4-a716-446655440000"));
        assert!(!looks_like_secret("d41d8cd98f00b204e9800998ecf8427e"));
        assert!(!looks_like_secret("/usr/local/lib/python3.11"));
        assert!(!looks_like_secret("hello world, how are you"));
    }

    #[test]
    fn collections_objects_and_reprs() {
        let out = frame(json!([
            ["data", {"$map": [
                {"k": "name", "kind": "str", "v": "ann"},
                {"k": "api_key", "kind": "str", "v": "x"},
                {"k": "password=hunter2", "kind": "str", "v": 1},
                {"k": "1", "kind": "scalar", "v": [1, "é"]}
            ]}],
            ["obj", {"$map": [{"k": "secret", "kind": "str", "v": "s"}], "$class": "User"}],
            ["slotted", {"$members": ["token"], "$class": "Slots", "$repr": "Slots(token='abc')"}],
            ["opaque", {"$repr": "<socket fd=3>"}],
            ["broken", {"$class": "Weird"}],
            ["deep", {"$too_long": true}]
        ]));
        assert_eq!(
            out["data"],
            format!(
                "{{\"name\": \"ann\", \"api_key\": \"{REDACTED}\", \"$$_posthog_redacted_key_0_$$\": \"{REDACTED}\", \"1\": [1, \"\\u00e9\"]}}"
            )
        );
        assert_eq!(
            out["obj"],
            format!("{{\"secret\": \"{REDACTED}\", \"__class__\": \"User\"}}")
        );
        assert_eq!(
            out["slotted"],
            format!("{{\"token\": \"{REDACTED}\", \"__class__\": \"Slots\"}}")
        );
        assert_eq!(out["opaque"], "<socket fd=3>");
        assert_eq!(out["broken"], "<Weird>");
        assert_eq!(out["deep"], TOO_LONG);
    }

    #[test]
    fn size_limits() {
        let long = "a".repeat(3000);
        let out = frame(json!([["long", long], ["mid", "b ".repeat(600)]]));
        assert_eq!(out["long"], TOO_LONG);
        let mid = out["mid"].as_str().unwrap();
        assert_eq!(mid.chars().count(), 1024);
        assert!(mid.ends_with("..."));
        let many: Vec<(String, Value)> = (0..30)
            .map(|i| (format!("v{i:02}"), Value::from("x ".repeat(400))))
            .collect();
        let mut masker = Masker::new(&VariablesConfig::default());
        let first = masker.frame(&many);
        assert!(first.len() < 30, "the budget stops the frame");
        assert!(
            masker.frame(&many).is_empty(),
            "and is shared by the capture"
        );
    }

    #[test]
    fn nothing_to_mask_writes_json_dumps() {
        let config = VariablesConfig {
            mask_patterns: Vec::new(),
            mask_url_credentials: false,
            detect_secrets: false,
            ..VariablesConfig::default()
        };
        let vars: Vec<(String, Value)> = serde_json::from_value(json!([
            ["password", "p"],
            ["obj", {"$json": {"$repr": "Thing()"}}],
            ["items", {"$json": {"$seq": [1, {"$repr": "{1}"}]}}],
            ["cycle", {"$repr": "[[...]]"}],
            ["header", {"$repr": "Headers(Bearer abcdef123456)"}]
        ]))
        .unwrap();
        let out = mask_frame_variables(&config, &vars);
        assert_eq!(out["password"], "p");
        assert_eq!(out["obj"], "\"Thing()\"");
        assert_eq!(out["items"], "[1, \"{1}\"]");
        assert_eq!(out["cycle"], "[[...]]");
        assert_eq!(out["header"], format!("Headers(Bearer {REDACTED})"));
    }

    #[test]
    fn custom_patterns() {
        let config = VariablesConfig {
            mask_patterns: vec!["^internal_".into(), "(".into()],
            ignore_patterns: vec!["(?i)skip".into()],
            ..VariablesConfig::default()
        };
        let vars: Vec<(String, Value)> = serde_json::from_value(json!([
            ["internal_id", "1"],
            ["password", "p"],
            ["SkipMe", "x"]
        ]))
        .unwrap();
        let out = mask_frame_variables(&config, &vars);
        assert_eq!(out["internal_id"], REDACTED);
        assert_eq!(out["password"], "p", "custom patterns replace the defaults");
        assert!(out.get("SkipMe").is_none());
    }
}
