//! Frames of one `$exception_list` entry: the fields each official SDK writes, its in-app
//! rules and its source context lines.

use super::{ExceptionInput, ExceptionOptions, FrameInput, Shape, v8, variables};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Most frames of one exception (the official SDKs keep the outermost 50).
pub(super) const MAX_FRAMES: usize = 50;
/// Largest source file read for context lines (posthog-node's bound).
const MAX_SOURCE_BYTES: u64 = 10 * 1024 * 1024;
/// posthog-python's longest context line.
const PYTHON_MAX_LINE: usize = 1024;
/// JVM, Kotlin, Android and Apple frameworks: not the application's code.
const NATIVE_SYSTEM_PREFIXES: &[&str] = &[
    "java.",
    "javax.",
    "jdk.",
    "sun.",
    "com.sun.",
    "kotlin.",
    "kotlinx.",
    "android.",
    "androidx.",
    "dalvik.",
    "com.android.",
    "libcore.",
    "org.junit.",
    "junit.",
    "org.apache.maven.",
    "Foundation",
    "UIKit",
    "CoreFoundation",
    "libswift",
    "libdispatch",
    "XCTest",
];

/// Source files read during one capture, so frames of one file read it once.
#[derive(Default)]
pub(super) struct SourceFiles {
    files: HashMap<String, Option<Vec<String>>>,
}

impl SourceFiles {
    fn lines(&mut self, path: &str) -> Option<&[String]> {
        self.files
            .entry(path.to_string())
            .or_insert_with(|| read_lines(path))
            .as_deref()
    }
}

fn read_lines(path: &str) -> Option<Vec<String>> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_SOURCE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(
        text.lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect(),
    )
}

/// The frames of `exc` in PostHog's order (outermost first).
pub(super) fn build(
    shape: Shape,
    exc: &ExceptionInput,
    options: &ExceptionOptions,
    files: &mut SourceFiles,
) -> Vec<Value> {
    match shape {
        Shape::Node => {
            let Some(stack) = exc.stack.as_deref() else {
                return given(shape, exc, options, files);
            };
            v8::parse_v8_stack(stack, exc.skip_stack_lines)
                .into_iter()
                .map(|f| node_frame(f, options, files))
                .collect()
        }
        _ => given(shape, exc, options, files),
    }
}

fn given(
    shape: Shape,
    exc: &ExceptionInput,
    options: &ExceptionOptions,
    files: &mut SourceFiles,
) -> Vec<Value> {
    let Some(frames) = &exc.frames else {
        return Vec::new();
    };
    let ordered: Vec<&FrameInput> = match shape {
        // The platform lists the innermost frame first.
        Shape::Native | Shape::Node => frames.iter().rev().collect(),
        Shape::Python => frames.iter().collect(),
    };
    let skip = ordered.len().saturating_sub(MAX_FRAMES);
    ordered
        .into_iter()
        .skip(skip)
        .map(|f| match shape {
            Shape::Python => python_frame(f, options, files),
            Shape::Node => node_given_frame(f, options, files),
            Shape::Native => native_frame(f, options),
        })
        .collect()
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        map.insert(key.into(), v.into());
    }
}

fn python_frame(f: &FrameInput, options: &ExceptionOptions, files: &mut SourceFiles) -> Value {
    let mut m = Map::new();
    m.insert(
        "platform".into(),
        Value::from(f.platform.as_deref().unwrap_or("python")),
    );
    let filename = f.filename.clone().or_else(|| f.abs_path.clone());
    m.insert("filename".into(), filename.map_or(Value::Null, Value::from));
    m.insert(
        "abs_path".into(),
        f.abs_path.clone().map_or(Value::Null, Value::from),
    );
    m.insert(
        "function".into(),
        Value::from(
            f.function
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "<unknown>".into()),
        ),
    );
    m.insert(
        "module".into(),
        f.module.clone().map_or(Value::Null, Value::from),
    );
    m.insert("lineno".into(), f.lineno.map_or(Value::Null, Value::from));
    let (pre, line, post) = if options.context_lines {
        python_context(f, files)
    } else {
        (Vec::new(), None, Vec::new())
    };
    m.insert("pre_context".into(), Value::from(pre));
    m.insert("context_line".into(), line.map_or(Value::Null, Value::from));
    m.insert("post_context".into(), Value::from(post));
    if let Some(in_app) = f.in_app.or_else(|| python_in_app(f, options)) {
        m.insert("in_app".into(), Value::Bool(in_app));
    }
    // Code variables are attached by `super::attach_python_variables` (one budget per
    // capture, in-app frames only).
    Value::Object(m)
}

