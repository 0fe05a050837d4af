//! Remote config payloads and the flag-definitions cache provider against the test server.

use crate::common::*;
use posthog_core::flags::{CacheFuture, FileFlagDefinitionCache, FlagDefinitionCache};
use posthog_core::{ClientOptions, ErrorKind, FlagOptions, FlagValue, Profile};
use posthog_testserver::TestServer;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECURE: &str = "phs_testsecurekey";

fn definitions() -> Value {
    json!({"flags": [
        {"id": 1, "key": "on", "active": true,
         "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}},
        {"id": 2, "key": "rc", "active": true, "is_remote_configuration": true,
         "filters": {"groups": [{"properties": [], "rollout_percentage": 100}],
                     "payloads": {"true": "{\"color\": \"blue\"}"}}},
        {"id": 3, "key": "rc-text", "active": true, "is_remote_configuration": true,
         "filters": {"groups": [], "payloads": {"true": "plain words"}}},
    ], "group_type_mapping": {}, "cohorts": {}})
}

fn definitions_fetches(server: &TestServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/flags/definitions"))
        .count()
}

fn profiled(server: &TestServer, profile: Profile) -> ClientOptions {
    ClientOptions::for_profile(KEY, profile)
        .host(server.url())
        .flush_interval(Duration::from_secs(3600))
        .clock(Arc::new(posthog_core::ManualClock::new(chrono::Utc::now())))
}

#[test]
fn remote_config_payload_with_the_secret_key() {
    let server = TestServer::spawn();
    server.set_flag_definitions(definitions());
    let node = client(profiled(&server, Profile::PosthogNode).personal_api_key(SECURE));
    assert_eq!(
        node.get_remote_config_payload("rc").unwrap(),
        Some(json!({"color": "blue"}))
    );
    assert_eq!(
        node.get_remote_config_payload("rc-text").unwrap(),
        Some(json!("plain words"))
    );
    let python = client(profiled(&server, Profile::PosthogPython).personal_api_key(SECURE));
    assert_eq!(
        python.get_remote_config_payload("rc").unwrap(),
        Some(json!("{\"color\": \"blue\"}")),
        "posthog-python returns the payload's JSON text"
    );
    let req = server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/remote_config"))
        .unwrap();
    assert_eq!(
        req.path,
        "/api/projects/@current/feature_flags/rc/remote_config"
    );
    assert_eq!(req.method, "GET");
    assert_eq!(req.query, format!("token={KEY}"));
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {SECURE}").as_str())
    );
}

#[test]
fn remote_config_failures() {
    let server = TestServer::spawn();
    server.set_flag_definitions(definitions());
    server.register_key("phx_noscope", &["insight:read"]);
    let reports = Reports::default();
    let secure = client(
        profiled(&server, Profile::PosthogNode)
            .personal_api_key(SECURE)
            .local_evaluation(false)
            .on_error(reports.hook()),
    );
    let c = client(
        profiled(&server, Profile::PosthogNode)
            .personal_api_key("phx_noscope")
            .local_evaluation(false)
            .on_error(reports.hook()),
    );
    // Not a remote-config flag, and a key without feature_flag:read: None, reported.
    assert_eq!(secure.get_remote_config_payload("on").unwrap(), None);
    assert_eq!(c.get_remote_config_payload("rc").unwrap(), None);
    assert_eq!(
        c.fetch_remote_config_payload("rc").unwrap_err().kind(),
        ErrorKind::Forbidden
    );
    assert_eq!(
        reports.kinds(),
        vec![ErrorKind::NotFound, ErrorKind::Forbidden]
    );
    // Without a secret key: a configuration error.
    let nokey = client(profiled(&server, Profile::PosthogNode));
    assert_eq!(
        nokey.get_remote_config_payload("rc").unwrap_err().kind(),
        ErrorKind::Config
    );
    assert_eq!(definitions_fetches(&server), 0, "local evaluation was off");
}

#[test]
fn two_clients_sharing_a_file_cache_fetch_once() {
    let server = TestServer::spawn();
    server.set_flag_definitions(definitions());
    let dir = std::env::temp_dir().join(format!("ph-shared-{}", uuid_like()));
    let path = dir.join("flags.json");
    let make = || {
        client(
            profiled(&server, Profile::PosthogPython)
                .personal_api_key(SECURE)
                .flag_definition_cache(Arc::new(FileFlagDefinitionCache::new(&path))),
        )
    };
    let fo = FlagOptions::default();
    let a = make();
    assert_eq!(
        a.get_feature_flag("on", "u1", &fo).unwrap(),
        Some(FlagValue::Bool(true))
    );
    assert_eq!(definitions_fetches(&server), 1);
    let stored: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(stored["flags"].as_array().unwrap().len(), 3);
    assert_eq!(stored["minimal_flag_called_events"], json!(false));
    let b = make();
    assert_eq!(
        b.get_feature_flag("on", "u2", &fo).unwrap(),
        Some(FlagValue::Bool(true))
    );
    b.reload_feature_flags().unwrap();
    assert_eq!(
        definitions_fetches(&server),
        1,
        "the second process read the file"
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.path.starts_with("/flags/?"))
    );
    a.shutdown(WAIT).unwrap();
    b.shutdown(WAIT).unwrap();
    // The holder released its lease: the next process fetches.
    let c = make();
    c.reload_feature_flags().unwrap();
    assert_eq!(definitions_fetches(&server), 2);
    std::fs::remove_dir_all(dir).unwrap();
}

