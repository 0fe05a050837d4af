//! Compatibility profiles: the rules of posthog-python and posthog-node, applied by the core.

use crate::common::*;
use posthog_core::{Client, ClientOptions, Event, FlagOptions, Options, Profile};
use posthog_testserver::TestServer;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn profile_client(server: &TestServer, profile: Profile, options: Value) -> Client {
    let mut o = obj(options);
    o.insert("host".into(), json!(server.url()));
    let o = Options::client_options(profile, KEY, Value::Object(o)).unwrap();
    client(o)
}

#[test]
fn python_super_properties_win_and_is_server_and_geoip_are_set() {
    let server = TestServer::spawn();
    let c = profile_client(
        &server,
        Profile::PosthogPython,
        json!({"super_properties": {"plan": "super", "$is_server": false}}),
    );
    c.capture(Event::new("e", "u").property("plan", "own"));
    flush(&c);
    let ev = &server.events()[0];
    assert_eq!(
        ev.properties["plan"], "super",
        "posthog-python: the super property wins"
    );
    assert_eq!(
        ev.properties["$is_server"], true,
        "set after the super properties"
    );
    assert_eq!(
        ev.properties["$geoip_disable"], true,
        "posthog-python's default"
    );
    assert_eq!(ev.properties["$lib"], "posthog-sdk-python");
}

#[test]
fn node_and_core_keep_the_events_own_properties() {
    let server = TestServer::spawn();
    let node = profile_client(
        &server,
        Profile::PosthogNode,
        json!({"superProperties": {"plan": "super"}}),
    );
    node.capture(Event::new("node", "u").property("plan", "own"));
    flush(&node);
    let (o, _) = opts(&server);
    let core = client(o.super_properties(obj(json!({"plan": "super"}))));
    core.capture(Event::new("core", "u").property("plan", "own"));
    flush(&core);
    let events = server.events();
    let node_ev = events.iter().find(|e| e.event == "node").unwrap();
    assert_eq!(node_ev.properties["plan"], "own");
    assert_eq!(node_ev.properties["$is_server"], true);
    assert_eq!(
        node_ev.properties["$geoip_disable"], true,
        "posthog-node's disableGeoip default"
    );
    let core_ev = events.iter().find(|e| e.event == "core").unwrap();
    assert_eq!(core_ev.properties["plan"], "own");
    assert!(core_ev.properties.get("$is_server").is_none());
    assert!(core_ev.properties.get("$geoip_disable").is_none());
}

#[test]
fn python_person_updates_travel_at_the_top_level() {
    let server = TestServer::spawn();
    let c = profile_client(&server, Profile::PosthogPython, json!({}));
    c.set("u", obj(json!({"email": "a@b.c"})));
    c.set_once("u", obj(json!({"first": 1})));
    flush(&c);
    let events = server.events();
    let set = events.iter().find(|e| e.event == "$set").unwrap();
    assert_eq!(set.set, Some(obj(json!({"email": "a@b.c"}))));
    assert!(set.properties.get("$set").is_none());
    let once = events.iter().find(|e| e.event == "$set_once").unwrap();
    assert_eq!(once.set_once, Some(obj(json!({"first": 1}))));
}

#[test]
fn a_python_scrubber_sees_the_official_message_shape() {
    let server = TestServer::spawn();
    let o = Options::client_options(Profile::PosthogPython, KEY, json!({"host": server.url()}))
        .unwrap()
        .before_send_json(Arc::new(|mut m: Value| {
            // posthog-python docs: strip the email from person updates.
            if let Some(set) = m.get_mut("$set").and_then(Value::as_object_mut) {
                set.remove("email");
            }
            if m["event"] == "raise" {
                return Err("ValueError".into());
            }
            Ok(Some(m))
        }));
    let c = client(o);
    c.set("u", obj(json!({"email": "a@b.c", "name": "n"})));
    assert!(c.capture(Event::new("raise", "u")).is_none());
    flush(&c);
    let events = server.events();
    assert_eq!(events.len(), 1, "the raising hook dropped its event");
    assert_eq!(events[0].set, Some(obj(json!({"name": "n"}))));
    assert_eq!(c.stats().dropped_before_send, 1);
}

