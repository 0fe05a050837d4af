//! Who may read flag definitions: a flags secure key (`phs_…`) or a personal API key
//! (`phx_…`) with `feature_flag:read`, `feature_flag:write` or `*`.

use std::collections::HashMap;

use super::api_error::ApiError;

/// The scope the definitions endpoints need.
pub(crate) const READ_SCOPE: &str = "feature_flag:read";

/// Checks an `Authorization` header value against the registered keys.
pub(crate) fn check(
    authorization: Option<&str>,
    keys: &HashMap<String, Vec<String>>,
) -> Result<(), ApiError> {
    let Some(key) = authorization.and_then(bearer) else {
        return Err(ApiError::unauthenticated(
            "Authentication credentials were not provided.",
        ));
    };
    if key.starts_with("phc_") {
        return Err(ApiError::unauthenticated(
            "A project API key cannot read flag definitions; use a feature flags secure key \
             or a personal API key.",
        ));
    }
    let Some(scopes) = keys.get(key) else {
        return Err(ApiError::unauthenticated(
            "API key found in request Authorization header is invalid.",
        ));
    };
    if key.starts_with("phs_") || scopes.iter().any(|s| grants_read(s)) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "API key missing required scope '{READ_SCOPE}'"
        )))
    }
}

fn grants_read(scope: &str) -> bool {
    matches!(scope, "*" | READ_SCOPE | "feature_flag:write")
}

/// The key of a `Bearer <key>` header (scheme case-insensitive), when non-empty.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let key = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> HashMap<String, Vec<String>> {
        HashMap::from([
            ("phs_s".to_owned(), Vec::new()),
            ("phx_all".to_owned(), vec!["*".to_owned()]),
            (
                "phx_write".to_owned(),
                vec!["feature_flag:write".to_owned()],
            ),
            ("phx_other".to_owned(), vec!["insight:read".to_owned()]),
        ])
    }

    #[test]
    fn keys_and_scopes() {
        let k = keys();
        for ok in ["Bearer phs_s", "bearer phx_all", "Bearer  phx_write "] {
            assert_eq!(check(Some(ok), &k), Ok(()), "{ok}");
        }
        for unauth in [
            None,
            Some("Bearer "),
            Some("Basic phs_s"),
            Some("Bearer phs_x"),
            Some("Bearer phc_s"),
        ] {
            assert_eq!(
                check(unauth, &k).map_err(|e| e.status),
                Err(401),
                "{unauth:?}"
            );
        }
        let err = check(Some("Bearer phx_other"), &k).unwrap_err();
        assert_eq!(err.status, 403);
        assert_eq!(
            err.detail,
            "API key missing required scope 'feature_flag:read'"
        );
    }
}
