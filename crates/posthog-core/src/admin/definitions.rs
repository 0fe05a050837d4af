//! `/api/projects/{id}/event_definitions/` and `/property_definitions/`.

use super::budget::RateClass;
use super::client::AdminClient;
use super::ids::ProjectId;
use super::pager::Pager;
use serde_json::Value;

/// The event and property definitions of a project.
#[derive(Debug, Clone, Copy)]
pub struct Definitions<'a> {
    client: &'a AdminClient,
}

impl AdminClient {
    /// The definitions resources (event and property definitions).
    pub fn definitions(&self) -> Definitions<'_> {
        Definitions { client: self }
    }
}

impl Definitions<'_> {
    /// Every event definition (event names seen), page by page.
    pub fn events(&self, project: impl Into<ProjectId>) -> Pager<Value> {
        let path = project.into().path("event_definitions/");
        self.client.inner.pager(&path, &[], RateClass::General)
    }

    /// Every property definition, page by page; `kind` filters by `type` (`event`, `person`,
    /// `group`, `session`).
    pub fn properties(&self, project: impl Into<ProjectId>, kind: Option<&str>) -> Pager<Value> {
        let query: Vec<(&str, String)> = kind
            .map(|k| vec![("type", k.to_string())])
            .unwrap_or_default();
        let path = project.into().path("property_definitions/");
        self.client.inner.pager(&path, &query, RateClass::General)
    }
}
