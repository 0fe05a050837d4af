//! Error tracking: the core builds the `$exception` properties from the description the JS
//! layer (`exception.js`) makes of what was thrown; the JS layer captures the event through
//! its normal capture path. `flushSync` is the blocking flush of the crash path: a process
//! that dies of an uncaught exception has no later turn for a Promise.

use crate::client::NativeClient;
use crate::errors;
use napi::bindgen_prelude::*;
use posthog_core::Profile;
use posthog_core::exception::exception_properties_json;
use serde_json::{Map, Value};
use std::time::Duration;

/// The bound of `flushSync` when none is given (posthog-node's 2 s shutdown at a crash).
const CRASH_FLUSH: Duration = Duration::from_secs(2);

/// The `$exception` properties (`$exception_list`, `$exception_level`, then `caller`) as
/// posthog-node 5.x sends them, as JSON text. `input` is an `ExceptionInput` and `options`
/// `ExceptionOptions` (JSON texts), `caller` the capture's own properties (JSON text of an
/// object, or nothing). Throws `invalid_input` for malformed texts.
#[napi(js_name = "exceptionProperties")]
pub fn exception_properties(
    env: Env,
    input: String,
    options: Option<String>,
    caller: Option<String>,
) -> Result<String> {
    let fail = |e: posthog_core::Error| errors::to_js(&env, &e);
    let caller = match caller.as_deref() {
        None => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => Some(m),
            Ok(Value::Null) => None,
            Ok(_) | Err(_) => {
                return Err(fail(posthog_core::Error::InvalidInput(
                    "exception: the additional properties must be an object".into(),
                )));
            }
        },
    };
    let props: Map<String, Value> = exception_properties_json(
        Profile::PosthogNode,
        &input,
        options.as_deref().unwrap_or(""),
        caller,
    )
    .map_err(fail)?;
    serde_json::to_string(&props).map_err(|e| {
        fail(posthog_core::Error::InvalidInput(format!(
            "exception: the properties cannot be written: {e}"
        )))
    })
}

/// Sends everything queued, blocking the calling (JS) thread for at most `timeoutMs`
/// (default 2000): the flush of an exception that is about to end the process. Returns
/// whether everything was delivered; failures are reported to the error listener as usual.
#[napi(js_name = "flushSync")]
pub fn flush_sync(client: &NativeClient, timeout_ms: Option<f64>) -> bool {
    let timeout = match timeout_ms {
        Some(ms) if ms.is_finite() && ms >= 0.0 => Duration::from_millis(ms as u64),
        _ => CRASH_FLUSH,
    };
    client.intake.drain();
    client.client.flush(timeout).is_ok()
}

/// posthog-node's rate limit of autocaptured exceptions (10 of one type, then one per 10 s),
/// one per client that autocaptures.
#[napi]
pub struct ExceptionRateLimiter {
    inner: posthog_core::exception::rate_limit::BucketedRateLimiter,
}

impl Default for ExceptionRateLimiter {
    fn default() -> Self {
        Self::new()
    }
}

#[napi]
impl ExceptionRateLimiter {
    /// A limiter with posthog-node's bounds.
    #[napi(constructor)]
    pub fn new() -> Self {
        ExceptionRateLimiter {
            inner: posthog_core::exception::node_limits::node_autocapture_limiter(),
        }
    }

    /// Takes a token for an exception of type `typeName`; `true` when it is to be skipped.
    #[napi]
    pub fn limited(&self, type_name: String) -> bool {
        self.inner.consume(&type_name)
    }
}
