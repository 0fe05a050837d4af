//! The constructor's keyword arguments as the core's `ClientOptions`. Only conversion and
//! type checks here: the core validates the values (`ClientOptions::resolve`).

use crate::client::SDK_NAME;
use crate::convert::to_map;
use crate::hooks;
use posthog_core::{ClientOptions, Error, OverflowPolicy, Protocol};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::time::Duration;

/// Every keyword the native constructor accepts (`None` means the core's default).
const NAMES: [&str; 26] = [
    "host",
    "flush_at",
    "flush_interval",
    "max_queue_size",
    "max_queue_bytes",
    "max_batch_bytes",
    "max_event_bytes",
    "max_retries",
    "timeout",
    "gzip",
    "max_in_flight",
    "overflow",
    "block_timeout",
    "protocol",
    "disable_geoip",
    "historical_migration",
    "disabled",
    "super_properties",
    "on_error",
    "before_send",
    "personal_api_key",
    "poll_interval",
    "feature_flags_request_timeout_seconds",
    "send_feature_flag_events",
    "storage_dir",
    "cipher",
];

pub fn config_err(text: impl Into<String>) -> Error {
    Error::Config(text.into())
}

fn number<'py, T: FromPyObjectOwned<'py>>(
    value: Option<&Bound<'py, PyAny>>,
    name: &str,
    what: &str,
) -> Result<Option<T>, Error> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => v
            .extract::<T>()
            .map(Some)
            .map_err(|_| config_err(format!("{name} must be {what}"))),
    }
}

