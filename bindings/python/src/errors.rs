//! The one place core errors become Python exceptions: `posthog_sdk.errors._from_native`
//! picks the class for each kind.

use posthog_core::{Error, ErrorKind};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// The exception instance for a core error (not raised), built from the core's one accessor,
/// [`Error::attributes`].
pub fn exception<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyAny>> {
    let a = err.attributes();
    let extra = PyDict::new(py);
    extra.set_item("request_id", a.request_id)?;
    extra.set_item("retry_after", a.retry_after_secs)?;
    extra.set_item("scope", a.scope)?;
    extra.set_item("attr", a.attr)?;
    if let Some(reason) = a.reason {
        extra.set_item("reason", reason)?;
    }
    py.import("posthog_sdk.errors")?
        .getattr("_from_native")?
        .call1((a.kind.as_str(), a.message, a.status, extra))
}

/// The `PyErr` to raise for a core error.
pub fn to_pyerr(py: Python<'_>, err: &Error) -> PyErr {
    match exception(py, err) {
        Ok(exc) => PyErr::from_value(exc),
        Err(_) => PyRuntimeError::new_err(err.to_string()),
    }
}

/// Every kind name, in the core's order.
#[pyfunction]
#[pyo3(name = "_error_kinds")]
pub fn error_kinds() -> Vec<&'static str> {
    ErrorKind::ALL.iter().map(|k| k.as_str()).collect()
}

/// Raises the core's sample error of a kind (tests walk every kind with it).
#[pyfunction]
#[pyo3(name = "_raise_sample")]
pub fn raise_sample(py: Python<'_>, kind: &str) -> PyResult<()> {
    match ErrorKind::ALL.iter().find(|k| k.as_str() == kind) {
        Some(k) => Err(to_pyerr(py, &k.sample())),
        None => Err(PyValueError::new_err(format!(
            "unknown error kind {kind:?}"
        ))),
    }
}