/// posthog-python's `set_in_app_in_frames`: included modules, excluded modules,
/// `site-packages`/`dist-packages`, then `project_root`; otherwise unset.
fn python_in_app(f: &FrameInput, options: &ExceptionOptions) -> Option<bool> {
    let module = f.module.as_deref();
    if module_in(module, &options.in_app_include) {
        return Some(true);
    }
    if module_in(module, &options.in_app_exclude) {
        return Some(false);
    }
    let abs = f.abs_path.as_deref()?;
    let external = [
        "/site-packages/",
        "/dist-packages/",
        "\\site-packages\\",
        "\\dist-packages\\",
    ]
    .iter()
    .any(|p| abs.contains(p))
        || abs.contains("/site-packages\\")
        || abs.contains("\\site-packages/");
    if external {
        return Some(false);
    }
    match &options.project_root {
        Some(root) if abs.starts_with(root.as_str()) => Some(true),
        _ => None,
    }
}

fn module_in(name: Option<&str>, items: &[String]) -> bool {
    let Some(name) = name else { return false };
    items
        .iter()
        .any(|i| name == i || (name.starts_with(i.as_str()) && name[i.len()..].starts_with('.')))
}

fn python_context(
    f: &FrameInput,
    files: &mut SourceFiles,
) -> (Vec<String>, Option<String>, Vec<String>) {
    let empty = (Vec::new(), None, Vec::new());
    let Some(lineno) = f
        .lineno
        .and_then(|l| usize::try_from(l).ok())
        .filter(|l| *l >= 1)
    else {
        return empty;
    };
    let source: &[String] = match (&f.source, f.abs_path.as_deref()) {
        (Some(lines), _) => lines,
        (None, Some(path)) => match files.lines(path) {
            Some(lines) => lines,
            None => return empty,
        },
        (None, None) => return empty,
    };
    let idx = lineno - 1;
    let Some(line) = source.get(idx) else {
        return empty;
    };
    let lower = idx.saturating_sub(5);
    let upper = (idx + 6).min(source.len());
    let strip = |s: &String| truncate_python(s.trim_end_matches(['\r', '\n']));
    (
        source[lower..idx].iter().map(strip).collect(),
        Some(strip(line)),
        source[idx + 1..upper].iter().map(strip).collect(),
    )
}

