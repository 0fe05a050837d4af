//! The mobile client's lifecycle entry points and its feature flags cached on disk.

use crate::common::*;
use posthog_core::mobile::{FLAGS_FILE, MobileClient, MobileOptions};
use posthog_core::{ClientOptions, ErrorKind, FlagValue};
use posthog_testserver::{Fault, StoredEvent, TestServer};
use serde_json::{Map, json};
use std::path::PathBuf;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir() -> Dir {
    Dir(std::env::temp_dir().join(format!("posthog-mobile-flags-{}", uuid::Uuid::new_v4())))
}

fn start(o: ClientOptions, d: &Dir, preload: bool) -> MobileClient {
    MobileClient::start(MobileOptions::new(o, &d.0).preload_feature_flags(preload))
        .expect("mobile client")
}

fn flags_requests(server: &TestServer) -> Vec<serde_json::Value> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/flags"))
        .filter_map(|r| r.json())
        .collect()
}

fn named(server: &TestServer, name: &str) -> Vec<StoredEvent> {
    server
        .events()
        .into_iter()
        .filter(|e| e.event == name)
        .collect()
}

#[test]
fn background_sends_without_a_flush_and_foreground_opens() {
    let server = TestServer::spawn();
    let d = dir();
    let (o, _) = opts(&server);
    let m = start(o, &d, false);
    m.on_foreground();
    m.capture("tapped", Map::new());
    m.on_background();
    assert!(
        server.wait_for_events(3, WAIT),
        "on_background sends what is queued (flush_at and the timer are far off)"
    );
    let names: Vec<String> = server.events().into_iter().map(|e| e.event).collect();
    assert_eq!(
        names,
        ["Application Opened", "tapped", "Application Backgrounded"]
    );
    m.on_foreground();
    m.flush(WAIT).unwrap();
    let opened = named(&server, "Application Opened");
    let from: Vec<_> = opened
        .iter()
        .map(|e| e.properties["from_background"].clone())
        .collect();
    assert_eq!(
        from,
        [json!(false), json!(true)],
        "a cold start, then a return"
    );
    assert_eq!(opened[1].distinct_id, m.distinct_id());
}

#[test]
fn lifecycle_events_can_be_turned_off() {
    let server = TestServer::spawn();
    let d = dir();
    let (o, _) = opts(&server);
    let m = MobileClient::start(
        MobileOptions::new(o, &d.0)
            .preload_feature_flags(false)
            .capture_lifecycle_events(false),
    )
    .unwrap();
    m.on_foreground();
    m.on_background();
    m.capture("only", Map::new());
    m.flush(WAIT).unwrap();
    assert_eq!(server.events().len(), 1);
}

#[test]
fn offline_events_wait_for_the_network() {
    let server = TestServer::spawn();
    let d = dir();
    let (o, _) = opts(&server);
    let m = start(o.storage_dir(d.0.join("queue")), &d, false);
    m.on_network_change(false);
    m.capture("offline-1", Map::new());
    m.on_background();
    assert_eq!(m.flush(WAIT).unwrap_err().kind(), ErrorKind::Timeout);
    assert!(server.events().is_empty());
    m.on_network_change(true);
    assert!(server.wait_for_events(2, WAIT));
    m.flush(WAIT).unwrap();
    assert_eq!(server.stats().unique_uuids, 2);
}

