use crate::common::*;
use posthog_core::{Client, ClientOptions, ErrorKind, FlagOptions, FlagValue};
use posthog_testserver::{Fault, TestServer};
use serde_json::json;

const SECURE: &str = "phs_testsecurekey";

fn local_client(server: &TestServer) -> (Client, Reports) {
    let (o, _) = opts(server);
    let reports = Reports::default();
    (
        client(o.personal_api_key(SECURE).on_error(reports.hook())),
        reports,
    )
}

/// Requests to one route (`/flags/` is remote evaluation, not `/flags/definitions`).
fn count(server: &TestServer, route: &str) -> usize {
    let route = route.trim_end_matches('/');
    server
        .requests()
        .iter()
        .filter(|r| r.path.trim_end_matches('/') == route)
        .count()
}

#[test]
fn evaluates_locally_without_a_request() {
    let server = TestServer::spawn();
    let (c, _) = local_client(&server);
    let fo = FlagOptions::default();
    assert_eq!(
        c.get_feature_flag("rollout-100-pct", "u1", &fo).unwrap(),
        Some(FlagValue::Bool(true))
    );
    assert_eq!(
        c.get_feature_flag("rollout-000-pct", "u1", &fo).unwrap(),
        Some(FlagValue::Bool(false))
    );
    assert_eq!(count(&server, "/flags/definitions"), 1);
    let def = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/flags/definitions")
        .unwrap();
    assert_eq!(
        def.header("authorization"),
        Some(format!("Bearer {SECURE}").as_str())
    );
    assert!(def.query.contains(&format!("token={KEY}")) && def.query.contains("send_cohorts"));
    assert_eq!(count(&server, "/flags/"), 0, "no remote evaluation");
    flush(&c);
    let called = server
        .events()
        .into_iter()
        .find(|e| e.event == "$feature_flag_called")
        .unwrap();
    assert_eq!(called.properties["locally_evaluated"], true);
    assert_eq!(called.properties["$feature_flag_id"], 1010);
}

#[test]
fn payloads_come_from_local_definitions() {
    let server = TestServer::spawn();
    let (c, _) = local_client(&server);
    let fo = FlagOptions::default();
    let (flags, payloads) = c.get_all_flags_and_payloads("u1", &fo).unwrap();
    assert!(flags.len() >= 40, "{}", flags.len());
    let variant = flags["exp-checkout-flow"].clone();
    assert!(matches!(variant, FlagValue::Variant(_)));
    assert_eq!(
        payloads.get("exp-checkout-flow"),
        c.get_feature_flag_payload("exp-checkout-flow", "u1", &fo)
            .unwrap()
            .as_ref()
    );
}

#[test]
fn inconclusive_falls_back_to_remote_unless_local_only() {
    let server = TestServer::spawn();
    server.set_flag_override("paid-plans", json!(true), None);
    let (c, _) = local_client(&server);
    let local_only = FlagOptions {
        only_evaluate_locally: true,
        ..FlagOptions::default()
    };
    // `paid-plans` needs the `plan` person property, which is not given.
    assert_eq!(
        c.get_feature_flag("paid-plans", "u1", &local_only).unwrap(),
        None
    );
    assert_eq!(count(&server, "/flags/"), 0);
    assert_eq!(
        c.get_feature_flag("paid-plans", "u1", &FlagOptions::default())
            .unwrap(),
        Some(FlagValue::Bool(true))
    );
    let remote = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/flags/")
        .unwrap();
    assert_eq!(
        remote.json().unwrap()["flag_keys_to_evaluate"],
        json!(["paid-plans"])
    );
    // With the property, it is decided locally.
    let mut with_plan = FlagOptions::default();
    with_plan
        .person_properties
        .insert("plan".into(), json!("free"));
    assert_eq!(
        c.get_feature_flag("paid-plans", "u1", &with_plan).unwrap(),
        Some(FlagValue::Bool(false))
    );
    assert_eq!(count(&server, "/flags/"), 1);
    // force_remote skips local definitions.
    let force = FlagOptions {
        force_remote: true,
        ..with_plan
    };
    assert_eq!(
        c.get_feature_flag("paid-plans", "u1", &force).unwrap(),
        Some(FlagValue::Bool(true))
    );
    assert_eq!(count(&server, "/flags/"), 2);
}

#[test]
fn evaluate_flags_asks_the_server_once_for_what_is_undecided() {
    let server = TestServer::spawn();
    let (c, _) = local_client(&server);
    let snap = c
        .evaluate_flags("u1", &FlagOptions::default(), None)
        .unwrap();
    assert_eq!(count(&server, "/flags/"), 1);
    let remote = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/flags/")
        .unwrap();
    let asked = remote.json().unwrap()["flag_keys_to_evaluate"]
        .as_array()
        .unwrap()
        .len();
    assert!(
        asked > 0 && asked < 53,
        "only the undecided flags are asked: {asked}"
    );
    assert_eq!(snap.value("rollout-100-pct"), Some(&FlagValue::Bool(true)));
    assert!(snap.get("rollout-100-pct").unwrap().locally_evaluated);
}

