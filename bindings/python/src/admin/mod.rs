//! The native admin client behind `posthog_sdk.AdminClient`: converts arguments, calls
//! `posthog_core::AdminClient` with the GIL released, converts answers to plain Python values
//! and maps errors. Lists come back as [`pager::AdminPager`]s; exports are in [`export`].

mod export;
mod pager;
mod query;
mod security;

use crate::convert::{Rejected, to_json, to_map, to_str, to_timestamp};
use crate::errors::to_pyerr;
use pager::AdminPager;
use posthog_core::Error;
use posthog_core::admin::{AdminClient, AdminOptions, NewFeatureFlag, ProjectId};
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyString, PyTuple};
use serde::Serialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// The native admin client (`posthog_sdk._native.AdminClient`).
#[pyclass(module = "posthog_sdk._native", name = "AdminClient", frozen)]
pub struct NativeAdminClient {
    pub(crate) inner: AdminClient,
}

fn input(text: Rejected) -> Error {
    Error::InvalidInput(text)
}

/// `"@current"`, a project id as text, or an int.
pub(crate) fn project_arg(obj: &Bound<'_, PyAny>) -> Result<ProjectId, Error> {
    if obj.is_instance_of::<PyInt>() {
        return obj
            .extract::<u64>()
            .map(ProjectId::Id)
            .map_err(|_| input("a project id is a non-negative int or \"@current\"".into()));
    }
    ProjectId::parse(&to_str(obj, "project").map_err(input)?)
}

fn secs(value: Option<f64>, name: &str) -> Result<Option<Duration>, Error> {
    value
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| {
                Error::Config(format!(
                    "{name} must be a finite, non-negative number of seconds"
                ))
            })
        })
        .transpose()
}

/// An optional JSON object argument (`None` = absent).
fn object(obj: Option<&Bound<'_, PyAny>>, what: &str) -> Result<Option<Map<String, Value>>, Error> {
    match obj {
        Some(o) if !o.is_none() => to_map(Some(o), what).map(Some).map_err(input),
        _ => Ok(None),
    }
}

/// Runs a blocking core call with the GIL released and converts its answer.
pub(crate) fn call<'py, T: Serialize + Send>(
    py: Python<'py>,
    f: impl FnOnce() -> Result<T, Error> + Send,
) -> PyResult<Bound<'py, PyAny>> {
    let v = py.detach(f).map_err(|e| to_pyerr(py, &e))?;
    pythonize::pythonize(py, &v).map_err(PyErr::from)
}

/// Converts arguments; a refusal becomes the core's error, raised as its class.
fn args<T>(py: Python<'_>, r: Result<T, Error>) -> PyResult<T> {
    r.map_err(|e| to_pyerr(py, &e))
}

