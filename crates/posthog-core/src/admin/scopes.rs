//! The scopes each admin operation needs (PostHog's `scope_object` + read/write of each
//! viewset), a lookup for scripts that want a least-privilege key, and the preflight that
//! checks a key's scopes once, before the work starts.

use super::budget::RateClass;
use super::client::AdminClient;
use super::keys::PersonalApiKey;
use crate::error::Error;

/// Every admin operation and the scopes it needs. Names are `resource.method` as in the Rust
/// API (`"feature_flags.list"`), the same in every binding.
pub const OPERATIONS: &[(&str, &[&str])] = &[
    ("users.me", &["user:read"]),
    ("projects.list", &["project:read"]),
    ("projects.get", &["project:read"]),
    // Listing flags with a personal key is also billed as a local-evaluation request.
    ("feature_flags.list", &["feature_flag:read"]),
    ("feature_flags.get", &["feature_flag:read"]),
    ("feature_flags.create", &["feature_flag:write"]),
    ("feature_flags.update", &["feature_flag:write"]),
    ("feature_flags.set_active", &["feature_flag:write"]),
    ("feature_flags.delete", &["feature_flag:write"]),
    ("feature_flags.activity", &["activity_log:read"]),
    ("persons.list", &["person:read"]),
    ("persons.get", &["person:read"]),
    ("persons.delete", &["person:write"]),
    ("cohorts.list", &["cohort:read"]),
    ("cohorts.get", &["cohort:read"]),
    ("cohorts.create_static", &["cohort:write"]),
    ("insights.list", &["insight:read"]),
    ("insights.get", &["insight:read"]),
    ("annotations.list", &["annotation:read"]),
    ("annotations.create", &["annotation:write"]),
    ("definitions.events", &["event_definition:read"]),
    ("definitions.properties", &["property_definition:read"]),
    ("batch_exports.list", &["batch_export:read"]),
    ("batch_exports.get", &["batch_export:read"]),
    ("batch_exports.runs", &["batch_export:read"]),
    ("batch_exports.create", &["batch_export:write"]),
    ("batch_exports.pause", &["batch_export:write"]),
    ("batch_exports.unpause", &["batch_export:write"]),
    ("batch_exports.backfill", &["batch_export:write"]),
    // The query API counts every action, cancelling included, as a read.
    ("query", &["query:read"]),
    ("query_async", &["query:read"]),
    ("query_status", &["query:read"]),
    ("wait_for_query", &["query:read"]),
    ("cancel_query", &["query:read"]),
    ("export", &["query:read"]),
    ("activity_log.list", &["activity_log:read"]),
    // A key may always read itself; managing keys with a key needs an older PostHog (current
    // PostHog allows it only from a logged-in session).
    ("personal_api_keys.current", &[]),
    ("personal_api_keys.list", &["personal_api_key:read"]),
    ("personal_api_keys.create", &["personal_api_key:write"]),
    ("personal_api_keys.roll", &["personal_api_key:write"]),
    ("personal_api_keys.delete", &["personal_api_key:write"]),
    // Local flag evaluation on an ingestion client (the definitions endpoint).
    ("local_evaluation", &["feature_flag:read"]),
];

/// The scopes `operation` needs, or `None` for a name that is not an operation.
pub fn scopes_for(operation: &str) -> Option<&'static [&'static str]> {
    OPERATIONS
        .iter()
        .find(|(name, _)| *name == operation)
        .map(|(_, scopes)| *scopes)
}

/// The smallest set of scopes for all `operations` (sorted; a write drops the read of the same
/// object, which it implies). An unknown name is an [`Error::InvalidInput`] naming it.
pub fn required_scopes<S: AsRef<str>>(operations: &[S]) -> Result<Vec<String>, Error> {
    let mut all = Vec::new();
    for op in operations {
        let op = op.as_ref();
        let scopes = scopes_for(op).ok_or_else(|| {
            Error::InvalidInput(format!(
                "{op:?} is not an admin operation (see posthog_core::admin::OPERATIONS)"
            ))
        })?;
        all.extend(scopes.iter().map(|s| (*s).to_string()));
    }
    all.sort();
    all.dedup();
    let writes: Vec<String> = all
        .iter()
        .filter_map(|s| s.strip_suffix(":write").map(str::to_owned))
        .collect();
    all.retain(|s| {
        s.strip_suffix(":read")
            .is_none_or(|object| !writes.iter().any(|w| w == object))
    });
    Ok(all)
}

