//! Who may call the private API: a registered personal API key (`phx_…`) in
//! `Authorization: Bearer`, with the scope `<object>:read|write` the request needs.

use std::collections::HashMap;

use crate::flags::api_error::ApiError;

/// Checks the header and answers the key and its scopes. Keys in the query string or body
/// are never looked at.
pub(crate) fn authenticate(
    authorization: Option<&str>,
    keys: &HashMap<String, Vec<String>>,
) -> Result<(String, Vec<String>), ApiError> {
    let Some(key) = authorization.and_then(bearer) else {
        return Err(ApiError::unauthenticated(
            "Authentication credentials were not provided.",
        ));
    };
    if !key.starts_with("phx_") {
        return Err(ApiError::unauthenticated(
            "Only a personal API key (phx_…) may call the private API.",
        ));
    }
    keys.get(key)
        .map(|scopes| (key.to_owned(), scopes.clone()))
        .ok_or_else(|| {
            ApiError::unauthenticated(
                "Personal API key found in request Authorization header is invalid.",
            )
        })
}

/// Refuses with 403 unless `scopes` grant `<object>:<access>` (`write` implies `read`,
/// `*` grants all, and a key without scopes is a legacy key that may do anything).
pub(crate) fn authorize(scopes: &[String], object: &str, write: bool) -> Result<(), ApiError> {
    let access = if write { "write" } else { "read" };
    let granted = scopes.is_empty()
        || scopes.iter().any(|scope| {
            scope == "*"
                || scope
                    .split_once(':')
                    .is_some_and(|(o, a)| o == object && (a == access || a == "write"))
        });
    if granted {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "API key missing required scope '{object}:{access}'"
        )))
    }
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

    #[test]
    fn write_implies_read_and_star_grants_all() {
        let s = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(authorize(&s(&["*"]), "cohort", true).is_ok());
        assert!(authorize(&s(&["cohort:write"]), "cohort", false).is_ok());
        assert!(authorize(&s(&["cohort:read"]), "cohort", false).is_ok());
        let err = authorize(&s(&["cohort:read"]), "cohort", true).unwrap_err();
        assert_eq!(err.status, 403);
        assert_eq!(err.detail, "API key missing required scope 'cohort:write'");
        assert!(authorize(&s(&["insight:write"]), "cohort", false).is_err());
        assert!(
            authorize(&[], "cohort", true).is_ok(),
            "a legacy key without scopes"
        );
    }

    #[test]
    fn only_registered_personal_keys_in_the_header() {
        let keys = HashMap::from([
            ("phx_a".to_owned(), vec!["*".to_owned()]),
            ("phs_b".to_owned(), Vec::new()),
        ]);
        assert!(authenticate(Some("Bearer phx_a"), &keys).is_ok());
        for bad in [
            None,
            Some("Bearer phs_b"),
            Some("Bearer phc_x"),
            Some("phx_a"),
            Some("Bearer phx_z"),
        ] {
            assert_eq!(authenticate(bad, &keys).unwrap_err().status, 401, "{bad:?}");
        }
    }
}
