//! Scrubbing of keys out of text we did not write (server answers, headers, transport
//! errors): every key this process configured is replaced wherever it appears, and anything that
//! looks like a PostHog key (`phc_…`, `phx_…`, `phs_…`, `pha_…`) is cut to its prefix.

use std::collections::HashSet;
use std::sync::{LazyLock, RwLock};

/// The configured keys (every client's, old and new after a rotation). Bounded: past the cap,
/// new keys are still caught by their prefix.
static KNOWN: LazyLock<RwLock<HashSet<String>>> = LazyLock::new(|| RwLock::new(HashSet::new()));
const KNOWN_CAP: usize = 1024;
/// Shorter values are not scrubbed by value (they would match ordinary words).
const MIN_KNOWN_LEN: usize = 8;

/// Remembers a configured key so [`scrub`] removes it even without a known prefix.
pub fn register(secret: &str) {
    if secret.len() < MIN_KNOWN_LEN {
        return;
    }
    let mut known = KNOWN.write().unwrap_or_else(|p| p.into_inner());
    if known.len() < KNOWN_CAP {
        known.insert(secret.to_string());
    }
}

/// Whether `c` can end a key-looking token (keys may hold `.`, `-`, `_`, `+`, `/`, `=`…).
fn ends_token(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '<' | '>' | ',' | ';' | '(' | ')' | '[' | ']' | '{' | '}' | '&' | '`'
        )
}

/// `text` with every configured key replaced by `[redacted]` and every `phc_…`, `phx_…`,
/// `phs_…` or `pha_…` token cut to `prefix[redacted]`.
pub fn scrub(text: &str) -> String {
    let mut text = text.to_string();
    {
        let known = KNOWN.read().unwrap_or_else(|p| p.into_inner());
        for secret in known.iter() {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), "[redacted]");
            }
        }
    }
    const PREFIXES: [&str; 4] = ["phc_", "phx_", "phs_", "pha_"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some((pos, prefix)) = PREFIXES
        .iter()
        .filter_map(|p| rest.find(p).map(|i| (i, *p)))
        .min_by_key(|(i, _)| *i)
    {
        out.push_str(&rest[..pos]);
        out.push_str(prefix);
        out.push_str("[redacted]");
        let after = &rest[pos + prefix.len()..];
        let end = after.find(ends_token).unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::{register, scrub};

    #[test]
    fn scrubs_every_key_type() {
        let s = scrub("bad key phc_abc123 and phx_SECRET-1, phs_x pha_y end");
        assert_eq!(
            s,
            "bad key phc_[redacted] and phx_[redacted], phs_[redacted] pha_[redacted] end"
        );
        assert_eq!(scrub("nothing here"), "nothing here");
    }

    #[test]
    fn a_key_is_cut_whole_whatever_it_holds() {
        assert_eq!(
            scrub("Bearer phx_abc.SECRET/x+y=="),
            "Bearer phx_[redacted]"
        );
        assert_eq!(
            scrub("?token=phc_a.b&next=1"),
            "?token=phc_[redacted]&next=1"
        );
        assert_eq!(scrub("\"phx_k\": 1"), "\"phx_[redacted]\": 1");
    }

    #[test]
    fn configured_keys_are_scrubbed_without_a_prefix() {
        register("legacy0key0without0prefix");
        assert_eq!(
            scrub("echo: Bearer legacy0key0without0prefix."),
            "echo: Bearer [redacted]."
        );
        register("short");
        assert_eq!(scrub("a short word"), "a short word");
    }
}
