//! The one options schema every binding reads: a serde struct of `Option` fields with the
//! core's canonical (snake_case) names, read from a binding's dict or object under a
//! [`Profile`] that decides the spelling of names (snake_case or camelCase, plus the official
//! SDK's own aliases), the unit of durations and whether unknown names are errors. A binding
//! converts its dict/object to JSON, takes out the callables ([`hook_kind`] tells which name is
//! which hook) and hands the rest to [`Options::from_json`]; it names no option itself.
//!
//! Adding an option: a field here, its line in [`OPTION_DOCS`], and the builder call in
//! [`Options::apply`].

use crate::config::{ClientOptions, FsyncPolicy, OverflowPolicy, Protocol};
use crate::error::Error;
use crate::profile::Profile;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::time::Duration;

/// Every core option; `None` = the profile's default. Durations are numbers in the profile's
/// unit ([`crate::profile::TimeUnit`]: seconds for Python and Rust, milliseconds for Node and
/// mobile).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// PostHog host (`https://us.i.posthog.com`); app hosts map to ingestion hosts.
    pub host: Option<String>,
    /// Batch size in events.
    pub flush_at: Option<usize>,
    /// Time between timed flushes.
    pub flush_interval: Option<f64>,
    /// Queue bound in events.
    pub max_queue_size: Option<usize>,
    /// Queue bound in serialised bytes.
    pub max_queue_bytes: Option<usize>,
    /// Most serialised event bytes in one request.
    pub max_batch_bytes: Option<usize>,
    /// Largest single event.
    pub max_event_bytes: Option<usize>,
    /// Most events in one request (at least `flush_at`).
    pub max_batch_size: Option<usize>,
    /// Resends after the first attempt (default: no count limit, see `retry_for`).
    pub max_retries: Option<u32>,
    /// How long a batch keeps being retried after its first attempt.
    pub retry_for: Option<f64>,
    /// Timeout of one ingestion request.
    pub timeout: Option<f64>,
    /// Gzip request bodies.
    pub gzip: Option<bool>,
    /// Requests in flight at once.
    pub max_in_flight: Option<usize>,
    /// `drop_newest`, `drop_oldest` or `block` (with `block_timeout`).
    pub overflow: Option<String>,
    /// How long `capture` waits for room under `overflow = "block"`.
    pub block_timeout: Option<f64>,
    /// `v0` (`/batch/`) or `v1` (`/i/v1/analytics/events`).
    pub protocol: Option<String>,
    /// `$geoip_disable` on events and in `/flags`.
    pub disable_geoip: Option<bool>,
    /// Route batches to the import pipeline.
    pub historical_migration: Option<bool>,
    /// Accept calls, send nothing, answer flag lookups with nothing.
    pub disabled: Option<bool>,
    /// `false`: events are accepted (uuid returned) but not sent; flags still work.
    pub send: Option<bool>,
    /// `$is_server: true` on every event (posthog-python and posthog-node add it).
    pub is_server: Option<bool>,
    /// Properties added to every event.
    pub super_properties: Option<Map<String, Value>>,
    /// `phs_`/`phx_` key for local flag evaluation.
    pub personal_api_key: Option<String>,
    /// Evaluate flags locally when a personal key is set (default true).
    pub enable_local_evaluation: Option<bool>,
    /// How often flag definitions are polled.
    pub poll_interval: Option<f64>,
    /// Timeout of one `/flags` request.
    pub feature_flags_request_timeout_seconds: Option<f64>,
    /// The largest flag definitions answer accepted, in bytes.
    pub max_definitions_bytes: Option<usize>,
    /// Capture `$feature_flag_called` on lookups.
    pub send_feature_flag_events: Option<bool>,
    /// Directory of the crash-safe on-disk queue.
    pub storage_dir: Option<String>,
    /// With `storage_dir`: the on-disk queue's bound in bytes.
    pub max_disk_bytes: Option<u64>,
    /// `always`, `never`, or a number (the fsync interval in the profile's time unit).
    pub fsync: Option<Value>,
    /// With `storage_dir`: give an event up after this long.
    pub max_event_age: Option<f64>,
    /// With `storage_dir`: delivery cycles before an event is given up.
    pub max_attempts: Option<u32>,
    /// Start opted out (posthog-node's `defaultOptIn: false`).
    pub opt_out: Option<bool>,
    /// The bound of `shutdown()` and of the flush at exit.
    pub shutdown_timeout: Option<f64>,
    /// What the binding's runtime says about itself (`$python_version`, `$os`, …).
    pub runtime_properties: Option<Map<String, Value>>,
}

/// One line of the options reference: canonical name, what it does, default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionDoc {
    /// Canonical (snake_case) name.
    pub name: &'static str,
    /// What the option does.
    pub doc: &'static str,
}

