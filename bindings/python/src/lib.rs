//! `posthog_sdk._native`: the private native module of the Python binding. It converts
//! arguments, calls `posthog-core`, converts results and maps errors; the public API is the
//! hand-written Python package `posthog_sdk` over it.

mod admin;
mod ai;
mod client;
mod convert;
mod errors;
mod exception;
mod flags;
mod hooks;
mod options;

use pyo3::prelude::*;

/// The module: the native `Client`, the flag snapshot and local evaluator, the error-walk
/// helpers and a few constants.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::NativeClient>()?;
    admin::register(m)?;
    m.add_class::<flags::Snapshot>()?;
    m.add_class::<flags::LocalEvaluator>()?;
    m.add_class::<flags::FileCache>()?;
    m.add_function(wrap_pyfunction!(flags::match_property, m)?)?;
    m.add_function(wrap_pyfunction!(flags::flag_hash, m)?)?;
    m.add_function(wrap_pyfunction!(errors::error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(errors::raise_sample, m)?)?;
    m.add_function(wrap_pyfunction!(hooks::mark_finalizing, m)?)?;
    m.add_function(wrap_pyfunction!(convert::encoding_agrees, m)?)?;
    m.add_function(wrap_pyfunction!(exception::exception_properties, m)?)?;
    m.add_class::<exception::ExceptionRateLimiter>()?;
    m.add_function(wrap_pyfunction!(
        exception::exception_reserved_properties,
        m
    )?)?;
    m.add_function(wrap_pyfunction!(ai::ai_event, m)?)?;
    m.add_function(wrap_pyfunction!(ai::ai_manual_event, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("SDK_NAME", client::SDK_NAME)?;
    m.add(
        "DEFAULT_SHUTDOWN_TIMEOUT",
        posthog_core::DEFAULT_SHUTDOWN_TIMEOUT.as_secs_f64(),
    )?;
    Ok(())
}