#[pymethods]
impl NativeAdminClient {
    /// `personal_api_key=None` reads `POSTHOG_PERSONAL_API_KEY` (and `POSTHOG_HOST`) through
    /// the core; every other `None` keeps the core's default.
    #[new]
    #[pyo3(signature = (personal_api_key=None, host=None, timeout=None, max_retries=None,
        max_throttle_retries=None, max_concurrency=None, retry_writes=None, key_provider=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        personal_api_key: Option<&Bound<'_, PyAny>>,
        host: Option<&Bound<'_, PyAny>>,
        timeout: Option<f64>,
        max_retries: Option<u32>,
        max_throttle_retries: Option<u32>,
        max_concurrency: Option<usize>,
        retry_writes: Option<bool>,
        key_provider: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let opts = (|| -> Result<AdminOptions, Error> {
            let provider = security::provider(key_provider)?;
            let mut o = match (personal_api_key.filter(|k| !k.is_none()), provider.clone()) {
                (None, Some(p)) => {
                    let mut o = AdminOptions::from_provider(p);
                    if let Ok(host) = std::env::var("POSTHOG_HOST") {
                        o = o.host(host);
                    }
                    o
                }
                (None, None) => AdminOptions::from_env()?,
                (Some(k), _) => AdminOptions::new(
                    k.cast::<PyString>()
                        .ok()
                        .and_then(|s| s.to_cow().ok().map(|c| c.into_owned()))
                        .ok_or_else(|| {
                            Error::InvalidKey("personal_api_key must be a str".into())
                        })?,
                ),
            };
            if let Some(h) = host.filter(|h| !h.is_none()) {
                o = o.host(to_str(h, "host").map_err(Error::Config)?);
            }
            if let Some(t) = secs(timeout, "timeout")? {
                o = o.timeout(t);
            }
            if let Some(n) = max_retries {
                o = o.max_retries(n);
            }
            if let Some(n) = max_throttle_retries {
                o = o.max_throttle_retries(n);
            }
            if let Some(n) = max_concurrency {
                o = o.max_concurrency(n);
            }
            if let Some(on) = retry_writes {
                o = o.retry_writes(on);
            }
            if let (Some(p), true) = (provider, personal_api_key.is_some_and(|k| !k.is_none())) {
                o = o.key_provider(p);
            }
            Ok(o)
        })();
        let opts = args(py, opts)?;
        let inner = args(py, py.detach(|| AdminClient::new(opts)))?;
        Ok(NativeAdminClient { inner })
    }

    /// The app origin the client talks to.
    #[getter]
    fn host(&self) -> String {
        self.inner.host().to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "<posthog_sdk._native.AdminClient host={:?}>",
            self.inner.host()
        )
    }

    /// Stops the worker thread; later calls raise `ClosedError`.
    fn close(&self, py: Python<'_>) {
        py.detach(|| self.inner.close());
    }

    /// Swaps the personal key for every later request.
    fn rotate_key(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<()> {
        let key = args(
            py,
            to_str(key, "personal_api_key")
                .map_err(|_| Error::InvalidKey("personal_api_key must be a str".into())),
        )?;
        args(py, self.inner.rotate_key(key))
    }

    fn me<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        call(py, || self.inner.users().me())
    }

    fn projects_list(&self) -> AdminPager {
        AdminPager::new(self.inner.projects().list())
    }

    fn projects_get<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        call(py, || self.inner.projects().get(p))
    }

    fn flags_list(&self, py: Python<'_>, project: &Bound<'_, PyAny>) -> PyResult<AdminPager> {
        let p = args(py, project_arg(project))?;
        Ok(AdminPager::new(self.inner.feature_flags().list(p)))
    }

    fn flags_get<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        call(py, || self.inner.feature_flags().get(p, id))
    }

    /// Creates a flag: `key`, then the optional `name`, `active`, `filters` or
    /// `rollout_percentage` (not both), and `extra` fields sent as they are.
    #[pyo3(signature = (project, key, name=None, active=None, filters=None,
        rollout_percentage=None, extra=None))]
    #[allow(clippy::too_many_arguments)]
    fn flags_create<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        key: &Bound<'py, PyAny>,
        name: Option<&Bound<'py, PyAny>>,
        active: Option<bool>,
        filters: Option<&Bound<'py, PyAny>>,
        rollout_percentage: Option<f64>,
        extra: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let built = (|| -> Result<(ProjectId, NewFeatureFlag), Error> {
            let p = project_arg(project)?;
            let mut flag = NewFeatureFlag::new(to_str(key, "key").map_err(input)?);
            if let Some(n) = name.filter(|n| !n.is_none()) {
                flag = flag.name(to_str(n, "name").map_err(input)?);
            }
            if let Some(a) = active {
                flag = flag.active(a);
            }
            let filters = filters.filter(|f| !f.is_none());
            match (filters, rollout_percentage) {
                (Some(_), Some(_)) => {
                    return Err(input("give filters or rollout_percentage, not both".into()));
                }
                (Some(f), None) => flag = flag.filters(to_json(f, "filters").map_err(input)?),
                (None, Some(pct)) => flag = flag.rollout_percentage(pct),
                (None, None) => {}
            }
            if let Some(extra) = object(extra, "fields")? {
                flag.extra = extra;
            }
            Ok((p, flag))
        })();
        let (p, flag) = args(py, built)?;
        call(py, || self.inner.feature_flags().create(p, &flag))
    }

    fn flags_update<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: u64,
        changes: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        let changes = args(py, to_map(Some(changes), "changes").map_err(input))?;
        call(py, || {
            self.inner
                .feature_flags()
                .update(p, id, Value::Object(changes))
        })
    }

    fn flags_set_active<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: u64,
        active: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        call(py, || self.inner.feature_flags().set_active(p, id, active))
    }

    fn flags_delete<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        call(py, || self.inner.feature_flags().delete(p, id))
    }

    fn flags_activity(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        id: u64,
    ) -> PyResult<AdminPager> {
        let p = args(py, project_arg(project))?;
        Ok(AdminPager::new(self.inner.feature_flags().activity(p, id)))
    }

    #[pyo3(signature = (project, distinct_id=None))]
    fn persons_list(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        distinct_id: Option<String>,
    ) -> PyResult<AdminPager> {
        let p = args(py, project_arg(project))?;
        Ok(AdminPager::new(
            self.inner.persons().list(p, distinct_id.as_deref()),
        ))
    }

    fn persons_get<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        call(py, || self.inner.persons().get(p, &id))
    }

    fn persons_delete<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        call(py, || self.inner.persons().delete(p, &id))
    }

    fn cohorts_list(&self, py: Python<'_>, project: &Bound<'_, PyAny>) -> PyResult<AdminPager> {
        let p = args(py, project_arg(project))?;
        Ok(AdminPager::new(self.inner.cohorts().list(p)))
    }

    fn cohorts_get<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        call(py, || self.inner.cohorts().get(p, id))
    }

    fn cohorts_create_static<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        name: String,
        person_ids: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        call(py, || {
            self.inner.cohorts().create_static(p, &name, &person_ids)
        })
    }

    fn insights_list(&self, py: Python<'_>, project: &Bound<'_, PyAny>) -> PyResult<AdminPager> {
        let p = args(py, project_arg(project))?;
        Ok(AdminPager::new(self.inner.insights().list(p)))
    }

    fn insights_get<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        call(py, || self.inner.insights().get(p, id))
    }

    fn annotations_list(&self, py: Python<'_>, project: &Bound<'_, PyAny>) -> PyResult<AdminPager> {
        let p = args(py, project_arg(project))?;
        Ok(AdminPager::new(self.inner.annotations().list(p)))
    }

    fn annotations_create<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        content: String,
        at: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        let at = args(py, utc(at, "date_marker"))?;
        call(py, || self.inner.annotations().create(p, &content, at))
    }

    fn definitions_events(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
    ) -> PyResult<AdminPager> {
        let p = args(py, project_arg(project))?;
        Ok(AdminPager::new(self.inner.definitions().events(p)))
    }

    #[pyo3(signature = (project, kind=None))]
    fn definitions_properties(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        kind: Option<String>,
    ) -> PyResult<AdminPager> {
        let p = args(py, project_arg(project))?;
        Ok(AdminPager::new(
            self.inner.definitions().properties(p, kind.as_deref()),
        ))
    }

    fn batch_exports_list(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
    ) -> PyResult<AdminPager> {
        let p = args(py, project_arg(project))?;
        Ok(AdminPager::new(self.inner.batch_exports().list(p)))
    }

    fn batch_exports_get<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        call(py, || self.inner.batch_exports().get(p, &id))
    }

    fn batch_exports_create<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        spec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        let spec = args(py, to_json(spec, "spec").map_err(input))?;
        call(py, || self.inner.batch_exports().create(p, spec))
    }

    fn batch_exports_pause<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: String,
        paused: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        let be = self.inner.batch_exports();
        call(py, || {
            if paused {
                be.pause(p, &id)
            } else {
                be.unpause(p, &id)
            }
        })
    }

    fn batch_exports_backfill<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: String,
        start: &Bound<'py, PyAny>,
        end: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = args(py, project_arg(project))?;
        let start = args(py, utc(start, "start"))?;
        let end = args(py, utc(end, "end"))?;
        call(py, || {
            self.inner.batch_exports().backfill(p, &id, start, end)
        })
    }

    #[pyo3(signature = (project, id, after=None, before=None))]
    fn batch_exports_runs(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        id: String,
        after: Option<&Bound<'_, PyAny>>,
        before: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<AdminPager> {
        let p = args(py, project_arg(project))?;
        let when = |o: Option<&Bound<'_, PyAny>>, what: &str| match o.filter(|o| !o.is_none()) {
            Some(o) => utc(o, what).map(Some),
            None => Ok(None),
        };
        let after = args(py, when(after, "after"))?;
        let before = args(py, when(before, "before"))?;
        let pager = args(py, self.inner.batch_exports().runs(p, &id, after, before))?;
        Ok(AdminPager::new(pager))
    }

    /// The smallest set of scopes for these operations (`"feature_flags.list"`…).
    #[staticmethod]
    fn required_scopes<'py>(
        py: Python<'py>,
        operations: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ops = args(py, security::operations(operations))?;
        call(py, || AdminClient::required_scopes(&ops))
    }

    /// Every operation name and its scopes, as a dict.
    #[staticmethod]
    fn operations<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let all: std::collections::BTreeMap<&str, &[&str]> =
            posthog_core::admin::OPERATIONS.iter().copied().collect();
        pythonize::pythonize(py, &all).map_err(PyErr::from)
    }

    /// Checks the key's scopes once: `{"granted": [...] | None, "required": [...]}`.
    fn preflight<'py>(
        &self,
        py: Python<'py>,
        operations: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        security::preflight(py, &self.inner, operations)
    }

    /// The client-side budget of a rate class (`"general"`, `"analytics"`, `"query"`):
    /// `(per_minute, per_hour)`, or `None` when off.
    fn rate_budget(&self, py: Python<'_>, class: &str) -> PyResult<Option<(u32, u32)>> {
        let class: posthog_core::admin::RateClass =
            class.parse().map_err(|e| crate::errors::to_pyerr(py, &e))?;
        Ok(self.inner.rate_budget(class))
    }

    fn keys_current<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        security::keys_current(py, &self.inner)
    }

    fn keys_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        security::keys_list(py, &self.inner)
    }

    fn keys_create<'py>(
        &self,
        py: Python<'py>,
        label: String,
        scopes: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        security::keys_create(py, &self.inner, label, scopes)
    }

    fn keys_roll<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        security::keys_roll(py, &self.inner, id)
    }

    fn keys_delete<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        call(py, || self.inner.personal_api_keys().delete(&id))
    }

    #[pyo3(signature = (project, user=None, scope=None, item_id=None))]
    fn activity_log(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        user: Option<String>,
        scope: Option<String>,
        item_id: Option<String>,
    ) -> PyResult<AdminPager> {
        let filter = posthog_core::admin::ActivityFilter {
            user,
            scope,
            item_id,
        };
        security::activity_log(py, &self.inner, project, filter)
    }

    #[pyo3(signature = (project, hogql, values=None, client_query_id=None, name=None, fresh=false))]
    #[allow(clippy::too_many_arguments)]
    fn query<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        hogql: &Bound<'py, PyAny>,
        values: Option<&Bound<'py, PyAny>>,
        client_query_id: Option<String>,
        name: Option<String>,
        fresh: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let a = query::QueryArgs::new(py, project, hogql, values, client_query_id, name, fresh)?;
        query::query(py, &self.inner, a)
    }

    /// `(status, result, error)`, see `query::status_tuple`.
    #[pyo3(signature = (project, hogql, values=None, client_query_id=None, name=None, fresh=false))]
    #[allow(clippy::too_many_arguments)]
    fn query_async<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        hogql: &Bound<'py, PyAny>,
        values: Option<&Bound<'py, PyAny>>,
        client_query_id: Option<String>,
        name: Option<String>,
        fresh: bool,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let a = query::QueryArgs::new(py, project, hogql, values, client_query_id, name, fresh)?;
        query::query_async(py, &self.inner, a)
    }

    fn query_status<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: String,
    ) -> PyResult<Bound<'py, PyTuple>> {
        query::query_status(py, &self.inner, project, &id)
    }

    fn wait_for_query<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        id: String,
        timeout: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        query::wait_for_query(py, &self.inner, project, &id, timeout)
    }

    fn cancel_query(
        &self,
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        id: String,
    ) -> PyResult<Option<String>> {
        query::cancel_query(py, &self.inner, project, &id)
    }

    /// Streams an export to `path` or `file`; see `export::export`.
    #[pyo3(signature = (project, *, path=None, file=None, format="jsonl", page_size=10_000,
        checkpoint=None, on_progress=None, on_checkpoint=None, after=None, before=None,
        event=None, properties=None, hogql=None, values=None))]
    #[allow(clippy::too_many_arguments)]
    fn export<'py>(
        &self,
        py: Python<'py>,
        project: &Bound<'py, PyAny>,
        path: Option<String>,
        file: Option<Py<PyAny>>,
        format: &str,
        page_size: usize,
        checkpoint: Option<&Bound<'py, PyAny>>,
        on_progress: Option<Py<PyAny>>,
        on_checkpoint: Option<Py<PyAny>>,
        after: Option<&Bound<'py, PyAny>>,
        before: Option<&Bound<'py, PyAny>>,
        event: Option<String>,
        properties: Option<&Bound<'py, PyAny>>,
        hogql: Option<String>,
        values: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let a = export::export_args(
            py, project, format, page_size, checkpoint, after, before, event, properties, hogql,
            values,
        )?;
        export::export(py, &self.inner, a, path, file, on_progress, on_checkpoint)
    }
}

/// A `datetime` (naive = UTC) or an RFC 3339 string, as UTC.
pub(crate) fn utc(
    obj: &Bound<'_, PyAny>,
    what: &str,
) -> Result<chrono::DateTime<chrono::Utc>, Error> {
    match to_timestamp(obj, posthog_core::Profile::Core) {
        Ok(Some(t)) => Ok(t.with_timezone(&chrono::Utc)),
        Ok(None) => Err(input(format!("{what} is required"))),
        Err(text) => Err(input(format!("{what}: {text}"))),
    }
}

/// Registers the admin classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeAdminClient>()?;
    m.add_class::<AdminPager>()?;
    Ok(())
}
