//! The `PostHogAdminClient` object: every admin call of the core, converted. `project` is a
//! numeric project id as text or `"@current"` (the key's default project), always the last
//! argument and defaulting to `"@current"`.

use crate::admin::{
    AdminOptions, FeatureFlagRecord, FlagPager, JsonPager, QueryResultRecord, QueryStatusRecord,
    to_json,
};
use crate::convert::json_object;
use crate::error::PostHogError;
use posthog_core::admin as core;
use serde_json::{Map, Value};
use std::io::BufWriter;
use std::sync::Arc;
use std::time::Duration;

/// The client of PostHog's private API, authenticated by a personal API key (`phx_…`).
/// Thread-safe; every call blocks while the core's own worker thread does the HTTP work.
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug)]
pub struct PostHogAdminClient {
    pub(crate) inner: core::AdminClient,
}

pub(crate) fn object(text: &str, what: &str) -> Result<Value, PostHogError> {
    json_object(text, what)
        .map(Value::Object)
        .map_err(PostHogError::invalid_input)
}

pub(crate) fn optional_object(text: Option<String>, what: &str) -> Result<Value, PostHogError> {
    text.map_or(Ok(Value::Null), |t| object(&t, what))
}

/// What to export.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum ExportSource {
    /// Raw events in `[after, before)` (RFC 3339 timestamps), optionally of one event name and
    /// with property equalities (`propertiesJson`: `{"$browser": "Chrome"}`), paged by
    /// (timestamp, uuid): no row skipped or repeated. Columns: uuid, event, timestamp,
    /// distinct_id, properties.
    Events {
        /// The first timestamp included (RFC 3339).
        after: String,
        /// The first timestamp excluded (RFC 3339).
        before: String,
        /// Only this event name.
        event: Option<String>,
        /// Only events whose properties equal these (a JSON object; plain property names).
        properties_json: Option<String>,
    },
    /// A HogQL `SELECT` without its own `LIMIT`/`OFFSET` (give it a total `ORDER BY`), with
    /// `{name}` placeholders filled from `valuesJson`.
    HogQl {
        /// The `SELECT`, with `{name}` placeholders.
        query: String,
        /// The placeholder values (a JSON object).
        values_json: Option<String>,
    },
}

impl ExportSource {
    fn into_core(self) -> Result<core::ExportSource, PostHogError> {
        Ok(match self {
            ExportSource::Events {
                after,
                before,
                event,
                properties_json,
            } => {
                let props = match properties_json {
                    Some(t) => json_object(&t, "properties_json")
                        .map_err(PostHogError::invalid_input)?
                        .into_iter()
                        .collect(),
                    None => Vec::new(),
                };
                core::ExportSource::Events {
                    after: posthog_core::parse_timestamp(&after)?.into(),
                    before: posthog_core::parse_timestamp(&before)?.into(),
                    event,
                    properties: props,
                }
            }
            ExportSource::HogQl { query, values_json } => core::ExportSource::HogQL {
                query,
                values: optional_object(values_json, "values_json")?,
            },
        })
    }
}

/// The output format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ExportFormat {
    /// One JSON object per line (keys = column names).
    Jsonl,
    /// Comma-separated values with a header line.
    Csv,
}

/// What a finished export did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ExportReportRecord {
    /// Rows written in this run.
    pub rows: u64,
    /// Pages fetched in this run.
    pub pages: u64,
    /// The final checkpoint as JSON (totals over all runs, `bytes` = the file's length).
    pub checkpoint_json: String,
}

/// Told about an export's progress, on the calling thread, after each page is written and
/// flushed. Store `checkpointJson` to resume after a crash.
#[uniffi::export(with_foreign)]
pub trait ExportListener: Send + Sync {
    /// After every page: rows written so far (all runs) and the checkpoint to resume from.
    fn on_page(&self, rows: u64, checkpoint_json: String);
}

