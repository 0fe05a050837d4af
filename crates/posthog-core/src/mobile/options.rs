//! [`MobileOptions`]: how a [`super::MobileClient`] starts.

use super::context::DeviceContext;
use crate::config::ClientOptions;
use std::path::PathBuf;

/// The options of a [`super::MobileClient`]: the core client's options, the directory the
/// app owns for the state and cached flags, the device context, and mobile behaviour.
///
/// For a device, give the core options a `storage_dir` (events survive the app being killed)
/// and consider [`crate::FsyncPolicy::Never`]: `capture` then costs one buffered write on the
/// caller's thread, and [`super::MobileClient::on_background`] syncs the queue on the worker.
#[derive(Debug)]
pub struct MobileOptions {
    pub(crate) client: ClientOptions,
    pub(crate) state_dir: PathBuf,
    pub(crate) context: DeviceContext,
    pub(crate) preload_feature_flags: bool,
    pub(crate) lifecycle_events: bool,
}

impl MobileOptions {
    /// Options with the defaults: flags preloaded at start, lifecycle events captured.
    pub fn new(client: ClientOptions, state_dir: impl Into<PathBuf>) -> MobileOptions {
        MobileOptions {
            client,
            state_dir: state_dir.into(),
            context: DeviceContext::default(),
            preload_feature_flags: true,
            lifecycle_events: true,
        }
    }
    /// The app and device properties added to every event.
    pub fn context(mut self, context: DeviceContext) -> Self {
        self.context = context;
        self
    }
    /// Ask `/flags` for the current user at start (default on). The cached flags answer
    /// until the new ones arrive.
    pub fn preload_feature_flags(mut self, on: bool) -> Self {
        self.preload_feature_flags = on;
        self
    }
    /// Capture `Application Opened` on [`super::MobileClient::on_foreground`] and
    /// `Application Backgrounded` on [`super::MobileClient::on_background`] (default on).
    pub fn capture_lifecycle_events(mut self, on: bool) -> Self {
        self.lifecycle_events = on;
        self
    }
}
