use crate::common::*;
use posthog_core::{ErrorKind, Event, FlagOptions, FlagValue};
use posthog_testserver::{Fault, TestServer};
use serde_json::json;

fn flags_requests(server: &TestServer) -> Vec<posthog_testserver::RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/flags"))
        .collect()
}

fn called_events(server: &TestServer) -> Vec<posthog_testserver::StoredEvent> {
    server
        .events()
        .into_iter()
        .filter(|e| e.event == "$feature_flag_called")
        .collect()
}

#[test]
fn remote_lookup_sends_the_documented_body_and_no_bearer() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!("variant-b"), Some(json!({"color": "blue"})));
    let (o, _) = opts(&server);
    let c = client(o);
    c.capture(Event::new("plain", "u1"));
    flush(&c);
    assert!(
        flags_requests(&server).is_empty(),
        "no /flags request at start or on capture"
    );

    let mut fo = FlagOptions::default();
    fo.person_properties.insert("plan".into(), json!("pro"));
    let v = c.get_feature_flag("beta", "u1", &fo).unwrap();
    assert_eq!(v, Some(FlagValue::Variant("variant-b".into())));
    let reqs = flags_requests(&server);
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.query.as_str()),
        ("POST", "/flags/", "v=2")
    );
    assert!(r.header("authorization").is_none());
    let body = r.json().unwrap();
    assert_eq!(body["api_key"], KEY);
    assert_eq!(body["distinct_id"], "u1");
    assert_eq!(body["groups"], json!({}));
    assert_eq!(body["group_properties"], json!({}));
    assert_eq!(body["person_properties"], json!({"plan": "pro"}));
    assert_eq!(body["geoip_disable"], false);
    assert_eq!(body["flag_keys_to_evaluate"], json!(["beta"]));
    assert_eq!(
        c.get_feature_flag_payload("beta", "u1", &fo).unwrap(),
        Some(json!({"color": "blue"}))
    );
    assert!(!server.requests().iter().any(|r| r.path.contains("decide")));
}

#[test]
fn feature_flag_called_is_captured_once_per_response() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!(true), None);
    let (o, _) = opts(&server);
    let c = client(o);
    let fo = FlagOptions::default();
    assert_eq!(c.is_feature_enabled("beta", "u1", &fo).unwrap(), Some(true));
    assert_eq!(c.is_feature_enabled("beta", "u1", &fo).unwrap(), Some(true));
    flush(&c);
    let evs = called_events(&server);
    assert_eq!(evs.len(), 1, "deduplicated");
    let p = &evs[0].properties;
    assert_eq!(p["$feature_flag"], "beta");
    assert_eq!(p["$feature_flag_response"], true);
    assert_eq!(p["$feature/beta"], true);
    assert_eq!(p["locally_evaluated"], false);
    assert!(p["$feature_flag_request_id"].is_string());
    // The event went through the normal queue, not with the /flags request.
    assert!(
        flags_requests(&server)
            .iter()
            .all(|r| !r.body_text().contains("$feature_flag_called"))
    );

    server.set_flag_override("beta", json!(false), None);
    assert_eq!(
        c.get_feature_flag("beta", "u1", &fo).unwrap(),
        Some(FlagValue::Bool(false))
    );
    let quiet = FlagOptions {
        send_feature_flag_events: Some(false),
        ..FlagOptions::default()
    };
    c.get_feature_flag("beta", "u2", &quiet).unwrap();
    flush(&c);
    assert_eq!(
        called_events(&server).len(),
        2,
        "a new response is reported; a quiet lookup is not"
    );
}

#[test]
fn quota_limited_means_unavailable_not_false() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!(true), None);
    server.set_flags_quota_limited(true);
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(o.on_error(reports.hook()));
    let fo = FlagOptions::default();
    assert_eq!(c.get_feature_flag("beta", "u1", &fo).unwrap(), None);
    assert_eq!(reports.kinds(), vec![ErrorKind::QuotaLimited]);
    assert_eq!(
        c.evaluate_flags("u1", &fo, None).unwrap_err().kind(),
        ErrorKind::QuotaLimited
    );
}

#[test]
fn retries_once_on_502_and_504_only() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!(true), None);
    server.push_flags_fault(Fault::status(502));
    let (o, _) = opts(&server);
    let reports = Reports::default();
    let c = client(o.on_error(reports.hook()));
    let fo = FlagOptions::default();
    assert_eq!(
        c.get_feature_flag("beta", "u1", &fo).unwrap(),
        Some(FlagValue::Bool(true))
    );
    assert_eq!(flags_requests(&server).len(), 2);

    server.push_flags_fault(Fault::status(500));
    assert_eq!(c.get_feature_flag("beta", "u9", &fo).unwrap(), None);
    assert_eq!(flags_requests(&server).len(), 3, "500 is not retried");
    assert_eq!(reports.kinds(), vec![ErrorKind::Server]);
    assert_eq!(
        c.evaluate_flag("beta", "u1", &fo).unwrap().unwrap().value,
        FlagValue::Bool(true)
    );
}

#[test]
fn bad_input_is_a_typed_error() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o);
    let fo = FlagOptions::default();
    assert_eq!(
        c.get_feature_flag("", "u", &fo).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        c.get_feature_flag("k", "", &fo).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        c.evaluate_flags("", &fo, None).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        c.reload_feature_flags().unwrap_err().kind(),
        ErrorKind::Config
    );
}

#[test]
fn capture_can_carry_a_flags_snapshot() {
    let server = TestServer::spawn();
    server.set_flag_override("beta", json!("b"), None);
    server.set_flag_override("off", json!(false), None);
    let (o, _) = opts(&server);
    let c = client(o);
    let snap = c
        .evaluate_flags(
            "u1",
            &FlagOptions::default(),
            Some(&["beta".into(), "off".into()]),
        )
        .unwrap();
    assert!(snap.is_enabled("beta") && !snap.is_enabled("off"));
    assert_eq!(
        flags_requests(&server).len(),
        1,
        "one request for the whole snapshot"
    );
    c.capture(Event::new("checkout", "u1").flags(&snap));
    flush(&c);
    let ev = server
        .events()
        .into_iter()
        .find(|e| e.event == "checkout")
        .unwrap();
    assert_eq!(ev.properties["$feature/beta"], "b");
    assert_eq!(ev.properties["$feature/off"], false);
    assert_eq!(ev.properties["$active_feature_flags"], json!(["beta"]));
}
