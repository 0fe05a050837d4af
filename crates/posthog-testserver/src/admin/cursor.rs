//! DRF's `CursorPagination` over items ordered newest first (`-created_at`): answers
//! `{"next", "previous", "results"}` (no count); `next` / `previous` carry an opaque
//! `cursor` (base64 of `r=<reverse>&p=<position>`); a cursor that does not decode is a
//! 404 "Invalid cursor", as DRF answers.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::links::replace_query_param;
use super::request::Ctx;
use crate::flags::api_error::ApiError;

/// One page of `items`: `(position, item)` pairs, positions unique and strictly
/// decreasing (the order of the list).
pub(crate) fn page(
    ctx: &Ctx<'_>,
    items: Vec<(u64, Value)>,
    size: usize,
) -> Result<Value, ApiError> {
    let size = size.max(1);
    let (reverse, position) = match ctx.param("cursor") {
        None => (false, None),
        Some(text) => decode(&text).ok_or_else(|| ApiError::not_found_detail("Invalid cursor"))?,
    };
    let (results, next, previous) = match (reverse, position) {
        (_, None) => {
            let more = items.len() > size;
            let page: Vec<(u64, Value)> = items.into_iter().take(size).collect();
            let next = more
                .then(|| page.last().map(|(p, _)| (false, *p)))
                .flatten();
            (page, next, None)
        }
        (false, Some(after)) => {
            let rest: Vec<(u64, Value)> = items.into_iter().filter(|(p, _)| *p < after).collect();
            let more = rest.len() > size;
            let page: Vec<(u64, Value)> = rest.into_iter().take(size).collect();
            let next = more
                .then(|| page.last().map(|(p, _)| (false, *p)))
                .flatten();
            let previous = page
                .first()
                .map_or(Some((true, after.saturating_sub(1))), |(p, _)| {
                    Some((true, *p))
                });
            (page, next, previous)
        }
        (true, Some(before)) => {
            let earlier: Vec<(u64, Value)> =
                items.into_iter().filter(|(p, _)| *p > before).collect();
            let more = earlier.len() > size;
            let page: Vec<(u64, Value)> = earlier
                .into_iter()
                .rev()
                .take(size)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let previous = more
                .then(|| page.first().map(|(p, _)| (true, *p)))
                .flatten();
            let next = page
                .last()
                .map_or(Some((false, before.saturating_add(1))), |(p, _)| {
                    Some((false, *p))
                });
            (page, next, previous)
        }
    };
    let link =
        |c: Option<(bool, u64)>| c.map(|(r, p)| replace_query_param(ctx, "cursor", &encode(r, p)));
    Ok(json!({
        "next": link(next),
        "previous": link(previous),
        "results": results.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    }))
}

fn encode(reverse: bool, position: u64) -> String {
    let text = if reverse {
        format!("r=1&p={position}")
    } else {
        format!("p={position}")
    };
    STANDARD.encode(text)
}

fn decode(text: &str) -> Option<(bool, Option<u64>)> {
    let bytes = STANDARD.decode(text.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut reverse = false;
    let mut position = None;
    for pair in text.split('&') {
        match pair.split_once('=')? {
            ("r", v) => reverse = v == "1",
            ("p", v) => position = Some(v.parse().ok()?),
            ("o", _) => {}
            _ => return None,
        }
    }
    Some((reverse, position))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode(&encode(false, 7)), Some((false, Some(7))));
        assert_eq!(decode(&encode(true, 0)), Some((true, Some(0))));
        assert_eq!(decode("!!"), None);
    }
}
