//! Feature flags: remote evaluation through `/flags`, local evaluation over polled definitions
//! (the pure evaluator lives in the `posthog-flags` crate, shared with the test server), and
//! `$feature_flag_called` events.
//!
//! Which API fails how: the getters (`get_feature_flag`, `is_feature_enabled`,
//! `get_feature_flag_payload`, `get_all_flags*`) return an error only for bad input; a network
//! or server problem gives `None` (or the locally known flags) and is reported through
//! `on_error`, as the official SDKs do. `evaluate_flags` and `reload_feature_flags` return every
//! error, quota limits included.

pub mod cache;
pub(crate) mod called;
mod decision;
mod file_cache;
mod lookup;
mod options;
pub(crate) mod poller;
pub mod remote;
mod remote_config;
mod snapshot;

pub use cache::{CacheFuture, FlagDefinitionCache};
pub use decision::empty_decision;
pub use file_cache::FileFlagDefinitionCache;
pub use options::{CaptureFlags, FlagOptions};
pub use posthog_flags::{
    ContextRef, Definitions, EvalContext, Evaluation, FlagValue, Inconclusive, InconclusiveReason,
    hash, match_property,
};
pub use remote::{RemoteFlag, RemoteFlags};
pub use snapshot::{FlagResult, FlagsSnapshot};

pub(crate) use called::CalledDedup;
pub(crate) use poller::FlagsState;
