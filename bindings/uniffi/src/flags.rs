//! Feature flags on `PostHogClient`: the records and enum that cross the boundary, their
//! conversions, and the flag methods. Every rule (local first, `/flags` fallback, quota,
//! `$feature_flag_called`) is the core's; these methods convert and map errors only.
//!
//! The getters (`get_feature_flag`, `is_feature_enabled`, `get_feature_flag_payload`,
//! `get_all_flags*`) throw only for bad input (`InvalidInput`); a network or server problem
//! gives null (or the locally known flags) and goes to the error listener. `evaluate_flags` and
//! `reload_feature_flags` throw every error. All of them may block on a `/flags` or definitions
//! request (bounded by `featureFlagsRequestTimeoutMs` / `requestTimeoutMs`): call them off the
//! main thread.

use crate::client::PostHogClient;
use crate::convert::json_object;
use crate::error::PostHogError;
use posthog_core as core;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// A flag's value: on/off, or the key of the chosen variant of a multivariate flag.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FlagValue {
    /// A boolean flag's value (or `false` for a multivariate flag that did not match).
    Bool {
        /// On or off.
        value: bool,
    },
    /// The chosen variant.
    Variant {
        /// The variant's key.
        key: String,
    },
}

impl From<core::FlagValue> for FlagValue {
    fn from(v: core::FlagValue) -> Self {
        match v {
            core::FlagValue::Bool(value) => FlagValue::Bool { value },
            core::FlagValue::Variant(key) => FlagValue::Variant { key },
        }
    }
}

impl From<FlagValue> for core::FlagValue {
    fn from(v: FlagValue) -> Self {
        match v {
            FlagValue::Bool { value } => core::FlagValue::Bool(value),
            FlagValue::Variant { key } => core::FlagValue::Variant(key),
        }
    }
}

/// Options of one flag lookup; every field is optional. Maps are JSON objects as text.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct FlagOptions {
    /// Group type → group key, e.g. `{"company": "acme"}`.
    #[uniffi(default = None)]
    pub groups_json: Option<String>,
    /// Person properties for evaluation, e.g. `{"plan": "pro"}`.
    #[uniffi(default = None)]
    pub person_properties_json: Option<String>,
    /// Group type → that group's properties, e.g. `{"company": {"size": 40}}`.
    #[uniffi(default = None)]
    pub group_properties_json: Option<String>,
    /// Never ask the server: a flag local evaluation cannot decide gives null.
    #[uniffi(default = false)]
    pub only_evaluate_locally: bool,
    /// Ignore local definitions and ask the server.
    #[uniffi(default = false)]
    pub force_remote: bool,
    /// Overrides the client's `sendFeatureFlagEvents` for this lookup.
    #[uniffi(default = None)]
    pub send_feature_flag_events: Option<bool>,
    /// Overrides the client's `disableGeoip` for this lookup.
    #[uniffi(default = None)]
    pub disable_geoip: Option<bool>,
    /// The device id, for flags that bucket by device.
    #[uniffi(default = None)]
    pub device_id: Option<String>,
}

fn object(text: Option<&str>, what: &str) -> Result<Map<String, Value>, PostHogError> {
    match text {
        Some(t) => json_object(t, what).map_err(|m| core::Error::InvalidInput(m).into()),
        None => Ok(Map::new()),
    }
}

impl FlagOptions {
    pub(crate) fn into_core(self) -> Result<core::FlagOptions, PostHogError> {
        Ok(core::FlagOptions {
            groups: object(self.groups_json.as_deref(), "groups_json")?,
            person_properties: object(
                self.person_properties_json.as_deref(),
                "person_properties_json",
            )?,
            group_properties: object(
                self.group_properties_json.as_deref(),
                "group_properties_json",
            )?,
            disable_geoip: self.disable_geoip,
            only_evaluate_locally: self.only_evaluate_locally,
            force_remote: self.force_remote,
            send_feature_flag_events: self.send_feature_flag_events,
            device_id: self.device_id,
        })
    }
}

