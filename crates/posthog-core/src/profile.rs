//! Compatibility profiles: the behaviour of one official SDK, owned by the core. A binding
//! names the profile it imitates ([`Profile::PosthogPython`] for the Python drop-in,
//! [`Profile::PosthogNode`] for the Node one, [`Profile::Mobile`] for uniffi) and never decides
//! a PostHog rule itself: defaults, event shapes, the message a `before_send` hook sees and how
//! its rewrite is merged back, `$feature_flag_called` contents, and how ids are stringified.

use crate::event::{EventMessage, format_ts, parse_timestamp, parse_uuid};
use serde_json::{Map, Value};
use std::time::Duration;

/// Which official SDK's behaviour a client reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Profile {
    /// This crate's own API (Rust callers): the event's own properties win over super
    /// properties, geoip on, gzip on.
    #[default]
    Core,
    /// posthog-python 7.x (the Python package's `Posthog` class and module API).
    PosthogPython,
    /// posthog-node 5.x (the Node package's `PostHog` class).
    PosthogNode,
    /// The mobile SDKs (uniffi: Kotlin and Swift).
    Mobile,
}

/// The unit a profile's duration options are given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds (Python: `flush_interval=0.5`).
    Seconds,
    /// Milliseconds (Node: `flushInterval: 10000`).
    Millis,
}

impl TimeUnit {
    /// A number in this unit as a duration; `None` for negative or non-finite numbers.
    pub fn duration(self, n: f64) -> Option<Duration> {
        let secs = match self {
            TimeUnit::Seconds => n,
            TimeUnit::Millis => n / 1000.0,
        };
        Duration::try_from_secs_f64(secs).ok()
    }
}

