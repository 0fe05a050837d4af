//! `/api/projects/{id}/activity_log/`: the project's audit log (who changed which flag,
//! insight, cohort… and how), newest first, cursor-paged. Needs `activity_log:read`.

use super::budget::RateClass;
use super::client::AdminClient;
use super::ids::ProjectId;
use super::pager::Pager;
use serde_json::Value;

/// Filters of the activity log (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityFilter {
    /// Only what this user (uuid) did.
    pub user: Option<String>,
    /// Only this kind of item (`"FeatureFlag"`, `"Insight"`, `"Cohort"`, `"Person"`…).
    pub scope: Option<String>,
    /// Only this item (its id, as a string).
    pub item_id: Option<String>,
}

impl AdminClient {
    /// The project's activity (audit) log, newest first, page by page. For one flag's
    /// history, [`super::FeatureFlags::activity`] answers the same entries.
    pub fn activity_log(
        &self,
        project: impl Into<ProjectId>,
        filter: &ActivityFilter,
    ) -> Pager<Value> {
        let mut query = Vec::new();
        for (name, v) in [
            ("user", &filter.user),
            ("scope", &filter.scope),
            ("item_id", &filter.item_id),
        ] {
            if let Some(v) = v {
                query.push((name, v.clone()));
            }
        }
        let path = project.into().path("activity_log/");
        self.inner.pager(&path, &query, RateClass::General)
    }
}