/// The reference of every option, in the order of [`Options`]; the package READMEs list the
/// same names and a test in each binding checks they exist.
pub const OPTION_DOCS: &[OptionDoc] = &[
    OptionDoc {
        name: "host",
        doc: "PostHog host; app hosts map to ingestion hosts; https except loopback",
    },
    OptionDoc {
        name: "flush_at",
        doc: "batch size in events",
    },
    OptionDoc {
        name: "flush_interval",
        doc: "time between timed flushes",
    },
    OptionDoc {
        name: "max_queue_size",
        doc: "queue bound in events",
    },
    OptionDoc {
        name: "max_queue_bytes",
        doc: "queue bound in serialised bytes",
    },
    OptionDoc {
        name: "max_batch_bytes",
        doc: "most serialised event bytes in one request",
    },
    OptionDoc {
        name: "max_event_bytes",
        doc: "largest single event",
    },
    OptionDoc {
        name: "max_batch_size",
        doc: "most events in one request (at least flush_at, which starts a send)",
    },
    OptionDoc {
        name: "max_retries",
        doc: "at most this many resends (default: no count limit, retried until retry_for)",
    },
    OptionDoc {
        name: "retry_for",
        doc: "how long a failing batch keeps being retried (10 min; 1 h per cycle with storage_dir)",
    },
    OptionDoc {
        name: "timeout",
        doc: "timeout of one ingestion request",
    },
    OptionDoc {
        name: "gzip",
        doc: "gzip request bodies",
    },
    OptionDoc {
        name: "max_in_flight",
        doc: "requests in flight at once",
    },
    OptionDoc {
        name: "overflow",
        doc: "drop_newest, drop_oldest or block (with block_timeout)",
    },
    OptionDoc {
        name: "block_timeout",
        doc: "how long capture waits for room under overflow=block",
    },
    OptionDoc {
        name: "protocol",
        doc: "v0 (/batch/) or v1 (/i/v1/analytics/events)",
    },
    OptionDoc {
        name: "disable_geoip",
        doc: "$geoip_disable on events and in /flags",
    },
    OptionDoc {
        name: "historical_migration",
        doc: "route batches to the import pipeline",
    },
    OptionDoc {
        name: "disabled",
        doc: "accept calls, send nothing, flag lookups answer nothing",
    },
    OptionDoc {
        name: "send",
        doc: "false: events are accepted (uuid returned) but not sent; flags still work",
    },
    OptionDoc {
        name: "is_server",
        doc: "$is_server: true on every event",
    },
    OptionDoc {
        name: "super_properties",
        doc: "properties added to every event",
    },
    OptionDoc {
        name: "personal_api_key",
        doc: "phs_/phx_ key: local flag evaluation",
    },
    OptionDoc {
        name: "enable_local_evaluation",
        doc: "use the personal key for local evaluation",
    },
    OptionDoc {
        name: "poll_interval",
        doc: "how often flag definitions are polled",
    },
    OptionDoc {
        name: "feature_flags_request_timeout_seconds",
        doc: "timeout of one /flags request",
    },
    OptionDoc {
        name: "max_definitions_bytes",
        doc: "largest flag definitions answer accepted, in bytes (64 MiB)",
    },
    OptionDoc {
        name: "send_feature_flag_events",
        doc: "capture $feature_flag_called on lookups",
    },
    OptionDoc {
        name: "storage_dir",
        doc: "directory of the crash-safe on-disk queue",
    },
    OptionDoc {
        name: "max_disk_bytes",
        doc: "with storage_dir: the queue's bound in bytes on disk (1 GiB; mobile 64 MiB); memory is a window over it",
    },
    OptionDoc {
        name: "fsync",
        doc: "always, never, or the fsync interval",
    },
    OptionDoc {
        name: "max_event_age",
        doc: "with storage_dir: give an event up after this long",
    },
    OptionDoc {
        name: "max_attempts",
        doc: "with storage_dir: delivery cycles before giving up",
    },
    OptionDoc {
        name: "opt_out",
        doc: "start opted out (capture sends nothing until opt_in)",
    },
    OptionDoc {
        name: "shutdown_timeout",
        doc: "bound of shutdown() and of the flush at exit",
    },
];

/// The kinds of callable an option can hold; a binding wraps each as the core's hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    /// `before_send(message) -> message | None` (posthog-node: a function or a list).
    BeforeSend,
    /// `on_error(error)`.
    OnError,
    /// `on_error(error, batch)` (posthog-python): the failed batch's events too
    /// ([`crate::ClientOptions::on_error_batch`]).
    OnErrorBatch,
    /// An object with `seal(bytes)` and `open(bytes)`: encryption at rest.
    Cipher,
    /// An object with `get_flag_definitions`, `should_fetch_flag_definitions`,
    /// `on_flag_definitions_received` and `shutdown` (posthog-node: camelCase): the
    /// flag-definitions cache provider ([`crate::flags::FlagDefinitionCache`]).
    FlagDefinitionCache,
}

