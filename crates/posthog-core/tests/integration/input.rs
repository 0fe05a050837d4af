use crate::common::*;
use posthog_core::{Client, ClientOptions, ErrorKind, Event};
use posthog_testserver::TestServer;
use serde_json::{Map, Value, json};
use std::sync::Arc;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

#[test]
fn a_personal_key_is_refused_without_printing_it() {
    let err = Client::new(ClientOptions::new("phx_my_personal_secret")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKey);
    let msg = err.to_string();
    assert!(msg.contains("personal API key"), "{msg}");
    assert!(!msg.contains("my_personal_secret"), "{msg}");
}

#[test]
fn a_plain_http_remote_host_is_refused() {
    let err = Client::new(ClientOptions::new(KEY).host("http://eu.posthog.com")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(Client::new(ClientOptions::new(KEY).host("https://eu.posthog.com")).is_ok());
}

#[test]
fn debug_output_never_shows_the_key() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    assert!(!format!("{o:?}").contains(KEY));
    let c = client(o);
    assert!(!format!("{c:?}").contains(KEY));
}

#[test]
fn invalid_events_are_dropped_counted_and_reported() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(o.on_error(reports.hook()));
    assert!(c.capture(Event::new("", "u")).is_none());
    assert!(c.capture(Event::new("e", "")).is_none());
    c.reject_input("properties must be a dict");
    assert!(c.capture(Event::new("fine", "u")).is_some());
    assert_eq!(c.stats().dropped_invalid, 3);
    assert_eq!(reports.kinds(), vec![ErrorKind::InvalidInput; 3]);
    flush(&c);
    assert_eq!(
        server.events().len(),
        1,
        "one bad event never poisons a batch"
    );
}

#[test]
fn an_oversized_event_is_refused_alone() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(o.on_error(reports.hook()));
    assert!(
        c.capture(Event::new("huge", "u").property("blob", "z".repeat(1_100_000)))
            .is_none()
    );
    c.capture(Event::new("small", "u"));
    flush(&c);
    assert_eq!(c.stats().dropped_too_large, 1);
    assert_eq!(reports.kinds(), vec![ErrorKind::TooLarge]);
    assert_eq!(server.events().len(), 1);
}

#[test]
fn before_send_may_rewrite_or_drop() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o.before_send(Arc::new(|mut m| {
        if m.event == "secret" {
            return Ok(None);
        }
        if m.event == "broken" {
            return Err("the hook raised KeyError".into());
        }
        m.properties.insert("rewritten".into(), json!(true));
        Ok(Some(m))
    })));
    // A hook that fails drops the event, as posthog-python and posthog-node do.
    assert!(c.capture(Event::new("broken", "u")).is_none());
    assert!(c.capture(Event::new("secret", "u")).is_none());
    c.capture(Event::new("public", "u"));
    flush(&c);
    let ev = &server.events()[0];
    assert_eq!(ev.event, "public");
    assert_eq!(ev.properties["rewritten"], true);
    assert_eq!(c.stats().dropped_before_send, 2);
    c.record_filtered();
    assert_eq!(c.stats().dropped_before_send, 3);
}

#[test]
fn super_properties_geoip_groups_and_disabled() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(
        o.super_properties(obj(json!({"app": "demo", "plan": "free"})))
            .disable_geoip(true),
    );
    c.capture(
        Event::new("e", "u")
            .property("plan", "pro")
            .group("company", "acme"),
    );
    flush(&c);
    let p = &server.events()[0].properties;
    assert_eq!(p["app"], "demo");
    assert_eq!(p["plan"], "pro", "the event's own properties win");
    assert_eq!(p["$geoip_disable"], true);
    assert_eq!(p["$groups"], json!({"company": "acme"}));

    let (o, _) = opts(&server);
    let off = client(o.disabled(true));
    assert!(off.capture(Event::new("e", "u")).is_none());
    flush(&off);
    assert_eq!(server.events().len(), 1);
}

