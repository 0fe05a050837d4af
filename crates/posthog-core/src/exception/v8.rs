//! V8 stack texts (`error.stack` of Node.js) into frames, with posthog-node's rules for
//! function names, in-app files, module names and relative file names.

/// One parsed V8 frame, before the module and context rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V8Frame {
    /// The file (`file://` removed), or `None` for a native frame.
    pub filename: Option<String>,
    /// The function, `?` when anonymous.
    pub function: String,
    /// 1-based line.
    pub lineno: Option<u64>,
    /// 1-based column.
    pub colno: Option<u64>,
    /// The application's own code (not `node:`, not `node_modules/`, not native).
    pub in_app: bool,
}

const FRAME_LIMIT: usize = 50;
const LINE_LIMIT: usize = 1000;

/// The frames of a V8 stack text, outermost first, at most 50 (the innermost ones); the
/// first `skip` lines are not read (a synthetic error's own frames).
pub fn parse_v8_stack(stack: &str, skip: usize) -> Vec<V8Frame> {
    let mut frames = Vec::new();
    for line in stack.split('\n').skip(skip).take(LINE_LIMIT) {
        if line.len() > 1024 || is_message_line(line) {
            continue;
        }
        if let Some(frame) = parse_line(line) {
            frames.push(frame);
            if frames.len() >= FRAME_LIMIT {
                break;
            }
        }
    }
    frames.reverse();
    frames
}

/// posthog-node skips lines containing `<word>Error: ` (the message, and its causes' in
/// some runtimes).
fn is_message_line(line: &str) -> bool {
    line.contains("Error: ")
}

fn parse_line(line: &str) -> Option<V8Frame> {
    let at = line.find("at ")?;
    let mut rest = line[at + 3..].trim_end();
    if let Some(r) = rest.strip_prefix("async ")
        && !r.starts_with('(')
    {
        rest = r;
    }
    let (name, location) = match rest.find(" (") {
        Some(i) if rest.ends_with(')') => (Some(&rest[..i]), &rest[i + 2..rest.len() - 1]),
        _ => (None, rest.trim_end_matches(')')),
    };
    let (filename, lineno, colno, native) = split_location(location);
    let function = function_name(name);
    let in_app = filename_is_in_app(filename.as_deref().unwrap_or(""), native);
    Some(V8Frame {
        filename,
        function,
        lineno,
        colno,
        in_app,
    })
}

