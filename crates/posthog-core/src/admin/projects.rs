//! `/api/projects/`: list and get projects.

use super::budget::RateClass;
use super::client::AdminClient;
use super::ids::ProjectId;
use super::pager::Pager;
use crate::error::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A project (a "team" in PostHog's older vocabulary).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// The numeric id used in paths.
    pub id: u64,
    /// The project's uuid.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The organization id.
    #[serde(default)]
    pub organization: Option<Value>,
    /// The project's public ingestion key (`phc_…`).
    #[serde(default)]
    pub api_token: Option<String>,
    /// The project's time zone.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Every other field, kept as answered.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The projects resource.
#[derive(Debug, Clone, Copy)]
pub struct Projects<'a> {
    client: &'a AdminClient,
}

impl AdminClient {
    /// The projects resource (`/api/projects/`).
    pub fn projects(&self) -> Projects<'_> {
        Projects { client: self }
    }
}

impl Projects<'_> {
    /// Every project the key can see, page by page.
    pub fn list(&self) -> Pager<Project> {
        self.client
            .inner
            .pager("/api/projects/", &[], RateClass::General)
    }

    /// One project (`@current` for the key's default one).
    pub fn get(&self, project: impl Into<ProjectId>) -> Result<Project, Error> {
        let path = format!("/api/projects/{}/", project.into());
        self.client.inner.get(&path, RateClass::General, "project")
    }
}
