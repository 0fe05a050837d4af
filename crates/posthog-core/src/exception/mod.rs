//! Error tracking: the `$exception` event. A binding describes an exception as data (its type,
//! message, frames or a V8 stack text, and its causes) in an [`ExceptionInput`]; the core turns
//! that into `$exception_list` exactly as the official SDK of the client's [`Profile`] sends it:
//! exception ids and the `mechanism` of each entry, frame fields, in-app rules, source context
//! lines and `$exception_level`.
//!
//! ```
//! use posthog_core::exception::{ExceptionInput, ExceptionOptions, exception_properties};
//! use posthog_core::Profile;
//!
//! let input: ExceptionInput = serde_json::from_value(serde_json::json!({
//!     "type": "TypeError",
//!     "value": "bad input",
//!     "stack": "TypeError: bad input\n    at parse (/srv/app/parse.js:3:9)",
//! }))?;
//! let props = exception_properties(Profile::PosthogNode, &input, &ExceptionOptions::default(),
//!     serde_json::Map::new());
//! assert_eq!(props["$exception_list"][0]["stacktrace"]["frames"][0]["function"], "parse");
//! assert_eq!(props["$exception_level"], "error");
//! # Ok::<(), serde_json::Error>(())
//! ```

mod capture;
pub mod coerce;
mod frames;
pub mod node_limits;
pub mod rate_limit;
mod v8;
pub mod variables;

use crate::profile::Profile;
use serde::Deserialize;
use serde_json::{Map, Value, json};

pub use coerce::Thrown;
pub use v8::parse_v8_stack;

/// Most entries of one `$exception_list` (the official SDKs' bound).
pub const MAX_EXCEPTIONS: usize = 50;

/// One exception as a binding describes it. Every field is optional, so a binding passes what
/// its language knows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionInput {
    /// The exception's type (`ValueError`, `TypeError`, `java.io.IOException`).
    #[serde(rename = "type", default)]
    pub type_name: Option<String>,
    /// Its message.
    #[serde(default)]
    pub value: Option<String>,
    /// The module that defines the type (Python's `__module__`); `builtins` means none.
    #[serde(default)]
    pub module: Option<String>,
    /// A V8 stack text (`error.stack`), parsed by the core.
    #[serde(default)]
    pub stack: Option<String>,
    /// Lines of `stack` that are not frames of the error (a synthetic stack's own frames).
    #[serde(default)]
    pub skip_stack_lines: usize,
    /// Frames in the order the platform reports them (Python's traceback: outermost first;
    /// JVM and Swift: innermost first).
    #[serde(default)]
    pub frames: Option<Vec<FrameInput>>,
    /// The stack was made by the SDK, not by a raise/throw (e.g. a string was captured).
    #[serde(default)]
    pub synthetic: Option<bool>,
    /// Extra `mechanism.meta` (Python: `{"errno": {"number": 2}}`).
    #[serde(default)]
    pub meta: Option<Value>,
    /// An exception group / `AggregateError`.
    #[serde(default)]
    pub exception_group: bool,
    /// What caused it.
    #[serde(default)]
    pub cause: Option<Box<ExceptionInput>>,
    /// How `cause` relates: `cause` (explicit) or `context` (Python's implicit chaining).
    #[serde(default)]
    pub cause_source: Option<String>,
    /// Members of an exception group.
    #[serde(default)]
    pub members: Vec<ExceptionInput>,
    /// A thrown value that is not an exception (a string, a plain object…): the core words
    /// its type and value as posthog-node does (see [`coerce`]); `stack` is then the
    /// binding's synthetic one.
    #[serde(default)]
    pub thrown: Option<Thrown>,
}

/// One stack frame as a binding knows it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameInput {
    /// Absolute path of the source file.
    #[serde(default)]
    pub abs_path: Option<String>,
    /// The file name to show (Python: relative to the package); from `abs_path` when absent.
    #[serde(default)]
    pub filename: Option<String>,
    /// The function (method) name.
    #[serde(default)]
    pub function: Option<String>,
    /// The module (Python `__name__`, JVM class name).
    #[serde(default)]
    pub module: Option<String>,
    /// 1-based line.
    #[serde(default)]
    pub lineno: Option<u64>,
    /// 1-based column.
    #[serde(default)]
    pub colno: Option<u64>,
    /// Whether the frame is the application's own code; the core decides when absent.
    #[serde(default)]
    pub in_app: Option<bool>,
    /// The frame's platform (`python`, `java`, `swift`); the profile's when absent.
    #[serde(default)]
    pub platform: Option<String>,
    /// The source lines of the file, when the binding has them (Python's `linecache`);
    /// otherwise the core reads `abs_path`.
    #[serde(default)]
    pub source: Option<Vec<String>>,
    /// Local variables as `[name, value]` pairs in the binding's own rendering, before
    /// masking (see [`variables`]).
    #[serde(default)]
    pub vars: Option<Vec<(String, Value)>>,
}

