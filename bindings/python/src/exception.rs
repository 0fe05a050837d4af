//! Error tracking: the `$exception` properties of one capture. `posthog_sdk.exceptions` walks
//! the Python exception into the core's `ExceptionInput` (JSON text); the core builds
//! `$exception_list` as posthog-python 7.x sends it.

use crate::convert::to_map;
use crate::errors::to_pyerr;
use posthog_core::{Error, Profile};
use pyo3::prelude::*;

/// The properties of an `$exception` event: `input` an `ExceptionInput` and `options` an
/// `ExceptionOptions` (JSON texts), then `properties` (the caller's, which win). Malformed
/// input raises `InvalidInputError`.
#[pyfunction]
#[pyo3(signature = (input, options="", properties=None))]
pub fn exception_properties<'py>(
    py: Python<'py>,
    input: &str,
    options: &str,
    properties: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let caller = match properties {
        Some(p) if !p.is_none() => {
            Some(to_map(Some(p), "properties").map_err(|t| to_pyerr(py, &Error::InvalidInput(t)))?)
        }
        _ => None,
    };
    let props = py
        .detach(|| {
            posthog_core::exception::exception_properties_json(
                Profile::PosthogPython,
                input,
                options,
                caller,
            )
        })
        .map_err(|e| to_pyerr(py, &e))?;
    pythonize::pythonize(py, &props).map_err(PyErr::from)
}

/// posthog-python's autocapture rate limiter: a token bucket per exception type.
#[pyclass(name = "ExceptionRateLimiter", module = "posthog_sdk._native", frozen)]
pub struct ExceptionRateLimiter {
    inner: posthog_core::exception::rate_limit::BucketedRateLimiter,
}

#[pymethods]
impl ExceptionRateLimiter {
    #[new]
    fn new(bucket_size: f64, refill_rate: f64, refill_interval_seconds: f64) -> Self {
        ExceptionRateLimiter {
            inner: posthog_core::exception::rate_limit::BucketedRateLimiter::new(
                bucket_size,
                refill_rate,
                refill_interval_seconds,
            ),
        }
    }

    /// Takes a token for `key`; `True` when the capture is to be skipped.
    fn consume(&self, key: &str) -> bool {
        self.inner.consume(key)
    }
}

/// The `$exception` properties the SDK owns (posthog-python warns when a caller's
/// properties override them).
#[pyfunction]
pub fn exception_reserved_properties() -> Vec<&'static str> {
    posthog_core::exception::RESERVED_PROPERTIES.to_vec()
}
