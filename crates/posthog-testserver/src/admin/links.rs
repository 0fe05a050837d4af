//! The absolute `next` / `previous` links PostHog builds: `format_query_params_absolute_url`
//! (posthog/utils.py, offset/page and limit replaced in the raw URL) and DRF's
//! `replace_query_param` (cursor links, query re-encoded in key order).

use super::request::Ctx;
use crate::ingest::decode::url_pairs;

/// The request's absolute URL as sent.
pub(crate) fn absolute_url(ctx: &Ctx<'_>) -> String {
    if ctx.query.is_empty() {
        format!("{}{}", ctx.base_url, ctx.path)
    } else {
        format!("{}{}?{}", ctx.base_url, ctx.path, ctx.query)
    }
}

/// `format_query_params_absolute_url(request, offset, limit, offset_alias, limit_alias)`:
/// a truthy `offset` replaces the digits of `[?&]{offset_alias}=<digits>` in the URL, or
/// is appended; the same for `limit`. An offset of 0 is falsy there, so it leaves the URL
/// as it was (PostHog's `previous` of the second page keeps the second page's offset).
pub(crate) fn format_query_params(
    ctx: &Ctx<'_>,
    offset: usize,
    limit: Option<usize>,
    offset_alias: &str,
    limit_alias: &str,
) -> String {
    let mut url = absolute_url(ctx);
    if offset != 0 {
        url = set_digits(&url, offset_alias, offset);
    }
    if let Some(limit) = limit.filter(|l| *l != 0) {
        url = set_digits(&url, limit_alias, limit);
    }
    url
}

fn set_digits(url: &str, name: &str, value: usize) -> String {
    let bytes = url.as_bytes();
    let mut from = 0;
    while let Some(found) = url[from..].find(&format!("{name}=")) {
        let at = from + found;
        let start = at + name.len() + 1;
        let end = start
            + bytes[start..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        let boundary = at > 0 && matches!(bytes[at - 1], b'?' | b'&');
        if boundary && end > start {
            return format!("{}{value}{}", &url[..start], &url[end..]);
        }
        from = start;
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{name}={value}")
}

/// DRF's `replace_query_param(url, key, value)`: the query parsed, `key` set to `value`
/// (replacing any), re-encoded in key order.
pub(crate) fn replace_query_param(ctx: &Ctx<'_>, key: &str, value: &str) -> String {
    let mut pairs: Vec<(String, String)> = url_pairs(ctx.query.as_bytes())
        .into_iter()
        .filter(|(k, _)| k != key)
        .collect();
    pairs.push((key.to_owned(), value.to_owned()));
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("{}{}?{}", ctx.base_url, ctx.path, query.join("&"))
}

/// Percent-encodes everything but unreserved characters.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~$@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_are_replaced_in_place_or_appended() {
        let u = "http://h/p/?limit=5&page=2";
        assert_eq!(set_digits(u, "page", 3), "http://h/p/?limit=5&page=3");
        assert_eq!(set_digits(u, "limit", 9), "http://h/p/?limit=9&page=2");
        assert_eq!(set_digits("http://h/p/", "page", 2), "http://h/p/?page=2");
        assert_eq!(
            set_digits("http://h/p/?xpage=1", "page", 2),
            "http://h/p/?xpage=1&page=2"
        );
    }
}