/// Maps an interrupted export: the core error's kind and attributes, the rows written so far
/// in the message, and the checkpoint in `attributes().checkpoint`.
fn export_error(e: core::ExportError) -> PostHogError {
    let cp = to_json(&e.checkpoint);
    let rows = e.checkpoint.rows;
    PostHogError::from(e.error).map_info(|info| {
        info.message = format!("{} (export stopped after {rows} rows)", info.message);
        info.checkpoint = Some(cp);
    })
}

#[uniffi::export]
impl PostHogAdminClient {
    /// Validates the options and starts the client's worker thread. The key is a personal API
    /// key (`phx_…`); a project key (`phc_…`) or a flags secure key throws `InvalidKey`.
    #[uniffi::constructor]
    pub fn new(personal_api_key: String, options: AdminOptions) -> Result<Arc<Self>, PostHogError> {
        let inner = core::AdminClient::new(options.into_core(personal_api_key))?;
        Ok(Arc::new(PostHogAdminClient { inner }))
    }

    /// The app origin this client talks to.
    pub fn host(&self) -> String {
        self.inner.host().to_string()
    }

    /// Swaps the personal key for every later request. A `phc_` key throws `InvalidKey`.
    pub fn rotate_key(&self, personal_api_key: String) -> Result<(), PostHogError> {
        Ok(self.inner.rotate_key(personal_api_key)?)
    }

    /// The user the key belongs to (`GET /api/users/@me/`), as JSON.
    pub fn me(&self) -> Result<String, PostHogError> {
        Ok(to_json(&self.inner.users().me()?))
    }

    // ---- projects ----

    /// Every project the key can see (JSON objects).
    pub fn list_projects(&self) -> Arc<JsonPager> {
        JsonPager::of(self.inner.projects().list())
    }

    /// One project, as JSON.
    #[uniffi::method(default(project = "@current"))]
    pub fn get_project(&self, project: String) -> Result<String, PostHogError> {
        Ok(to_json(&self.inner.projects().get(p(&project)?)?))
    }

    // ---- feature flags ----

    /// Every feature flag of the project, one page per `nextPage()`.
    #[uniffi::method(default(project = "@current"))]
    pub fn list_feature_flags(&self, project: String) -> Result<Arc<FlagPager>, PostHogError> {
        let p = p(&project)?;
        Ok(FlagPager::of(self.inner.feature_flags().list(p)))
    }

    /// One flag by id (`NotFound` once deleted).
    #[uniffi::method(default(project = "@current"))]
    pub fn get_feature_flag(
        &self,
        id: u64,
        project: String,
    ) -> Result<FeatureFlagRecord, PostHogError> {
        Ok(self.inner.feature_flags().get(p(&project)?, id)?.into())
    }

    /// Creates a flag: `key`, an optional description, a rollout to this percentage of
    /// everyone (unset: PostHog's default conditions), on unless `active = false`.
    #[uniffi::method(default(name = None, rollout_percentage = None, active = true, project = "@current"))]
    pub fn create_feature_flag(
        &self,
        key: String,
        name: Option<String>,
        rollout_percentage: Option<f64>,
        active: bool,
        project: String,
    ) -> Result<FeatureFlagRecord, PostHogError> {
        let mut flag = core::NewFeatureFlag::new(key).active(active);
        if let Some(n) = name {
            flag = flag.name(n);
        }
        if let Some(pct) = rollout_percentage {
            flag = flag.rollout_percentage(pct);
        }
        Ok(self
            .inner
            .feature_flags()
            .create(p(&project)?, &flag)?
            .into())
    }