#[test]
fn group_identify_default_ids() {
    let server = TestServer::spawn();
    let py = profile_client(&server, Profile::PosthogPython, json!({}));
    let node = profile_client(&server, Profile::PosthogNode, json!({}));
    py.group_identify("company", "acme", Map::new(), None);
    node.group_identify("company", "acme", Map::new(), None);
    flush(&py);
    flush(&node);
    let ids: Vec<String> = server
        .events()
        .iter()
        .map(|e| e.distinct_id.clone())
        .collect();
    assert!(ids.contains(&"$company_acme".to_string()), "{ids:?}");
    // A blank group type or key is dropped (counted as invalid), as the official SDKs do.
    assert!(py.group_identify("", "acme", Map::new(), None).is_none());
    assert!(
        node.group_identify("company", " ", Map::new(), None)
            .is_none()
    );
    assert_eq!(py.stats().dropped_invalid + node.stats().dropped_invalid, 2);
    assert!(
        ids.iter().any(|i| uuid::Uuid::parse_str(i).is_ok()),
        "posthog-python: a random id {ids:?}"
    );
}

#[test]
fn disabled_clients_answer_flags_with_nothing_and_ask_nobody() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!(true), None);
    let c = profile_client(&server, Profile::PosthogPython, json!({"disabled": true}));
    let o = FlagOptions::default();
    assert_eq!(c.get_feature_flag("beta", "u", &o).unwrap(), None);
    assert_eq!(c.get_feature_flag_payload("beta", "u", &o).unwrap(), None);
    assert!(c.get_all_flags("u", &o).unwrap().is_empty());
    assert!(c.capture(Event::new("e", "u")).is_none());
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/flags")),
        "a disabled client made a /flags request"
    );
}

#[test]
fn opt_out_and_register_live_in_the_core() {
    let server = TestServer::spawn();
    let c = profile_client(
        &server,
        Profile::PosthogNode,
        json!({"defaultOptIn": false}),
    );
    assert!(c.is_opted_out());
    assert!(c.capture(Event::new("before", "u")).is_none());
    c.opt_in();
    c.register(obj(json!({"a": 1, "b": 2})));
    c.unregister("b");
    c.capture(Event::new("after", "u"));
    flush(&c);
    let events = server.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].properties["a"], 1);
    assert!(events[0].properties.get("b").is_none());
    assert_eq!(c.stats().accepted, 1, "an opted-out capture is not a drop");
}

#[test]
fn flag_called_reports_server_errors_in_the_python_and_node_profiles() {
    let server = TestServer::spawn();
    for (profile, expected) in [
        (Profile::PosthogPython, json!("api_error_500")),
        (Profile::PosthogNode, json!("unknown_error")),
    ] {
        server.reset();
        let c = profile_client(&server, profile, json!({}));
        server.push_flags_fault(posthog_testserver::Fault::status(500));
        server.push_flags_fault(posthog_testserver::Fault::status(500));
        let o = FlagOptions::default();
        assert_eq!(c.get_feature_flag("beta", "u", &o).unwrap(), None);
        flush(&c);
        let ev = server
            .events()
            .into_iter()
            .find(|e| e.event == "$feature_flag_called")
            .expect("the event is still sent when /flags fails");
        assert_eq!(
            ev.properties["$feature_flag_error"], expected,
            "{profile:?}"
        );
    }
}

#[test]
fn flag_called_carries_payload_and_reason_text_for_python() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!("test"), Some(json!({"a": 1})));
    let c = profile_client(&server, Profile::PosthogPython, json!({}));
    let o = FlagOptions::default();
    assert!(c.get_feature_flag("beta", "u", &o).unwrap().is_some());
    assert_eq!(c.get_feature_flag("missing-flag", "u", &o).unwrap(), None);
    flush(&c);
    let events = server.events();
    let beta = events
        .iter()
        .find(|e| e.properties.get("$feature_flag") == Some(&json!("beta")))
        .unwrap();
    assert_eq!(beta.properties["$feature_flag_payload"], json!({"a": 1}));
    assert!(beta.properties.get("$feature_flag_error").is_none());
    let missing = events
        .iter()
        .find(|e| e.properties.get("$feature_flag") == Some(&json!("missing-flag")))
        .unwrap();
    assert_eq!(missing.properties["$feature_flag_error"], "flag_missing");
    assert_eq!(missing.properties["$feature_flag_response"], Value::Null);
}

#[test]
fn a_zero_flush_interval_means_no_timed_flush() {
    let server = TestServer::spawn();
    let c = Client::new(
        Options::client_options(
            Profile::PosthogNode,
            KEY,
            json!({"host": server.url(), "flushInterval": 0, "flushAt": 2}),
        )
        .unwrap(),
    )
    .unwrap();
    c.capture(Event::new("a", "u"));
    c.capture(Event::new("b", "u"));
    assert!(server.wait_for_events(2, WAIT), "flushAt still sends");
    let _ = ClientOptions::new(KEY)
        .flush_interval(Duration::ZERO)
        .resolve()
        .unwrap();
}

