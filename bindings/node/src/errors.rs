//! The one place where a core error becomes a JavaScript value.
//!
//! Every core error reaches JavaScript as an `Error` built from the core's one accessor,
//! [`CoreError::attributes`]: `code` (the core's [`ErrorKind::as_str`]), `status` (or `null`),
//! and when known `requestId`, `retryAfter` (seconds), `scope`, `attr`, `reason`; a stopped
//! export adds `checkpoint`. The JS layer (`errors.js`) turns it into a `PostHogError`; nothing
//! else about errors is decided here or there.

use napi::bindgen_prelude::*;
use posthog_core::{Error as CoreError, ErrorKind};

/// The JS `code` of a core error kind: the core's stable snake_case name.
/// `__test__/errors.test.mjs` walks every kind, so a kind added to the core is checked there.
pub fn code(kind: ErrorKind) -> &'static str {
    kind.as_str()
}

/// A core error as plain data, for the error listener (it crosses threads).
#[napi(object)]
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    /// The core's error kind, e.g. `"server"`.
    pub code: String,
    /// The human-readable message (never contains keys or payloads).
    pub message: String,
    /// The HTTP status behind the error, when there was one.
    pub status: Option<u32>,
    /// The request id PostHog echoed, when known.
    pub request_id: Option<String>,
    /// The `Retry-After` PostHog asked for, in seconds, when given.
    pub retry_after: Option<u32>,
    /// For `inconclusive`: why local evaluation could not decide (`missing_context`, …).
    pub reason: Option<String>,
    /// For `forbidden`: the missing scope, when the server named one.
    pub scope: Option<String>,
    /// For a 4xx: the field PostHog blamed, when it named one.
    pub attr: Option<String>,
}

impl From<&CoreError> for ErrorInfo {
    fn from(e: &CoreError) -> Self {
        let a = e.attributes();
        ErrorInfo {
            code: code(a.kind).to_string(),
            message: a.message,
            status: a.status.map(u32::from),
            request_id: a.request_id,
            retry_after: a
                .retry_after_secs
                .map(|s| u32::try_from(s).unwrap_or(u32::MAX)),
            reason: a.reason,
            scope: a.scope,
            attr: a.attr,
        }
    }
}

/// Builds the JS `Error` for a core error, ready to be thrown or to reject a promise.
pub fn to_js(env: &Env, e: &CoreError) -> napi::Error {
    to_js_with(env, e, None)
}

/// [`to_js`] for a stopped export: the error also carries `checkpoint` (JSON text).
pub fn to_js_with(env: &Env, e: &CoreError, checkpoint: Option<&str>) -> napi::Error {
    match build(env, &ErrorInfo::from(e), checkpoint) {
        Ok(err) => err,
        // Building the object failed (a pending exception): fall back to a plain error that
        // still carries the code.
        Err(_) => napi::Error::new(Status::GenericFailure, e.to_string()),
    }
}

fn build(env: &Env, info: &ErrorInfo, checkpoint: Option<&str>) -> Result<napi::Error> {
    let mut obj = env.create_error(napi::Error::new(
        Status::GenericFailure,
        info.message.clone(),
    ))?;
    obj.set("code", info.code.as_str())?;
    match info.status {
        Some(s) => obj.set("status", s)?,
        None => obj.set("status", Null)?,
    }
    let optional = [
        ("requestId", &info.request_id),
        ("reason", &info.reason),
        ("scope", &info.scope),
        ("attr", &info.attr),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            obj.set(name, v.as_str())?;
        }
    }
    if let Some(secs) = info.retry_after {
        obj.set("retryAfter", secs)?;
    }
    if let Some(cp) = checkpoint {
        obj.set("checkpoint", cp)?;
    }
    Ok(napi::Error::from(obj.to_unknown()))
}
