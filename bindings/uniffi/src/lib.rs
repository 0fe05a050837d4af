//! The uniffi binding of posthog-sdk: one client for Kotlin (`com.posthog.sdk`) and Swift
//! (`PostHogSDK`). It only converts: records in, core calls, records out, errors mapped once
//! in [`error`]. Every PostHog rule lives in `posthog-core`.
//!
//! Properties cross the boundary as JSON text (`properties_json`), because uniffi has no JSON
//! type; a `Map<String, String>` is accepted too for the common case of string values.

// `PostHogError` carries its whole `ErrorInfo` (uniffi fields cannot be boxed); it is lowered
// into a buffer at the FFI boundary right away, so its size costs one copy per failure.
#![allow(clippy::result_large_err)]

uniffi::setup_scaffolding!();

#[cfg(feature = "admin")]
mod admin;
#[cfg(feature = "admin")]
mod admin_client;
#[cfg(feature = "admin")]
mod admin_security;
mod cipher;
mod client;
mod convert;
mod error;
mod exception;
mod flags;
mod http;
mod local;
mod mobile;
mod options;

#[cfg(feature = "admin")]
pub use admin::{
    AdminOptions, FeatureFlagRecord, FlagPager, JsonPager, QueryResultRecord, QueryStatusRecord,
};
#[cfg(feature = "admin")]
pub use admin_client::{
    ExportFormat, ExportListener, ExportReportRecord, ExportSource, PostHogAdminClient,
};
#[cfg(feature = "admin")]
pub use admin_security::{
    KeyProvider, KeyProviderError, PreflightRecord, RateBudget, admin_operations,
    admin_required_scopes,
};
pub use cipher::{CipherError, RecordCipher};
pub use client::{CaptureEvent, FlushReport, PostHogClient, Stats};
pub use error::{ErrorInfo, PostHogError, error_kinds, raise_error_sample};
pub use exception::{ExceptionCapture, ExceptionFrame, ThrownException};
pub use flags::{FlagOptions, FlagResult, FlagValue, FlagsAndPayloads, FlagsSnapshot};
pub use http::{HttpClient, HttpError, HttpRequest, HttpResponse};
pub use local::{FlagEvaluation, LocalEvaluations, LocalEvaluator, flag_hash, match_property};
pub use mobile::{DeviceContext, MobileOptions, PostHogMobile};
pub use options::{ClientOptions, ErrorListener, Overflow, Protocol, Sdk};

/// The version of this binding (the workspace version), sent as `$lib_version`.
#[uniffi::export]
pub fn sdk_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
