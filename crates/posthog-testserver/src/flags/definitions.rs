//! `GET /flags/definitions` and `GET /api/feature_flag/local_evaluation/`: the definitions
//! for local evaluation, behind a secret key, with `ETag` / `If-None-Match`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::header;
use axum::response::Response;

use super::api_error::ApiError;
use super::{auth, query_param};
use crate::ingest::{Input, empty, json, set_header};
use crate::state::Shared;

/// Answers one definitions request (a `GET` or `HEAD`; faults are already applied).
pub(crate) fn handle(shared: &Arc<Shared>, input: &Input<'_>) -> Response {
    let (loaded, checked) = shared.with_flags(|flags| {
        let checked = auth::check(input.header("authorization"), &flags.keys);
        (Arc::clone(&flags.loaded), checked)
    });
    if let Err(err) = checked.and_then(|()| require_token(input.query)) {
        return json(err.status, &err.body());
    }
    let fresh = input
        .header("if-none-match")
        .is_some_and(|tags| matches_etag(tags, &loaded.etag));
    let mut response = if fresh {
        empty(304)
    } else {
        let mut response = Response::new(Body::from(loaded.body.clone()));
        set_header(
            &mut response,
            header::CONTENT_TYPE.as_str(),
            "application/json",
        );
        response
    };
    set_header(&mut response, header::ETAG.as_str(), &loaded.etag);
    response
}

pub(crate) fn require_token(query: &str) -> Result<(), ApiError> {
    match query_param(query, "token") {
        Some(token) if !token.is_empty() => Ok(()),
        _ => Err(ApiError::invalid(
            "required",
            Some("token"),
            "The `token` query parameter (the project API key) is required.",
        )),
    }
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, `*` matches).
fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let etag = bare(etag);
    if_none_match
        .split(',')
        .any(|tag| tag.trim() == "*" || bare(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_matching() {
        assert!(matches_etag("\"abc\"", "\"abc\""));
        assert!(matches_etag("W/\"abc\"", "\"abc\""));
        assert!(matches_etag("\"x\", \"abc\"", "\"abc\""));
        assert!(matches_etag("*", "\"abc\""));
        assert!(!matches_etag("\"abd\"", "\"abc\""));
        assert!(!matches_etag("abc", "\"abc\""));
    }

    #[test]
    fn token_is_required() {
        assert!(require_token("token=phc_x&send_cohorts").is_ok());
        assert_eq!(require_token("send_cohorts").unwrap_err().status, 400);
        assert_eq!(require_token("token=").unwrap_err().attr, Some("token"));
    }
}
