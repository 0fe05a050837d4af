//! The key practices of the admin client: scopes per operation and the preflight, personal
//! API key management, the activity log, and a key provider (a Python callable asked for the
//! key after a 401).

use super::{args, call, input, project_arg};
use crate::convert::to_str;
use posthog_core::Error;
use posthog_core::admin::{ActivityFilter, AdminClient, KeyProvider, PersonalApiKey};
use pyo3::prelude::*;
use serde_json::Value;
use std::sync::Arc;

/// A Python callable returning the personal key (a `str`), called with the GIL taken.
pub(super) struct PyKeyProvider(pub(super) Py<PyAny>);

impl KeyProvider for PyKeyProvider {
    fn personal_key(&self) -> Result<String, Error> {
        Python::attach(|py| {
            let got = self.0.bind(py).call0().map_err(|e| {
                // The exception's type only: its text could hold anything, a key included.
                let kind = e
                    .get_type(py)
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|_| "an exception".into());
                Error::key_provider_raised(&kind)
            })?;
            to_str(&got, "the key provider's answer")
                .map_err(|_| Error::InvalidKey("the key provider must return a str".into()))
        })
    }
}

/// A callable as a core key provider; `None` when absent.
pub(super) fn provider(
    obj: Option<&Bound<'_, PyAny>>,
) -> Result<Option<Arc<dyn KeyProvider>>, Error> {
    match obj {
        Some(f) if !f.is_none() => {
            if !f.is_callable() {
                return Err(Error::Config(
                    "key_provider must be a callable returning the key".into(),
                ));
            }
            Ok(Some(Arc::new(PyKeyProvider(f.clone().unbind()))))
        }
        _ => Ok(None),
    }
}

/// The operations argument: a list of names.
pub(super) fn operations(obj: &Bound<'_, PyAny>) -> Result<Vec<String>, Error> {
    if obj.is_instance_of::<pyo3::types::PyString>() {
        return Err(input(
            "operations is a list of names, not one string".into(),
        ));
    }
    obj.try_iter()
        .map_err(|_| input("operations must be a list of operation names".into()))?
        .map(|o| {
            o.map_err(|_| input("operations must be a list of operation names".into()))
                .and_then(|o| to_str(&o, "an operation").map_err(input))
        })
        .collect()
}

pub(super) fn preflight<'py>(
    py: Python<'py>,
    client: &AdminClient,
    ops: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let ops = args(py, operations(ops))?;
    call(py, || {
        let p = client.preflight(&ops)?;
        Ok(serde_json::to_value(p).unwrap_or(Value::Null))
    })
}

pub(super) fn keys_current<'py>(py: Python<'py>, c: &AdminClient) -> PyResult<Bound<'py, PyAny>> {
    call(py, || {
        c.personal_api_keys()
            .current()
            .map(|k| k.to_json_with_secret())
    })
}

pub(super) fn keys_list<'py>(py: Python<'py>, c: &AdminClient) -> PyResult<Bound<'py, PyAny>> {
    call(py, || {
        c.personal_api_keys().list().map(|ks| {
            ks.iter()
                .map(PersonalApiKey::to_json_with_secret)
                .collect::<Vec<_>>()
        })
    })
}

pub(super) fn keys_create<'py>(
    py: Python<'py>,
    c: &AdminClient,
    label: String,
    scopes: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let scopes = args(py, operations(scopes))?;
    call(py, || {
        let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        c.personal_api_keys()
            .create(&label, &refs)
            .map(|k| k.to_json_with_secret())
    })
}

pub(super) fn keys_roll<'py>(
    py: Python<'py>,
    c: &AdminClient,
    id: String,
) -> PyResult<Bound<'py, PyAny>> {
    call(py, || {
        c.personal_api_keys()
            .roll(&id)
            .map(|k| k.to_json_with_secret())
    })
}

pub(super) fn activity_log(
    py: Python<'_>,
    c: &AdminClient,
    project: &Bound<'_, PyAny>,
    filter: ActivityFilter,
) -> PyResult<super::AdminPager> {
    let p = args(py, project_arg(project))?;
    Ok(super::AdminPager::new(c.activity_log(p, &filter)))
}