#[test]
fn python_send_false_accepts_and_sends_nothing_but_flags_still_work() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!(true), None);
    let c = profile_client(&server, Profile::PosthogPython, json!({"send": false}));
    assert!(!c.config().disabled, "send=False is not disabled");
    assert!(
        c.capture(Event::new("e", "u")).is_some(),
        "the uuid is returned"
    );
    let o = FlagOptions {
        send_feature_flag_events: Some(false),
        ..FlagOptions::default()
    };
    assert!(c.get_feature_flag("beta", "u", &o).unwrap().is_some());
    flush(&c);
    assert!(server.events().is_empty());
}

#[test]
fn python_replaces_an_invalid_uuid_or_timestamp_others_refuse_it() {
    let p = Profile::PosthogPython;
    assert_eq!(p.event_uuid("not-a-uuid").unwrap(), None, "a new uuid");
    assert_eq!(p.event_timestamp("not a time").unwrap(), None, "now");
    assert!(
        p.event_uuid("0190d6b4-3c4e-7a9b-8c1d-2e3f4a5b6c7d")
            .unwrap()
            .is_some()
    );
    for other in [Profile::PosthogNode, Profile::Core, Profile::Mobile] {
        assert!(other.event_uuid("not-a-uuid").is_err(), "{other:?}");
        assert!(other.event_timestamp("not a time").is_err(), "{other:?}");
    }
}

#[test]
fn python_all_flags_shape_disabled_null_payload_text_and_keys_sent() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!(true), Some(json!({"a": 1})));
    server.set_flag_override("other", json!(false), None);
    let o = FlagOptions::default();
    let disabled = profile_client(&server, Profile::PosthogPython, json!({"disabled": true}));
    assert_eq!(
        disabled.all_flags_json("u", &o, None, false).unwrap(),
        Value::Null
    );
    assert_eq!(
        disabled.all_flags_json("u", &o, None, true).unwrap(),
        json!({"featureFlags": null, "featureFlagPayloads": null})
    );
    let c = profile_client(&server, Profile::PosthogPython, json!({}));
    let keys = vec!["beta".to_string()];
    let both = c.all_flags_json("u", &o, Some(&keys), true).unwrap();
    assert_eq!(
        both["featureFlagPayloads"]["beta"],
        json!("{\"a\":1}"),
        "JSON text"
    );
    assert_eq!(both["featureFlags"], json!({"beta": true}));
    let body: Value = server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/flags"))
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .next_back()
        .unwrap();
    assert_eq!(body["flag_keys_to_evaluate"], json!(["beta"]));
    let node = profile_client(&server, Profile::PosthogNode, json!({}));
    let both = node.all_flags_json("u", &o, None, true).unwrap();
    assert_eq!(
        both["featureFlagPayloads"]["beta"],
        json!({"a": 1}),
        "decoded"
    );
    let node_disabled = profile_client(&server, Profile::PosthogNode, json!({"disabled": true}));
    assert_eq!(
        node_disabled.all_flags_json("u", &o, None, false).unwrap(),
        json!({})
    );
}

#[test]
fn capture_flag_properties_add_feature_and_active_flags_and_the_events_own_win() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!(true), None);
    server.set_flag_override("off", json!(false), None);
    server.set_flag_override("variant", json!("v"), None);
    let c = profile_client(&server, Profile::PosthogPython, json!({}));
    let mut e = Event::new("e", "u").property("$feature/variant", "mine");
    c.add_flag_properties(&mut e, &posthog_core::CaptureFlags::default());
    assert_eq!(e.properties["$feature/beta"], true);
    assert_eq!(e.properties["$feature/off"], false);
    assert_eq!(
        e.properties["$feature/variant"], "mine",
        "the event's own wins"
    );
    let active = e.properties["$active_feature_flags"]
        .as_array()
        .unwrap()
        .clone();
    assert!(active.contains(&json!("beta")) && active.contains(&json!("variant")));
    assert!(!active.contains(&json!("off")), "only flags that are on");
    // A failure adds nothing.
    server.push_flags_fault(posthog_testserver::Fault::status(500));
    server.push_flags_fault(posthog_testserver::Fault::status(500));
    let mut e = Event::new("e", "u");
    c.add_flag_properties(&mut e, &posthog_core::CaptureFlags::default());
    assert!(e.properties.is_empty());
}