#[test]
fn identify_alias_group_identify_set_and_set_once() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o);
    c.identify(
        "u1",
        obj(json!({"email": "a@b.c"})),
        obj(json!({"first": "2026"})),
    );
    c.alias("u1", "anon-7");
    c.group_identify("company", "acme", obj(json!({"size": 40})), None);
    c.set("u1", obj(json!({"plan": "pro"})));
    c.set_once("u1", obj(json!({"signup": "x"})));
    flush(&c);
    let evs = server.events();
    let names: Vec<_> = evs.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        [
            "$identify",
            "$create_alias",
            "$groupidentify",
            "$set",
            "$set_once"
        ]
    );
    assert_eq!(evs[0].properties["$set"], json!({"email": "a@b.c"}));
    assert_eq!(evs[0].properties["$set_once"], json!({"first": "2026"}));
    assert_eq!(evs[1].properties["alias"], "anon-7");
    assert_eq!(evs[1].distinct_id, "u1");
    assert_eq!(evs[2].distinct_id, "$company_acme");
    assert_eq!(evs[2].properties["$group_type"], "company");
    assert_eq!(evs[2].properties["$group_set"], json!({"size": 40}));
    assert_eq!(evs[3].properties["$set"], json!({"plan": "pro"}));
    assert_eq!(evs[4].properties["$set_once"], json!({"signup": "x"}));
}

#[test]
fn rotate_key_applies_to_later_requests() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o);
    assert_eq!(
        c.rotate_key("phx_nope").unwrap_err().kind(),
        ErrorKind::InvalidKey
    );
    c.rotate_key("phc_rotated").unwrap();
    c.capture(Event::new("e", "u"));
    flush(&c);
    assert_eq!(server.events()[0].token, "phc_rotated");
}

#[test]
fn a_caller_uuid_is_kept() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o);
    let u = posthog_core::parse_uuid("0190d3a4-5b6c-7d8e-9f00-112233445566").unwrap();
    assert_eq!(c.capture(Event::new("e", "u").uuid(u)), Some(u));
    flush(&c);
    assert_eq!(
        server.events()[0].uuid.as_deref(),
        Some("0190d3a4-5b6c-7d8e-9f00-112233445566")
    );
}

#[test]
fn personless_events_and_per_event_geoip() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o.disable_geoip(true));
    c.capture(Event::personless("anonymous-ping"));
    c.capture(Event::new("located", "u").disable_geoip(false));
    c.capture(
        Event::set("u", obj(json!({"plan": "pro"})))
            .uuid(posthog_core::parse_uuid("0190d3a4-5b6c-7d8e-9f00-000000000001").unwrap()),
    );
    flush(&c);
    let evs = server.events();
    assert_eq!(evs[0].properties["$process_person_profile"], false);
    assert!(
        posthog_core::parse_uuid(&evs[0].distinct_id).is_ok(),
        "a random distinct id"
    );
    assert_eq!(
        evs[0].properties["$geoip_disable"], true,
        "the client default"
    );
    assert!(
        evs[1].properties.get("$geoip_disable").is_none(),
        "the event's own choice wins (absent means geoip, as the official SDKs send it)"
    );
    assert_eq!(evs[2].event, "$set");
    assert_eq!(
        evs[2].uuid.as_deref(),
        Some("0190d3a4-5b6c-7d8e-9f00-000000000001")
    );
}

#[test]
fn prepare_then_capture_message_lets_a_binding_run_its_own_hook() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o.super_properties(obj(json!({"app": "demo"}))));
    let mut msg = c.prepare(Event::alias("u1", "anon-1")).unwrap();
    assert_eq!(msg.event, "$create_alias");
    assert_eq!(msg.properties["$lib"], "posthog-sdk-rust");
    assert_eq!(msg.properties["app"], "demo");
    msg.properties.insert("hooked".into(), json!(true));
    let uuid = c.capture_message(msg.clone()).unwrap();
    assert_eq!(uuid, msg.uuid);
    msg.distinct_id.clear();
    assert!(
        c.capture_message(msg).is_none(),
        "a hook that empties the id is refused"
    );
    assert_eq!(
        c.prepare(Event::new("", "u")).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    flush(&c);
    let evs = server.events();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].properties["hooked"], true);
    assert_eq!(c.stats().dropped_invalid, 1);
}
