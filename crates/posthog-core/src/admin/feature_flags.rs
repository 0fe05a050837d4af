//! `/api/projects/{id}/feature_flags/`: list, get, create, update, soft delete, toggle, activity.

use super::budget::RateClass;
use super::client::AdminClient;
use super::http::{Call, Method};
use super::ids::ProjectId;
use super::pager::Pager;
use crate::error::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The create field that stops PostHog from making a usage dashboard for a new flag.
const USAGE_DASHBOARD: &str = "_should_create_usage_dashboard";

/// A feature flag as the private API answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureFlag {
    /// The numeric id used in paths.
    pub id: u64,
    /// The flag key used in code.
    pub key: String,
    /// The description (PostHog calls it `name`).
    #[serde(default)]
    pub name: Option<String>,
    /// Whether the flag is on.
    #[serde(default)]
    pub active: bool,
    /// Whether the flag was (soft) deleted.
    #[serde(default)]
    pub deleted: bool,
    /// The release conditions, variants and payloads.
    #[serde(default)]
    pub filters: Value,
    /// The legacy top-level rollout percentage.
    #[serde(default)]
    pub rollout_percentage: Option<f64>,
    /// Whether the flag keeps its value across identify.
    #[serde(default)]
    pub ensure_experience_continuity: Option<bool>,
    /// When the flag was created.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Every other field, kept as answered.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What to create: a key plus whatever else PostHog accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewFeatureFlag {
    /// The flag key used in code.
    pub key: String,
    /// The description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the flag starts on (default true).
    pub active: bool,
    /// The release conditions (`{"groups": [{"properties": [], "rollout_percentage": 100}]}`…).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub filters: Value,
    /// Any other field to send (e.g. `ensure_experience_continuity`, `tags`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NewFeatureFlag {
    /// An active flag with this key and no conditions.
    pub fn new(key: impl Into<String>) -> NewFeatureFlag {
        NewFeatureFlag {
            key: key.into(),
            name: None,
            active: true,
            filters: Value::Null,
            extra: Map::new(),
        }
    }
    /// Sets the description.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Sets `active`.
    pub fn active(mut self, on: bool) -> Self {
        self.active = on;
        self
    }
    /// Sets the filters.
    pub fn filters(mut self, filters: Value) -> Self {
        self.filters = filters;
        self
    }
    /// Whether PostHog makes a usage dashboard for the new flag (default: no).
    pub fn usage_dashboard(mut self, on: bool) -> Self {
        self.extra.insert(USAGE_DASHBOARD.into(), Value::Bool(on));
        self
    }
    /// A rollout to this percentage of everyone.
    pub fn rollout_percentage(self, pct: f64) -> Self {
        self.filters(json!({"groups": [{"properties": [], "rollout_percentage": pct}]}))
    }
}

/// The feature flags resource of a project.
#[derive(Debug, Clone, Copy)]
pub struct FeatureFlags<'a> {
    client: &'a AdminClient,
}

impl AdminClient {
    /// The feature flags resource (`/api/projects/{id}/feature_flags/`).
    pub fn feature_flags(&self) -> FeatureFlags<'_> {
        FeatureFlags { client: self }
    }
}

fn flag_path(project: ProjectId, id: u64, rest: &str) -> String {
    project.path(&format!("feature_flags/{id}/{rest}"))
}

impl FeatureFlags<'_> {
    /// Every flag of the project, page by page. Scope `feature_flag:read`. PostHog bills a
    /// flag list made with a personal key as a local-evaluation request: poll it sparingly.
    pub fn list(&self, project: impl Into<ProjectId>) -> Pager<FeatureFlag> {
        let path = project.into().path("feature_flags/");
        self.client.inner.pager(&path, &[], RateClass::General)
    }

    /// One flag by id.
    pub fn get(&self, project: impl Into<ProjectId>, id: u64) -> Result<FeatureFlag, Error> {
        let path = flag_path(project.into(), id, "");
        self.client
            .inner
            .get(&path, RateClass::General, "feature flag")
    }

    /// Creates a flag (`POST`; scope `feature_flag:write`). PostHog makes a usage dashboard
    /// for every new flag unless asked not to; the client asks not to
    /// (`_should_create_usage_dashboard: false`) unless [`NewFeatureFlag::usage_dashboard`]
    /// says otherwise, so a script creating flags does not leave a dashboard per flag.
    pub fn create(
        &self,
        project: impl Into<ProjectId>,
        flag: &NewFeatureFlag,
    ) -> Result<FeatureFlag, Error> {
        let inner = &self.client.inner;
        let mut body = serde_json::to_value(flag)
            .map_err(|e| Error::InvalidInput(format!("cannot encode the flag: {e}")))?;
        if let Value::Object(m) = &mut body {
            m.entry(USAGE_DASHBOARD).or_insert(Value::Bool(false));
        }
        let url = inner.http.url(&project.into().path("feature_flags/"), &[]);
        inner.send_as(
            Call::write(Method::Post, url, Some(body), RateClass::General),
            "feature flag",
        )
    }

    /// Changes some fields of a flag (`PATCH` with `changes`, a JSON object).
    pub fn update(
        &self,
        project: impl Into<ProjectId>,
        id: u64,
        changes: Value,
    ) -> Result<FeatureFlag, Error> {
        if !changes.is_object() {
            return Err(Error::InvalidInput(
                "flag changes must be a JSON object".into(),
            ));
        }
        let inner = &self.client.inner;
        let url = inner.http.url(&flag_path(project.into(), id, ""), &[]);
        inner.send_as(
            Call::write(Method::Patch, url, Some(changes), RateClass::General),
            "feature flag",
        )
    }

    /// Turns a flag on or off.
    pub fn set_active(
        &self,
        project: impl Into<ProjectId>,
        id: u64,
        active: bool,
    ) -> Result<FeatureFlag, Error> {
        self.update(project, id, json!({ "active": active }))
    }

    /// Deletes a flag the way PostHog does: a soft delete (`PATCH {"deleted": true}`).
    pub fn delete(&self, project: impl Into<ProjectId>, id: u64) -> Result<FeatureFlag, Error> {
        self.update(project, id, json!({ "deleted": true }))
    }

    /// The change history of a flag, page by page (PostHog pages it by `page`, with a
    /// `total_count`). Scope `activity_log:read`, not `feature_flag:read`.
    pub fn activity(&self, project: impl Into<ProjectId>, id: u64) -> Pager<Value> {
        let path = flag_path(project.into(), id, "activity/");
        self.client.inner.pager(&path, &[], RateClass::General)
    }
}
