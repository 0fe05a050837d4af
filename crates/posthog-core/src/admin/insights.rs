//! `/api/projects/{id}/insights/`: list and get (an analytics endpoint).

use super::budget::RateClass;
use super::client::AdminClient;
use super::ids::ProjectId;
use super::pager::Pager;
use crate::error::Error;
use serde_json::Value;

/// The insights resource of a project (an analytics endpoint: 240/min, 1200/h).
#[derive(Debug, Clone, Copy)]
pub struct Insights<'a> {
    client: &'a AdminClient,
}

impl AdminClient {
    /// The insights resource (`/api/projects/{id}/insights/`).
    pub fn insights(&self) -> Insights<'_> {
        Insights { client: self }
    }
}

impl Insights<'_> {
    /// Every saved insight, page by page.
    pub fn list(&self, project: impl Into<ProjectId>) -> Pager<Value> {
        let path = project.into().path("insights/");
        self.client.inner.pager(&path, &[], RateClass::Analytics)
    }

    /// One insight by id.
    pub fn get(&self, project: impl Into<ProjectId>, id: u64) -> Result<Value, Error> {
        let path = project.into().path(&format!("insights/{id}/"));
        self.client
            .inner
            .get(&path, RateClass::Analytics, "insight")
    }
}