fn uuid_like() -> String {
    format!(
        "{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// A provider that records its calls and answers from fixed values.
#[derive(Default)]
struct Scripted {
    calls: Mutex<Vec<String>>,
    should_fetch: bool,
    cached: Option<Value>,
    fail_get: bool,
    stored: Mutex<Option<Value>>,
}

impl FlagDefinitionCache for Scripted {
    fn get_flag_definitions(&self) -> CacheFuture<'_, Option<Value>> {
        self.calls.lock().unwrap().push("get".into());
        let out = if self.fail_get {
            Err("redis is down".to_string())
        } else {
            Ok(self.cached.clone())
        };
        Box::pin(async move { out })
    }
    fn should_fetch_flag_definitions(&self) -> CacheFuture<'_, bool> {
        self.calls.lock().unwrap().push("should_fetch".into());
        let v = self.should_fetch;
        Box::pin(async move { Ok(v) })
    }
    fn on_flag_definitions_received(&self, data: Value) -> CacheFuture<'_, ()> {
        self.calls.lock().unwrap().push("received".into());
        *self.stored.lock().unwrap() = Some(data);
        Box::pin(async { Ok(()) })
    }
    fn shutdown(&self) -> CacheFuture<'_, ()> {
        self.calls.lock().unwrap().push("shutdown".into());
        Box::pin(async { Ok(()) })
    }
}

#[test]
fn the_poller_follows_the_provider_protocol() {
    let server = TestServer::spawn();
    server.set_flag_definitions(definitions());
    let fo = FlagOptions::default();

    // Told to fetch: fetch, then hand the data over (with posthog-node's aliases).
    let p = Arc::new(Scripted {
        should_fetch: true,
        ..Scripted::default()
    });
    let c = client(
        profiled(&server, Profile::PosthogNode)
            .personal_api_key(SECURE)
            .flag_definition_cache(p.clone()),
    );
    assert!(c.get_feature_flag("on", "u", &fo).unwrap().is_some());
    c.shutdown(WAIT).unwrap();
    assert_eq!(
        *p.calls.lock().unwrap(),
        vec!["should_fetch", "received", "shutdown"]
    );
    let stored = p.stored.lock().unwrap().clone().unwrap();
    assert_eq!(stored["groupTypeMapping"], json!({}));
    assert_eq!(definitions_fetches(&server), 1);

    // Not told to fetch, cache full: no request.
    let cached = json!({"flags": [{"id": 9, "key": "cached-only", "active": true,
        "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}],
        "groupTypeMapping": {}, "cohorts": {}});
    let p = Arc::new(Scripted {
        cached: Some(cached.clone()),
        ..Scripted::default()
    });
    let c = client(
        profiled(&server, Profile::PosthogPython)
            .personal_api_key(SECURE)
            .flag_definition_cache(p.clone()),
    );
    assert_eq!(
        c.get_feature_flag("cached-only", "u", &fo).unwrap(),
        Some(FlagValue::Bool(true))
    );
    assert_eq!(definitions_fetches(&server), 1);
    assert_eq!(*p.calls.lock().unwrap(), vec!["should_fetch", "get"]);

    // Not told to fetch, the cache fails and nothing is loaded: fetch anyway, reported.
    let reports = Reports::default();
    let p = Arc::new(Scripted {
        fail_get: true,
        ..Scripted::default()
    });
    let c = client(
        profiled(&server, Profile::PosthogPython)
            .personal_api_key(SECURE)
            .on_error(reports.hook())
            .flag_definition_cache(p.clone()),
    );
    assert!(c.get_feature_flag("on", "u", &fo).unwrap().is_some());
    assert_eq!(definitions_fetches(&server), 2);
    assert!(
        reports
            .all()
            .iter()
            .any(|e| e.to_string().contains("get_flag_definitions")),
        "{:?}",
        reports.all()
    );

    // posthog-node without a secret key: a cache-only reader (never asks to fetch).
    let p = Arc::new(Scripted {
        should_fetch: true,
        cached: Some(cached),
        ..Scripted::default()
    });
    let c = client(profiled(&server, Profile::PosthogNode).flag_definition_cache(p.clone()));
    let only_local = FlagOptions {
        only_evaluate_locally: true,
        ..FlagOptions::default()
    };
    assert_eq!(
        c.get_feature_flag("cached-only", "u", &only_local).unwrap(),
        Some(FlagValue::Bool(true))
    );
    assert_eq!(*p.calls.lock().unwrap(), vec!["get"]);
    assert_eq!(definitions_fetches(&server), 2);
}

#[test]
fn flags_decision_is_one_request_with_the_answer() {
    let server = TestServer::spawn();
    server.set_flag_definitions(definitions());
    let c = client(profiled(&server, Profile::PosthogPython).personal_api_key(SECURE));
    let d = c
        .get_flags_decision("u1", &FlagOptions::default(), Some(vec!["on".into()]))
        .unwrap();
    assert_eq!(d["flags"]["on"]["enabled"], json!(true));
    assert_eq!(d["flags"]["on"]["key"], json!("on"));
    assert!(d.get("requestId").is_some());
    let req = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/flags/")
        .unwrap();
    assert_eq!(req.json().unwrap()["flag_keys_to_evaluate"], json!(["on"]));
    server.set_flags_quota_limited(true);
    assert_eq!(
        c.get_flags_decision("u1", &FlagOptions::default(), None)
            .unwrap_err()
            .kind(),
        ErrorKind::QuotaLimited
    );
}
