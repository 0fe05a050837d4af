//! The constructor's keyword arguments as the core's `ClientOptions`: callables become hooks
//! (the core's `hook_kind` says which name holds which), everything else goes to the core's
//! one options schema (`posthog_core::Options`) as JSON. No option is named here.

use crate::client::SDK_NAME;
use crate::convert::to_json;
use crate::hooks;
use posthog_core::options::{HookKind, hook_kind};
use posthog_core::{ClientOptions, Error, OverflowPolicy, Profile};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use serde_json::{Map, Value};

pub fn config_err(text: impl Into<String>) -> Error {
    Error::Config(text.into())
}

/// The core options and what the binding needs to know of them.
pub struct Built {
    pub options: ClientOptions,
    /// With `overflow="block"`, `capture` may wait for room.
    pub capture_may_block: bool,
    /// A Python `before_send` runs on the capturing thread (it needs the GIL).
    pub before_send: bool,
}

/// Builds the core options from the constructor's keyword arguments (`_profile` names the
/// compatibility profile, default `core`).
pub fn options(
    api_key: &Bound<'_, PyAny>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> Result<Built, Error> {
    let profile = match kwargs.and_then(|kw| kw.get_item("_profile").ok().flatten()) {
        Some(p) => Profile::parse(&p.extract::<String>().unwrap_or_default())?,
        None => Profile::Core,
    };
    let mut data = Map::new();
    let mut hooks_given: Vec<(HookKind, Bound<'_, PyAny>)> = Vec::new();
    if let Some(kw) = kwargs {
        for (k, v) in kw.iter() {
            let name = k.extract::<String>().unwrap_or_default();
            if name == "_profile" || v.is_none() {
                continue;
            }
            if let Some(kind) = hook_kind(profile, &name) {
                hooks_given.push((kind, v));
                continue;
            }
            // os.PathLike and enums: their text.
            let v = match v.call_method0("__fspath__") {
                Ok(p) => p,
                Err(_) => v,
            };
            let v = match v.getattr("value") {
                Ok(inner) if v.hasattr("name").unwrap_or(false) => inner,
                _ => v,
            };
            if v.is_instance_of::<pyo3::types::PyFloat>()
                && !v.extract::<f64>().is_ok_and(f64::is_finite)
            {
                return Err(config_err(format!("option {name} must be a finite number")));
            }
            let json = to_json(&v, &format!("option {name}"))
                .map_err(|e| config_err(format!("option {name}: {e}")))?;
            data.insert(name, json);
        }
    }
    let key = api_key
        .cast::<PyString>()
        .ok()
        .and_then(|s| s.to_cow().ok().map(|c| c.into_owned()))
        .ok_or_else(|| Error::InvalidKey("the project API key must be a str".into()))?;
    let mut o = posthog_core::Options::client_options(profile, key, Value::Object(data))?
        .sdk(SDK_NAME, env!("CARGO_PKG_VERSION"));
    let before_send = hooks_given
        .iter()
        .any(|(kind, _)| matches!(kind, HookKind::BeforeSend));
    for (kind, v) in hooks_given {
        o = match kind {
            HookKind::OnError => o.on_error(hooks::on_error(callable(&v, "on_error")?)),
            HookKind::OnErrorBatch => {
                o.on_error_batch(hooks::on_error_batch(callable(&v, "on_error")?))
            }
            HookKind::BeforeSend => {
                o.before_send_json(hooks::before_send(callable(&v, "before_send")?))
            }
            HookKind::Cipher => {
                let has = |name: &str| v.getattr(name).map(|m| m.is_callable()).unwrap_or(false);
                if !(has("seal") && has("open")) {
                    return Err(config_err(
                        "cipher must have seal(bytes) -> bytes and open(bytes) -> bytes methods",
                    ));
                }
                o.cipher(std::sync::Arc::new(hooks::Cipher(v.unbind())))
            }
            HookKind::FlagDefinitionCache => {
                o.flag_definition_cache(crate::flags::cache_provider(&v)?)
            }
        };
    }
    let capture_may_block = matches!(o.overflow_policy(), OverflowPolicy::Block(_));
    Ok(Built {
        options: o,
        capture_may_block,
        before_send,
    })
}

fn callable(v: &Bound<'_, PyAny>, name: &str) -> Result<Py<PyAny>, Error> {
    if v.is_callable() {
        Ok(v.clone().unbind())
    } else {
        Err(config_err(format!("{name} must be callable")))
    }
}