fn split_location(location: &str) -> (Option<String>, Option<u64>, Option<u64>, bool) {
    let mut parts = location.rsplitn(3, ':');
    let last = parts.next();
    let middle = parts.next();
    let first = parts.next();
    let (file, lineno, colno) = match (first, middle, last) {
        (Some(f), Some(l), Some(c)) if is_num(l) && (is_num(c) || c.is_empty()) => {
            (Some(f), l.parse().ok(), c.parse().ok())
        }
        _ => (None, None, None),
    };
    let native = location == "native";
    let file = match file {
        Some(f) => {
            let f = f.strip_prefix("file://").unwrap_or(f);
            let f = if is_drive_path(f) { &f[1..] } else { f };
            Some(decode_uri(f))
        }
        None if !native && !location.is_empty() => Some(location.to_string()),
        None => None,
    };
    (
        file,
        lineno.filter(|n| *n > 0),
        colno.filter(|n| *n > 0),
        native,
    )
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_drive_path(f: &str) -> bool {
    let b = f.as_bytes();
    b.len() > 2 && b[0] == b'/' && b[1].is_ascii_uppercase() && b[2] == b':'
}

/// `decodeURI` of the common escapes (`%20` and the like); an invalid escape stays as is.
fn decode_uri(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push(hex(bytes[i + 1]) * 16 + hex(bytes[i + 2]));
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// posthog-node's naming: `Type.method`, `?` for anonymous, `Object.?` for a module's
/// top-level code.
fn function_name(name: Option<&str>) -> String {
    let Some(full) = name else { return "?".into() };
    let mut function = Some(full.to_string());
    let mut type_name: Option<String> = None;
    let mut method: Option<String> = None;
    if let Some(mut start) = full.rfind('.') {
        if start > 0 && full.as_bytes()[start - 1] == b'.' {
            start -= 1;
        }
        if start > 0 {
            let mut object = full[..start].to_string();
            let m = full[start + 1..].to_string();
            if let Some(end) = object.find(".Module").filter(|e| *e > 0) {
                function = Some(full[end + 1..].to_string());
                object.truncate(end);
            }
            type_name = Some(object);
            method = Some(m);
        }
    }
    if method.as_deref() == Some("<anonymous>") {
        method = None;
        function = None;
    }
    match function {
        Some(f) => f,
        None => {
            let m = method.unwrap_or_else(|| "?".into());
            match type_name {
                Some(t) => format!("{t}.{m}"),
                None => m,
            }
        }
    }
}

/// posthog-node's `filenameIsInApp`: an absolute or relative path (or a URL) outside
/// `node_modules/`; `node:` modules and native frames are not in-app.
pub fn filename_is_in_app(filename: &str, native: bool) -> bool {
    if filename.is_empty() || native {
        return false;
    }
    let b = filename.as_bytes();
    let drive = b.len() > 1 && b[0].is_ascii_uppercase() && b[1] == b':';
    let url = filename.find("://").is_some_and(|i| {
        i > 0
            && b[0].is_ascii_alphabetic()
            && filename[..i]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".-+".contains(&c))
    });
    let internal = !filename.starts_with('/') && !drive && !filename.starts_with('.') && !url;
    !internal && !filename.contains("node_modules/")
}

/// posthog-node's module name of a file: `pkg.sub:file` inside `node_modules`, the path
/// relative to `base` with dots, else the file's name without `.js`/`.mjs`/`.cjs`.
pub fn module_from_filename(filename: &str, base: Option<&str>) -> String {
    let (dir, file) = match filename.rfind('/') {
        Some(i) => (&filename[..i], &filename[i + 1..]),
        None => ("", filename),
    };
    let dir = if dir.is_empty() && !filename.starts_with('/') {
        "."
    } else if dir.is_empty() {
        "/"
    } else {
        dir
    };
    let mut name = file;
    for ext in [".js", ".mjs", ".cjs"] {
        if let Some(stem) = file.strip_suffix(ext)
            && !stem.is_empty()
        {
            name = stem;
            break;
        }
    }
    if let Some(n) = dir.rfind("/node_modules") {
        let pkg = dir.get(n + 14..).unwrap_or("").replace('/', ".");
        return format!("{pkg}:{name}");
    }
    if let Some(base) = base
        && dir.starts_with(base)
    {
        let sub = dir.get(base.len() + 1..).unwrap_or("").replace('/', ".");
        return if sub.is_empty() {
            name.to_string()
        } else {
            format!("{sub}:{name}")
        };
    }
    name.to_string()
}

/// posthog-node's relative file name: an absolute path relative to `cwd` (`node:` and
/// `data:` names and relative names unchanged).
pub fn relative_filename(filename: &str, cwd: Option<&str>) -> String {
    let Some(cwd) = cwd else {
        return filename.to_string();
    };
    if filename.starts_with("node:") || filename.starts_with("data:") || !filename.starts_with('/')
    {
        return filename.to_string();
    }
    let from: Vec<&str> = cwd.split('/').filter(|s| !s.is_empty()).collect();
    let to: Vec<&str> = filename.split('/').filter(|s| !s.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = std::iter::repeat_n("..", from.len() - common).collect();
    parts.extend(&to[common..]);
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_frames_of_a_node_stack() {
        let stack = "Error: outer failed\n    at outer (file:///tmp/app/exc.mjs:5:55)\n    at file:///tmp/app/exc.mjs:6:7\n    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)\n    at async ModuleLoader.import (node:internal/modules/esm/loader:606:24)\n    at Object.<anonymous> (/srv/node_modules/lib/x.js:1:2)\n    at new Foo (/srv/a.js:3:4)\n    at Array.map (<anonymous>)\n    at native";
        let frames = parse_v8_stack(stack, 0);
        let names: Vec<&str> = frames.iter().map(|f| f.function.as_str()).collect();
        assert_eq!(
            names,
            [
                "?",
                "Array.map",
                "new Foo",
                "Object.?",
                "ModuleLoader.import",
                "ModuleJob.run",
                "?",
                "outer"
            ]
        );
        let outer = frames.last().unwrap();
        assert_eq!(outer.filename.as_deref(), Some("/tmp/app/exc.mjs"));
        assert_eq!(
            (outer.lineno, outer.colno, outer.in_app),
            (Some(5), Some(55), true)
        );
        let internal = &frames[5];
        assert_eq!(
            internal.filename.as_deref(),
            Some("node:internal/modules/esm/module_job")
        );
        assert!(!internal.in_app);
        assert!(!frames[3].in_app, "node_modules is not in-app");
        assert_eq!(frames[1].filename.as_deref(), Some("<anonymous>"));
        assert!(!frames[1].in_app);
        assert_eq!(frames[0].filename, None, "native frame");
    }

    #[test]
    fn keeps_the_innermost_fifty_frames() {
        let mut stack = String::from("RangeError: Maximum call stack size exceeded");
        for i in 1..=80 {
            stack.push_str(&format!("\n    at f{i} (/a.js:{i}:1)"));
        }
        let frames = parse_v8_stack(&stack, 0);
        assert_eq!(frames.len(), 50);
        assert_eq!(frames[49].function, "f1");
        assert_eq!(frames[0].function, "f50");
    }

    #[test]
    fn module_names_and_relative_paths() {
        assert_eq!(
            module_from_filename("node:internal/modules/run_main", Some("/tmp/app")),
            "run_main"
        );
        assert_eq!(
            module_from_filename("/tmp/app/exc.mjs", Some("/tmp/app")),
            "exc"
        );
        assert_eq!(
            module_from_filename("/tmp/app/lib/db/pool.js", Some("/tmp/app")),
            "lib.db:pool"
        );
        assert_eq!(
            module_from_filename("/srv/node_modules/pg/lib/client.js", Some("/tmp/app")),
            "pg.lib:client"
        );
        assert_eq!(
            relative_filename("/tmp/app/exc.mjs", Some("/tmp/app")),
            "exc.mjs"
        );
        assert_eq!(
            relative_filename("/srv/x.js", Some("/tmp/app")),
            "../../srv/x.js"
        );
        assert_eq!(relative_filename("node:fs", Some("/tmp/app")), "node:fs");
    }
}
