//! The mobile client: persisted identity, super properties, opt-out, sessions and context.

use crate::common::*;
use posthog_core::mobile::{DeviceContext, MobileClient, STATE_FILE};
use posthog_core::{ClientOptions, ErrorKind, ManualClock};
use posthog_testserver::{StoredEvent, TestServer};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A state directory removed when the test ends.
struct StateDir(PathBuf);

impl std::ops::Deref for StateDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn state_dir() -> StateDir {
    StateDir(std::env::temp_dir().join(format!(
        "posthog-mobile-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    )))
}

fn context() -> DeviceContext {
    DeviceContext {
        app_name: Some("Demo".into()),
        app_version: Some("1.2.3".into()),
        app_build: Some("42".into()),
        os_name: Some("iOS".into()),
        os_version: Some("18.1".into()),
        device_model: Some("iPhone16,1".into()),
        device_manufacturer: Some("Apple".into()),
        locale: Some("en-GB".into()),
        ..DeviceContext::default()
    }
}

fn mobile(o: ClientOptions, dir: &Path) -> MobileClient {
    MobileClient::new(o, dir.to_path_buf(), context()).expect("mobile client")
}

fn props(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

/// Flushes and returns everything the server stored, in order.
fn sent(m: &MobileClient, server: &TestServer) -> Vec<StoredEvent> {
    m.flush(WAIT).expect("flush");
    server.events()
}

fn named<'a>(events: &'a [StoredEvent], name: &str) -> Vec<&'a StoredEvent> {
    events.iter().filter(|e| e.event == name).collect()
}

fn session(e: &StoredEvent) -> String {
    e.properties["$session_id"]
        .as_str()
        .expect("$session_id")
        .to_string()
}

#[test]
fn first_start_persists_an_anonymous_id_that_a_restart_reuses() {
    let server = TestServer::spawn();
    let dir = state_dir();
    let (o, _) = opts(&server);
    let first = mobile(o, &dir);
    let id = first.distinct_id();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    assert!(!first.is_identified());
    first.capture("opened", Map::new());
    first.shutdown(WAIT).unwrap();
    drop(first);
    assert!(
        dir.join(STATE_FILE).exists(),
        "written by the worker or at shutdown"
    );

    let (o, _) = opts(&server);
    let second = mobile(o, &dir);
    assert_eq!(second.distinct_id(), id);
    second.capture("opened", Map::new());
    let events = sent(&second, &server);
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.distinct_id == id));
}

#[test]
fn identify_sends_the_anonymous_id_and_later_events_use_the_new_id() {
    let server = TestServer::spawn();
    let dir = state_dir();
    let (o, _) = opts(&server);
    let m = mobile(o, &dir);
    let anon = m.distinct_id();
    m.identify("user-1", props(json!({"email": "a@b.c"})), Map::new());
    assert_eq!(m.distinct_id(), "user-1");
    assert!(m.is_identified());
    m.capture("bought", Map::new());
    let events = sent(&m, &server);
    let ident = named(&events, "$identify");
    assert_eq!(ident.len(), 1);
    assert_eq!(ident[0].distinct_id, "user-1");
    assert_eq!(ident[0].properties["$anon_distinct_id"], anon.as_str());
    assert_eq!(ident[0].properties["$set"], json!({"email": "a@b.c"}));
    assert_eq!(named(&events, "bought")[0].distinct_id, "user-1");
    m.shutdown(WAIT).unwrap();
    drop(m);

    // The identified id survives a restart; identifying again sends no anonymous id.
    let (o, _) = opts(&server);
    let m = mobile(o, &dir);
    assert_eq!(m.distinct_id(), "user-1");
    assert!(m.is_identified());
    m.identify("user-2", Map::new(), Map::new());
    let events = sent(&m, &server);
    let second = named(&events, "$identify")
        .into_iter()
        .find(|e| e.distinct_id == "user-2")
        .expect("second identify");
    assert!(second.properties.get("$anon_distinct_id").is_none());
    // An empty id is rejected and changes nothing.
    assert!(m.identify("  ", Map::new(), Map::new()).is_none());
    assert_eq!(m.distinct_id(), "user-2");
}

#[test]
fn reset_makes_a_new_anonymous_id_and_session() {
    let server = TestServer::spawn();
    let dir = state_dir();
    let (o, _) = opts(&server);
    let m = mobile(o, &dir);
    m.identify("user-1", Map::new(), Map::new());
    m.register("plan", "pro");
    m.group("company", "acme", Map::new());
    m.capture("before", Map::new());
    m.reset();
    let anon = m.distinct_id();
    assert_ne!(anon, "user-1");
    assert!(!m.is_identified());
    assert!(m.super_properties().is_empty());
    assert!(m.groups().is_empty());
    m.capture("after", Map::new());
    let events = sent(&m, &server);
    let (before, after) = (named(&events, "before")[0], named(&events, "after")[0]);
    assert_eq!(after.distinct_id, anon);
    assert_ne!(session(before), session(after));
    assert!(after.properties.get("plan").is_none());
    assert!(after.properties.get("$groups").is_none());
    m.shutdown(WAIT).unwrap();
    drop(m);
    let (o, _) = opts(&server);
    assert_eq!(mobile(o, &dir).distinct_id(), anon, "reset is persisted");
}