    /// Creates a flag from PostHog's JSON form (`{"key", "name", "filters", "active", …}`;
    /// `active` defaults to true).
    #[uniffi::method(default(project = "@current"))]
    pub fn create_feature_flag_json(
        &self,
        flag_json: String,
        project: String,
    ) -> Result<FeatureFlagRecord, PostHogError> {
        let mut map: Map<String, Value> =
            json_object(&flag_json, "flag_json").map_err(PostHogError::invalid_input)?;
        map.entry("active").or_insert(Value::Bool(true));
        let flag: core::NewFeatureFlag = serde_json::from_value(Value::Object(map))
            .map_err(|e| PostHogError::invalid_input(format!("flag_json is not a flag: {e}")))?;
        Ok(self
            .inner
            .feature_flags()
            .create(p(&project)?, &flag)?
            .into())
    }

    /// Changes some fields of a flag (`PATCH` with a JSON object).
    #[uniffi::method(default(project = "@current"))]
    pub fn update_feature_flag(
        &self,
        id: u64,
        patch_json: String,
        project: String,
    ) -> Result<FeatureFlagRecord, PostHogError> {
        let changes = object(&patch_json, "patch_json")?;
        Ok(self
            .inner
            .feature_flags()
            .update(p(&project)?, id, changes)?
            .into())
    }

    /// Turns a flag on or off.
    #[uniffi::method(default(project = "@current"))]
    pub fn set_feature_flag_active(
        &self,
        id: u64,
        active: bool,
        project: String,
    ) -> Result<FeatureFlagRecord, PostHogError> {
        Ok(self
            .inner
            .feature_flags()
            .set_active(p(&project)?, id, active)?
            .into())
    }

    /// Deletes a flag the way PostHog does (a soft delete); returns it as it was deleted.
    #[uniffi::method(default(project = "@current"))]
    pub fn delete_feature_flag(
        &self,
        id: u64,
        project: String,
    ) -> Result<FeatureFlagRecord, PostHogError> {
        Ok(self.inner.feature_flags().delete(p(&project)?, id)?.into())
    }

    /// The change history of a flag (JSON objects), newest first.
    #[uniffi::method(default(project = "@current"))]
    pub fn feature_flag_activity(
        &self,
        id: u64,
        project: String,
    ) -> Result<Arc<JsonPager>, PostHogError> {
        Ok(JsonPager::of(
            self.inner.feature_flags().activity(p(&project)?, id),
        ))
    }

    // ---- persons, cohorts, insights, annotations, definitions, batch exports ----

    /// Every person, or those with this distinct id (JSON objects).
    #[uniffi::method(default(distinct_id = None, project = "@current"))]
    pub fn list_persons(
        &self,
        distinct_id: Option<String>,
        project: String,
    ) -> Result<Arc<JsonPager>, PostHogError> {
        Ok(JsonPager::of(
            self.inner
                .persons()
                .list(p(&project)?, distinct_id.as_deref()),
        ))
    }

    /// One person by id (uuid), as JSON.
    #[uniffi::method(default(project = "@current"))]
    pub fn get_person(&self, id: String, project: String) -> Result<String, PostHogError> {
        Ok(to_json(&self.inner.persons().get(p(&project)?, &id)?))
    }

    /// Every cohort (JSON objects).
    #[uniffi::method(default(project = "@current"))]
    pub fn list_cohorts(&self, project: String) -> Result<Arc<JsonPager>, PostHogError> {
        Ok(JsonPager::of(self.inner.cohorts().list(p(&project)?)))
    }

    /// One cohort by id, as JSON.
    #[uniffi::method(default(project = "@current"))]
    pub fn get_cohort(&self, id: u64, project: String) -> Result<String, PostHogError> {
        Ok(to_json(&self.inner.cohorts().get(p(&project)?, id)?))
    }

    /// Every saved insight (JSON objects).
    #[uniffi::method(default(project = "@current"))]
    pub fn list_insights(&self, project: String) -> Result<Arc<JsonPager>, PostHogError> {
        Ok(JsonPager::of(self.inner.insights().list(p(&project)?)))
    }

    /// One insight by id, as JSON.
    #[uniffi::method(default(project = "@current"))]
    pub fn get_insight(&self, id: u64, project: String) -> Result<String, PostHogError> {
        Ok(to_json(&self.inner.insights().get(p(&project)?, id)?))
    }