#[test]
fn feature_flag_result_shapes_per_profile() {
    let server = TestServer::spawn();
    server.set_flag_override("variant", json!("v"), Some(json!([1])));
    server.set_flag_override("beta", json!(true), None);
    let o = FlagOptions {
        send_feature_flag_events: Some(false),
        ..FlagOptions::default()
    };
    let py = profile_client(&server, Profile::PosthogPython, json!({}));
    let r = py
        .get_feature_flag_result("variant", "u", &o)
        .unwrap()
        .unwrap();
    let v = r.result_json(Profile::PosthogPython, "variant");
    assert_eq!(v["key"], "variant");
    assert_eq!(v["enabled"], true);
    assert_eq!(v["variant"], "v");
    assert_eq!(v["payload"], json!([1]));
    let r = py
        .get_feature_flag_result("beta", "u", &o)
        .unwrap()
        .unwrap();
    let v = r.result_json(Profile::PosthogPython, "beta");
    assert_eq!(v["variant"], Value::Null);
    assert_eq!(v["payload"], Value::Null);
    assert!(
        r.result_json(Profile::PosthogNode, "beta")
            .get("variant")
            .is_none()
    );
}

#[test]
fn python_snapshot_reads_capture_flag_called_node_and_core_do_not() {
    let server = TestServer::spawn();
    for (profile, expected) in [
        (Profile::PosthogPython, 2),
        (Profile::PosthogNode, 0),
        (Profile::Core, 0),
    ] {
        server.reset();
        server.set_flag_override("beta", json!(true), None);
        let c = profile_client(&server, profile, json!({}));
        let o = FlagOptions::default();
        let keys = vec!["beta".to_string()];
        let snap = c.evaluate_flags("u", &o, Some(&keys)).unwrap();
        c.record_flag_read(&snap, "beta", &o);
        c.record_flag_read(&snap, "beta", &o); // de-duplicated
        c.record_flag_read(&snap, "missing", &o);
        flush(&c);
        let called: Vec<_> = server
            .events()
            .into_iter()
            .filter(|e| e.event == "$feature_flag_called")
            .collect();
        assert_eq!(called.len(), expected, "{profile:?}");
        if expected > 0 {
            let missing = called
                .iter()
                .find(|e| e.properties["$feature_flag"] == "missing")
                .unwrap();
            assert_eq!(missing.properties["$feature_flag_error"], "flag_missing");
            let beta = called
                .iter()
                .find(|e| e.properties["$feature_flag"] == "beta")
                .unwrap();
            assert_eq!(beta.properties["$feature_flag_response"], true);
            assert!(beta.properties.get("$feature_flag_request_id").is_some());
        }
    }
}

fn node_client_with_errors(server: &TestServer) -> (Client, Arc<std::sync::Mutex<Vec<String>>>) {
    let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = errors.clone();
    let mut o =
        Options::client_options(Profile::PosthogNode, KEY, json!({"host": server.url()})).unwrap();
    o = o.on_error(Arc::new(move |e| seen.lock().unwrap().push(e.to_string())));
    (client(o), errors)
}

#[test]
fn node_shutdown_only_flushes_and_the_client_keeps_sending() {
    let server = TestServer::spawn();
    let c = profile_client(&server, Profile::PosthogNode, json!({}));
    c.capture(Event::new("before", "u"));
    c.shutdown(Duration::from_secs(5)).unwrap();
    assert!(
        c.capture(Event::new("after", "u")).is_some(),
        "still accepted"
    );
    c.shutdown(Duration::from_secs(5)).unwrap();
    let names: Vec<_> = server.events().into_iter().map(|e| e.event).collect();
    assert_eq!(names, ["before", "after"]);
    // posthog-python's (and the core's) shutdown is final.
    let py = profile_client(&server, Profile::PosthogPython, json!({}));
    py.shutdown(Duration::from_secs(5)).unwrap();
    assert!(py.capture(Event::new("late", "u")).is_none());
    assert!(py.is_shut_down());
}

#[test]
fn node_personless_ids_are_v7_python_v4() {
    let node = Event::personless_for(Profile::PosthogNode, "e");
    let py = Event::personless_for(Profile::PosthogPython, "e");
    let version = |id: &str| uuid::Uuid::parse_str(id).unwrap().get_version_num();
    assert_eq!(version(&node.distinct_id), 7);
    assert_eq!(version(&py.distinct_id), 4);
    assert_eq!(node.process_person_profile, Some(false));
}