fn opts(o: Option<FlagOptions>) -> Result<core::FlagOptions, PostHogError> {
    o.unwrap_or_default().into_core()
}

/// One flag's value and where it came from.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FlagResult {
    /// The value.
    pub value: FlagValue,
    /// The payload for this value as JSON text, when the flag has one.
    #[uniffi(default = None)]
    pub payload_json: Option<String>,
    /// Evaluated from local definitions (no request).
    #[uniffi(default = false)]
    pub locally_evaluated: bool,
    /// PostHog's reason code (`condition_match`, …), when known.
    #[uniffi(default = None)]
    pub reason: Option<String>,
    /// The flag's id, when known.
    #[uniffi(default = None)]
    pub id: Option<i64>,
    /// The flag's version, when known.
    #[uniffi(default = None)]
    pub version: Option<i64>,
    /// The `/flags` request id, for remote results.
    #[uniffi(default = None)]
    pub request_id: Option<String>,
}

impl From<core::FlagResult> for FlagResult {
    fn from(r: core::FlagResult) -> Self {
        FlagResult {
            value: r.value.into(),
            payload_json: r.payload.map(|p| p.to_string()),
            locally_evaluated: r.locally_evaluated,
            reason: r.reason,
            id: r.id,
            version: r.version,
            request_id: r.request_id,
        }
    }
}

/// Every evaluated flag of one distinct id, taken at one moment (`evaluateFlags`). Pass it to
/// `CaptureEvent.flags` to attach the same values to events.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FlagsSnapshot {
    /// Whom the flags were evaluated for.
    pub distinct_id: String,
    /// Decided flags by key.
    pub flags: HashMap<String, FlagResult>,
    /// Flags that could not be decided → the reason (`missing_context`, `not_in_answer`, …).
    #[uniffi(default)]
    pub unresolved: HashMap<String, String>,
    /// The `/flags` request id when the server was asked.
    #[uniffi(default = None)]
    pub request_id: Option<String>,
}

impl From<core::FlagsSnapshot> for FlagsSnapshot {
    fn from(s: core::FlagsSnapshot) -> Self {
        FlagsSnapshot {
            distinct_id: s.distinct_id,
            flags: s.flags.into_iter().map(|(k, f)| (k, f.into())).collect(),
            unresolved: s.unresolved.into_iter().collect(),
            request_id: s.request_id,
        }
    }
}

impl FlagsSnapshot {
    /// Back to the core's snapshot (for `Event::flags`); an unreadable payload is bad input.
    pub(crate) fn into_core(self) -> Result<core::FlagsSnapshot, String> {
        let mut flags = std::collections::BTreeMap::new();
        for (k, f) in self.flags {
            let payload = match f.payload_json {
                Some(t) => Some(
                    serde_json::from_str::<Value>(&t)
                        .map_err(|_| format!("flags: the payload of {k:?} is not valid JSON"))?,
                ),
                None => None,
            };
            flags.insert(
                k,
                core::FlagResult {
                    value: f.value.into(),
                    payload,
                    locally_evaluated: f.locally_evaluated,
                    reason: f.reason,
                    reason_description: None,
                    id: f.id,
                    version: f.version,
                    request_id: f.request_id,
                },
            );
        }
        Ok(core::FlagsSnapshot {
            distinct_id: self.distinct_id,
            flags,
            unresolved: self.unresolved.into_iter().collect(),
            request_id: self.request_id,
        })
    }
}

/// Every known flag value and every payload (`getAllFlagsAndPayloads`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FlagsAndPayloads {
    /// Flag key → value.
    pub flags: HashMap<String, FlagValue>,
    /// Flag key → payload as JSON text (flags with a payload only).
    pub payloads_json: HashMap<String, String>,
}

