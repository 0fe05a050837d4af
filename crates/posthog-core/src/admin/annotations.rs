//! `/api/projects/{id}/annotations/`: list and create.

use super::budget::RateClass;
use super::client::AdminClient;
use super::http::{Call, Method};
use super::ids::ProjectId;
use super::pager::Pager;
use crate::error::Error;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// The annotations resource of a project.
#[derive(Debug, Clone, Copy)]
pub struct Annotations<'a> {
    client: &'a AdminClient,
}

impl AdminClient {
    /// The annotations resource (`/api/projects/{id}/annotations/`).
    pub fn annotations(&self) -> Annotations<'_> {
        Annotations { client: self }
    }
}

impl Annotations<'_> {
    /// Every annotation, page by page.
    pub fn list(&self, project: impl Into<ProjectId>) -> Pager<Value> {
        let path = project.into().path("annotations/");
        self.client.inner.pager(&path, &[], RateClass::General)
    }

    /// Marks `at` with `content` (project scope).
    pub fn create(
        &self,
        project: impl Into<ProjectId>,
        content: &str,
        at: DateTime<Utc>,
    ) -> Result<Value, Error> {
        let inner = &self.client.inner;
        let body = json!({
            "content": content,
            "date_marker": at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "scope": "project",
        });
        let url = inner.http.url(&project.into().path("annotations/"), &[]);
        inner.send(Call::write(
            Method::Post,
            url,
            Some(body),
            RateClass::General,
        ))
    }
}
