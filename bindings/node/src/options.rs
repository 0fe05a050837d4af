//! Reads the JS options object (posthog-node 5.x names) into the core's `ClientOptions`.
//! Only types are checked here; every rule about values is the core's (`ClientOptions::resolve`).

use napi::bindgen_prelude::*;
use posthog_core::{AdminOptions, ClientOptions, Error as CoreError, Profile};
use std::time::Duration;

/// The core options for `key` from the JS options (posthog-node 5.x names, functions already
/// taken out by the JS layer) given as JSON text: read by the core's one options schema under
/// the posthog-node profile, which owns every name, default and rule.
pub fn client_options(
    key: String,
    options_json: Option<String>,
) -> std::result::Result<ClientOptions, CoreError> {
    let value = match options_json {
        None => serde_json::Value::Null,
        Some(text) => serde_json::from_str(&text)
            .map_err(|_| CoreError::Config("options must be JSON-serialisable".into()))?,
    };
    posthog_core::Options::client_options(Profile::PosthogNode, key, value)
}

/// Which hook a posthog-node option holds (`before_send`, `on_error`, `cipher`), if any.
#[napi]
pub fn option_hook_kind(name: String) -> Option<String> {
    use posthog_core::options::HookKind;
    posthog_core::options::hook_kind(Profile::PosthogNode, &name).map(|k| {
        match k {
            HookKind::BeforeSend => "before_send",
            HookKind::OnError | HookKind::OnErrorBatch => "on_error",
            HookKind::Cipher => "cipher",
            HookKind::FlagDefinitionCache => "flag_definition_cache",
        }
        .to_string()
    })
}

/// Why posthog-node's option `name` cannot be set to the value (JSON text), when it cannot.
#[napi]
pub fn unsupported_option(name: String, value_json: String) -> Option<String> {
    let value = serde_json::from_str(&value_json).unwrap_or(serde_json::Value::Bool(true));
    posthog_core::options::unsupported(Profile::PosthogNode, &name, &value).map(str::to_string)
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