/// The defaults and rules of one profile. Read with [`Profile::rules`].
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// `$lib` of the events.
    pub sdk_name: &'static str,
    /// Queued events that start a send.
    pub flush_at: usize,
    /// Most events in one request; `None`: `flush_at` (see
    /// [`crate::ClientOptions::max_batch_size`]).
    pub max_batch_size: Option<usize>,
    /// Time between timed flushes.
    pub flush_interval: Duration,
    /// Queue bound in events.
    pub max_queue_size: usize,
    /// With `storage_dir`: bound of the on-disk queue in bytes of unacknowledged records.
    pub max_disk_bytes: u64,
    /// Timeout of one ingestion request.
    pub request_timeout: Duration,
    /// Gzip request bodies.
    pub gzip: bool,
    /// Resends after the first attempt; `None`: as many as fit in the retry deadline
    /// ([`crate::ClientOptions::retry_for`]), so an outage of minutes loses nothing.
    pub max_retries: Option<u32>,
    /// `$geoip_disable: true` on events and `geoip_disable` in `/flags` unless set.
    pub disable_geoip: bool,
    /// `$is_server: true` on every event unless `is_server` is set to false.
    pub is_server: bool,
    /// Super properties override the event's own properties (posthog-python merges
    /// `{**properties, **super_properties}`); otherwise the event's own win.
    pub super_properties_win: bool,
    /// `$set` / `$set_once` of `$identify`, `$set` and `$set_once` events travel at the top
    /// level of the message (posthog-python), not inside `properties`.
    pub person_properties_top_level: bool,
    /// The distinct id of `$groupidentify` without one: `$<type>_<key>` (posthog-node) or a
    /// random uuid (posthog-python).
    pub group_identify_default_id: GroupIdentifyId,
    /// The unit of duration options.
    pub time_unit: TimeUnit,
    /// Option names are camelCase (posthog-node) rather than snake_case.
    pub camel_case_options: bool,
    /// Unknown option names are an error (Python keyword arguments); otherwise ignored, as a
    /// JavaScript options object with an extra field is.
    pub unknown_options_error: bool,
    /// A `flush` during which a batch failed for good reports an error (posthog-node
    /// rejects), rather than a report with `failed > 0`.
    pub flush_fails_on_failed_batch: bool,
    /// Which properties `$feature_flag_called` carries beyond the common ones.
    pub flag_called: FlagCalledShape,
    /// A failed `/flags` request of a flag getter is handed to `on_error` (otherwise only
    /// logged, as posthog-python does: its `on_error` is for failed batches).
    pub flag_errors_to_on_error: bool,
    /// The shape of the message a `before_send` hook receives.
    pub hook_message: HookMessage,
    /// An event timestamp that cannot be read means now, and an invalid uuid a new one, both
    /// logged (posthog-python); otherwise the event is refused as invalid input.
    pub lenient_event_input: bool,
    /// The shape of `get_all_flags*` (see [`Client::all_flags_json`](crate::Client::all_flags_json)).
    pub all_flags: AllFlagsShape,
    /// The shape of `get_feature_flag_result` (see [`crate::FlagResult::result_json`]).
    pub flag_result: FlagResultShape,
    /// Reading a flag of an `evaluate_flags` snapshot (`is_enabled`, `get_flag`) captures
    /// `$feature_flag_called` as a lookup does (posthog-python's `FeatureFlagEvaluations`);
    /// otherwise a snapshot is a plain value. See [`crate::Client::record_flag_read`].
    pub snapshot_reads_capture: bool,
    /// The random distinct id of a personless event is a uuid v7 (posthog-node), else v4.
    pub personless_id_v7: bool,
    /// A `before_send` that fails (throws, returns something unusable) is reported to
    /// `on_error` as well as logged; posthog-node only drops the event.
    pub before_send_failure_reported: bool,
    /// A quota-limited `/flags` answer is an answer without the flags (posthog-node: the
    /// request id is kept, `$feature_flag_error` is `quota_limited,flag_missing` and nothing is
    /// reported to `on_error`), rather than an error.
    pub quota_limited_is_answer: bool,
    /// `shutdown` is final: later captures are refused and the worker stops. posthog-node's
    /// `shutdown()` only flushes: the client keeps capturing and sending afterwards (the
    /// worker stops when the client is dropped). With `storage_dir` it is always final (the
    /// directory is released for the next process).
    pub shutdown_is_final: bool,
    /// What `match_value` of a payload lookup means (see [`crate::Client::payload_lookup`]).
    pub payload_match: PayloadMatch,
    /// `get_remote_config_payload` decodes the payload's JSON text (posthog-node parses the
    /// answer twice, and a `null` answer is `null`); otherwise the answer's JSON is returned
    /// as it is — posthog-python gives the payload's text (a `str`), `None` for `null`.
    pub remote_config_decodes_text: bool,
    /// `get_remote_config_payload` is bounded by the ingestion `request_timeout`
    /// (posthog-node's `requestTimeout`); otherwise by the `/flags` timeout (posthog-python's
    /// `feature_flags_request_timeout_seconds`).
    pub remote_config_request_timeout: bool,
    /// With a flag-definitions cache provider and no secret key, the client is a cache-only
    /// reader: each poll loads the provider's definitions and evaluates locally
    /// (posthog-node); otherwise the provider is used only with a secret key.
    pub cache_only_reader: bool,
    /// The definitions handed to a cache provider carry posthog-node's camelCase aliases
    /// (`groupTypeMapping`, `minimalFlagCalledEvents`, `propertyMatchingVersion`) beside
    /// the endpoint's snake_case fields.
    pub cache_data_camel_aliases: bool,
}

/// See [`Rules::payload_match`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadMatch {
    /// posthog-node's `matchValue`: the payload only when the evaluated value equals it.
    Filter,
    /// posthog-python's `match_value`: a local answer gives the payload the definition
    /// assigns `match_value`; a remote one the evaluated value's payload.
    Override,
}

/// See [`Rules::flag_result`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagResultShape {
    /// posthog-python's `FeatureFlagResult`: `{key, enabled, variant, payload, reason}` with
    /// `variant` and `payload` `null` when absent, and `reason` the server's description
    /// (`null` for a local answer).
    Python,
    /// posthog-node's `{key, enabled, variant?, payload?, reason, reasonCode?}`.
    Node,
}

/// See [`Rules::all_flags`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllFlagsShape {
    /// A disabled client answers `null` (`{featureFlags: null, featureFlagPayloads: null}`)
    /// rather than empty maps (posthog-python).
    pub disabled_null: bool,
    /// Payloads are the JSON text PostHog serves, not decoded (posthog-python's
    /// `get_all_flags_and_payloads`).
    pub payloads_as_text: bool,
    /// An enabled flag of a `/flags` answer without a payload is listed in the payloads as
    /// `null` (posthog-node lists it with `undefined`; the binding maps `null` to it).
    pub remote_enabled_without_payload: bool,
}

/// See [`Rules::group_identify_default_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupIdentifyId {
    /// `$<group_type>_<group_key>`.
    GroupKey,
    /// A random uuid (v4).
    Random,
}

