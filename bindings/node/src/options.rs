//! Reads the JS options object (posthog-node 5.x names) into the core's `ClientOptions`.
//! Only types are checked here; every rule about values is the core's (`ClientOptions::resolve`).

use napi::bindgen_prelude::*;
use posthog_core::{AdminOptions, ClientOptions, Error as CoreError, OverflowPolicy, Protocol};
use std::time::Duration;

/// Applies every option set in `opts` (an object, `undefined` or `null`) to `base`.
pub fn apply(
    base: ClientOptions,
    opts: Option<Unknown>,
) -> std::result::Result<ClientOptions, CoreError> {
    let Some(opts) = opts else { return Ok(base) };
    let obj = match opts.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => return Ok(base),
        Ok(ValueType::Object) => {
            Object::from_unknown(opts).map_err(|_| bad("options", "an object"))?
        }
        _ => return Err(bad("options", "an object")),
    };
    let r = Reader(&obj);
    let mut o = base;
    if let Some(v) = r.string("host")? {
        o = o.host(v);
    }
    if let Some(v) = r.count("flushAt")? {
        o = o.flush_at(v);
    }
    if let Some(v) = r.millis("flushInterval")? {
        o = o.flush_interval(v);
    }
    if let Some(v) = r.count("maxQueueSize")? {
        o = o.max_queue_size(v);
    }
    if let Some(v) = r.count("maxQueueBytes")? {
        o = o.max_queue_bytes(v);
    }
    if let Some(v) = r.count("maxBatchBytes")? {
        o = o.max_batch_bytes(v);
    }
    if let Some(v) = r.count("maxEventBytes")? {
        o = o.max_event_bytes(v);
    }
    if let Some(v) = r.count("maxRetries")? {
        o = o.max_retries(
            u32::try_from(v).map_err(|_| bad("maxRetries", "a whole number below 2^32"))?,
        );
    }
    if let Some(v) = r.millis("requestTimeout")? {
        o = o.request_timeout(v);
    }
    if let Some(v) = r.bool("gzip")? {
        o = o.gzip(v);
    }
    if let Some(v) = r.count("maxInFlight")? {
        o = o.max_in_flight(v);
    }
    if let Some(dir) = r.string("storageDir")? {
        o = o.storage_dir(dir);
    }
    if let Some(v) = r.bool("disableGeoip")? {
        o = o.disable_geoip(v);
    }
    if let Some(v) = r.bool("historicalMigration")? {
        o = o.historical_migration(v);
    }
    if let Some(v) = r.bool("disabled")? {
        o = o.disabled(v);
    }
    if let Some(v) = r.json_object("superProperties")? {
        o = o.super_properties(v);
    }
    if let Some(v) = r.string("protocol")? {
        o = o.protocol(match v.as_str() {
            "v0" => Protocol::V0,
            "v1" => Protocol::V1,
            _ => return Err(bad("protocol", "'v0' or 'v1'")),
        });
    }
    if let Some(v) = r.string("personalApiKey")? {
        o = o.personal_api_key(v);
    }
    if let Some(v) = r.millis("featureFlagsPollingInterval")? {
        o = o.poll_interval(v);
    }
    if let Some(v) = r.millis("featureFlagsRequestTimeoutMs")? {
        o = o.feature_flags_request_timeout(v);
    }
    if let Some(v) = r.bool("sendFeatureFlagEvent")? {
        o = o.send_feature_flag_events(v);
    }
    let block = r.millis("blockTimeout")?;
    if let Some(v) = r.string("overflow")? {
        o = o.overflow(match (v.as_str(), block) {
            ("drop_newest", _) => OverflowPolicy::DropNewest,
            ("drop_oldest", _) => OverflowPolicy::DropOldest,
            ("block", Some(limit)) => OverflowPolicy::Block(limit),
            ("block", None) => {
                return Err(CoreError::Config(
                    "option overflow: 'block' needs blockTimeout (ms)".into(),
                ));
            }
            _ => return Err(bad("overflow", "'drop_newest', 'drop_oldest' or 'block'")),
        });
    }
    Ok(o)
}

fn bad(name: &str, what: &str) -> CoreError {
    CoreError::Config(format!("option {name} must be {what}"))
}

/// Typed reads of optional fields; `undefined` and `null` mean "not set".
struct Reader<'a, 'env>(&'a Object<'env>);

