//! `/api/projects/{id}/cohorts/`: list, get, create a static cohort.

use super::budget::RateClass;
use super::client::AdminClient;
use super::http::{Call, Method};
use super::ids::ProjectId;
use super::pager::Pager;
use crate::error::Error;
use serde_json::{Value, json};

/// The cohorts resource of a project.
#[derive(Debug, Clone, Copy)]
pub struct Cohorts<'a> {
    client: &'a AdminClient,
}

impl AdminClient {
    /// The cohorts resource (`/api/projects/{id}/cohorts/`).
    pub fn cohorts(&self) -> Cohorts<'_> {
        Cohorts { client: self }
    }
}

impl Cohorts<'_> {
    /// Every cohort, page by page.
    pub fn list(&self, project: impl Into<ProjectId>) -> Pager<Value> {
        let path = project.into().path("cohorts/");
        self.client.inner.pager(&path, &[], RateClass::General)
    }

    /// One cohort by id.
    pub fn get(&self, project: impl Into<ProjectId>, id: u64) -> Result<Value, Error> {
        let path = project.into().path(&format!("cohorts/{id}/"));
        self.client.inner.get(&path, RateClass::General, "cohort")
    }

    /// Creates a static cohort named `name`, holding the persons with these ids (uuids).
    pub fn create_static(
        &self,
        project: impl Into<ProjectId>,
        name: &str,
        person_ids: &[String],
    ) -> Result<Value, Error> {
        let inner = &self.client.inner;
        let mut body = json!({ "name": name, "is_static": true });
        if !person_ids.is_empty() {
            body["_create_static_person_ids"] = json!(person_ids);
        }
        let url = inner.http.url(&project.into().path("cohorts/"), &[]);
        inner.send(Call::write(
            Method::Post,
            url,
            Some(body),
            RateClass::General,
        ))
    }
}