#[test]
fn flags_are_cached_on_disk_for_a_cold_start() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!("variant-b"), Some(json!({"color": "blue"})));
    server.set_flag_override("dark-mode", json!(true), None);
    let d = dir();
    let (o, _) = opts(&server);
    let m = start(o, &d, false);
    assert_eq!(
        m.get_feature_flag("beta"),
        None,
        "nothing before the first answer"
    );
    m.reload_feature_flags().wait(WAIT).unwrap();
    assert_eq!(
        m.get_feature_flag("beta"),
        Some(FlagValue::Variant("variant-b".into()))
    );
    assert!(m.is_feature_enabled("dark-mode"));
    assert_eq!(
        m.get_feature_flag_payload("beta"),
        Some(json!({"color": "blue"}))
    );
    let body = &flags_requests(&server)[0];
    assert_eq!(body["distinct_id"], m.distinct_id());
    m.capture("after-flags", Map::new());
    m.shutdown(WAIT).unwrap();
    drop(m);
    assert!(d.0.join(FLAGS_FILE).exists());

    // A cold start while /flags fails: the cached values answer at once.
    server.clear_flag_overrides();
    server.push_flags_fault(Fault::status(500));
    let reports = Reports::default();
    let (o, _) = opts(&server);
    let m = start(o.on_error(reports.hook()), &d, false);
    assert_eq!(
        m.get_feature_flag("beta"),
        Some(FlagValue::Variant("variant-b".into()))
    );
    assert_eq!(
        m.get_feature_flag_payload("beta"),
        Some(json!({"color": "blue"}))
    );
    let err = m.reload_feature_flags().wait(WAIT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert!(reports.kinds().contains(&ErrorKind::Server));
    assert!(
        m.is_feature_enabled("beta"),
        "a failed refresh keeps the cache"
    );
    m.flush(WAIT).unwrap();

    let after = named(&server, "after-flags");
    assert_eq!(after[0].properties["$feature/beta"], "variant-b");
    assert_eq!(after[0].properties["$feature/dark-mode"], true);
    let called = named(&server, "$feature_flag_called");
    // First start: beta (None then variant-b), dark-mode; second start: beta again (new process).
    let responses: Vec<_> = called
        .iter()
        .map(|e| {
            (
                e.properties["$feature_flag"].clone(),
                e.properties["$feature_flag_response"].clone(),
            )
        })
        .collect();
    assert_eq!(
        responses,
        [
            (json!("beta"), json!(null)),
            (json!("beta"), json!("variant-b")),
            (json!("dark-mode"), json!(true)),
            (json!("beta"), json!("variant-b")),
        ]
    );
}

#[test]
fn identify_refreshes_flags_and_reset_clears_them() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!(true), None);
    let d = dir();
    let (o, _) = opts(&server);
    let m = start(o, &d, true);
    let anon = m.distinct_id();
    assert!(server.wait_for_requests(1, WAIT), "preloaded at start");
    m.reload_feature_flags().wait(WAIT).unwrap();
    assert!(m.is_feature_enabled("beta"));

    m.identify("user-9", Map::new(), Map::new());
    m.reload_feature_flags().wait(WAIT).unwrap();
    let ids: Vec<_> = flags_requests(&server)
        .iter()
        .map(|b| b["distinct_id"].clone())
        .collect();
    assert!(
        ids.contains(&json!(anon)) && ids.contains(&json!("user-9")),
        "{ids:?}"
    );
    assert!(m.is_feature_enabled("beta"));

    m.group("company", "acme", Map::new());
    m.reload_feature_flags().wait(WAIT).unwrap();
    let last = flags_requests(&server).pop().unwrap();
    assert_eq!(last["groups"], json!({"company": "acme"}));

    server.clear_flag_overrides();
    server.push_flags_fault(Fault::status(500));
    server.push_flags_fault(Fault::status(500));
    m.reset();
    assert_eq!(
        m.get_feature_flag("beta"),
        None,
        "reset forgets the flags at once"
    );
    m.shutdown(WAIT).unwrap();
    drop(m);
    let (o, _) = opts(&server);
    let m = start(o, &d, false);
    assert_eq!(m.get_feature_flag("beta"), None, "and on disk");
}

/// Never answers: every request hangs until the client stops.
struct Hang;

impl posthog_core::transport::HttpTransport for Hang {
    fn send(
        &self,
        _req: posthog_core::transport::HttpRequest,
    ) -> posthog_core::transport::HttpFuture {
        Box::pin(std::future::pending())
    }
}

#[test]
fn no_call_waits_for_the_network() {
    let server = TestServer::spawn();
    let d = dir();
    let (o, _) = opts(&server);
    let o = o
        .transport(std::sync::Arc::new(Hang))
        .flush_at(1)
        .storage_dir(d.0.join("queue"));
    let m = std::sync::Arc::new(start(o, &d, true));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let app = m.clone();
    // The app's UI thread: with every request hanging, each call must still return.
    let ui = std::thread::spawn(move || {
        app.capture("tap", Map::new());
        app.screen("Home", Map::new());
        app.identify("user-1", Map::new(), Map::new());
        app.group("company", "acme", Map::new());
        app.register("plan", "pro");
        let _reload = app.reload_feature_flags();
        let _flush = app.flush_pending(WAIT);
        let _ = app.get_feature_flag("beta");
        app.on_background();
        app.on_network_change(false);
        app.on_network_change(true);
        app.on_foreground();
        app.reset();
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(WAIT)
        .expect("a mobile call blocked on a hanging request");
    ui.join().unwrap();
    assert!(
        m.shutdown(std::time::Duration::from_millis(50)).is_err(),
        "nothing could be delivered"
    );
}