/// Which hook the option `name` (as the profile spells it) holds, if it is one.
pub fn hook_kind(profile: Profile, name: &str) -> Option<HookKind> {
    match (profile, name) {
        (_, "before_send") => Some(HookKind::BeforeSend),
        (Profile::PosthogNode | Profile::Mobile, "beforeSend") => Some(HookKind::BeforeSend),
        (Profile::PosthogNode | Profile::Mobile, "onError") => Some(HookKind::OnError),
        (Profile::PosthogPython, "on_error") => Some(HookKind::OnErrorBatch),
        (_, "on_error") => Some(HookKind::OnError),
        (_, "cipher") => Some(HookKind::Cipher),
        (Profile::PosthogNode | Profile::Mobile, "flagDefinitionCacheProvider") => {
            Some(HookKind::FlagDefinitionCache)
        }
        (_, "flag_definition_cache_provider") => Some(HookKind::FlagDefinitionCache),
        _ => None,
    }
}

/// How an official SDK's own name maps onto a canonical option.
#[derive(Clone, Copy)]
enum Alias {
    /// Same value under another name.
    Same(&'static str),
    /// A bool meaning the opposite (`disableCompression: true` is `gzip: false`).
    Not(&'static str),
    /// A compression mode (`"gzip"` / `"none"`, or an enum with such a value).
    Compression,
    /// A capture mode (`"v0"`/`"batch"` or `"v1"`).
    CaptureMode,
}

/// posthog-python's names that are not the core's.
const PYTHON_ALIASES: &[(&str, Alias)] = &[
    ("thread", Alias::Same("max_in_flight")),
    ("secret_key", Alias::Same("personal_api_key")),
    ("capture_compression", Alias::Compression),
    ("capture_mode", Alias::CaptureMode),
];

/// posthog-node's names that are not the camelCase form of the core's.
const NODE_ALIASES: &[(&str, Alias)] = &[
    ("requestTimeout", Alias::Same("timeout")),
    ("featureFlagsPollingInterval", Alias::Same("poll_interval")),
    (
        "featureFlagsRequestTimeoutMs",
        Alias::Same("feature_flags_request_timeout_seconds"),
    ),
    (
        "sendFeatureFlagEvent",
        Alias::Same("send_feature_flag_events"),
    ),
    ("fetchRetryCount", Alias::Same("max_retries")),
    ("disableCompression", Alias::Not("gzip")),
    ("secretKey", Alias::Same("personal_api_key")),
    ("defaultOptIn", Alias::Not("opt_out")),
];

/// An official option this package does not implement: accepted only at the values listed
/// (JSON texts; `[]` matches any empty list), refused with the reason otherwise.
struct Unsupported {
    profile: Profile,
    name: &'static str,
    accepts: &'static [&'static str],
    why: &'static str,
}

const fn un(
    profile: Profile,
    name: &'static str,
    accepts: &'static [&'static str],
    why: &'static str,
) -> Unsupported {
    Unsupported {
        profile,
        name,
        accepts,
        why,
    }
}

use Profile::{PosthogNode as N, PosthogPython as P};