/// posthog-python's `strip_string`: more than 1024 bytes → cut at 1021 bytes (on a
/// character boundary) and `...`.
fn truncate_python(s: &str) -> String {
    if s.len() <= PYTHON_MAX_LINE {
        return s.to_string();
    }
    let mut end = PYTHON_MAX_LINE - 3;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

fn node_frame(f: v8::V8Frame, options: &ExceptionOptions, files: &mut SourceFiles) -> Value {
    let input = FrameInput {
        filename: f.filename,
        function: Some(f.function),
        lineno: f.lineno,
        colno: f.colno,
        in_app: Some(f.in_app),
        ..FrameInput::default()
    };
    node_given_frame(&input, options, files)
}

fn node_given_frame(f: &FrameInput, options: &ExceptionOptions, files: &mut SourceFiles) -> Value {
    let raw = f.filename.clone().or_else(|| f.abs_path.clone());
    let mut m = Map::new();
    let shown = raw
        .as_deref()
        .map(|name| v8::relative_filename(name, options.cwd.as_deref()));
    put(&mut m, "filename", shown);
    let module = f.module.clone().or_else(|| {
        raw.as_deref()
            .map(|n| v8::module_from_filename(n, options.module_base.as_deref()))
    });
    put(&mut m, "module", module);
    m.insert(
        "function".into(),
        Value::from(f.function.clone().unwrap_or_else(|| "?".into())),
    );
    put(&mut m, "lineno", f.lineno);
    put(&mut m, "colno", f.colno);
    let in_app = f
        .in_app
        .unwrap_or_else(|| v8::filename_is_in_app(raw.as_deref().unwrap_or(""), false));
    m.insert("in_app".into(), Value::Bool(in_app));
    m.insert(
        "platform".into(),
        Value::from(f.platform.as_deref().unwrap_or("node:javascript")),
    );
    if options.context_lines
        && let (Some(name), Some(lineno)) = (raw.as_deref(), f.lineno)
    {
        node_context(&mut m, name, lineno, f.colno, options.cwd.as_deref(), files);
    }
    attach_vars(&mut m, f, options);
    Value::Object(m)
}

/// posthog-node's `addSourceContext`: 7 lines each side, none for `node:`/`data:`/minified
/// files or frames past line 10 000 / column 1 000, lines over 150 characters snipped.
fn node_context(
    m: &mut Map<String, Value>,
    name: &str,
    lineno: u64,
    colno: Option<u64>,
    cwd: Option<&str>,
    files: &mut SourceFiles,
) {
    const LINES: u64 = 7;
    let skip_file = name.starts_with("node:")
        || name.starts_with("data:")
        || name.ends_with(".min.js")
        || name.ends_with(".min.cjs")
        || name.ends_with(".min.mjs");
    if skip_file || lineno > 10_000 || colno.is_some_and(|c| c > 1_000) || lineno == 0 {
        return;
    }
    let path = if name.starts_with('/') {
        name.to_string()
    } else {
        match cwd {
            Some(base) => format!("{}/{}", base.trim_end_matches('/'), name),
            None => return,
        }
    };
    let Some(lines) = files.lines(&path) else {
        return;
    };
    let get = |n: u64| -> Option<String> {
        let i = usize::try_from(n.checked_sub(1)?).ok()?;
        lines.get(i).map(|l| snip_line(l))
    };
    let mut pre = Vec::new();
    for n in lineno.saturating_sub(LINES).max(1)..lineno {
        match get(n) {
            Some(l) => pre.push(Value::from(l)),
            None => return,
        }
    }
    let Some(line) = get(lineno) else { return };
    let mut post = Vec::new();
    for n in lineno + 1..=lineno + LINES {
        match get(n) {
            Some(l) => post.push(Value::from(l)),
            None => break,
        }
    }
    m.insert("pre_context".into(), Value::Array(pre));
    m.insert("context_line".into(), Value::from(line));
    m.insert("post_context".into(), Value::Array(post));
}

/// posthog-node's `snipLine(line, 0)`: a line over 150 characters keeps its first 140 and `...`.
fn snip_line(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= 150 {
        return line.to_string();
    }
    let end = if 140 > chars.len() - 5 {
        chars.len()
    } else {
        140
    };
    let mut out: String = chars[..end].iter().collect();
    if end < chars.len() {
        out.push_str("...");
    }
    out
}

fn native_frame(f: &FrameInput, options: &ExceptionOptions) -> Value {
    let mut m = Map::new();
    put(
        &mut m,
        "filename",
        f.filename.clone().or_else(|| f.abs_path.clone()),
    );
    put(&mut m, "abs_path", f.abs_path.clone());
    m.insert(
        "function".into(),
        Value::from(f.function.clone().unwrap_or_else(|| "?".into())),
    );
    put(&mut m, "module", f.module.clone());
    put(&mut m, "lineno", f.lineno);
    put(&mut m, "colno", f.colno);
    let module = f.module.as_deref();
    let in_app = f.in_app.unwrap_or_else(|| {
        if module_in(module, &options.in_app_include) || prefix_in(module, &options.in_app_include)
        {
            true
        } else if module_in(module, &options.in_app_exclude)
            || prefix_in(module, &options.in_app_exclude)
        {
            false
        } else {
            !module.is_some_and(|m| NATIVE_SYSTEM_PREFIXES.iter().any(|p| m.starts_with(p)))
        }
    });
    m.insert("in_app".into(), Value::Bool(in_app));
    m.insert(
        "platform".into(),
        Value::from(f.platform.as_deref().unwrap_or("java")),
    );
    attach_vars(&mut m, f, options);
    Value::Object(m)
}

fn prefix_in(name: Option<&str>, items: &[String]) -> bool {
    name.is_some_and(|n| {
        items
            .iter()
            .any(|i| !i.is_empty() && n.starts_with(i.as_str()))
    })
}

fn attach_vars(m: &mut Map<String, Value>, f: &FrameInput, options: &ExceptionOptions) {
    if let (Some(config), Some(vars)) = (&options.code_variables, &f.vars) {
        let masked = variables::mask_frame_variables(config, vars);
        if !masked.is_empty() {
            m.insert("code_variables".into(), Value::Object(masked));
        }
    }
}