    /// Every annotation (JSON objects).
    #[uniffi::method(default(project = "@current"))]
    pub fn list_annotations(&self, project: String) -> Result<Arc<JsonPager>, PostHogError> {
        Ok(JsonPager::of(self.inner.annotations().list(p(&project)?)))
    }

    /// Every event definition (JSON objects).
    #[uniffi::method(default(project = "@current"))]
    pub fn list_event_definitions(&self, project: String) -> Result<Arc<JsonPager>, PostHogError> {
        Ok(JsonPager::of(self.inner.definitions().events(p(&project)?)))
    }

    /// Every property definition (JSON objects); `kind` filters by type (`event`, `person`…).
    #[uniffi::method(default(kind = None, project = "@current"))]
    pub fn list_property_definitions(
        &self,
        kind: Option<String>,
        project: String,
    ) -> Result<Arc<JsonPager>, PostHogError> {
        Ok(JsonPager::of(
            self.inner
                .definitions()
                .properties(p(&project)?, kind.as_deref()),
        ))
    }

    /// Every batch export (JSON objects).
    #[uniffi::method(default(project = "@current"))]
    pub fn list_batch_exports(&self, project: String) -> Result<Arc<JsonPager>, PostHogError> {
        Ok(JsonPager::of(self.inner.batch_exports().list(p(&project)?)))
    }

    /// One batch export by id (uuid), as JSON.
    #[uniffi::method(default(project = "@current"))]
    pub fn get_batch_export(&self, id: String, project: String) -> Result<String, PostHogError> {
        Ok(to_json(&self.inner.batch_exports().get(p(&project)?, &id)?))
    }

    // ---- query ----

    /// Runs a HogQL query and waits for its rows. `valuesJson` (a JSON object) fills the
    /// query's `{name}` placeholders: pass every outside value that way, never in the text.
    /// `fresh` asks PostHog to compute again rather than answer from its cache.
    #[uniffi::method(default(values_json = None, fresh = false, project = "@current"))]
    pub fn query(
        &self,
        hogql: String,
        values_json: Option<String>,
        fresh: bool,
        project: String,
    ) -> Result<QueryResultRecord, PostHogError> {
        let values = optional_object(values_json, "values_json")?;
        let opts = core::QueryOptions {
            fresh,
            ..core::QueryOptions::default()
        };
        Ok(self
            .inner
            .query_with(p(&project)?, &hogql, values, &opts)?
            .into())
    }

    /// Starts a query in the background; poll with `queryStatus` or `waitForQuery`.
    #[uniffi::method(default(values_json = None, client_query_id = None, project = "@current"))]
    pub fn query_async(
        &self,
        hogql: String,
        values_json: Option<String>,
        client_query_id: Option<String>,
        project: String,
    ) -> Result<QueryStatusRecord, PostHogError> {
        let values = optional_object(values_json, "values_json")?;
        let opts = core::QueryOptions {
            client_query_id,
            ..core::QueryOptions::default()
        };
        Ok(self
            .inner
            .query_async(p(&project)?, &hogql, values, &opts)?
            .into())
    }

    /// The state of an async query.
    #[uniffi::method(default(project = "@current"))]
    pub fn query_status(
        &self,
        id: String,
        project: String,
    ) -> Result<QueryStatusRecord, PostHogError> {
        Ok(self.inner.query_status(p(&project)?, &id)?.into())
    }

    /// Polls an async query until it completes (its rows), fails, or `timeoutMs` passes
    /// (`Timeout`).
    #[uniffi::method(default(project = "@current"))]
    pub fn wait_for_query(
        &self,
        id: String,
        timeout_ms: u64,
        project: String,
    ) -> Result<QueryResultRecord, PostHogError> {
        Ok(self
            .inner
            .wait_for_query(p(&project)?, &id, Duration::from_millis(timeout_ms))?
            .into())
    }