/// See [`Rules::flag_called`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagCalledShape {
    /// `$feature_flag_payload` when the value has a payload.
    pub payload: bool,
    /// `$feature_flag_error` (`flag_missing`, `api_error_<status>`, `timeout`, …), and the
    /// event is still sent when `/flags` failed (with a `null` response).
    pub error: bool,
    /// `$feature_flag_evaluated_at` (ms) of a remote answer.
    pub evaluated_at: bool,
    /// `$feature_flag_definitions_loaded_at` (ms) of a local answer.
    pub definitions_loaded_at: bool,
}

/// See [`Rules::hook_message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookMessage {
    /// `{event, distinct_id, properties, timestamp, uuid}` plus top-level `$set`/`$set_once`
    /// where the message has them (posthog-python).
    Python,
    /// `{uuid, event, distinctId, properties, timestamp, $set, $set_once}` (posthog-node).
    Node,
    /// The core's [`EventMessage`] serialised as is.
    Core,
}

const PYTHON: Rules = Rules {
    sdk_name: "posthog-sdk-python",
    flush_at: 100,
    max_batch_size: None,
    flush_interval: Duration::from_secs(5),
    max_queue_size: 100_000,
    max_disk_bytes: 1024 * 1024 * 1024,
    request_timeout: Duration::from_secs(15),
    gzip: false,
    max_retries: None,
    disable_geoip: true,
    is_server: true,
    super_properties_win: true,
    person_properties_top_level: true,
    group_identify_default_id: GroupIdentifyId::Random,
    time_unit: TimeUnit::Seconds,
    camel_case_options: false,
    unknown_options_error: true,
    flush_fails_on_failed_batch: false,
    flag_called: FlagCalledShape {
        payload: true,
        error: true,
        evaluated_at: true,
        definitions_loaded_at: false,
    },
    flag_errors_to_on_error: false,
    hook_message: HookMessage::Python,
    lenient_event_input: true,
    all_flags: AllFlagsShape {
        disabled_null: true,
        payloads_as_text: true,
        remote_enabled_without_payload: false,
    },
    flag_result: FlagResultShape::Python,
    snapshot_reads_capture: true,
    personless_id_v7: false,
    before_send_failure_reported: true,
    quota_limited_is_answer: false,
    shutdown_is_final: true,
    payload_match: PayloadMatch::Override,
    remote_config_decodes_text: false,
    remote_config_request_timeout: false,
    cache_only_reader: false,
    cache_data_camel_aliases: false,
};

const NODE: Rules = Rules {
    sdk_name: "posthog-sdk-node",
    flush_at: 20,
    // posthog-node's `maxBatchSize`: 20 queued events start a send, one request takes up to 100.
    max_batch_size: Some(100),
    flush_interval: Duration::from_secs(10),
    // posthog-node holds 1 000 and drops the oldest beyond; the core keeps a 100 000-event
    // burst (lossless defaults; the byte bound, 64 MiB, holds as well).
    max_queue_size: 100_000,
    max_disk_bytes: 1024 * 1024 * 1024,
    request_timeout: Duration::from_secs(10),
    gzip: true,
    max_retries: None,
    disable_geoip: true,
    is_server: true,
    super_properties_win: false,
    person_properties_top_level: false,
    group_identify_default_id: GroupIdentifyId::GroupKey,
    time_unit: TimeUnit::Millis,
    camel_case_options: true,
    unknown_options_error: false,
    flush_fails_on_failed_batch: true,
    flag_called: FlagCalledShape {
        payload: false,
        error: true,
        evaluated_at: true,
        definitions_loaded_at: true,
    },
    flag_errors_to_on_error: true,
    hook_message: HookMessage::Node,
    lenient_event_input: false,
    all_flags: AllFlagsShape {
        disabled_null: false,
        payloads_as_text: false,
        remote_enabled_without_payload: true,
    },
    flag_result: FlagResultShape::Node,
    snapshot_reads_capture: false,
    personless_id_v7: true,
    before_send_failure_reported: false,
    quota_limited_is_answer: true,
    shutdown_is_final: false,
    payload_match: PayloadMatch::Filter,
    remote_config_decodes_text: true,
    remote_config_request_timeout: true,
    cache_only_reader: true,
    cache_data_camel_aliases: true,
};

