//! The query API: HogQL with `values`, blocking or async. Answers are plain dicts; a status
//! comes with its decoded result or its error, as the core decides them.

use super::{args, call, input, project_arg};
use crate::convert::to_json;
use crate::errors::exception;
use posthog_core::Error;
use posthog_core::admin::{AdminClient, QueryOptions, QueryStatus};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use serde_json::Value;
use std::time::Duration;

/// The `values` argument: a dict or `None`.
fn values(obj: Option<&Bound<'_, PyAny>>) -> Result<Value, Error> {
    match obj {
        Some(v) if !v.is_none() => to_json(v, "values").map_err(input),
        _ => Ok(Value::Null),
    }
}

/// The shared arguments of `query` and `query_async`.
pub(super) struct QueryArgs {
    project: posthog_core::admin::ProjectId,
    hogql: String,
    values: Value,
    opts: QueryOptions,
}

impl QueryArgs {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        py: Python<'_>,
        project: &Bound<'_, PyAny>,
        hogql: &Bound<'_, PyAny>,
        values_arg: Option<&Bound<'_, PyAny>>,
        client_query_id: Option<String>,
        name: Option<String>,
        fresh: bool,
    ) -> PyResult<QueryArgs> {
        let built = (|| -> Result<QueryArgs, Error> {
            Ok(QueryArgs {
                project: project_arg(project)?,
                hogql: crate::convert::to_str(hogql, "query").map_err(input)?,
                values: values(values_arg)?,
                opts: QueryOptions {
                    client_query_id,
                    name,
                    fresh,
                },
            })
        })();
        args(py, built)
    }
}

pub(super) fn query<'py>(
    py: Python<'py>,
    client: &AdminClient,
    a: QueryArgs,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, move || {
        client.query_with(a.project, &a.hogql, a.values, &a.opts)
    })
}

/// `(status, result, error)`: the status as a dict; once complete, the decoded result (a
/// dict) or the exception for a failed query.
fn status_tuple<'py>(py: Python<'py>, s: &QueryStatus) -> PyResult<Bound<'py, PyTuple>> {
    let status = pythonize::pythonize(py, s)?;
    let (result, error) = match s.result() {
        None => (py.None().into_bound(py), py.None().into_bound(py)),
        Some(Ok(r)) => (pythonize::pythonize(py, &r)?, py.None().into_bound(py)),
        Some(Err(e)) => (py.None().into_bound(py), exception(py, &e)?),
    };
    PyTuple::new(py, [status, result, error])
}

pub(super) fn query_async<'py>(
    py: Python<'py>,
    client: &AdminClient,
    a: QueryArgs,
) -> PyResult<Bound<'py, PyTuple>> {
    let s = args(
        py,
        py.detach(|| client.query_async(a.project, &a.hogql, a.values, &a.opts)),
    )?;
    status_tuple(py, &s)
}

pub(super) fn query_status<'py>(
    py: Python<'py>,
    client: &AdminClient,
    project: &Bound<'py, PyAny>,
    id: &str,
) -> PyResult<Bound<'py, PyTuple>> {
    let p = args(py, project_arg(project))?;
    let s = args(py, py.detach(|| client.query_status(p, id)))?;
    status_tuple(py, &s)
}

pub(super) fn wait_for_query<'py>(
    py: Python<'py>,
    client: &AdminClient,
    project: &Bound<'py, PyAny>,
    id: &str,
    timeout: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let p = args(py, project_arg(project))?;
    let timeout = args(
        py,
        Duration::try_from_secs_f64(timeout)
            .map_err(|_| input("timeout must be a finite, non-negative number of seconds".into())),
    )?;
    call(py, || client.wait_for_query(p, id, timeout))
}

pub(super) fn cancel_query(
    py: Python<'_>,
    client: &AdminClient,
    project: &Bound<'_, PyAny>,
    id: &str,
) -> PyResult<Option<String>> {
    let p = args(py, project_arg(project))?;
    args(py, py.detach(|| client.cancel_query(p, id)))
}
