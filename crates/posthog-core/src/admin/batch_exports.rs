//! `/api/projects/{id}/batch_exports/`: PostHog's own pipeline for large, recurring exports
//! (S3, BigQuery, Snowflake, Postgres, Redshift…).

use super::budget::RateClass;
use super::client::AdminClient;
use super::http::{Call, Method};
use super::ids::{ProjectId, segment};
use super::pager::Pager;
use crate::error::Error;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

/// The batch exports resource of a project. Ids are uuids.
#[derive(Debug, Clone, Copy)]
pub struct BatchExports<'a> {
    client: &'a AdminClient,
}

impl AdminClient {
    /// The batch exports resource (`/api/projects/{id}/batch_exports/`).
    pub fn batch_exports(&self) -> BatchExports<'_> {
        BatchExports { client: self }
    }
}

impl BatchExports<'_> {
    fn path(project: ProjectId, id: &str, rest: &str) -> Result<String, Error> {
        Ok(project.path(&format!("batch_exports/{}/{rest}", segment(id)?)))
    }

    fn post(&self, path: &str, body: Value) -> Result<Value, Error> {
        let inner = &self.client.inner;
        let url = inner.http.url(path, &[]);
        inner.send(Call::write(
            Method::Post,
            url,
            Some(body),
            RateClass::General,
        ))
    }

    /// Every batch export, page by page.
    pub fn list(&self, project: impl Into<ProjectId>) -> Pager<Value> {
        let path = project.into().path("batch_exports/");
        self.client.inner.pager(&path, &[], RateClass::General)
    }

    /// One batch export by id.
    pub fn get(&self, project: impl Into<ProjectId>, id: &str) -> Result<Value, Error> {
        let path = Self::path(project.into(), id, "")?;
        self.client
            .inner
            .get(&path, RateClass::General, "batch export")
    }

    /// Creates a batch export from PostHog's JSON form
    /// (`{"name", "destination": {"type": "S3", "config": {…}}, "interval": "hour"}`).
    pub fn create(&self, project: impl Into<ProjectId>, spec: Value) -> Result<Value, Error> {
        if !spec.is_object() {
            return Err(Error::InvalidInput(
                "a batch export spec must be a JSON object".into(),
            ));
        }
        self.post(&project.into().path("batch_exports/"), spec)
    }

    /// Pauses a batch export.
    pub fn pause(&self, project: impl Into<ProjectId>, id: &str) -> Result<Value, Error> {
        self.post(&Self::path(project.into(), id, "pause/")?, json!({}))
    }

    /// Resumes a paused batch export.
    pub fn unpause(&self, project: impl Into<ProjectId>, id: &str) -> Result<Value, Error> {
        self.post(&Self::path(project.into(), id, "unpause/")?, json!({}))
    }

    /// Runs a batch export again over `[start, end)`.
    pub fn backfill(
        &self,
        project: impl Into<ProjectId>,
        id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Value, Error> {
        let body = json!({
            "start_at": start.to_rfc3339_opts(SecondsFormat::Secs, true),
            "end_at": end.to_rfc3339_opts(SecondsFormat::Secs, true),
        });
        self.post(&Self::path(project.into(), id, "backfills/")?, body)
    }

    /// The runs of a batch export created in `[after, before)`, newest first, page by page
    /// (PostHog's cursor). Without `after` PostHog lists only the last 7 days: pass it to see
    /// older runs.
    pub fn runs(
        &self,
        project: impl Into<ProjectId>,
        id: &str,
        after: Option<DateTime<Utc>>,
        before: Option<DateTime<Utc>>,
    ) -> Result<Pager<Value>, Error> {
        if let (Some(a), Some(b)) = (after, before)
            && a >= b
        {
            return Err(Error::InvalidInput(
                "runs: `after` must be before `before`".into(),
            ));
        }
        let path = Self::path(project.into(), id, "runs/")?;
        let mut query = Vec::new();
        if let Some(a) = after {
            query.push(("after", a.to_rfc3339_opts(SecondsFormat::Secs, true)));
        }
        if let Some(b) = before {
            query.push(("before", b.to_rfc3339_opts(SecondsFormat::Secs, true)));
        }
        Ok(self.client.inner.pager(&path, &query, RateClass::General))
    }
}