#[test]
fn node_before_send_failure_is_logged_not_reported() {
    let server = TestServer::spawn();
    let (c, errors) = node_client_with_errors(&server);
    c.before_send_failed("capture: beforeSend threw");
    assert_eq!(c.stats().dropped_before_send, 1);
    assert!(
        errors.lock().unwrap().is_empty(),
        "posthog-node emits no error"
    );
}

#[test]
fn node_quota_limited_flags_are_an_answer_with_its_request_id() {
    let server = TestServer::spawn();
    server.set_flags_quota_limited(true);
    let (c, errors) = node_client_with_errors(&server);
    let o = FlagOptions::default();
    assert_eq!(c.get_feature_flag("beta", "u", &o).unwrap(), None);
    assert_eq!(c.all_flags_json("u", &o, None, false).unwrap(), json!({}));
    assert!(c.evaluate_flags("u", &o, None).unwrap().flags.is_empty());
    flush(&c);
    assert!(
        errors.lock().unwrap().is_empty(),
        "{:?}",
        errors.lock().unwrap()
    );
    let ev = server
        .events()
        .into_iter()
        .find(|e| e.event == "$feature_flag_called")
        .unwrap();
    assert_eq!(
        ev.properties["$feature_flag_error"],
        "quota_limited,flag_missing"
    );
    assert!(ev.properties["$feature_flag_request_id"].is_string());
}

#[test]
fn node_all_flags_list_enabled_remote_flags_without_payload_and_version_null() {
    let server = TestServer::spawn();
    server.set_flag_override("plain", json!(true), None);
    let c = profile_client(&server, Profile::PosthogNode, json!({}));
    let o = FlagOptions::default();
    let both = c.all_flags_json("u", &o, None, true).unwrap();
    assert_eq!(both["featureFlagPayloads"]["plain"], Value::Null);
    assert!(
        both["featureFlagPayloads"]
            .as_object()
            .unwrap()
            .contains_key("plain")
    );
    assert_eq!(
        c.get_feature_flag("plain", "u", &o).unwrap(),
        Some(posthog_core::FlagValue::Bool(true))
    );
    flush(&c);
    let ev = server
        .events()
        .into_iter()
        .find(|e| e.event == "$feature_flag_called")
        .unwrap();
    assert!(ev.properties.contains_key("$feature_flag_version"));
    let py = profile_client(&server, Profile::PosthogPython, json!({}));
    let both = py.all_flags_json("u", &o, None, true).unwrap();
    assert!(
        !both["featureFlagPayloads"]
            .as_object()
            .unwrap()
            .contains_key("plain")
    );
}

#[test]
fn match_value_overrides_locally_for_python_and_filters_for_node() {
    use posthog_core::FlagValue;
    let server = TestServer::spawn();
    let o = FlagOptions::default();
    let py = profile_client(
        &server,
        Profile::PosthogPython,
        json!({"personal_api_key": "phs_testsecurekey"}),
    );
    let node = profile_client(
        &server,
        Profile::PosthogNode,
        json!({"personalApiKey": "phs_testsecurekey"}),
    );
    // exp-checkout-flow: variants control ({"steps": 3}) and test ({"steps": 1}).
    let key = "exp-checkout-flow";
    let FlagValue::Variant(actual) = py.get_feature_flag(key, "u1", &o).unwrap().unwrap() else {
        panic!("a variant flag")
    };
    let other = if actual == "control" {
        "test"
    } else {
        "control"
    };
    let steps = |v: &str| json!({"steps": if v == "control" { 3 } else { 1 }});
    let same = FlagValue::Variant(actual.clone());
    let other = FlagValue::Variant(other.to_string());
    let FlagValue::Variant(other_key) = &other else {
        unreachable!()
    };
    for c in [&py, &node] {
        assert_eq!(
            c.payload_lookup(key, "u1", &o, None).unwrap(),
            Some(Some(steps(&actual)))
        );
        assert_eq!(
            c.payload_lookup(key, "u1", &o, Some(&same)).unwrap(),
            Some(Some(steps(&actual)))
        );
    }
    assert_eq!(
        py.payload_lookup(key, "u1", &o, Some(&other)).unwrap(),
        Some(Some(steps(other_key))),
        "posthog-python: the payload match_value has in the definition"
    );
    assert_eq!(
        node.payload_lookup(key, "u1", &o, Some(&other)).unwrap(),
        None,
        "posthog-node: not the evaluated value, no payload"
    );
    assert_eq!(
        py.payload_lookup("no-such-flag", "u1", &o, None).unwrap(),
        None
    );
}
