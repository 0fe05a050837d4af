//! The resources of `NativeAdmin`, one group per core resource: read the arguments, call the
//! core on the libuv pool, hand the answer back as JSON. Projects are `"@current"` (the
//! default) or a number given as text; numeric ids are JS numbers; bodies are JSON text.

use super::{AdminTask, CoreResult, NativeAdmin, NativePager, id, parse, project};
use napi::bindgen_prelude::*;
use posthog_core::admin::{AdminClient, NewFeatureFlag, PersonalApiKey, QueryOptions};
use posthog_core::{Error as CoreError, parse_timestamp};
use serde_json::Value;
use std::time::Duration;

fn ok<T>(r: CoreResult<T>, env: &Env) -> Result<T> {
    r.map_err(|e| crate::errors::to_js(env, &e))
}

fn query_options(
    client_query_id: Option<String>,
    name: Option<String>,
    fresh: Option<bool>,
) -> QueryOptions {
    QueryOptions {
        client_query_id,
        name,
        fresh: fresh.unwrap_or(false),
    }
}

#[napi]
impl NativeAdmin {
    /// `GET /api/users/@me/`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn me(&self) -> AsyncTask<AdminTask> {
        self.task(|c| json!(c.users().me()?))
    }

    // --- projects -------------------------------------------------------------------------

    #[napi]
    pub fn projects_list(&self) -> NativePager {
        pager!(self.client.projects().list())
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn projects_get(&self, project_id: String) -> AsyncTask<AdminTask> {
        self.task(move |c| json!(c.projects().get(project(Some(project_id))?)?))
    }

    // --- feature flags --------------------------------------------------------------------

    #[napi]
    pub fn feature_flags_list(&self, env: Env, project_id: Option<String>) -> Result<NativePager> {
        let p = ok(project(project_id), &env)?;
        Ok(pager!(self.client.feature_flags().list(p)))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn feature_flags_get(
        &self,
        project_id: Option<String>,
        flag_id: f64,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            json!(
                c.feature_flags()
                    .get(project(project_id)?, id(flag_id, "id")?)?
            )
        })
    }

    /// `fields` (JSON text): any other field to send (`ensure_experience_continuity`, `tags`…).
    #[napi(ts_return_type = "Promise<string>")]
    #[allow(clippy::too_many_arguments)]
    pub fn feature_flags_create(
        &self,
        project_id: Option<String>,
        key: String,
        name: Option<String>,
        active: Option<bool>,
        filters: Option<String>,
        rollout_percentage: Option<f64>,
        fields: Option<String>,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            let mut flag = NewFeatureFlag::new(key);
            if let Some(n) = name {
                flag = flag.name(n);
            }
            if let Some(a) = active {
                flag = flag.active(a);
            }
            if let Some(p) = rollout_percentage {
                flag = flag.rollout_percentage(p);
            }
            let filters = parse(filters, "filters")?;
            if !filters.is_null() {
                flag = flag.filters(filters);
            }
            match parse(fields, "fields")? {
                Value::Null => {}
                Value::Object(m) => flag.extra = m,
                _ => return Err(CoreError::InvalidInput("fields must be an object".into())),
            }
            json!(c.feature_flags().create(project(project_id)?, &flag)?)
        })
    }

    /// `changes`: JSON text of an object (PostHog's field names).
    #[napi(ts_return_type = "Promise<string>")]
    pub fn feature_flags_update(
        &self,
        project_id: Option<String>,
        flag_id: f64,
        changes: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            let changes = parse(Some(changes), "changes")?;
            json!(
                c.feature_flags()
                    .update(project(project_id)?, id(flag_id, "id")?, changes)?
            )
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn feature_flags_set_active(
        &self,
        project_id: Option<String>,
        flag_id: f64,
        active: bool,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            json!(
                c.feature_flags()
                    .set_active(project(project_id)?, id(flag_id, "id")?, active)?
            )
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn feature_flags_delete(
        &self,
        project_id: Option<String>,
        flag_id: f64,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            json!(
                c.feature_flags()
                    .delete(project(project_id)?, id(flag_id, "id")?)?
            )
        })
    }

    #[napi]
    pub fn feature_flags_activity(
        &self,
        env: Env,
        project_id: Option<String>,
        flag_id: f64,
    ) -> Result<NativePager> {
        let p = ok(project(project_id), &env)?;
        let i = ok(id(flag_id, "id"), &env)?;
        Ok(NativePager::of(self.client.feature_flags().activity(p, i)))
    }

    // --- persons --------------------------------------------------------------------------

    #[napi]
    pub fn persons_list(
        &self,
        env: Env,
        project_id: Option<String>,
        distinct_id: Option<String>,
    ) -> Result<NativePager> {
        let p = ok(project(project_id), &env)?;
        Ok(NativePager::of(
            self.client.persons().list(p, distinct_id.as_deref()),
        ))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn persons_get(
        &self,
        project_id: Option<String>,
        person_id: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| c.persons().get(project(project_id)?, &person_id))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn persons_delete(
        &self,
        project_id: Option<String>,
        person_id: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            c.persons().delete(project(project_id)?, &person_id)?;
            Ok(Value::Null)
        })
    }

    // --- cohorts --------------------------------------------------------------------------

    #[napi]
    pub fn cohorts_list(&self, env: Env, project_id: Option<String>) -> Result<NativePager> {
        let p = ok(project(project_id), &env)?;
        Ok(NativePager::of(self.client.cohorts().list(p)))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn cohorts_get(&self, project_id: Option<String>, cohort_id: f64) -> AsyncTask<AdminTask> {
        self.task(move |c| c.cohorts().get(project(project_id)?, id(cohort_id, "id")?))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn cohorts_create_static(
        &self,
        project_id: Option<String>,
        name: String,
        person_ids: Vec<String>,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            c.cohorts()
                .create_static(project(project_id)?, &name, &person_ids)
        })
    }

    // --- insights -------------------------------------------------------------------------

    #[napi]
    pub fn insights_list(&self, env: Env, project_id: Option<String>) -> Result<NativePager> {
        let p = ok(project(project_id), &env)?;
        Ok(NativePager::of(self.client.insights().list(p)))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn insights_get(
        &self,
        project_id: Option<String>,
        insight_id: f64,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            c.insights()
                .get(project(project_id)?, id(insight_id, "id")?)
        })
    }

    // --- annotations ----------------------------------------------------------------------

    #[napi]
    pub fn annotations_list(&self, env: Env, project_id: Option<String>) -> Result<NativePager> {
        let p = ok(project(project_id), &env)?;
        Ok(NativePager::of(self.client.annotations().list(p)))
    }

    /// `at`: an RFC 3339 time.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn annotations_create(
        &self,
        project_id: Option<String>,
        content: String,
        at: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            let at = parse_timestamp(&at)?.into();
            c.annotations().create(project(project_id)?, &content, at)
        })
    }

    // --- definitions ----------------------------------------------------------------------

    #[napi]
    pub fn definitions_events(&self, env: Env, project_id: Option<String>) -> Result<NativePager> {
        let p = ok(project(project_id), &env)?;
        Ok(NativePager::of(self.client.definitions().events(p)))
    }

    #[napi]
    pub fn definitions_properties(
        &self,
        env: Env,
        project_id: Option<String>,
        kind: Option<String>,
    ) -> Result<NativePager> {
        let p = ok(project(project_id), &env)?;
        Ok(NativePager::of(
            self.client.definitions().properties(p, kind.as_deref()),
        ))
    }

    // --- batch exports --------------------------------------------------------------------

    #[napi]
    pub fn batch_exports_list(&self, env: Env, project_id: Option<String>) -> Result<NativePager> {
        let p = ok(project(project_id), &env)?;
        Ok(NativePager::of(self.client.batch_exports().list(p)))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn batch_exports_get(
        &self,
        project_id: Option<String>,
        export_id: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| c.batch_exports().get(project(project_id)?, &export_id))
    }

    /// `spec`: JSON text of PostHog's batch export form.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn batch_exports_create(
        &self,
        project_id: Option<String>,
        spec: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            let spec = parse(Some(spec), "spec")?;
            c.batch_exports().create(project(project_id)?, spec)
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn batch_exports_pause(
        &self,
        project_id: Option<String>,
        export_id: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| c.batch_exports().pause(project(project_id)?, &export_id))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn batch_exports_unpause(
        &self,
        project_id: Option<String>,
        export_id: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| c.batch_exports().unpause(project(project_id)?, &export_id))
    }

    /// `start`, `end`: RFC 3339 times.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn batch_exports_backfill(
        &self,
        project_id: Option<String>,
        export_id: String,
        start: String,
        end: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            let (start, end) = (
                parse_timestamp(&start)?.into(),
                parse_timestamp(&end)?.into(),
            );
            c.batch_exports()
                .backfill(project(project_id)?, &export_id, start, end)
        })
    }

    /// `after`/`before`: RFC 3339 times (without `after` PostHog lists the last 7 days).
    #[napi]
    pub fn batch_exports_runs(
        &self,
        env: Env,
        project_id: Option<String>,
        export_id: String,
        after: Option<String>,
        before: Option<String>,
    ) -> Result<NativePager> {
        let when = |t: Option<String>| -> CoreResult<_> {
            t.map(|t| parse_timestamp(&t).map(Into::into)).transpose()
        };
        let runs = ok(
            (|| {
                let (a, b) = (when(after)?, when(before)?);
                self.client
                    .batch_exports()
                    .runs(project(project_id)?, &export_id, a, b)
            })(),
            &env,
        )?;
        Ok(NativePager::of(runs))
    }

    // --- scopes, keys, activity log --------------------------------------------------------

    /// The smallest set of scopes for these operation names, as JSON text.
    #[napi]
    pub fn required_scopes(env: Env, operations: Vec<String>) -> Result<Vec<String>> {
        ok(AdminClient::required_scopes(&operations), &env)
    }

    /// Every operation and its scopes, as JSON text.
    #[napi]
    pub fn operations() -> String {
        let all: std::collections::BTreeMap<&str, &[&str]> =
            posthog_core::admin::OPERATIONS.iter().copied().collect();
        serde_json::to_string(&all).unwrap_or_default()
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn preflight(&self, operations: Vec<String>) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            let p = c.preflight(&operations)?;
            Ok(serde_json::to_value(p).unwrap_or(Value::Null))
        })
    }

    /// `[perMinute, perHour]` of `"general"`, `"analytics"` or `"query"`; null when off.
    #[napi]
    pub fn rate_budget(&self, env: Env, class: String) -> Result<Option<Vec<u32>>> {
        let class: posthog_core::admin::RateClass =
            class.parse().map_err(|e| crate::errors::to_js(&env, &e))?;
        Ok(self.client.rate_budget(class).map(|(m, h)| vec![m, h]))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn keys_current(&self) -> AsyncTask<AdminTask> {
        self.task(|c| Ok(c.personal_api_keys().current()?.to_json_with_secret()))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn keys_list(&self) -> AsyncTask<AdminTask> {
        self.task(|c| {
            let keys = c.personal_api_keys().list()?;
            Ok(Value::Array(
                keys.iter()
                    .map(PersonalApiKey::to_json_with_secret)
                    .collect(),
            ))
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn keys_create(&self, label: String, scopes: Vec<String>) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
            Ok(c.personal_api_keys()
                .create(&label, &refs)?
                .to_json_with_secret())
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn keys_roll(&self, key_id: String) -> AsyncTask<AdminTask> {
        self.task(move |c| Ok(c.personal_api_keys().roll(&key_id)?.to_json_with_secret()))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn keys_delete(&self, key_id: String) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            c.personal_api_keys().delete(&key_id)?;
            Ok(Value::Null)
        })
    }

    #[napi]
    pub fn activity_log(
        &self,
        env: Env,
        project_id: Option<String>,
        user: Option<String>,
        scope: Option<String>,
        item_id: Option<String>,
    ) -> Result<NativePager> {
        let p = ok(project(project_id), &env)?;
        let filter = posthog_core::admin::ActivityFilter {
            user,
            scope,
            item_id,
        };
        Ok(NativePager::of(self.client.activity_log(p, &filter)))
    }

    // --- query ----------------------------------------------------------------------------

    /// `values`: JSON text of the placeholder values.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn query(
        &self,
        project_id: Option<String>,
        hogql: String,
        values: Option<String>,
        client_query_id: Option<String>,
        name: Option<String>,
        fresh: Option<bool>,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            let values = parse(values, "values")?;
            let opts = query_options(client_query_id, name, fresh);
            json!(c.query_with(project(project_id)?, &hogql, values, &opts)?)
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn query_async(
        &self,
        project_id: Option<String>,
        hogql: String,
        values: Option<String>,
        client_query_id: Option<String>,
        name: Option<String>,
        fresh: Option<bool>,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            let values = parse(values, "values")?;
            let opts = query_options(client_query_id, name, fresh);
            json!(c.query_async(project(project_id)?, &hogql, values, &opts)?)
        })
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn query_status(
        &self,
        project_id: Option<String>,
        query_id: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| json!(c.query_status(project(project_id)?, &query_id)?))
    }

    #[napi(ts_return_type = "Promise<string>")]
    pub fn wait_for_query(
        &self,
        project_id: Option<String>,
        query_id: String,
        timeout_ms: f64,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| {
            let timeout = Duration::from_millis(id(timeout_ms, "timeoutMs")?);
            json!(c.wait_for_query(project(project_id)?, &query_id, timeout)?)
        })
    }

    /// PostHog's message, or null.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn cancel_query(
        &self,
        project_id: Option<String>,
        query_id: String,
    ) -> AsyncTask<AdminTask> {
        self.task(move |c| json!(c.cancel_query(project(project_id)?, &query_id)?))
    }
}