    /// Cancels an async query; answers PostHog's message (null when it sent none).
    #[uniffi::method(default(project = "@current"))]
    pub fn cancel_query(
        &self,
        id: String,
        project: String,
    ) -> Result<Option<String>, PostHogError> {
        Ok(self.inner.cancel_query(p(&project)?, &id)?)
    }

    // ---- export ----

    /// Streams `source` into the file at `path` (`format` default JSON Lines), one page (`pageSize` rows, at most 50 000) at
    /// a time. Without `checkpointJson` the file is created or truncated; with one (from a
    /// report, a listener or `exportCheckpoint(e.message)`) it is cut to the checkpoint's
    /// `bytes` and appended to, continuing exactly where that run stopped (a file shorter than
    /// the checkpoint throws `Io`).
    ///
    /// An interrupted export throws the error's kind (`Server`, `Io`, …) with the checkpoint
    /// at the end of the message: `exportCheckpoint(e.message)` reads it back.
    #[uniffi::method(default(
        format = None,
        page_size = 10000,
        checkpoint_json = None,
        listener = None,
        project = "@current"
    ))]
    // Every argument but `path` and `source` is optional in Kotlin and Swift.
    #[allow(clippy::too_many_arguments)]
    pub fn export(
        &self,
        path: String,
        source: ExportSource,
        format: Option<ExportFormat>,
        page_size: u32,
        checkpoint_json: Option<String>,
        listener: Option<Arc<dyn ExportListener>>,
        project: String,
    ) -> Result<ExportReportRecord, PostHogError> {
        let project = p(&project)?;
        let source = source.into_core()?;
        let checkpoint: Option<core::Checkpoint> = checkpoint_json
            .map(|t| {
                serde_json::from_str(&t).map_err(|e| {
                    PostHogError::invalid_input(format!(
                        "checkpoint_json is not an export checkpoint (line {}, column {})",
                        e.line(),
                        e.column()
                    ))
                })
            })
            .transpose()?;
        // Created or truncated; on resume cut back to the checkpoint's bytes (the core's rule).
        let file = core::open_output(std::path::Path::new(&path), checkpoint.as_ref())?;
        let hook: Option<core::export::CheckpointHook> = listener.map(|l| {
            Box::new(move |cp: &core::Checkpoint| l.on_page(cp.rows, to_json(cp)))
                as core::export::CheckpointHook
        });
        let opts = core::ExportOptions {
            page_size: page_size as usize,
            checkpoint,
            on_progress: None,
            on_checkpoint: hook,
        };
        let fmt = match format.unwrap_or(ExportFormat::Jsonl) {
            ExportFormat::Jsonl => core::ExportFormat::Jsonl,
            ExportFormat::Csv => core::ExportFormat::Csv,
        };
        let report = self
            .inner
            .export(project, &source, fmt, BufWriter::new(file), opts)
            .map_err(export_error)?;
        Ok(ExportReportRecord {
            rows: report.rows,
            pages: report.pages,
            checkpoint_json: to_json(&report.checkpoint),
        })
    }
}

/// `"@current"` or a numeric project id.
fn p(project: &str) -> Result<core::ProjectId, PostHogError> {
    Ok(core::ProjectId::parse(project)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_interrupted_export_carries_its_checkpoint() {
        let cp = core::Checkpoint {
            rows: 100,
            pages: 1,
            bytes: 4242,
            ..Default::default()
        };
        let e = export_error(core::ExportError {
            error: posthog_core::Error::Timeout("slow".into()),
            checkpoint: cp.clone(),
        });
        let PostHogError::Timeout { info } = e else {
            panic!("the kind is kept")
        };
        assert_eq!(
            info.message,
            "timed out: slow (export stopped after 100 rows)"
        );
        let back: core::Checkpoint =
            serde_json::from_str(info.checkpoint.as_deref().unwrap()).unwrap();
        assert_eq!(back, cp);
    }
}