impl Reader<'_, '_> {
    fn field(&self, name: &str) -> std::result::Result<Option<Unknown<'_>>, CoreError> {
        let v: Option<Unknown> = self.0.get(name).map_err(|_| bad(name, "readable"))?;
        Ok(v.filter(|v| !matches!(v.get_type(), Ok(ValueType::Null | ValueType::Undefined))))
    }
    fn string(&self, name: &str) -> std::result::Result<Option<String>, CoreError> {
        let Some(v) = self.field(name)? else {
            return Ok(None);
        };
        if !matches!(v.get_type(), Ok(ValueType::String)) {
            return Err(bad(name, "a string"));
        }
        let s: String = String::from_unknown(v).map_err(|_| bad(name, "a string"))?;
        Ok(Some(s))
    }
    fn bool(&self, name: &str) -> std::result::Result<Option<bool>, CoreError> {
        let Some(v) = self.field(name)? else {
            return Ok(None);
        };
        if !matches!(v.get_type(), Ok(ValueType::Boolean)) {
            return Err(bad(name, "a boolean"));
        }
        bool::from_unknown(v)
            .map(Some)
            .map_err(|_| bad(name, "a boolean"))
    }
    fn number(&self, name: &str) -> std::result::Result<Option<f64>, CoreError> {
        let Some(v) = self.field(name)? else {
            return Ok(None);
        };
        if !matches!(v.get_type(), Ok(ValueType::Number)) {
            return Err(bad(name, "a number"));
        }
        let n = f64::from_unknown(v).map_err(|_| bad(name, "a number"))?;
        if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > 9.0e15 {
            return Err(bad(name, "a whole number, 0 or more"));
        }
        Ok(Some(n))
    }
    /// A count (sizes, event numbers).
    fn count(&self, name: &str) -> std::result::Result<Option<usize>, CoreError> {
        Ok(self.number(name)?.map(|n| n as usize))
    }
    /// A duration in milliseconds, as posthog-node gives them.
    fn millis(&self, name: &str) -> std::result::Result<Option<Duration>, CoreError> {
        Ok(self.number(name)?.map(|n| Duration::from_millis(n as u64)))
    }
    /// A JSON object given as its text by the JS layer.
    fn json_object(
        &self,
        name: &str,
    ) -> std::result::Result<Option<serde_json::Map<String, serde_json::Value>>, CoreError> {
        let Some(text) = self.string(name)? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|_| bad(name, "a JSON-serialisable object"))
    }
}

/// Reads the `AdminClient` options (`personalApiKey`, `host`, `timeoutMs`, `maxRetries`,
/// `maxConcurrency`, `retryWrites`) into the core's `AdminOptions`. Without `personalApiKey`
/// the core's `AdminOptions::from_env` reads the environment.
pub fn admin(opts: Option<Unknown>) -> std::result::Result<AdminOptions, CoreError> {
    let obj = match opts {
        None => None,
        Some(o) => match o.get_type() {
            Ok(ValueType::Undefined | ValueType::Null) => None,
            Ok(ValueType::Object) => {
                Some(Object::from_unknown(o).map_err(|_| bad("options", "an object"))?)
            }
            _ => return Err(bad("options", "an object")),
        },
    };
    let Some(obj) = obj else {
        return AdminOptions::from_env();
    };
    let r = Reader(&obj);
    let mut o = match r.field("personalApiKey")? {
        None => AdminOptions::from_env()?,
        Some(v) if matches!(v.get_type(), Ok(ValueType::String)) => AdminOptions::new(
            String::from_unknown(v)
                .map_err(|_| CoreError::InvalidKey("the personal API key cannot be read".into()))?,
        ),
        Some(_) => {
            return Err(CoreError::InvalidKey(
                "personalApiKey must be a string".into(),
            ));
        }
    };
    if let Some(v) = r.string("host")? {
        o = o.host(v);
    }
    if let Some(v) = r.millis("timeoutMs")? {
        o = o.timeout(v);
    }
    if let Some(v) = r.count("maxRetries")? {
        o = o.max_retries(
            u32::try_from(v).map_err(|_| bad("maxRetries", "a whole number below 2^32"))?,
        );
    }
    if let Some(v) = r.count("maxConcurrency")? {
        o = o.max_concurrency(v);
    }
    if let Some(v) = r.bool("retryWrites")? {
        o = o.retry_writes(v);
    }
    Ok(o)
}