const UNSUPPORTED: &[Unsupported] = &[
    un(
        P,
        "feature_flags_request_max_retries",
        &["1"],
        "the core retries /flags once on transport errors, 502 and 504",
    ),
    un(
        P,
        "flag_fallback_cache_url",
        &["null"],
        "a flag fallback cache is not supported",
    ),
    un(P, "metrics", &["null"], "the metrics API is not supported"),
    un(
        P,
        "enable_full_ai_capture",
        &["false"],
        "LLM analytics are not supported yet",
    ),
    un(
        P,
        "capture_trace_context",
        &["false"],
        "the tracing API is not supported",
    ),
    un(P, "traces", &["null"], "the tracing API is not supported"),
    un(P, "app_host", &["null"], "the emails API is not supported"),
    un(
        P,
        "email_request_timeout_seconds",
        &["15"],
        "the emails API is not supported",
    ),
    un(
        P,
        "email_request_max_retries",
        &["2"],
        "the emails API is not supported",
    ),
    un(
        P,
        "migrated_from",
        &["null"],
        "the emails API is not supported",
    ),
    un(
        N,
        "fetchRetryDelay",
        &[],
        "the core retries with capped full-jitter backoff and honours Retry-After; tune maxRetries instead",
    ),
    un(
        N,
        "featureFlagsRequestMaxRetries",
        &[],
        "the core retries /flags once on transport errors, 502 and 504",
    ),
    un(
        N,
        "remoteConfigRequestTimeoutMs",
        &[],
        "remote config payloads are not supported yet",
    ),
    un(
        N,
        "disableRemoteConfig",
        &["true"],
        "remote config payloads are not supported yet",
    ),
    un(
        N,
        "disableRemoteFeatureFlags",
        &["false"],
        "use onlyEvaluateLocally per call or strictLocalEvaluation",
    ),
    un(N, "disableSurveys", &["true"], "surveys are not supported"),
    un(N, "bootstrap", &[], "bootstrapped flags are not supported"),
    un(
        N,
        "personProfiles",
        &[],
        "person-profile processing modes are not supported",
    ),
    un(
        N,
        "addTracingHeaders",
        &[],
        "tracing headers are not supported",
    ),
    un(
        N,
        "evaluationContexts",
        &["[]"],
        "flag evaluation contexts are not supported yet",
    ),
    un(
        N,
        "evaluationEnvironments",
        &["[]"],
        "flag evaluation contexts are not supported yet",
    ),
    un(
        N,
        "custom_blocked_useragents",
        &["[]"],
        "bot filtering by user agent is not supported",
    ),
    un(
        N,
        "__preview_capture_bot_pageviews",
        &["false"],
        "bot page views are not supported",
    ),
    un(
        N,
        "enableFullAiCapture",
        &["false"],
        "LLM analytics are not supported yet",
    ),
    un(
        N,
        "maxCacheSize",
        &[],
        "the core bounds its own $feature_flag_called dedup cache",
    ),
    un(
        N,
        "fetch",
        &[],
        "HTTP is the core's (on its worker thread); a JS fetch cannot be plugged in",
    ),
    un(
        N,
        "readPostHogCookie",
        &["false"],
        "the Express/NestJS integrations are not supported",
    ),
    un(N, "metrics", &[], "the metrics API is not supported"),
    un(N, "logs", &[], "the logs API is not supported"),
    un(N, "traces", &[], "the tracing API is not supported"),
    un(N, "appHost", &[], "the emails API is not supported"),
    un(
        N,
        "emailRequestTimeoutMs",
        &[],
        "the emails API is not supported",
    ),
    un(
        N,
        "emailRequestMaxRetries",
        &[],
        "the emails API is not supported",
    ),
    un(N, "migratedFrom", &[], "the emails API is not supported"),
    un(
        N,
        "waitUntil",
        &[],
        "not needed: await flush() or the *Immediate methods",
    ),
    un(N, "waitUntilDebounceMs", &[], "waitUntil is not supported"),
    un(N, "waitUntilMaxWaitMs", &[], "waitUntil is not supported"),
    un(
        N,
        "persistence",
        &["\"memory\""],
        "only 'memory' exists on a server",
    ),
];

/// Official options that do nothing on a server in the official SDK either (accepted, ignored).
const NO_EFFECT: &[(Profile, &str)] = &[
    (P, "debug"),
    (P, "sync_mode"),
    // Read by the Python package's LLM-analytics wrappers (posthog_sdk.ai), not by the core.
    (P, "privacy_mode"),
    // Error tracking: the binding installs the hooks and passes these to
    // `exception::exception_properties` with each capture.
    (P, "enable_exception_autocapture"),
    (P, "log_captured_exceptions"),
    (P, "project_root"),
    (P, "capture_exception_code_variables"),
    (P, "code_variables_mask_patterns"),
    (P, "code_variables_ignore_patterns"),
    (P, "code_variables_mask_url_credentials"),
    (P, "code_variables_detect_secrets"),
    (P, "in_app_modules"),
    (P, "enable_exception_autocapture_rate_limiting"),
    (P, "exception_autocapture_bucket_size"),
    (P, "exception_autocapture_refill_rate"),
    (P, "exception_autocapture_refill_interval_seconds"),
    (N, "preloadFeatureFlags"),
    (N, "sessionExpirationTimeSeconds"),
    (N, "disable_capture_url_hashes"),
    (N, "featureFlagsLogWarnings"),
    (N, "privacyMode"),
    (N, "strictLocalEvaluation"),
    // Error tracking: the Node package installs the process listeners (autocapture.js).
    (N, "enableExceptionAutocapture"),
];

