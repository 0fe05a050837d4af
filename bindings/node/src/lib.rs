//! The Node binding of posthog-sdk: a napi addon over `posthog-core`.
//!
//! It only converts: JS arguments → core calls → JS results, and core errors → one JS error
//! shape (`errors.rs`). The `PostHog` class users see is `posthog.js`, a thin JS layer over
//! [`client::NativeClient`]. Blocking calls (`flush`, `shutdown`, the flag getters, which may
//! make a `/flags` request) run on the libuv pool; the core owns its worker thread, so this
//! crate builds no runtime. The pure local evaluator (`local.rs`) is synchronous. The admin
//! client (`admin/`) runs each blocking call of the core's `AdminClient` on the libuv pool too.
// In the test harness the `#[napi]` exports are not registered, so they look unused.
#![cfg_attr(test, allow(dead_code, clippy::unwrap_used, clippy::expect_used))]
#![allow(missing_docs)] // napi-derive generates undocumented items; ours are documented.

#[macro_use]
extern crate napi_derive;

mod admin;
mod ai;
mod client;
mod convert;
mod errors;
mod exception;
mod flags;
mod intake;
mod local;
mod options;

use napi::bindgen_prelude::*;
use posthog_core::ErrorKind;

/// Private (tests): the `code` of every core error kind, in the core's order.
#[napi(js_name = "_errorCodes")]
pub fn error_codes() -> Vec<String> {
    ErrorKind::ALL
        .iter()
        .map(|k| errors::code(*k).to_string())
        .collect()
}

/// Private (tests): throws the core's sample error of the kind whose code is `code`.
#[napi(js_name = "_throwSample")]
pub fn throw_sample(env: Env, code: String) -> Result<()> {
    match ErrorKind::ALL.iter().find(|k| errors::code(**k) == code) {
        Some(k) => Err(errors::to_js(&env, &k.sample())),
        None => Err(napi::Error::new(
            Status::InvalidArg,
            format!("no error kind {code}"),
        )),
    }
}

/// The version of this addon (the `$lib_version` it reports).
#[napi]
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
