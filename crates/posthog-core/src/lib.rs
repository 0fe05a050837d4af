//! # posthog-core
//!
//! The behaviour of every posthog-sdk binding: keys as types, a bounded queue, a background
//! worker that batches, gzips and retries, and one error vocabulary. Bindings (Python, Node,
//! uniffi) only convert types and map errors.
//!
//! ```no_run
//! use posthog_core::{Client, ClientOptions, Event};
//! use std::time::Duration;
//!
//! let client = Client::new(ClientOptions::new("phc_your_project_key"))?;
//! let uuid = client.capture(Event::new("signed_up", "user-1").property("plan", "pro"));
//! assert!(uuid.is_some());
//! client.shutdown(Duration::from_secs(10))?;
//! # Ok::<(), posthog_core::Error>(())
//! ```
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

#[cfg(feature = "admin")]
pub mod admin;
pub mod ai;
pub mod client;
pub mod clock;
pub mod config;
mod disk;
pub mod error;
pub mod event;
pub mod exception;
pub mod flags;
pub mod intake;
pub mod keys;
pub mod mobile;
pub mod options;
pub mod pending;
pub mod profile;
pub mod protocol;
mod queue;
pub mod redact;
pub mod retry;
mod sender;
pub mod stats;
pub mod transport;
mod worker;

#[cfg(feature = "admin")]
pub use admin::{AdminClient, AdminOptions};
pub use ai::{AiCall, AiEvent, build_event as build_ai_event};
pub use client::{Client, DEFAULT_SHUTDOWN_TIMEOUT, FlushReport};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{ClientOptions, Config, FsyncPolicy, OverflowPolicy, Protocol, RecordCipher};
pub use error::{Error, ErrorAttributes, ErrorKind};
pub use event::{Event, EventMessage, parse_timestamp, parse_uuid};
pub use flags::{CaptureFlags, FlagOptions, FlagResult, FlagValue, FlagsSnapshot};
pub use intake::{Backpressure, Intake};
pub use keys::{FlagsSecureKey, KeyType, PersonalKey, ProjectKey};
pub use mobile::{DeviceContext, MobileClient, MobileOptions};
pub use options::Options;
pub use pending::Pending;
pub use profile::Profile;
pub use stats::{DropCause, Stats};

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