/// The names a profile accepts beyond the canonical ones, for compatibility tables and tests:
/// `(name, "alias" | "unsupported" | "no effect")`.
pub fn profile_names(profile: Profile) -> Vec<(&'static str, &'static str)> {
    let aliases: &[(&str, Alias)] = match profile {
        Profile::PosthogPython => PYTHON_ALIASES,
        Profile::PosthogNode => NODE_ALIASES,
        _ => &[],
    };
    let mut out: Vec<_> = aliases.iter().map(|(n, _)| (*n, "alias")).collect();
    out.extend(
        UNSUPPORTED
            .iter()
            .filter(|u| u.profile == profile)
            .map(|u| (u.name, "unsupported")),
    );
    out.extend(
        NO_EFFECT
            .iter()
            .filter(|(p, _)| *p == profile)
            .map(|(_, n)| (*n, "no effect")),
    );
    out
}

/// Why an official option is not supported, when `name` is one of the profile's.
pub fn unsupported_reason(profile: Profile, name: &str) -> Option<&'static str> {
    UNSUPPORTED
        .iter()
        .find(|u| u.profile == profile && u.name == name)
        .map(|u| u.why)
}

/// Why the official option `name` cannot be set to `value`, when it cannot (an unsupported
/// option set to anything but a value it accepts).
pub fn unsupported(profile: Profile, name: &str, value: &Value) -> Option<&'static str> {
    UNSUPPORTED
        .iter()
        .find(|u| u.profile == profile && u.name == name)
        .filter(|u| !value.is_null() && !accepts(u.accepts, value))
        .map(|u| u.why)
}

fn config(text: impl Into<String>) -> Error {
    Error::Config(text.into())
}

