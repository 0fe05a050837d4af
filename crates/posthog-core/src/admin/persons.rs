//! `/api/projects/{id}/persons/`: list (optionally by distinct id), get, delete.

use super::budget::RateClass;
use super::client::AdminClient;
use super::http::{Call, Method};
use super::ids::{ProjectId, segment};
use super::pager::Pager;
use crate::error::Error;
use serde_json::Value;

/// The persons resource of a project (an analytics endpoint: 240/min, 1200/h).
#[derive(Debug, Clone, Copy)]
pub struct Persons<'a> {
    client: &'a AdminClient,
}

impl AdminClient {
    /// The persons resource (`/api/projects/{id}/persons/`).
    pub fn persons(&self) -> Persons<'_> {
        Persons { client: self }
    }
}

impl Persons<'_> {
    /// Every person, or those with this distinct id, page by page.
    pub fn list(&self, project: impl Into<ProjectId>, distinct_id: Option<&str>) -> Pager<Value> {
        let query: Vec<(&str, String)> = distinct_id
            .map(|d| vec![("distinct_id", d.to_string())])
            .unwrap_or_default();
        let path = project.into().path("persons/");
        self.client.inner.pager(&path, &query, RateClass::Analytics)
    }

    /// One person by id (uuid).
    pub fn get(&self, project: impl Into<ProjectId>, id: &str) -> Result<Value, Error> {
        let path = project.into().path(&format!("persons/{}/", segment(id)?));
        self.client.inner.get(&path, RateClass::Analytics, "person")
    }

    /// Deletes a person (the events stay).
    pub fn delete(&self, project: impl Into<ProjectId>, id: &str) -> Result<(), Error> {
        let inner = &self.client.inner;
        let path = project.into().path(&format!("persons/{}/", segment(id)?));
        let url = inner.http.url(&path, &[]);
        inner.send(Call::write(Method::Delete, url, None, RateClass::Analytics))?;
        Ok(())
    }
}