/// The `mechanism` a capture reports for the first exception: how it was caught.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MechanismInput {
    /// `generic` (an explicit capture), `onuncaughtexception`, `excepthook`, …
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Whether the application handled the exception.
    #[serde(default)]
    pub handled: Option<bool>,
    /// Whether the stack was made by the SDK.
    #[serde(default)]
    pub synthetic: Option<bool>,
}

/// How an exception is turned into properties, beyond the profile's rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExceptionOptions {
    /// The mechanism of the first exception (autocapture passes `handled: false`).
    pub mechanism: Option<MechanismInput>,
    /// `$exception_level` (`fatal`, `error`, `warning`, `log`, `info`, `debug`, and the
    /// aliases posthog-python accepts); `error` when absent or unknown.
    pub level: Option<String>,
    /// `$exception_source`, when given.
    pub source: Option<String>,
    /// Frames under this path are in-app (posthog-python's `project_root`).
    pub project_root: Option<String>,
    /// Module prefixes that are in-app (posthog-python's `in_app_modules`).
    pub in_app_include: Vec<String>,
    /// Module prefixes that are not in-app.
    pub in_app_exclude: Vec<String>,
    /// The working directory: V8 file names are shown relative to it (posthog-node).
    pub cwd: Option<String>,
    /// The directory module names are relative to (posthog-node: the main script's).
    pub module_base: Option<String>,
    /// Add source context lines (read from the files when the binding gave none).
    pub context_lines: bool,
    /// Code variables: attach masked local variables to frames that carry them.
    pub code_variables: Option<variables::VariablesConfig>,
}

impl Default for ExceptionOptions {
    fn default() -> Self {
        ExceptionOptions {
            mechanism: None,
            level: None,
            source: None,
            project_root: None,
            in_app_include: Vec::new(),
            in_app_exclude: Vec::new(),
            cwd: None,
            module_base: None,
            context_lines: true,
            code_variables: None,
        }
    }
}

/// Which official SDK's `$exception_list` a profile writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// posthog-python 7.x: `module` on every entry, frames with `abs_path` and always the
    /// three context keys, 5 lines of context.
    Python,
    /// posthog-node 5.x: V8 frames with `colno` and `in_app`, 7 lines of context.
    Node,
    /// The mobile SDKs and the core: frames as given, innermost first from the platform.
    Native,
}

impl Shape {
    fn of(profile: Profile) -> Shape {
        match profile {
            Profile::PosthogPython => Shape::Python,
            Profile::PosthogNode => Shape::Node,
            Profile::Core | Profile::Mobile => Shape::Native,
        }
    }
}

/// The reserved properties of an `$exception` event (posthog-python warns when a caller's
/// properties override them).
pub const RESERVED_PROPERTIES: &[&str] = &[
    "$exception_list",
    "$exception_level",
    "$exception_source",
    "$debug_images",
    "$exception_handled",
    "$exception_types",
    "$exception_values",
    "$exception_sources",
    "$exception_functions",
    "$exception_fingerprint_version",
    "$exception_fingerprint_record",
    "$exception_issue_id",
    "$exception_release",
    "$cymbal_errors",
];

/// `$exception_level` for a level name: posthog-python's table (`critical` → `fatal`,
/// `warn` → `warning`, `notice` → `info`, `trace` → `debug`, …); `None` for an unknown name.
pub fn normalize_level(level: &str) -> Option<&'static str> {
    Some(match level.to_ascii_lowercase().as_str() {
        "fatal" | "critical" | "alert" | "emergency" => "fatal",
        "error" => "error",
        "warning" | "warn" => "warning",
        "log" => "log",
        "notice" | "info" => "info",
        "trace" | "debug" => "debug",
        _ => return None,
    })
}

/// The properties of an `$exception` event: `$exception_list`, `$exception_level`,
/// `$exception_source` when given, then `caller` (the capture's own properties, which win, as
/// in both official SDKs).
pub fn exception_properties(
    profile: Profile,
    input: &ExceptionInput,
    options: &ExceptionOptions,
    caller: Map<String, Value>,
) -> Map<String, Value> {
    let mut props = Map::new();
    props.insert(
        "$exception_list".into(),
        Value::Array(exception_list(profile, input, options)),
    );
    let level = options
        .level
        .as_deref()
        .and_then(normalize_level)
        .unwrap_or("error");
    props.insert("$exception_level".into(), Value::from(level));
    if let Some(source) = options.source.as_deref().filter(|s| !s.is_empty()) {
        props.insert("$exception_source".into(), Value::from(source));
    }
    props.extend(caller);
    props
}

/// `$exception_list` alone: the exception, then its causes and group members depth-first
/// (the caught exception first, the root cause last), at most [`MAX_EXCEPTIONS`] entries.
pub fn exception_list(
    profile: Profile,
    input: &ExceptionInput,
    options: &ExceptionOptions,
) -> Vec<Value> {
    let shape = Shape::of(profile);
    let mut out = Vec::new();
    let mut files = frames::SourceFiles::default();
    append(shape, input, None, options, &mut files, &mut out);
    if shape == Shape::Python
        && let Some(config) = &options.code_variables
    {
        attach_python_variables(config, input, &mut out);
    }
    out
}