fn camel_to_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The name a canonical option has in a profile (for error messages).
pub fn profile_spelling(profile: Profile, canonical: &str) -> String {
    if !profile.rules().camel_case_options {
        return canonical.to_string();
    }
    let mut out = String::new();
    let mut up = false;
    for c in canonical.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.push(c.to_ascii_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn accepts(list: &[&str], v: &Value) -> bool {
    list.iter().any(|a| match serde_json::from_str::<Value>(a) {
        Ok(Value::Array(x)) if x.is_empty() => v.as_array().is_some_and(Vec::is_empty),
        Ok(Value::Number(n)) => v.as_f64() == n.as_f64(),
        Ok(x) => &x == v,
        Err(_) => false,
    })
}

impl Options {
    /// Reads a binding's options (a JSON object, hooks already taken out) spelled as the
    /// profile spells them. `null` values mean "not set". Errors name the option as the
    /// caller spelled it: a wrong type, an unknown name (profiles with
    /// [`crate::profile::Rules::unknown_options_error`]), or an unsupported official option
    /// set to anything but its default.
    pub fn from_json(profile: Profile, value: Value) -> Result<Options, Error> {
        let obj = match value {
            Value::Null => return Ok(Options::default()),
            Value::Object(o) => o,
            _ => return Err(config("options must be an object")),
        };
        let rules = profile.rules();
        let aliases: &[(&str, Alias)] = match profile {
            Profile::PosthogPython => PYTHON_ALIASES,
            Profile::PosthogNode => NODE_ALIASES,
            _ => &[],
        };
        let mut canonical = Map::new();
        let mut spelled: Vec<(String, String)> = Vec::new();
        for (name, v) in obj {
            if let Some(u) = UNSUPPORTED
                .iter()
                .find(|u| u.profile == profile && u.name == name)
            {
                if v.is_null() || accepts(u.accepts, &v) {
                    continue;
                }
                return Err(Error::Config(format!(
                    "option {name} is not supported by posthog-sdk: {}",
                    u.why
                )));
            }
            if NO_EFFECT.iter().any(|(p, n)| *p == profile && *n == name) || v.is_null() {
                continue;
            }
            let alias = aliases.iter().find(|(n, _)| *n == name).map(|(_, a)| *a);
            let (target, v) = match alias {
                Some(alias) => alias_value(alias, &name, v)?,
                None if rules.camel_case_options => (camel_to_snake(&name), v),
                None => (name.clone(), v),
            };
            if canonical.contains_key(&target) {
                return Err(config(format!(
                    "option {name} sets {} a second time: set only one of them",
                    profile_spelling(profile, &target)
                )));
            }
            spelled.push((target.clone(), name));
            canonical.insert(target, v);
        }
        if !rules.unknown_options_error {
            let known: Vec<&str> = OPTION_DOCS.iter().map(|d| d.name).collect();
            canonical.retain(|k, _| known.contains(&k.as_str()));
        }
        serde_json::from_value(Value::Object(canonical.clone())).map_err(|e| {
            // serde does not name the field of a type error: find it one entry at a time,
            // and say it as the caller spelled it.
            for (canon, v) in canonical {
                let one = Map::from_iter([(canon.clone(), v)]);
                if let Err(e) = serde_json::from_value::<Options>(Value::Object(one)) {
                    let name = spelled
                        .iter()
                        .find(|(c, _)| *c == canon)
                        .map(|(_, s)| s.clone())
                        .unwrap_or(canon);
                    let text = e.to_string();
                    return if text.starts_with("unknown field") {
                        config(format!("unknown option {name:?}"))
                    } else {
                        config(format!("option {name}: {}", strip_position(&text)))
                    };
                }
            }
            config(format!(
                "invalid options: {}",
                strip_position(&e.to_string())
            ))
        })
    }

    /// Applies every set option to `base` (made with [`ClientOptions::for_profile`]).
    pub fn apply(self, profile: Profile, base: ClientOptions) -> Result<ClientOptions, Error> {
        let unit = profile.rules().time_unit;
        let dur = |v: Option<f64>, name: &str| -> Result<Option<Duration>, Error> {
            v.map(|n| {
                unit.duration(n).ok_or_else(|| {
                    config(format!(
                        "option {} must be a finite, non-negative duration",
                        profile_spelling(profile, name)
                    ))
                })
            })
            .transpose()
        };
        let mut o = base;
        if let Some(v) = self.host {
            o = o.host(v);
        }
        if let Some(v) = self.flush_at {
            o = o.flush_at(v);
        }
        if let Some(v) = dur(self.flush_interval, "flush_interval")? {
            o = o.flush_interval(v);
        }
        if let Some(v) = self.max_queue_size {
            o = o.max_queue_size(v);
        }
        if let Some(v) = self.max_queue_bytes {
            o = o.max_queue_bytes(v);
        }
        if let Some(v) = self.max_batch_bytes {
            o = o.max_batch_bytes(v);
        }
        if let Some(v) = self.max_batch_size {
            o = o.max_batch_size(v);
        }
        if let Some(v) = self.max_event_bytes {
            o = o.max_event_bytes(v);
        }
        if let Some(v) = self.max_retries {
            o = o.max_retries(v);
        }
        if let Some(v) = dur(self.retry_for, "retry_for")? {
            o = o.retry_for(v);
        }
        if let Some(v) = dur(self.timeout, "timeout")? {
            o = o.request_timeout(v);
        }
        if let Some(v) = self.gzip {
            o = o.gzip(v);
        }
        if let Some(v) = self.max_in_flight {
            o = o.max_in_flight(v);
        }
        let block = dur(self.block_timeout, "block_timeout")?;
        let overflow = match (self.overflow.as_deref(), block) {
            (None, None) => None,
            (None | Some("block"), Some(d)) => Some(OverflowPolicy::Block(d)),
            (Some("drop_newest"), None) => Some(OverflowPolicy::DropNewest),
            (Some("drop_oldest"), None) => Some(OverflowPolicy::DropOldest),
            (Some("block"), None) => {
                return Err(config(format!(
                    "option overflow \"block\" needs {}",
                    profile_spelling(profile, "block_timeout")
                )));
            }
            (Some("drop_newest" | "drop_oldest"), Some(_)) => {
                return Err(config(format!(
                    "option {} only applies to overflow \"block\"",
                    profile_spelling(profile, "block_timeout")
                )));
            }
            (Some(_), _) => {
                return Err(config(
                    "option overflow must be \"drop_newest\", \"drop_oldest\" or \"block\"",
                ));
            }
        };
        if let Some(p) = overflow {
            o = o.overflow(p);
        }
        match self.protocol.as_deref() {
            None => {}
            Some("v0") => o = o.protocol(Protocol::V0),
            Some("v1") => o = o.protocol(Protocol::V1),
            Some(_) => return Err(config("option protocol must be \"v0\" or \"v1\"")),
        }
        if let Some(v) = self.disable_geoip {
            o = o.disable_geoip(v);
        }
        if let Some(v) = self.historical_migration {
            o = o.historical_migration(v);
        }
        if let Some(v) = self.disabled {
            o = o.disabled(v);
        }
        if let Some(v) = self.send {
            o = o.send(v);
        }
        if let Some(v) = self.is_server {
            o = o.is_server(v);
        }
        if let Some(v) = self.super_properties {
            o = o.super_properties(v);
        }
        if let Some(v) = self.personal_api_key {
            // The key stays usable for remote config without local evaluation.
            o = o.personal_api_key(v);
        }
        if self.enable_local_evaluation == Some(false) {
            o = o.local_evaluation(false);
        }
        if let Some(v) = dur(self.poll_interval, "poll_interval")? {
            o = o.poll_interval(v);
        }
        if let Some(v) = dur(
            self.feature_flags_request_timeout_seconds,
            "feature_flags_request_timeout_seconds",
        )? {
            o = o.feature_flags_request_timeout(v);
        }
        if let Some(v) = self.send_feature_flag_events {
            o = o.send_feature_flag_events(v);
        }
        if let Some(v) = self.storage_dir {
            o = o.storage_dir(v);
        }
        if let Some(v) = self.max_disk_bytes {
            o = o.max_disk_bytes(v);
        }
        if let Some(v) = self.fsync {
            o = o.fsync(match &v {
                Value::String(s) if s == "always" => FsyncPolicy::Always,
                Value::String(s) if s == "never" => FsyncPolicy::Never,
                Value::Number(n) => {
                    FsyncPolicy::Interval(n.as_f64().and_then(|n| unit.duration(n)).ok_or_else(
                        || config("option fsync must be \"always\", \"never\" or an interval"),
                    )?)
                }
                _ => {
                    return Err(config(
                        "option fsync must be \"always\", \"never\" or an interval",
                    ));
                }
            });
        }
        if let Some(v) = dur(self.max_event_age, "max_event_age")? {
            o = o.max_event_age(v);
        }
        if let Some(v) = self.max_attempts {
            o = o.max_attempts(v);
        }
        if let Some(v) = self.max_definitions_bytes {
            o = o.max_definitions_bytes(v);
        }
        if let Some(v) = self.opt_out {
            o = o.opt_out(v);
        }
        if let Some(v) = dur(self.shutdown_timeout, "shutdown_timeout")? {
            o = o.shutdown_timeout(v);
        }
        if let Some(v) = self.runtime_properties {
            o = o.runtime_properties(v);
        }
        Ok(o)
    }

    /// [`Options::from_json`] then [`Options::apply`] on the profile's defaults for `api_key`.
    pub fn client_options(
        profile: Profile,
        api_key: impl Into<String>,
        value: Value,
    ) -> Result<ClientOptions, Error> {
        let mut key: String = api_key.into();
        let mut options = Options::from_json(profile, value)?;
        if profile == Profile::PosthogPython && key.trim().is_empty() {
            // posthog-python: a blank key gives a client that sends nothing.
            key = "phc_disabled".into();
            options.disabled = Some(true);
        }
        options.apply(profile, ClientOptions::for_profile(key.trim(), profile))
    }
}

/// A serde message without its position and without any string value it quotes (a key passed
/// in the wrong option must never be echoed): `invalid type: string "…"` → `invalid type: a string`.
fn strip_position(text: &str) -> String {
    let text = text.split(" at line ").next().unwrap_or(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("string \"") {
        out.push_str(&rest[..i]);
        out.push_str("a string");
        let after = &rest[i + "string \"".len()..];
        rest = after.find('"').map_or("", |j| &after[j + 1..]);
    }
    out.push_str(rest);
    out
}

fn alias_value(alias: Alias, name: &str, v: Value) -> Result<(String, Value), Error> {
    let enum_text = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.to_ascii_lowercase()),
            _ => None,
        }
    };
    Ok(match alias {
        Alias::Same(t) => (t.to_string(), v),
        Alias::Not(t) => match v {
            Value::Bool(b) => (t.to_string(), Value::Bool(!b)),
            _ => return Err(config(format!("option {name} must be a bool"))),
        },
        Alias::Compression => match enum_text(&v).as_deref() {
            Some("gzip") => ("gzip".into(), Value::Bool(true)),
            Some("none") => ("gzip".into(), Value::Bool(false)),
            _ => {
                return Err(Error::Config(format!(
                    "option {name}={v} is not supported by posthog-sdk (only 'none' and 'gzip')"
                )));
            }
        },
        Alias::CaptureMode => match enum_text(&v).as_deref() {
            Some("v0" | "batch" | "legacy") => ("protocol".into(), Value::String("v0".into())),
            Some("v1" | "analytics") => ("protocol".into(), Value::String("v1".into())),
            _ => return Err(config(format!("option {name}={v} is not a capture mode"))),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_field_has_a_doc_line_in_order() {
        // Deserialising an object with every documented name proves each is a field.
        let all: Map<String, Value> = OPTION_DOCS
            .iter()
            .map(|d| (d.name.to_string(), Value::Null))
            .collect();
        assert_eq!(
            Options::from_json(Profile::Core, Value::Object(all)).unwrap(),
            Options::default()
        );
        let err = Options::from_json(Profile::Core, json!({"flush_att": 1})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration: unknown option \"flush_att\""
        );
    }

    #[test]
    fn python_names_and_units() {
        let o = Options::from_json(
            Profile::PosthogPython,
            json!({"flush_interval": 0.5, "thread": 2, "send": false, "secret_key": "phs_x",
                   "feature_flags_request_timeout_seconds": 1, "capture_compression": "gzip",
                   "debug": true, "project_root": null, "exception_autocapture_bucket_size": 50}),
        )
        .unwrap();
        assert_eq!(o.flush_interval, Some(0.5));
        assert_eq!(o.max_in_flight, Some(2));
        assert_eq!(
            o.send,
            Some(false),
            "send=False is its own option, not disabled"
        );
        assert_eq!(o.disabled, None);
        assert_eq!(o.personal_api_key.as_deref(), Some("phs_x"));
        assert_eq!(o.gzip, Some(true));
        let c = o
            .apply(
                Profile::PosthogPython,
                ClientOptions::for_profile("phc_k", Profile::PosthogPython),
            )
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(c.flush_interval, Duration::from_millis(500));
        assert_eq!(c.flags_request_timeout, Duration::from_secs(1));
        let err = Options::from_json(Profile::PosthogPython, json!({"flushAt": 1})).unwrap_err();
        assert!(
            err.to_string().contains("unknown option \"flushAt\""),
            "{err}"
        );
        let err = Options::from_json(
            Profile::PosthogPython,
            json!({"flush_at": "phc_secretvalue"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("option flush_at:"), "{err}");
        assert!(
            !err.to_string().contains("secretvalue"),
            "no value is echoed: {err}"
        );
        assert!(
            Options::from_json(Profile::PosthogPython, json!({"project_root": "/app"})).is_ok(),
            "error tracking's options are the binding's"
        );
        let err =
            Options::from_json(Profile::PosthogPython, json!({"metrics": {"a": 1}})).unwrap_err();
        assert!(
            err.to_string().contains("not supported by posthog-sdk"),
            "{err}"
        );
    }

    #[test]
    fn node_names_and_units() {
        let c = Options::client_options(
            Profile::PosthogNode,
            "phc_k",
            json!({"flushInterval": 250, "requestTimeout": 2000, "fetchRetryCount": 1,
                   "disableCompression": true, "defaultOptIn": false, "isServer": false,
                   "featureFlagsPollingInterval": 60000, "someFutureOption": 1,
                   "preloadFeatureFlags": true, "maxInFlight": 2, "fsync": "never"}),
        )
        .unwrap()
        .resolve()
        .unwrap();
        assert_eq!(c.flush_interval, Duration::from_millis(250));
        assert_eq!(c.request_timeout, Duration::from_secs(2));
        assert_eq!(c.max_retries, Some(1));
        assert!(!c.gzip);
        assert!(c.opt_out);
        assert!(!c.is_server);
        assert_eq!(c.poll_interval, Duration::from_secs(60));
        assert_eq!(c.max_in_flight, 2);
        let err = Options::from_json(
            Profile::PosthogNode,
            json!({"fetchRetryCount": 1, "maxRetries": 2}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("set only one"), "{err}");
        let err = Options::from_json(Profile::PosthogNode, json!({"flushAt": "x"})).unwrap_err();
        assert!(err.to_string().contains("option flushAt:"), "{err}");
        let err = Options::from_json(Profile::PosthogNode, json!({"bootstrap": {}})).unwrap_err();
        assert!(
            err.to_string().contains("not supported by posthog-sdk"),
            "{err}"
        );
        assert!(
            Options::from_json(Profile::PosthogNode, json!({"evaluationContexts": []})).is_ok()
        );
    }

    #[test]
    fn profile_defaults() {
        let n = ClientOptions::for_profile("phc_k", Profile::PosthogNode)
            .resolve()
            .unwrap();
        assert_eq!((n.flush_at, n.max_queue_size), (20, 100_000));
        assert!(n.disable_geoip && n.is_server);
        let p = ClientOptions::for_profile("phc_k", Profile::PosthogPython)
            .resolve()
            .unwrap();
        assert!(p.disable_geoip && p.is_server && !p.gzip);
        let r = ClientOptions::new("phc_k").resolve().unwrap();
        assert!(!r.disable_geoip && !r.is_server && r.gzip);
    }

    #[test]
    fn block_and_hooks() {
        let err = Options::client_options(
            Profile::PosthogPython,
            "phc_k",
            json!({"overflow": "block"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("block_timeout"), "{err}");
        let err =
            Options::client_options(Profile::PosthogNode, "phc_k", json!({"overflow": "block"}))
                .unwrap_err();
        assert!(err.to_string().contains("blockTimeout"), "{err}");
        assert!(
            Options::client_options(Profile::PosthogNode, "phc_k", json!({"blockTimeout": 5}))
                .is_ok(),
            "a block timeout alone means block"
        );
        assert_eq!(
            hook_kind(Profile::PosthogNode, "beforeSend"),
            Some(HookKind::BeforeSend)
        );
        assert_eq!(hook_kind(Profile::PosthogPython, "beforeSend"), None);
        assert_eq!(
            hook_kind(Profile::PosthogPython, "cipher"),
            Some(HookKind::Cipher)
        );
    }
}