#[uniffi::export]
impl PostHogClient {
    /// The flag's value for `distinct_id`, or null when unknown or unavailable. Local when the
    /// definitions decide it, else one `/flags` request (unless `onlyEvaluateLocally`).
    /// Captures `$feature_flag_called` once per (user, flag, value). Blocks: call off the main
    /// thread. Throws only `InvalidInput`.
    #[uniffi::method(default(options = None))]
    pub fn get_feature_flag(
        &self,
        key: String,
        distinct_id: String,
        options: Option<FlagOptions>,
    ) -> Result<Option<FlagValue>, PostHogError> {
        Ok(self
            .inner
            .get_feature_flag(&key, &distinct_id, &opts(options)?)?
            .map(Into::into))
    }

    /// Whether the flag is on (`true` or any variant), or null when unknown or unavailable.
    /// As `getFeatureFlag`.
    #[uniffi::method(default(options = None))]
    pub fn is_feature_enabled(
        &self,
        key: String,
        distinct_id: String,
        options: Option<FlagOptions>,
    ) -> Result<Option<bool>, PostHogError> {
        Ok(self
            .inner
            .is_feature_enabled(&key, &distinct_id, &opts(options)?)?)
    }

    /// The payload of the flag's current value as JSON text, or null. Captures no event.
    #[uniffi::method(default(options = None))]
    pub fn get_feature_flag_payload(
        &self,
        key: String,
        distinct_id: String,
        options: Option<FlagOptions>,
    ) -> Result<Option<String>, PostHogError> {
        Ok(self
            .inner
            .get_feature_flag_payload(&key, &distinct_id, &opts(options)?)?
            .map(|p| p.to_string()))
    }

    /// The flag's value with its payload and metadata, or null. As `getFeatureFlag`.
    #[uniffi::method(default(options = None))]
    pub fn get_feature_flag_result(
        &self,
        key: String,
        distinct_id: String,
        options: Option<FlagOptions>,
    ) -> Result<Option<FlagResult>, PostHogError> {
        Ok(self
            .inner
            .get_feature_flag_result(&key, &distinct_id, &opts(options)?)?
            .map(Into::into))
    }

    /// Every known flag value; on a network or server failure, the locally decided ones (the
    /// failure goes to the error listener). Throws only `InvalidInput`.
    #[uniffi::method(default(options = None))]
    pub fn get_all_flags(
        &self,
        distinct_id: String,
        options: Option<FlagOptions>,
    ) -> Result<HashMap<String, FlagValue>, PostHogError> {
        Ok(self
            .inner
            .get_all_flags(&distinct_id, &opts(options)?)?
            .into_iter()
            .map(|(k, v)| (k, v.into()))
            .collect())
    }

    /// Every known flag value and payload, as `getAllFlags`.
    #[uniffi::method(default(options = None))]
    pub fn get_all_flags_and_payloads(
        &self,
        distinct_id: String,
        options: Option<FlagOptions>,
    ) -> Result<FlagsAndPayloads, PostHogError> {
        let (flags, payloads) = self
            .inner
            .get_all_flags_and_payloads(&distinct_id, &opts(options)?)?;
        Ok(FlagsAndPayloads {
            flags: flags.into_iter().map(|(k, v)| (k, v.into())).collect(),
            payloads_json: payloads
                .into_iter()
                .map(|(k, p)| (k, p.to_string()))
                .collect(),
        })
    }

    /// Every flag (or only `keys`) for one distinct id in one snapshot: local first, one
    /// `/flags` request for what local evaluation could not decide. Throws every error
    /// (`QuotaLimited`, `Timeout`, `Transport`, …). Captures no event.
    #[uniffi::method(default(options = None, keys = None))]
    pub fn evaluate_flags(
        &self,
        distinct_id: String,
        options: Option<FlagOptions>,
        keys: Option<Vec<String>>,
    ) -> Result<FlagsSnapshot, PostHogError> {
        Ok(self
            .inner
            .evaluate_flags(&distinct_id, &opts(options)?, keys.as_deref())?
            .into())
    }

    /// Fetches the flag definitions now and waits for them (needs the personal key, else
    /// `Config`). Throws every error.
    pub fn reload_feature_flags(&self) -> Result<(), PostHogError> {
        Ok(self.inner.reload_feature_flags()?)
    }
}