#[test]
fn etag_and_304_keep_the_cache() {
    let server = TestServer::spawn();
    let (c, _) = local_client(&server);
    assert!(c.flag_definitions().is_some());
    c.reload_feature_flags().unwrap();
    let defs: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/flags/definitions")
        .collect();
    assert_eq!(defs.len(), 2);
    assert_eq!(
        defs[1].header("if-none-match"),
        Some(server.flag_definitions_etag().as_str())
    );
    assert_eq!(defs[1].status, 304);
    assert_eq!(server.stats().definitions_not_modified, 1);
    assert_eq!(c.flag_definitions().unwrap().len(), 53);
    // New definitions: a new ETag, a 200, the new set.
    server.set_flag_definitions(json!({"flags": [{"id": 1, "key": "only", "active": true,
        "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}],
        "group_type_mapping": {}, "cohorts": {}}));
    c.reload_feature_flags().unwrap();
    assert_eq!(c.flag_definitions().unwrap().len(), 1);
}

#[test]
fn falls_back_to_the_older_definitions_route() {
    let server = TestServer::spawn();
    server.set_definitions_route_missing(true);
    let (c, _) = local_client(&server);
    assert_eq!(
        c.get_feature_flag("rollout-100-pct", "u1", &FlagOptions::default())
            .unwrap(),
        Some(FlagValue::Bool(true))
    );
    assert_eq!(count(&server, "/api/feature_flag/local_evaluation"), 1);
}

#[test]
fn refused_keys_are_reported_and_lookups_fall_back() {
    let server = TestServer::spawn();
    server.set_flag_override("rollout-100-pct", json!("remote"), None);
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(o.personal_api_key("phs_unknown").on_error(reports.hook()));
    assert_eq!(
        c.get_feature_flag("rollout-100-pct", "u1", &FlagOptions::default())
            .unwrap(),
        Some(FlagValue::Variant("remote".into()))
    );
    assert!(reports.kinds().contains(&ErrorKind::Unauthorized));
    let text = reports
        .all()
        .iter()
        .map(|e| e.to_string())
        .collect::<String>();
    assert!(!text.contains("phs_unknown"));
    // A personal key without the scope: 403 naming it.
    server.register_key("phx_noscope", &["insight:read"]);
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(o.personal_api_key("phx_noscope").on_error(reports.hook()));
    let err = c.reload_feature_flags().unwrap_err();
    assert!(
        matches!(&err, posthog_core::Error::Forbidden { scope: Some(s), .. } if s == "feature_flag:read"),
        "{err:?}"
    );
}

#[test]
fn a_project_key_is_refused_as_the_definitions_key() {
    let err = Client::new(ClientOptions::new(KEY).personal_api_key("phc_public")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKey);
}

#[test]
fn a_402_clears_the_definitions() {
    let server = TestServer::spawn();
    let (c, _) = local_client(&server);
    assert!(c.flag_definitions().is_some());
    server.push_definitions_fault(Fault::status(402));
    assert_eq!(
        c.reload_feature_flags().unwrap_err().kind(),
        ErrorKind::QuotaLimited
    );
    assert!(c.flag_definitions().is_none());
}

#[test]
fn try_lookup_answers_local_flags_without_io_and_defers_the_rest() {
    let server = TestServer::spawn();
    server.set_flag_override("paid-plans", json!(true), None);
    let (c, _) = local_client(&server);
    assert!(c.flag_definitions().is_some());
    let fo = FlagOptions::default();
    let r = c
        .try_get_feature_flag_result("rollout-100-pct", "u1", &fo)
        .unwrap();
    assert_eq!(r.unwrap().unwrap().value, FlagValue::Bool(true));
    // Undecidable locally: deferred to the blocking path, which asks the server.
    assert!(
        c.try_get_feature_flag_result("paid-plans", "u1", &fo)
            .unwrap()
            .is_none()
    );
    let local_only = FlagOptions {
        only_evaluate_locally: true,
        ..FlagOptions::default()
    };
    assert_eq!(
        c.try_get_feature_flag_result("paid-plans", "u1", &local_only)
            .unwrap(),
        Some(None)
    );
    let force = FlagOptions {
        force_remote: true,
        ..FlagOptions::default()
    };
    assert!(
        c.try_get_feature_flag_result("rollout-100-pct", "u1", &force)
            .unwrap()
            .is_none()
    );
    assert_eq!(count(&server, "/flags/"), 0, "the try path never does I/O");
    assert_eq!(
        c.try_get_feature_flag_result("", "u1", &fo)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    flush(&c);
    let called: Vec<_> = server
        .events()
        .into_iter()
        .filter(|e| e.event == "$feature_flag_called")
        .collect();
    assert_eq!(called.len(), 2, "answered lookups report like the getters");
}

#[test]
fn definitions_over_the_size_limit_are_refused_unread() {
    let server = TestServer::spawn();
    // ~200 KB of definitions: one flag with a large payload.
    server.set_flag_definitions(json!({"flags": [{
        "id": 1, "key": "big", "active": true,
        "filters": {"groups": [{"rollout_percentage": 100}], "payloads": {"true": "x".repeat(200_000)}}
    }]}));
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(
        o.personal_api_key(SECURE)
            .max_definitions_bytes(64 * 1024)
            .on_error(reports.hook()),
    );
    // Not loaded: the lookup falls back to /flags (the server's own answer).
    c.get_feature_flag("big", "u1", &FlagOptions::default())
        .unwrap();
    assert_eq!(count(&server, "/flags/"), 1, "remote fallback");
    let errors = reports.all();
    assert!(
        errors.iter().any(|e| e.kind() == ErrorKind::Unexpected
            && e.to_string().contains("larger than 65536 bytes")),
        "{errors:?}"
    );
}