/// posthog-python's `attach_code_variables_to_frames`: for every entry, its `i`-th frame,
/// when in-app, gets the masked locals of the `i`-th frame of the captured exception's own
/// traceback (the official pairs every entry's frames with that one traceback), all within
/// one size budget.
fn attach_python_variables(
    config: &variables::VariablesConfig,
    input: &ExceptionInput,
    out: &mut [Value],
) {
    let Some(frames) = &input.frames else { return };
    let skip = frames.len().saturating_sub(frames::MAX_FRAMES);
    let top: Vec<Option<&Vec<(String, Value)>>> =
        frames.iter().skip(skip).map(|f| f.vars.as_ref()).collect();
    if top.iter().all(Option::is_none) {
        return;
    }
    let mut masker = variables::Masker::new(config);
    for entry in out.iter_mut() {
        let Some(list) = entry
            .pointer_mut("/stacktrace/frames")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for (frame, vars) in list.iter_mut().zip(top.iter()) {
            let Some(frame) = frame.as_object_mut() else {
                continue;
            };
            if frame.get("in_app") != Some(&Value::Bool(true)) {
                continue;
            }
            let Some(vars) = vars else { continue };
            let masked = masker.frame(vars);
            if !masked.is_empty() {
                frame.insert("code_variables".into(), Value::Object(masked));
            }
        }
    }
}

fn append(
    shape: Shape,
    exc: &ExceptionInput,
    link: Option<(usize, &str)>,
    options: &ExceptionOptions,
    files: &mut frames::SourceFiles,
    out: &mut Vec<Value>,
) {
    if out.len() >= MAX_EXCEPTIONS {
        return;
    }
    let resolved = coerce::resolve(exc);
    let exc = resolved.as_ref().unwrap_or(exc);
    let id = out.len();
    let synthetic = exc.synthetic.unwrap_or(false);
    let mut mechanism = Map::new();
    mechanism.insert("exception_id".into(), Value::from(id));
    match link {
        None => {
            let given = options.mechanism.clone().unwrap_or_default();
            let kind = given.kind.filter(|k| !k.is_empty());
            mechanism.insert(
                "type".into(),
                Value::from(kind.as_deref().unwrap_or("generic")),
            );
            mechanism.insert("handled".into(), Value::from(given.handled.unwrap_or(true)));
            mechanism.insert(
                "synthetic".into(),
                Value::from(given.synthetic.unwrap_or(synthetic)),
            );
        }
        Some((parent, source)) => {
            mechanism.insert("source".into(), Value::from(source));
            mechanism.insert("parent_id".into(), Value::from(parent));
            mechanism.insert("type".into(), Value::from("chained"));
            mechanism.insert("synthetic".into(), Value::from(synthetic));
        }
    }
    if let Some(meta) = &exc.meta {
        mechanism.insert("meta".into(), meta.clone());
    }
    if exc.exception_group {
        mechanism.insert("is_exception_group".into(), Value::Bool(true));
    }

    let mut entry = Map::new();
    entry.insert(
        "type".into(),
        Value::from(exc.type_name.clone().unwrap_or_else(|| "Error".into())),
    );
    entry.insert(
        "value".into(),
        Value::from(exc.value.clone().unwrap_or_default()),
    );
    if shape == Shape::Python {
        let module = exc
            .module
            .as_deref()
            .filter(|m| !matches!(*m, "builtins" | "__builtins__"));
        entry.insert("module".into(), module.map_or(Value::Null, Value::from));
    } else if let Some(module) = &exc.module {
        entry.insert("module".into(), Value::from(module.as_str()));
    }
    entry.insert("mechanism".into(), Value::Object(mechanism));
    let frames = frames::build(shape, exc, options, files);
    if !frames.is_empty() {
        entry.insert(
            "stacktrace".into(),
            json!({ "type": "raw", "frames": frames }),
        );
    }
    out.push(Value::Object(entry));

    if let Some(cause) = &exc.cause {
        let source = exc.cause_source.as_deref().unwrap_or("cause");
        append(shape, cause, Some((id, source)), options, files, out);
    }
    for member in &exc.members {
        append(shape, member, Some((id, "member")), options, files, out);
    }
}

/// [`exception_properties`] from JSON texts (what the bindings pass): `input` an
/// [`ExceptionInput`], `options` [`ExceptionOptions`] (or empty), `caller` an object of
/// properties (or empty). Malformed texts are [`crate::Error::InvalidInput`].
pub fn exception_properties_json(
    profile: Profile,
    input: &str,
    options: &str,
    caller: Option<Map<String, Value>>,
) -> Result<Map<String, Value>, crate::Error> {
    let input: ExceptionInput = serde_json::from_str(input)
        .map_err(|e| crate::Error::InvalidInput(format!("exception: {e}")))?;
    let options: ExceptionOptions = if options.trim().is_empty() {
        ExceptionOptions::default()
    } else {
        serde_json::from_str(options)
            .map_err(|e| crate::Error::InvalidInput(format!("exception options: {e}")))?
    };
    Ok(exception_properties(
        profile,
        &input,
        &options,
        caller.unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests;
