//! Code variables of error tracking (posthog-python's `capture_exception_code_variables`): the
//! local variables of in-app frames, masked before they leave the process. Names matching a
//! mask pattern and values that look like secrets are replaced; names matching an ignore
//! pattern are dropped; credentials in URLs are masked; the total size is bounded.

use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The value written in place of a masked variable.
pub const REDACTED: &str = "$$_posthog_redacted_based_on_masking_rules_$$";
/// The value written in place of a variable over the size budget.
pub const TOO_LONG: &str = "$$_posthog_value_too_long_$$";
/// Total bytes of the variables of one capture.
pub const TOTAL_SIZE_LIMIT: usize = 10 * 1024;
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
    /// Regexes of names (and string values) to mask.
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

fn compile(patterns: &[String]) -> Vec<Regex> {
    patterns
        .iter()
        .filter_map(|p| RegexBuilder::new(p).size_limit(1 << 20).build().ok())
        .collect()
}

/// The masked variables of one frame, as `{name: value}` (values rendered as strings, as
/// posthog-python sends them).
pub fn mask_frame_variables(
    config: &VariablesConfig,
    vars: &[(String, Value)],
) -> Map<String, Value> {
    let masks = compile(&config.mask_patterns);
    let ignores = compile(&config.ignore_patterns);
    let mut out = Map::new();
    let mut used = 0usize;
    for (name, value) in vars {
        if ignores.iter().any(|r| r.is_match(name)) {
            continue;
        }
        let rendered = if masks.iter().any(|r| r.is_match(name)) {
            Value::from(REDACTED)
        } else {
            mask_value(config, &masks, value)
        };
        let size = name.len() + rendered.to_string().len();
        if used + size > TOTAL_SIZE_LIMIT {
            out.insert(name.clone(), Value::from(TOO_LONG));
            continue;
        }
        used += size;
        out.insert(name.clone(), rendered);
    }
    out
}

fn mask_value(config: &VariablesConfig, masks: &[Regex], value: &Value) -> Value {
    match value {
        Value::String(s) => {
            if masks.iter().any(|r| r.is_match(s))
                || (config.detect_secrets && looks_like_secret(s))
            {
                return Value::from(REDACTED);
            }
            if config.mask_url_credentials {
                Value::from(mask_url_credentials(s))
            } else {
                value.clone()
            }
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| mask_value(config, masks, v)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if masks.iter().any(|r| r.is_match(k)) {
                        Value::from(REDACTED)
                    } else {
                        mask_value(config, masks, v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `scheme://user:password@host` → `scheme://user:[Filtered]@host`.
pub fn mask_url_credentials(s: &str) -> String {
    static_regex_replace(s)
}

fn static_regex_replace(s: &str) -> String {
    match Regex::new(
        r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:@/\s]*):(?P<pass>[^@/\s]+)@",
    ) {
        Ok(re) => re
            .replace_all(s, "${scheme}${user}:[Filtered]@")
            .into_owned(),
        Err(_) => s.to_string(),
    }
}

/// Known secret formats (PostHog, Stripe, AWS, GitHub, Slack, JWTs, PEM keys) and long
/// high-entropy tokens of three character classes.
pub fn looks_like_secret(s: &str) -> bool {
    if s.contains("PRIVATE KEY-----") {
        return true;
    }
    let known = Regex::new(
        r"\b(?:ph[cxs]_[A-Za-z0-9]{20,}|sk_(?:live|test)_[A-Za-z0-9]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abpr]-[A-Za-z0-9-]{10,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})",
    );
    if known.is_ok_and(|re| re.is_match(s)) {
        return true;
    }
    if s.len() < 16
        || s.chars()
            .any(|c| c.is_whitespace() || "()[]{}<>'\"`,;".contains(c))
    {
        return false;
    }
    if s.contains('/') || s.contains("://") {
        return false;
    }
    let classes = [
        s.chars().any(|c| c.is_ascii_lowercase()),
        s.chars().any(|c| c.is_ascii_uppercase()),
        s.chars().any(|c| c.is_ascii_digit()),
        s.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    classes >= 3 && shannon_bits(s) >= 3.8
}

fn shannon_bits(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}
