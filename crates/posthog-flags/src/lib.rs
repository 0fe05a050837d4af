//! # posthog-flags
//!
//! Local evaluation of PostHog feature flags: parse the flag-definitions response once into
//! typed, pre-compiled definitions, then evaluate flags for a context with no I/O. Results
//! match PostHog's official SDKs bit for bit (the conformance vectors in `tests/data/`).
//!
//! An answer that cannot be decided locally is [`Inconclusive`], never `false`: the caller
//! asks PostHog's `/flags` endpoint instead (or reports the flag as unresolved).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod cohort;
mod context;
mod definitions;
mod engine;
mod error;
mod evaluate;
pub mod hash;
mod matching;
mod rollout;
mod value;

pub use context::{ContextRef, EvalContext};
pub use definitions::{Definitions, FlagDefinition};
pub use error::{Error, Inconclusive, InconclusiveReason};
pub use evaluate::{Evaluation, match_property};
pub use value::FlagValue;
