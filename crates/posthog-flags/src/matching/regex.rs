//! `regex` / `not_regex`: patterns are compiled once. A pattern that uses constructs only the
//! server may run (look-around, back-references, inline flags, anchors like `\b`/`\A`/`\z`,
//! possessive or nested quantifiers, POSIX classes) is left to the server; a pattern that is
//! simply invalid never matches.

use regex::{Regex, RegexBuilder};

/// The longest pattern compiled locally; a longer one is left to the server.
const MAX_PATTERN_LEN: usize = 4096;
/// The most memory one compiled pattern may take (the `regex` crate's size limits); a pattern
/// that needs more is left to the server, so a definition can never make loading slow or big.
const MAX_COMPILED_BYTES: usize = 1 << 20;

/// What a filter's pattern compiled to.
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    /// A usable regex.
    Compiled(Box<Regex>),
    /// Invalid: `regex` and `not_regex` are both false.
    Invalid,
    /// Only the server may run it.
    ServerOnly,
}

/// Compiles a pattern.
pub(crate) fn compile(pattern: &str) -> Pattern {
    if pattern.len() > MAX_PATTERN_LEN || server_only(pattern) {
        return Pattern::ServerOnly;
    }
    if invalid(pattern) {
        return Pattern::Invalid;
    }
    let built = RegexBuilder::new(pattern)
        .size_limit(MAX_COMPILED_BYTES)
        .dfa_size_limit(MAX_COMPILED_BYTES)
        .build();
    match built {
        Ok(r) => Pattern::Compiled(Box::new(r)),
        Err(regex::Error::CompiledTooBig(_)) => Pattern::ServerOnly,
        Err(_) => {
            if unclosed_counted(pattern) {
                Pattern::ServerOnly
            } else {
                Pattern::Invalid
            }
        }
    }
}

fn is_quantifier(c: char) -> bool {
    matches!(c, '*' | '+' | '?' | '}')
}

/// Patterns the official SDKs reject outright.
fn invalid(p: &str) -> bool {
    let chars: Vec<char> = p.chars().collect();
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            i += 2;
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
        } else if c == '[' {
            in_class = true;
        } else if matches!(c, '*' | '+' | '?') {
            // Nothing to repeat, or a repeated repetition (`x**`).
            let prev = if i == 0 { None } else { Some(chars[i - 1]) };
            match prev {
                Some('(') if c == '?' => {}
                None | Some('(') | Some('|') => return true,
                Some('*') | Some('+') if c == '*' => return true,
                _ => {}
            }
        }
        i += 1;
    }
    false
}

fn unclosed_counted(p: &str) -> bool {
    match p.rfind('{') {
        Some(i) => !p[i..].contains('}'),
        None => false,
    }
}

/// Constructs whose meaning differs between engines, or that need backtracking.
fn server_only(p: &str) -> bool {
    let chars: Vec<char> = p.chars().collect();
    let mut in_class = false;
    // For each open group: whether it contains a quantifier.
    let mut groups: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let next = chars.get(i + 1).copied();
            match next {
                Some('b' | 'B' | 'A' | 'z' | 'Z' | 'G' | 'k' | 'p' | 'P' | 'K') if !in_class => {
                    return true;
                }
                Some('1'..='9') => return true,
                Some('d' | 'w' | 's' | 'D' | 'W' | 'S')
                    if in_class
                    // A class shorthand as a range endpoint (`[\d-z]`).
                    && chars.get(i + 2) == Some(&'-') && chars.get(i + 3).is_some_and(|c| *c != ']') =>
                {
                    return true;
                }
                _ => {}
            }
            i += 2;
            continue;
        }
        if in_class {
            if c == '[' {
                return true;
            }
            if c == ']' {
                in_class = false;
            }
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                // A leading `]` or `^]` is a literal.
                if chars.get(i + 1) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    i += 1;
                }
            }
            '(' => {
                if chars.get(i + 1) == Some(&'?') && chars.get(i + 2) != Some(&':') {
                    return true;
                }
                groups.push(false);
            }
            ')' => {
                let had_quantifier = groups.pop().unwrap_or(false);
                let next = chars.get(i + 1).copied();
                if had_quantifier && matches!(next, Some('*' | '+' | '?' | '{')) {
                    return true;
                }
                if had_quantifier && let Some(g) = groups.last_mut() {
                    *g = true;
                }
            }
            '{' if i == 0 || matches!(chars[i - 1], '(' | '|') => return true,
            '*' | '+' | '?' | '}' => {
                if let Some(g) = groups.last_mut() {
                    *g = true;
                }
                let next = chars.get(i + 1).copied();
                // Possessive quantifiers, and a counted repetition repeated.
                if is_quantifier(c) && i > 0 && next == Some('+') {
                    return true;
                }
                if c == '}' && next == Some('{') {
                    return true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(p: &str) -> &'static str {
        match compile(p) {
            Pattern::Compiled(_) => "ok",
            Pattern::Invalid => "invalid",
            Pattern::ServerOnly => "server",
        }
    }

    #[test]
    fn classification() {
        for p in [
            "^a.c$",
            "\\d+",
            "colou?r",
            "(?:abc|def)",
            "a{2}",
            "",
            "[^0-9]",
            "^[\\-a]+$",
            "x*",
        ] {
            assert_eq!(kind(p), "ok", "{p}");
        }
        for p in ["(", "[a-", "a)", "+", "?", "*abc", "x**", "\\", "a{3,1}"] {
            assert_eq!(kind(p), "invalid", "{p}");
        }
        for p in [
            "(?i)foo",
            "(?P<n>x)",
            "\\bfoo\\b",
            "(a)\\1",
            "(?=a)",
            "(?<=a)b",
            "a++",
            "(a+)+",
            "a{2}{3}",
            "[[:alpha:]]",
            "[[]",
            "[\\d-z]",
            "a{2",
            "\\k<n>",
            "foo\\z",
            "\\Afoo",
            "^\\d+(\\.\\d+)?$",
            "{2}",
        ] {
            assert_eq!(kind(p), "server", "{p}");
        }
    }

    #[test]
    fn patterns_too_big_to_compile_cheaply_are_left_to_the_server() {
        // Unicode \w repeated compiles to far more than the 1 MiB limit.
        assert_eq!(kind(r"\w{2000}"), "server");
        assert_eq!(kind(&"a".repeat(MAX_PATTERN_LEN + 1)), "server");
        assert_eq!(kind(r"^[a-z]{3}$"), "ok");
    }
}