const CORE: Rules = Rules {
    sdk_name: "posthog-sdk-rust",
    flush_at: 100,
    max_batch_size: None,
    flush_interval: Duration::from_secs(5),
    max_queue_size: 100_000,
    max_disk_bytes: 1024 * 1024 * 1024,
    request_timeout: Duration::from_secs(15),
    gzip: true,
    max_retries: None,
    disable_geoip: false,
    is_server: false,
    super_properties_win: false,
    person_properties_top_level: false,
    group_identify_default_id: GroupIdentifyId::GroupKey,
    time_unit: TimeUnit::Seconds,
    camel_case_options: false,
    unknown_options_error: true,
    flush_fails_on_failed_batch: false,
    flag_called: FlagCalledShape {
        payload: false,
        error: false,
        evaluated_at: false,
        definitions_loaded_at: false,
    },
    flag_errors_to_on_error: true,
    hook_message: HookMessage::Core,
    lenient_event_input: false,
    all_flags: AllFlagsShape {
        disabled_null: false,
        payloads_as_text: false,
        remote_enabled_without_payload: false,
    },
    flag_result: FlagResultShape::Node,
    snapshot_reads_capture: false,
    personless_id_v7: false,
    before_send_failure_reported: true,
    quota_limited_is_answer: false,
    shutdown_is_final: true,
    payload_match: PayloadMatch::Filter,
    remote_config_decodes_text: true,
    remote_config_request_timeout: false,
    cache_only_reader: true,
    cache_data_camel_aliases: false,
};

const MOBILE: Rules = Rules {
    sdk_name: "posthog-sdk-mobile",
    flush_at: 20,
    max_batch_size: None,
    flush_interval: Duration::from_secs(30),
    max_queue_size: 1_000,
    max_disk_bytes: 64 * 1024 * 1024,
    camel_case_options: true,
    ..CORE
};

impl Profile {
    /// Parses a profile name: `core`, `posthog-python`, `posthog-node` or `mobile`.
    pub fn parse(name: &str) -> Result<Profile, crate::Error> {
        match name {
            "core" => Ok(Profile::Core),
            "posthog-python" => Ok(Profile::PosthogPython),
            "posthog-node" => Ok(Profile::PosthogNode),
            "mobile" => Ok(Profile::Mobile),
            other => Err(crate::Error::Config(format!(
                "unknown compatibility profile {other:?} (core, posthog-python, posthog-node, mobile)"
            ))),
        }
    }

