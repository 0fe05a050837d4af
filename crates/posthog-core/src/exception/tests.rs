use super::*;
use serde_json::json;

fn input(v: Value) -> ExceptionInput {
    serde_json::from_value(v).unwrap()
}

fn source_file(name: &str, lines: usize) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("posthog-exc-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let text: Vec<String> = (1..=lines).map(|i| format!("line {i}")).collect();
    std::fs::write(&path, text.join("\n")).unwrap();
    (dir, path.to_string_lossy().into_owned())
}

#[test]
fn python_chain_is_serialised_as_posthog_python_does() {
    let (_dir, path) = source_file("app.py", 20);
    let exc = input(json!({
        "type": "ValueError", "value": "bad value", "module": "builtins",
        "frames": [{"abs_path": path, "filename": "app.py", "function": "outer", "module": "__main__", "lineno": 14}],
        "cause_source": "cause",
        "cause": {"type": "ZeroDivisionError", "value": "division by zero",
                  "frames": [{"abs_path": path, "filename": "app.py", "function": "inner", "module": "__main__", "lineno": 2}]}
    }));
    let props = exception_properties(
        Profile::PosthogPython,
        &exc,
        &ExceptionOptions::default(),
        Map::from_iter([("a".to_string(), json!(1))]),
    );
    let list = props["$exception_list"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[0]["mechanism"],
        json!({"exception_id": 0, "type": "generic", "handled": true, "synthetic": false})
    );
    assert_eq!(list[0]["module"], Value::Null, "builtins is no module");
    assert_eq!(
        list[1]["mechanism"],
        json!({"exception_id": 1, "source": "cause", "parent_id": 0, "type": "chained", "synthetic": false})
    );
    let frame = &list[0]["stacktrace"]["frames"][0];
    assert_eq!(frame["platform"], "python");
    assert_eq!(frame["abs_path"], path);
    assert_eq!(frame["context_line"], "line 14");
    assert_eq!(
        frame["pre_context"],
        json!(["line 9", "line 10", "line 11", "line 12", "line 13"])
    );
    assert_eq!(
        frame["post_context"],
        json!(["line 15", "line 16", "line 17", "line 18", "line 19"])
    );
    assert!(
        frame.get("in_app").is_none(),
        "no rule decided: unset, as posthog-python leaves it"
    );
    assert_eq!(list[0]["stacktrace"]["type"], "raw");
    let inner = &list[1]["stacktrace"]["frames"][0];
    assert_eq!(inner["pre_context"], json!(["line 1"]));
    assert_eq!(props["$exception_level"], "error");
    assert_eq!(props["a"], 1);
}

#[test]
fn python_frames_without_source_keep_the_context_keys() {
    let exc = input(json!({"type": "E", "value": "v",
        "frames": [{"abs_path": "/nonexistent/x.py", "function": "", "lineno": 3}]}));
    let list = exception_list(Profile::PosthogPython, &exc, &ExceptionOptions::default());
    let frame = &list[0]["stacktrace"]["frames"][0];
    assert_eq!(frame["function"], "<unknown>");
    assert_eq!(frame["filename"], "/nonexistent/x.py");
    assert_eq!(frame["pre_context"], json!([]));
    assert_eq!(frame["context_line"], Value::Null);
    assert_eq!(frame["post_context"], json!([]));
}

#[test]
fn python_in_app_rules() {
    let options = ExceptionOptions {
        project_root: Some("/srv/app".into()),
        in_app_include: vec!["vendored".into()],
        in_app_exclude: vec!["app.generated".into()],
        context_lines: false,
        ..ExceptionOptions::default()
    };
    let exc = input(json!({"type": "E", "value": "v", "frames": [
        {"abs_path": "/srv/app/main.py", "module": "main", "lineno": 1},
        {"abs_path": "/venv/lib/python3.11/site-packages/requests/api.py", "module": "requests.api", "lineno": 1},
        {"abs_path": "/venv/lib/python3.11/site-packages/vendored/x.py", "module": "vendored.x", "lineno": 1},
        {"abs_path": "/srv/app/generated.py", "module": "app.generated.models", "lineno": 1},
        {"abs_path": "/usr/lib/python3.11/json/decoder.py", "module": "json.decoder", "lineno": 1}
    ]}));
    let list = exception_list(Profile::PosthogPython, &exc, &options);
    let in_app: Vec<Value> = list[0]["stacktrace"]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.get("in_app").cloned().unwrap_or(Value::Null))
        .collect();
    assert_eq!(
        in_app,
        [
            json!(true),
            json!(false),
            json!(true),
            json!(false),
            Value::Null
        ]
    );
}

