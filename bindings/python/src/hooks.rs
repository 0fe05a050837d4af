//! `on_error` and `before_send`: Python callables wrapped as the core's hooks.

use crate::convert::to_json;
use crate::errors::exception;
use posthog_core::Error;
use posthog_core::config::{ErrorBatchHook, ErrorHook, JsonHook};
use pyo3::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the last `atexit` hook: from then on `on_error` is not called (attaching to an
/// interpreter that is finalizing can hang or crash the calling thread).
static FINALIZING: AtomicBool = AtomicBool::new(false);

/// Whether the interpreter is shutting down (as far as this module knows).
pub fn finalizing() -> bool {
    FINALIZING.load(Ordering::Acquire)
}

/// Marks the interpreter as shutting down; registered with `atexit` on import.
#[pyfunction]
#[pyo3(name = "_mark_finalizing")]
pub fn mark_finalizing() {
    FINALIZING.store(true, Ordering::Release);
}

/// Calls `callback(exception)` on whatever thread reports (usually the worker). A callback
/// that raises is reported to `sys.unraisablehook`; nothing escapes into the core.
pub fn on_error(callback: Py<PyAny>) -> ErrorHook {
    let hook = error_hook(callback, false);
    Arc::new(move |err: &Error| hook(err, &[]))
}

/// Calls `callback(exception, batch)` (posthog-python's `on_error`): `batch` is the list of
/// the failed batch's messages (dicts), empty for other errors.
pub fn on_error_batch(callback: Py<PyAny>) -> ErrorBatchHook {
    error_hook(callback, true)
}

fn error_hook(callback: Py<PyAny>, with_batch: bool) -> ErrorBatchHook {
    Arc::new(move |err: &Error, batch: &[serde_json::Value]| {
        if finalizing() {
            return;
        }
        let _ = Python::try_attach(|py| {
            if finalizing() {
                return;
            }
            let cb = callback.bind(py);
            let call = exception(py, err).and_then(|exc| {
                if !with_batch {
                    return cb.call1((exc,));
                }
                let b = pythonize::pythonize(py, batch).map_err(PyErr::from)?;
                cb.call1((exc, b))
            });
            if let Err(e) = call {
                e.write_unraisable(py, Some(cb));
            }
        });
    })
}

/// Calls `callback(dict)` on the capturing thread with the message in the profile's shape
/// (the core builds it and merges the result back). `None` drops the event; a dict replaces
/// it; a callback that raises (or returns something else) drops the event: the core reports
/// why, as posthog-python logs it.
pub fn before_send(callback: Py<PyAny>) -> JsonHook {
    Arc::new(move |msg: serde_json::Value| {
        Python::attach(|py| {
            let cb = callback.bind(py);
            let out = pythonize::pythonize(py, &msg)
                .map_err(PyErr::from)
                .and_then(|d| cb.call1((d,)))
                .map_err(|e| describe(py, &e))?;
            if out.is_none() {
                return Ok(None);
            }
            if !out.is_instance_of::<pyo3::types::PyDict>() {
                return Err(format!(
                    "before_send must return a dict or None, not '{}'",
                    out.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ));
            }
            to_json(&out, "before_send's result").map(Some)
        })
    })
}

fn describe(py: Python<'_>, e: &PyErr) -> String {
    let name = e
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    format!("{name}: {}", e.value(py))
}

/// The app's cipher object (`seal(bytes) -> bytes`, `open(bytes) -> bytes`) as the core's
/// encryption-at-rest hook of the on-disk queue. What it raises becomes the reported reason
/// (the exception's type and text); while the interpreter finalizes it is not called.
pub struct Cipher(pub Py<PyAny>);

impl Cipher {
    fn call(&self, method: &str, data: &[u8]) -> Result<Vec<u8>, String> {
        if finalizing() {
            return Err("the interpreter is shutting down".into());
        }
        Python::attach(|py| {
            let out = self
                .0
                .bind(py)
                .call_method1(method, (pyo3::types::PyBytes::new(py, data),))
                .map_err(|e| format!("{method}() raised {e}"))?;
            out.extract::<Vec<u8>>()
                .map_err(|_| format!("{method}() must return bytes"))
        })
    }
}

impl posthog_core::RecordCipher for Cipher {
    fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String> {
        self.call("seal", plain)
    }
    fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, String> {
        self.call("open", sealed)
    }
}