    /// The profile's name, as [`Profile::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Core => "core",
            Profile::PosthogPython => "posthog-python",
            Profile::PosthogNode => "posthog-node",
            Profile::Mobile => "mobile",
        }
    }

    /// A caller's event timestamp: `Ok(None)` (now) for an unreadable one under
    /// [`Rules::lenient_event_input`], else an input error.
    pub fn event_timestamp(
        self,
        text: &str,
    ) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>, crate::Error> {
        match parse_timestamp(text) {
            Ok(ts) => Ok(Some(ts)),
            Err(e) if self.rules().lenient_event_input => {
                tracing::warn!(%e, "posthog: falling back to the current UTC time");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// A caller's event uuid: `Ok(None)` (a new one) for an invalid one under
    /// [`Rules::lenient_event_input`], else an input error.
    pub fn event_uuid(self, text: &str) -> Result<Option<uuid::Uuid>, crate::Error> {
        match parse_uuid(text) {
            Ok(u) => Ok(Some(u)),
            Err(e) if self.rules().lenient_event_input => {
                tracing::warn!(%e, "posthog: falling back to a generated UUID");
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// The profile's defaults and rules.
    pub fn rules(self) -> &'static Rules {
        match self {
            Profile::Core => &CORE,
            Profile::PosthogPython => &PYTHON,
            Profile::PosthogNode => &NODE,
            Profile::Mobile => &MOBILE,
        }
    }
}

/// A caller's distinct id as PostHog's SDKs stringify it: strings as they are, numbers and
/// booleans by their text, `null` (or an empty or blank string) as no id. Objects and arrays
/// are refused (`None`).
pub fn stringify_id(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            // JavaScript prints whole floats without a fraction (`String(42.0)` is "42").
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e21 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    if text.trim().is_empty() {
        None
    } else {
        Some(text)
    }
}

impl EventMessage {
    /// The message as the profile's `before_send` hook receives it (see [`HookMessage`]).
    pub fn to_hook_json(&self, profile: Profile) -> Value {
        let mut out = Map::new();
        let properties = self.properties.clone();
        let shape = profile.rules().hook_message;
        let id_key = if shape == HookMessage::Node {
            "distinctId"
        } else {
            "distinct_id"
        };
        out.insert("event".into(), Value::String(self.event.clone()));
        out.insert(id_key.into(), Value::String(self.distinct_id.clone()));
        out.insert("uuid".into(), Value::String(self.uuid.to_string()));
        out.insert(
            "timestamp".into(),
            Value::String(format_ts(&self.timestamp)),
        );
        match shape {
            HookMessage::Python => {
                for (k, v) in [("$set", &self.set), ("$set_once", &self.set_once)] {
                    if let Some(m) = v {
                        out.insert(k.into(), Value::Object(m.clone()));
                    }
                }
            }
            HookMessage::Node => {
                // posthog-node hands `$set`/`$set_once` out of the properties as well.
                for k in ["$set", "$set_once"] {
                    if let Some(v) = properties.get(k) {
                        out.insert(k.into(), v.clone());
                    }
                }
            }
            HookMessage::Core => {
                for (k, v) in [("set", &self.set), ("set_once", &self.set_once)] {
                    if let Some(m) = v {
                        out.insert(k.into(), Value::Object(m.clone()));
                    }
                }
            }
        }
        out.insert("properties".into(), Value::Object(properties));
        Value::Object(out)
    }

    /// The message a hook-shaped JSON object describes in full (a binding that ran its own
    /// hook on [`EventMessage::to_hook_json`]'s output and keeps only the text).
    pub fn from_hook_json(profile: Profile, value: Value) -> Result<EventMessage, String> {
        let empty = EventMessage {
            event: String::new(),
            distinct_id: String::new(),
            properties: Map::new(),
            timestamp: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            uuid: uuid::Uuid::nil(),
            set: None,
            set_once: None,
        };
        empty.merge_hook_json(profile, value)
    }

    /// Merges what the profile's `before_send` returned into this message: fields it left out
    /// keep their values; for posthog-node, `$set`/`$set_once` at the top level replace (or,
    /// when removed, delete) those in the properties, as posthog-node does.
    pub fn merge_hook_json(mut self, profile: Profile, value: Value) -> Result<Self, String> {
        let Value::Object(mut m) = value else {
            return Err("before_send must return an object (or nothing, to drop the event)".into());
        };
        let shape = profile.rules().hook_message;
        let text = |v: Value, what: &str| -> Result<String, String> {
            match v {
                Value::String(s) => Ok(s),
                _ => Err(format!("before_send's {what} must be a string")),
            }
        };
        if let Some(v) = m.remove("event").filter(|v| !v.is_null()) {
            self.event = text(v, "event")?;
        }
        let id_key = if shape == HookMessage::Node {
            "distinctId"
        } else {
            "distinct_id"
        };
        if let Some(v) = m.remove(id_key).filter(|v| !v.is_null()) {
            self.distinct_id = stringify_id(&v)
                .ok_or_else(|| "before_send's distinct id must be a string".to_string())?;
        }
        if let Some(v) = m.remove("properties").filter(|v| !v.is_null()) {
            match v {
                Value::Object(p) => self.properties = p,
                _ => return Err("before_send's properties must be an object".into()),
            }
        }
        if let Some(v) = m.remove("timestamp").filter(|v| !v.is_null()) {
            let t = text(v, "timestamp")?;
            self.timestamp = parse_timestamp(&t)
                .map_err(|e| e.to_string())?
                .with_timezone(&chrono::Utc);
        }
        if let Some(v) = m.remove("uuid").filter(|v| !v.is_null()) {
            // posthog-python and posthog-node replace an invalid uuid with a new one.
            self.uuid = text(v, "uuid")
                .ok()
                .and_then(|t| parse_uuid(&t).ok())
                .unwrap_or_else(uuid::Uuid::now_v7);
        }
        match shape {
            HookMessage::Python | HookMessage::Core => {
                let (set, set_once) = if shape == HookMessage::Python {
                    ("$set", "$set_once")
                } else {
                    ("set", "set_once")
                };
                for (k, slot) in [(set, &mut self.set), (set_once, &mut self.set_once)] {
                    match m.remove(k) {
                        None if slot.is_some() => *slot = None,
                        None => {}
                        Some(Value::Object(o)) => *slot = Some(o),
                        Some(Value::Null) => *slot = None,
                        Some(_) => return Err(format!("before_send's {k} must be an object")),
                    }
                }
            }
            HookMessage::Node => {
                for k in ["$set", "$set_once"] {
                    match m.remove(k) {
                        Some(Value::Null) | None => {
                            self.properties.remove(k);
                        }
                        Some(v) => {
                            self.properties.insert(k.into(), v);
                        }
                    }
                }
            }
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg() -> EventMessage {
        EventMessage {
            event: "$identify".into(),
            distinct_id: "u1".into(),
            properties: json!({"$lib": "x", "plan": "pro"})
                .as_object()
                .cloned()
                .unwrap(),
            timestamp: chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
                .unwrap()
                .with_timezone(&chrono::Utc),
            uuid: uuid::Uuid::nil(),
            set: Some(json!({"email": "a@b.c"}).as_object().cloned().unwrap()),
            set_once: None,
        }
    }

    #[test]
    fn ids_stringify_like_the_official_sdks() {
        assert_eq!(stringify_id(&json!("u1")).as_deref(), Some("u1"));
        assert_eq!(stringify_id(&json!(42)).as_deref(), Some("42"));
        assert_eq!(stringify_id(&json!(42.0)).as_deref(), Some("42"));
        assert_eq!(stringify_id(&json!(1.5)).as_deref(), Some("1.5"));
        assert_eq!(stringify_id(&json!(true)).as_deref(), Some("true"));
        for none in [json!(null), json!(""), json!("  "), json!({}), json!([1])] {
            assert_eq!(stringify_id(&none), None, "{none}");
        }
    }

    #[test]
    fn python_hook_sees_set_at_the_top_level_and_a_scrubber_removes_it() {
        let m = msg();
        let v = m.to_hook_json(Profile::PosthogPython);
        assert_eq!(v["$set"], json!({"email": "a@b.c"}));
        assert_eq!(v["distinct_id"], "u1");
        assert!(v["properties"].get("$set").is_none());
        // A posthog-python scrubber: `msg["$set"].pop("email")`.
        let mut out = v.clone();
        out["$set"].as_object_mut().unwrap().remove("email");
        let merged = m
            .clone()
            .merge_hook_json(Profile::PosthogPython, out)
            .unwrap();
        assert_eq!(merged.set, Some(Map::new()));
        // Deleting the key removes the person properties altogether.
        let mut out = v;
        out.as_object_mut().unwrap().remove("$set");
        let merged = m.merge_hook_json(Profile::PosthogPython, out).unwrap();
        assert_eq!(merged.set, None);
    }

    #[test]
    fn node_hook_uses_camel_case_and_moves_set_into_properties() {
        let mut m = msg();
        m.set = None;
        m.properties
            .insert("$set".into(), json!({"email": "a@b.c"}));
        let v = m.to_hook_json(Profile::PosthogNode);
        assert_eq!(v["distinctId"], "u1");
        assert_eq!(v["$set"], json!({"email": "a@b.c"}));
        let mut out = v;
        out["$set"] = json!({"name": "n"});
        out["uuid"] = json!("not a uuid");
        let merged = m.merge_hook_json(Profile::PosthogNode, out).unwrap();
        assert_eq!(merged.properties["$set"], json!({"name": "n"}));
        assert_ne!(
            merged.uuid,
            uuid::Uuid::nil(),
            "an invalid uuid is replaced"
        );
    }

    #[test]
    fn bad_rewrites_are_errors() {
        let m = msg();
        assert!(
            m.clone()
                .merge_hook_json(Profile::PosthogPython, json!([1]))
                .is_err()
        );
        assert!(
            m.merge_hook_json(Profile::PosthogPython, json!({"properties": 3}))
                .is_err()
        );
    }

    #[test]
    fn units() {
        assert_eq!(
            TimeUnit::Millis.duration(1500.0),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            TimeUnit::Seconds.duration(0.5),
            Some(Duration::from_millis(500))
        );
        assert_eq!(TimeUnit::Seconds.duration(-1.0), None);
        assert!(Profile::parse("posthog-ruby").is_err());
        for p in [
            Profile::Core,
            Profile::PosthogPython,
            Profile::PosthogNode,
            Profile::Mobile,
        ] {
            assert_eq!(Profile::parse(p.name()).unwrap(), p);
        }
    }
}
