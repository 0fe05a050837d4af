//! PostHog's feature-flag routes: remote evaluation (`POST /flags`) and the definitions for
//! local evaluation (`GET /flags/definitions`, `GET /api/feature_flag/local_evaluation/`), and
//! a flag's remote config (`GET /api/projects/@current/feature_flags/{key}/remote_config`).

pub(crate) mod api_error;
mod auth;
pub(crate) mod control;
pub(crate) mod definitions;
mod evaluate;
pub(crate) mod remote;
pub(crate) mod remote_config;
mod request;
pub(crate) mod store;

use crate::ingest::decode::url_pairs;

/// Which flag route a path is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagRoute {
    /// `/flags`, `/flags/`.
    Remote,
    /// `/flags/definitions`, `/flags/definitions/` (newer servers).
    Definitions,
    /// `/api/feature_flag/local_evaluation`, with or without `/` (older servers).
    LocalEvaluation,
    /// `/api/projects/@current/feature_flags/{key}/remote_config` (a flag's remote config).
    RemoteConfig,
}

/// Classifies a request path.
pub(crate) fn route(path: &str) -> Option<FlagRoute> {
    match path {
        "/flags" | "/flags/" => Some(FlagRoute::Remote),
        "/flags/definitions" | "/flags/definitions/" => Some(FlagRoute::Definitions),
        "/api/feature_flag/local_evaluation" | "/api/feature_flag/local_evaluation/" => {
            Some(FlagRoute::LocalEvaluation)
        }
        _ if remote_config::flag_of(path).is_some() => Some(FlagRoute::RemoteConfig),
        _ => None,
    }
}

/// The first value of a query parameter (decoded), when present.
pub(crate) fn query_param(query: &str, name: &str) -> Option<String> {
    url_pairs(query.as_bytes())
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}