#[test]
fn super_properties_persist_across_restarts_and_the_events_own_win() {
    let server = TestServer::spawn();
    let dir = state_dir();
    let (o, _) = opts(&server);
    let m = mobile(o, &dir);
    m.register("plan", "pro");
    m.register("tier", 3);
    m.register("gone", true);
    m.unregister("gone");
    m.shutdown(WAIT).unwrap();
    drop(m);

    let (o, _) = opts(&server);
    let m = mobile(o, &dir);
    assert_eq!(
        m.super_properties(),
        props(json!({"plan": "pro", "tier": 3}))
    );
    m.capture("e", props(json!({"tier": 9})));
    let events = sent(&m, &server);
    assert_eq!(events[0].properties["plan"], "pro");
    assert_eq!(
        events[0].properties["tier"], 9,
        "the event's own property wins"
    );
    assert!(events[0].properties.get("gone").is_none());
}

#[test]
fn opt_out_is_persisted_and_respected() {
    let server = TestServer::spawn();
    let dir = state_dir();
    let (o, _) = opts(&server);
    let m = mobile(o, &dir);
    m.opt_out();
    assert!(m.is_opted_out());
    assert!(m.capture("hidden", Map::new()).is_none());
    assert!(m.screen("Hidden", Map::new()).is_none());
    m.shutdown(WAIT).unwrap();
    drop(m);

    let (o, _) = opts(&server);
    let m = mobile(o, &dir);
    assert!(m.is_opted_out());
    assert!(m.capture("still-hidden", Map::new()).is_none());
    let s = m.client().stats();
    assert_eq!((s.accepted, s.dropped()), (0, 0), "opted out is not a drop");
    m.opt_in();
    assert!(m.capture("visible", Map::new()).is_some());
    let events = sent(&m, &server);
    assert_eq!(
        events.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
        ["visible"]
    );
}

#[test]
fn session_rotates_after_thirty_idle_minutes_only() {
    let server = TestServer::spawn();
    let dir = state_dir();
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let (o, _) = opts(&server);
    let m = mobile(o.clock(clock.clone()), &dir);
    m.capture("a", Map::new());
    clock.advance(Duration::from_secs(5 * 60));
    m.capture("b", Map::new());
    clock.advance(Duration::from_secs(31 * 60));
    m.capture("c", Map::new());
    let events = sent(&m, &server);
    let id = |n: &str| session(named(&events, n)[0]);
    assert_eq!(id("a"), id("b"));
    assert_ne!(id("b"), id("c"));
    let c = uuid::Uuid::parse_str(&id("c")).unwrap();
    assert_eq!(c.get_version_num(), 7);
    assert_eq!(c, m.session_id());
}

#[test]
fn context_properties_are_on_every_event() {
    let server = TestServer::spawn();
    let dir = state_dir();
    let (o, _) = opts(&server);
    let m = mobile(o, &dir);
    m.capture("e", Map::new());
    m.screen("Home", Map::new());
    m.identify("u", Map::new(), Map::new());
    m.group("company", "acme", Map::new());
    let events = sent(&m, &server);
    assert_eq!(events.len(), 4);
    let want = json!({"$app_name": "Demo", "$app_version": "1.2.3", "$app_build": "42",
        "$os": "iOS", "$os_version": "18.1", "$device_model": "iPhone16,1",
        "$device_manufacturer": "Apple", "$locale": "en-GB"});
    for e in &events {
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&e.properties[k], v, "{k} on {}", e.event);
        }
        assert!(
            e.properties.get("$timezone").is_none(),
            "absent fields stay out"
        );
        assert!(e.properties["$session_id"].is_string());
    }
}

#[test]
fn screen_and_group_shapes() {
    let server = TestServer::spawn();
    let dir = state_dir();
    let (o, _) = opts(&server);
    let m = mobile(o, &dir);
    let id = m.distinct_id();
    m.screen("Settings", props(json!({"tab": "privacy"})));
    m.group("company", "acme", props(json!({"name": "Acme"})));
    m.capture("after-group", Map::new());
    let events = sent(&m, &server);
    let screen = named(&events, "$screen")[0];
    assert_eq!(screen.properties["$screen_name"], "Settings");
    assert_eq!(screen.properties["tab"], "privacy");
    assert_eq!(screen.distinct_id, id);
    let gi = named(&events, "$groupidentify")[0];
    assert_eq!(gi.distinct_id, id);
    assert_eq!(gi.properties["$group_type"], "company");
    assert_eq!(gi.properties["$group_key"], "acme");
    assert_eq!(gi.properties["$group_set"], json!({"name": "Acme"}));
    assert_eq!(gi.properties["$groups"], json!({"company": "acme"}));
    let after = named(&events, "after-group")[0];
    assert_eq!(after.properties["$groups"], json!({"company": "acme"}));
    m.shutdown(WAIT).unwrap();
    drop(m);
    let (o, _) = opts(&server);
    assert_eq!(
        mobile(o, &dir).groups(),
        props(json!({"company": "acme"})),
        "groups are persisted"
    );
}

#[test]
fn a_corrupt_state_file_starts_fresh_and_is_reported() {
    let server = TestServer::spawn();
    let dir = state_dir();
    std::fs::create_dir_all(&*dir).unwrap();
    std::fs::write(
        dir.join(STATE_FILE),
        b"{\"version\":1,\"distinct_id\":\"tru",
    )
    .unwrap();
    let reports = Reports::default();
    let (o, _) = opts(&server);
    let m = mobile(o.on_error(reports.hook()), &dir);
    assert_eq!(reports.kinds(), [ErrorKind::Io]);
    let id = m.distinct_id();
    assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 7);
    m.capture("e", Map::new());
    assert_eq!(sent(&m, &server)[0].distinct_id, id);
    m.shutdown(WAIT).unwrap();
    drop(m);
    // The fresh state replaced the corrupt file.
    let (o, _) = opts(&server);
    assert_eq!(mobile(o, &dir).distinct_id(), id);
}