fn seconds(value: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Option<Duration>, Error> {
    let Some(secs) = number::<f64>(value, name, "a number of seconds")? else {
        return Ok(None);
    };
    Duration::try_from_secs_f64(secs).map(Some).map_err(|_| {
        config_err(format!(
            "{name} must be a finite, non-negative number of seconds"
        ))
    })
}

fn flag(value: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Option<bool>, Error> {
    number::<bool>(value, name, "a bool")
}

fn choice(value: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Option<String>, Error> {
    number::<String>(value, name, "a str")
}

fn callable(value: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Option<Py<PyAny>>, Error> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) if v.is_callable() => Ok(Some(v.clone().unbind())),
        Some(_) => Err(config_err(format!("{name} must be callable"))),
    }
}

/// Builds the core options from the constructor's keyword arguments; also says whether
/// `capture` may block (`overflow="block"`).
pub fn options(
    api_key: &Bound<'_, PyAny>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> Result<(ClientOptions, bool), Error> {
    if let Some(kw) = kwargs {
        for k in kw.keys() {
            let name = k.extract::<String>().unwrap_or_default();
            if !NAMES.contains(&name.as_str()) {
                return Err(config_err(format!("unknown option {name:?}")));
            }
        }
    }
    let arg = |name: &str| -> Option<Bound<'_, PyAny>> {
        kwargs
            .and_then(|kw| kw.get_item(name).ok().flatten())
            .filter(|v| !v.is_none())
    };
    let host = arg("host");
    let flush_at = arg("flush_at");
    let flush_interval = arg("flush_interval");
    let max_queue_size = arg("max_queue_size");
    let max_queue_bytes = arg("max_queue_bytes");
    let max_batch_bytes = arg("max_batch_bytes");
    let max_event_bytes = arg("max_event_bytes");
    let max_retries = arg("max_retries");
    let timeout = arg("timeout");
    let gzip = arg("gzip");
    let max_in_flight = arg("max_in_flight");
    let overflow = arg("overflow");
    let block_timeout = arg("block_timeout");
    let protocol = arg("protocol");
    let disable_geoip = arg("disable_geoip");
    let historical_migration = arg("historical_migration");
    let disabled = arg("disabled");
    let super_properties = arg("super_properties");
    let on_error = arg("on_error");
    let before_send = arg("before_send");
    let personal_api_key = arg("personal_api_key");
    let poll_interval = arg("poll_interval");
    let flags_timeout = arg("feature_flags_request_timeout_seconds");
    let send_feature_flag_events = arg("send_feature_flag_events");
    let storage_dir = arg("storage_dir");
    let cipher = arg("cipher");

    let key = api_key
        .cast::<PyString>()
        .ok()
        .and_then(|s| s.to_cow().ok().map(|c| c.into_owned()))
        .ok_or_else(|| Error::InvalidKey("the project API key must be a str".into()))?;
    let mut o = ClientOptions::new(key).sdk(SDK_NAME, env!("CARGO_PKG_VERSION"));
    if let Some(dir) = storage_dir {
        let dir: String = dir
            .extract()
            .map_err(|_| config_err("storage_dir must be a path (str or os.PathLike)"))?;
        o = o.storage_dir(dir);
    }
    if let Some(c) = cipher.filter(|c| !c.is_none()) {
        let callable = |name: &str| c.getattr(name).map(|m| m.is_callable()).unwrap_or(false);
        if !(callable("seal") && callable("open")) {
            return Err(config_err(
                "cipher must have seal(bytes) -> bytes and open(bytes) -> bytes methods",
            ));
        }
        o = o.cipher(std::sync::Arc::new(hooks::Cipher(c.unbind())));
    }
    if let Some(v) = choice(host.as_ref(), "host")? {
        o = o.host(v);
    }
    if let Some(v) = number::<usize>(flush_at.as_ref(), "flush_at", "a positive int")? {
        o = o.flush_at(v);
    }
    if let Some(v) = seconds(flush_interval.as_ref(), "flush_interval")? {
        o = o.flush_interval(v);
    }
    if let Some(v) = number::<usize>(max_queue_size.as_ref(), "max_queue_size", "a positive int")? {
        o = o.max_queue_size(v);
    }
    if let Some(v) = number::<usize>(
        max_queue_bytes.as_ref(),
        "max_queue_bytes",
        "a positive int",
    )? {
        o = o.max_queue_bytes(v);
    }
    if let Some(v) = number::<usize>(
        max_batch_bytes.as_ref(),
        "max_batch_bytes",
        "a positive int",
    )? {
        o = o.max_batch_bytes(v);
    }
    if let Some(v) = number::<usize>(
        max_event_bytes.as_ref(),
        "max_event_bytes",
        "a positive int",
    )? {
        o = o.max_event_bytes(v);
    }
    if let Some(v) = number::<u32>(max_retries.as_ref(), "max_retries", "a non-negative int")? {
        o = o.max_retries(v);
    }
    if let Some(v) = seconds(timeout.as_ref(), "timeout")? {
        o = o.request_timeout(v);
    }
    if let Some(v) = flag(gzip.as_ref(), "gzip")? {
        o = o.gzip(v);
    }
    if let Some(v) = number::<usize>(max_in_flight.as_ref(), "max_in_flight", "a positive int")? {
        o = o.max_in_flight(v);
    }
    let block_timeout = seconds(block_timeout.as_ref(), "block_timeout")?;
    let policy = match (
        choice(overflow.as_ref(), "overflow")?.as_deref(),
        block_timeout,
    ) {
        (None | Some("drop_newest"), None) => OverflowPolicy::DropNewest,
        (Some("drop_oldest"), None) => OverflowPolicy::DropOldest,
        (Some("block"), Some(d)) => OverflowPolicy::Block(d),
        (Some("block"), None) => {
            return Err(config_err(
                "overflow=\"block\" needs block_timeout (seconds)",
            ));
        }
        (None | Some("drop_newest" | "drop_oldest"), Some(_)) => {
            return Err(config_err(
                "block_timeout only applies to overflow=\"block\"",
            ));
        }
        (Some(_), _) => {
            return Err(config_err(
                "overflow must be \"drop_newest\", \"drop_oldest\" or \"block\"",
            ));
        }
    };
    let may_block = matches!(policy, OverflowPolicy::Block(_));
    o = o.overflow(policy);
    match choice(protocol.as_ref(), "protocol")?.as_deref() {
        None => {}
        Some("v0") => o = o.protocol(Protocol::V0),
        Some("v1") => o = o.protocol(Protocol::V1),
        Some(_) => return Err(config_err("protocol must be \"v0\" or \"v1\"")),
    }
    if let Some(v) = flag(disable_geoip.as_ref(), "disable_geoip")? {
        o = o.disable_geoip(v);
    }
    if let Some(v) = flag(historical_migration.as_ref(), "historical_migration")? {
        o = o.historical_migration(v);
    }
    if let Some(v) = flag(disabled.as_ref(), "disabled")? {
        o = o.disabled(v);
    }
    if let Some(sp) = super_properties {
        o = o.super_properties(to_map(Some(&sp), "super_properties").map_err(config_err)?);
    }
    if let Some(cb) = callable(on_error.as_ref(), "on_error")? {
        o = o.on_error(hooks::on_error(cb));
    }
    if let Some(cb) = callable(before_send.as_ref(), "before_send")? {
        o = o.before_send(hooks::before_send(cb));
    }
    if let Some(v) = personal_api_key {
        let key = v
            .cast::<PyString>()
            .ok()
            .and_then(|s| s.to_cow().ok().map(|c| c.into_owned()))
            .ok_or_else(|| Error::InvalidKey("personal_api_key must be a str".into()))?;
        o = o.personal_api_key(key);
    }
    if let Some(v) = seconds(poll_interval.as_ref(), "poll_interval")? {
        o = o.poll_interval(v);
    }
    if let Some(v) = seconds(
        flags_timeout.as_ref(),
        "feature_flags_request_timeout_seconds",
    )? {
        o = o.feature_flags_request_timeout(v);
    }
    if let Some(v) = flag(
        send_feature_flag_events.as_ref(),
        "send_feature_flag_events",
    )? {
        o = o.send_feature_flag_events(v);
    }
    Ok((o, may_block))
}
