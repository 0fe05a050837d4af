//! Scrubbing of anything that looks like a PostHog key out of text we did not write.

/// Replaces every `phc_…`, `phx_…`, `phs_…` or `pha_…` token in `text` with a redacted form.
pub fn scrub(text: &str) -> String {
    const PREFIXES: [&str; 4] = ["phc_", "phx_", "phs_", "pha_"];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((pos, prefix)) = PREFIXES
        .iter()
        .filter_map(|p| rest.find(p).map(|i| (i, *p)))
        .min_by_key(|(i, _)| *i)
    {
        out.push_str(&rest[..pos]);
        out.push_str(prefix);
        out.push_str("[redacted]");
        let after = &rest[pos + prefix.len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn scrubs_every_key_type() {
        let s = scrub("bad key phc_abc123 and phx_SECRET-1, phs_x pha_y end");
        assert_eq!(
            s,
            "bad key phc_[redacted] and phx_[redacted], phs_[redacted] pha_[redacted] end"
        );
        assert_eq!(scrub("nothing here"), "nothing here");
    }
}