/// Whether `granted` (a key's scopes) covers `needed` (`*` covers all, write covers read).
pub fn grants(granted: &[String], needed: &str) -> bool {
    let Some((object, access)) = needed.split_once(':') else {
        return granted.iter().any(|g| g == "*" || g == needed);
    };
    granted.iter().any(|g| {
        g == "*"
            || g.split_once(':')
                .is_some_and(|(o, a)| o == object && (a == access || a == "write"))
    })
}

/// What a preflight found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Preflight {
    /// The key's scopes as PostHog answered them; `None` when the server cannot say (an
    /// older PostHog without `/api/personal_api_keys/@current/`), so nothing was checked.
    pub granted: Option<Vec<String>>,
    /// The scopes the operations need.
    pub required: Vec<String>,
}

impl AdminClient {
    /// The smallest set of scopes a script using `operations` needs; see [`required_scopes`].
    pub fn required_scopes<S: AsRef<str>>(operations: &[S]) -> Result<Vec<String>, Error> {
        required_scopes(operations)
    }

    /// Checks once, before the work starts, that the key has every scope `operations` need
    /// (reading the key itself, `GET /api/personal_api_keys/@current/`, which needs no scope).
    /// A missing scope is an [`Error::Forbidden`] naming it; a server that cannot tell (404 or
    /// 403 on that route) is no error: the answer's `granted` is `None`.
    pub fn preflight<S: AsRef<str>>(&self, operations: &[S]) -> Result<Preflight, Error> {
        let required = required_scopes(operations)?;
        let key: PersonalApiKey = match self.inner.get(
            "/api/personal_api_keys/@current/",
            RateClass::General,
            "personal API key",
        ) {
            Ok(k) => k,
            Err(Error::NotFound(_) | Error::Forbidden { .. }) => {
                return Ok(Preflight {
                    granted: None,
                    required,
                });
            }
            Err(e) => return Err(e),
        };
        let granted = key.scopes_or_all();
        let missing: Vec<&String> = required.iter().filter(|s| !grants(&granted, s)).collect();
        if let Some(first) = missing.first() {
            let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            return Err(Error::Forbidden {
                detail: format!(
                    "the personal API key lacks the scope(s) {} (it has {}); add them in PostHog's \
                     settings or use a key made for this job",
                    names.join(", "),
                    if granted.is_empty() {
                        "none".to_string()
                    } else {
                        granted.join(", ")
                    }
                ),
                scope: Some((*first).clone()),
                request_id: None,
            });
        }
        Ok(Preflight {
            granted: Some(granted),
            required,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_listed_once_with_well_formed_scopes() {
        let mut names: Vec<&str> = OPERATIONS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "duplicate operation");
        for (_, scopes) in OPERATIONS {
            for s in *scopes {
                let (o, a) = s.split_once(':').expect("object:access");
                assert!(!o.is_empty() && (a == "read" || a == "write"), "{s}");
            }
        }
    }

    #[test]
    fn required_scopes_merges_and_lets_write_cover_read() {
        let s = required_scopes(&["feature_flags.list", "feature_flags.update", "export"]).unwrap();
        assert_eq!(s, vec!["feature_flag:write", "query:read"]);
        assert!(required_scopes(&["nope"]).is_err());
        assert!(required_scopes::<&str>(&[]).unwrap().is_empty());
    }

    #[test]
    fn grants_follow_posthog() {
        let g = vec!["feature_flag:write".to_string(), "query:read".to_string()];
        assert!(grants(&g, "feature_flag:read"));
        assert!(grants(&g, "query:read"));
        assert!(!grants(&g, "query:write"));
        assert!(!grants(&g, "activity_log:read"));
        assert!(grants(&["*".to_string()], "activity_log:read"));
    }
}