#[test]
fn node_stack_is_parsed_with_modules_relative_names_and_context() {
    let (dir, path) = source_file("exc.mjs", 9);
    let cwd = dir.to_string_lossy().into_owned();
    let stack = format!(
        "Error: outer failed\n    at outer (file://{path}:5:55)\n    at file://{path}:6:7\n    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)"
    );
    let exc = input(
        json!({"type": "Error", "value": "outer failed", "stack": stack,
        "cause": {"type": "TypeError", "value": "bad 1", "stack": "TypeError: bad 1\n    at inner (/srv/node_modules/dep/index.js:4:27)"}}),
    );
    let options = ExceptionOptions {
        cwd: Some(cwd.clone()),
        module_base: Some(cwd),
        ..ExceptionOptions::default()
    };
    let props = exception_properties(Profile::PosthogNode, &exc, &options, Map::new());
    let list = props["$exception_list"].as_array().unwrap();
    assert_eq!(
        list[0]["mechanism"],
        json!({"exception_id": 0, "type": "generic", "handled": true, "synthetic": false})
    );
    assert!(list[0].get("module").is_none());
    let frames = list[0]["stacktrace"]["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 3);
    assert_eq!(
        frames[0],
        json!({"filename": "node:internal/modules/esm/module_job", "module": "module_job",
               "function": "ModuleJob.run", "lineno": 325, "colno": 25, "in_app": false,
               "platform": "node:javascript"})
    );
    assert_eq!(frames[1]["function"], "?");
    assert_eq!(frames[2]["filename"], "exc.mjs");
    assert_eq!(frames[2]["module"], "exc");
    assert_eq!(frames[2]["context_line"], "line 5");
    assert_eq!(
        frames[2]["pre_context"],
        json!(["line 1", "line 2", "line 3", "line 4"])
    );
    assert_eq!(
        frames[2]["post_context"],
        json!(["line 6", "line 7", "line 8", "line 9"])
    );
    assert_eq!(list[1]["mechanism"]["type"], "chained");
    let dep = &list[1]["stacktrace"]["frames"][0];
    assert_eq!(dep["module"], "dep:index");
    assert_eq!(dep["in_app"], false);
}

#[test]
fn autocapture_mechanism_levels_and_caller_properties() {
    let exc = input(json!({"type": "E", "value": "v"}));
    let options = ExceptionOptions {
        mechanism: Some(MechanismInput {
            kind: Some("onuncaughtexception".into()),
            handled: Some(false),
            synthetic: None,
        }),
        level: Some("CRITICAL".into()),
        source: Some("excepthook".into()),
        ..ExceptionOptions::default()
    };
    let caller = Map::from_iter([("$exception_level".to_string(), json!("warning"))]);
    let props = exception_properties(Profile::PosthogNode, &exc, &options, caller.clone());
    assert_eq!(props["$exception_list"][0]["mechanism"]["handled"], false);
    assert_eq!(
        props["$exception_list"][0]["mechanism"]["type"],
        "onuncaughtexception"
    );
    assert!(props["$exception_list"][0].get("stacktrace").is_none());
    assert_eq!(
        props["$exception_level"], "warning",
        "the caller's properties win"
    );
    assert_eq!(props["$exception_source"], "excepthook");
    let props = exception_properties(Profile::PosthogNode, &exc, &options, Map::new());
    assert_eq!(props["$exception_level"], "fatal");
    assert_eq!(normalize_level("warn"), Some("warning"));
    assert_eq!(normalize_level("nonsense"), None);
}

#[test]
fn the_list_is_bounded_and_groups_are_depth_first() {
    let mut exc = input(json!({"type": "E0", "value": "v"}));
    for i in 1..80 {
        exc = ExceptionInput {
            type_name: Some(format!("E{i}")),
            cause: Some(Box::new(exc)),
            ..ExceptionInput::default()
        };
    }
    assert_eq!(
        exception_list(Profile::PosthogPython, &exc, &ExceptionOptions::default()).len(),
        MAX_EXCEPTIONS
    );

    let group = input(
        json!({"type": "ExceptionGroup", "value": "2 errors", "exception_group": true,
        "members": [{"type": "A", "value": "a", "cause": {"type": "A0", "value": "a0"}}, {"type": "B", "value": "b"}]}),
    );
    let list = exception_list(Profile::PosthogPython, &group, &ExceptionOptions::default());
    let types: Vec<&str> = list.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ExceptionGroup", "A", "A0", "B"]);
    assert_eq!(list[0]["mechanism"]["is_exception_group"], true);
    assert_eq!(list[2]["mechanism"]["parent_id"], 1);
    assert_eq!(list[3]["mechanism"]["parent_id"], 0);
    assert_eq!(list[3]["mechanism"]["source"], "member");
}

#[test]
fn native_frames_are_reversed_and_system_frames_not_in_app() {
    let exc = input(
        json!({"type": "java.lang.IllegalStateException", "value": "boom", "frames": [
            {"function": "parse", "module": "com.example.app.Parser", "filename": "Parser.kt", "lineno": 12},
            {"function": "invoke", "module": "java.lang.reflect.Method", "filename": "Method.java", "lineno": 580}
        ]}),
    );
    let list = exception_list(Profile::Mobile, &exc, &ExceptionOptions::default());
    let frames = list[0]["stacktrace"]["frames"].as_array().unwrap();
    assert_eq!(frames[0]["module"], "java.lang.reflect.Method");
    assert_eq!(frames[0]["in_app"], false);
    assert_eq!(frames[1]["in_app"], true);
    assert_eq!(frames[1]["platform"], "java");
}

#[test]
fn code_variables_are_masked_before_they_leave() {
    let exc = input(json!({"type": "E", "value": "v", "frames": [
        {"abs_path": "/srv/app/a.py", "lineno": 1,
         "vars": [["user_id", "42"], ["password", "hunter2"], ["__name__", "x"],
                  ["db_url", "postgres://admin:s3cr3t@db:5432/app"],
                  ["key", "phx_abcdefghijklmnopqrstuvwxyz0123456789"]]},
        {"abs_path": "/usr/lib/python3/site-packages/lib.py", "lineno": 1,
         "vars": [["x", 1]]}
    ], "cause": {"type": "C", "frames": [{"abs_path": "/srv/app/b.py", "lineno": 2}]}}));
    let options = ExceptionOptions {
        code_variables: Some(variables::VariablesConfig::default()),
        context_lines: false,
        project_root: Some("/srv/app".into()),
        ..ExceptionOptions::default()
    };
    let list = exception_list(Profile::PosthogPython, &exc, &options);
    let vars = &list[0]["stacktrace"]["frames"][0]["code_variables"];
    assert_eq!(vars["user_id"], "42");
    assert_eq!(vars["password"], variables::REDACTED);
    assert!(vars.get("__name__").is_none());
    assert_eq!(
        vars["db_url"],
        format!("postgres://{}@db:5432/app", variables::REDACTED)
    );
    assert_eq!(vars["key"], variables::REDACTED);
    assert!(
        list[0]["stacktrace"]["frames"][1]
            .get("code_variables")
            .is_none(),
        "not in-app"
    );
    // posthog-python pairs a cause's frames with the captured exception's traceback.
    assert_eq!(
        list[1]["stacktrace"]["frames"][0]["code_variables"]["user_id"],
        "42"
    );
}

#[test]
fn bad_input_is_refused_by_serde() {
    assert!(serde_json::from_value::<ExceptionInput>(json!({"type": 3})).is_err());
    assert!(serde_json::from_value::<ExceptionInput>(json!({"nonsense": 1})).is_err());
}

#[test]
fn json_entry_point_reports_invalid_input() {
    let err =
        exception_properties_json(Profile::PosthogNode, "{\"type\": 1}", "", None).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    let err =
        exception_properties_json(Profile::PosthogNode, "{}", "{\"level\": []}", None).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    let ok =
        exception_properties_json(Profile::PosthogNode, "{\"value\": \"x\"}", "", None).unwrap();
    assert_eq!(ok["$exception_list"][0]["type"], "Error");
}
