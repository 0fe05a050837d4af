//! The flag side of the HTTP control API.

use posthog_testserver::TestServer;
use serde_json::json;

use crate::http::{get, post_json, request};

fn definitions(port: u16, key: &str, etag: Option<&str>) -> crate::http::RawResponse {
    let auth = format!("Bearer {key}");
    let mut headers = vec![("Authorization", auth.as_str())];
    if let Some(etag) = etag {
        headers.push(("If-None-Match", etag));
    }
    request(
        port,
        "GET",
        "/flags/definitions?token=phc_t",
        &headers,
        None,
    )
    .unwrap()
}

#[test]
fn flag_control_routes() {
    let server = TestServer::spawn();
    let port = server.port();
    let before = server.flag_definitions_etag();

    let defs = json!({"flags": [], "group_type_mapping": {}, "cohorts": {}});
    let r = post_json(port, "/_test/flags/definitions", &defs).unwrap();
    assert_eq!(r.status, 200);
    let etag = r.json()["etag"].as_str().unwrap().to_owned();
    assert_eq!(etag, server.flag_definitions_etag());
    assert_ne!(etag, before);
    assert_eq!(definitions(port, "phs_testsecurekey", None).json(), defs);
    assert_eq!(
        definitions(port, "phs_testsecurekey", Some(&etag)).status,
        304
    );

    let overrides =
        json!({"a": {"value": "v", "payload": {"x": 1}}, "b": true, "c": {"value": false}});
    let r = post_json(port, "/_test/flags/overrides", &overrides).unwrap();
    assert_eq!(r.json()["overrides"], 3);
    let r = post_json(port, "/_test/flags/overrides", &json!({"c": null})).unwrap();
    assert_eq!(r.json()["overrides"], 2);
    assert_eq!(
        post_json(
            port,
            "/_test/flags/overrides",
            &json!({"d": {"payload": 1}})
        )
        .unwrap()
        .status,
        400
    );
    let ask = json!({"api_key": "phc_t", "distinct_id": "u"});
    let b = post_json(port, "/flags/", &ask).unwrap().json();
    assert_eq!(b["featureFlags"], json!({"a": "v", "b": true}));
    assert_eq!(b["featureFlagPayloads"], json!({"a": "{\"x\":1}"}));

    let r = post_json(port, "/_test/flags/quota_limited", &json!({"on": true})).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        post_json(port, "/flags/?v=2", &ask).unwrap().json()["quotaLimited"],
        json!(["feature_flags"])
    );
    post_json(port, "/_test/flags/quota_limited", &json!({"on": false})).unwrap();
    assert_eq!(
        post_json(port, "/flags/?v=2", &ask).unwrap().json()["flags"]["b"]["enabled"],
        true
    );
    assert_eq!(
        post_json(port, "/_test/flags/quota_limited", &json!({}))
            .unwrap()
            .status,
        400
    );

    let r = request(port, "DELETE", "/_test/flags/overrides", &[], None).unwrap();
    assert_eq!(r.json()["overrides"], 0);
    assert_eq!(
        post_json(port, "/flags/?v=2", &ask).unwrap().json()["flags"],
        json!({})
    );

    assert_eq!(definitions(port, "phx_new", None).status, 401);
    let r = post_json(
        port,
        "/_test/keys",
        &json!({"phx_new": ["feature_flag:read"], "phx_no": []}),
    )
    .unwrap();
    assert_eq!(r.json()["registered"], 2);
    assert_eq!(definitions(port, "phx_new", None).status, 200);
    assert_eq!(definitions(port, "phx_no", None).status, 403);
    assert_eq!(
        post_json(port, "/_test/keys", &json!({"phx_bad": [1]}))
            .unwrap()
            .status,
        400
    );

    post_json(
        port,
        "/_test/flags/definitions_route_missing",
        &json!({"on": true}),
    )
    .unwrap();
    assert_eq!(definitions(port, "phs_testsecurekey", None).status, 404);
    post_json(
        port,
        "/_test/flags/definitions_route_missing",
        &json!({"on": false}),
    )
    .unwrap();
    assert_eq!(definitions(port, "phs_testsecurekey", None).status, 200);

    let faults = json!([{"status": 500, "route": "flags"}, {"status": 429, "route": "definitions"},
                        {"status": 503}, {"status": 503, "route": "capture"}]);
    let r = post_json(port, "/_test/faults", &faults).unwrap();
    assert_eq!(r.json(), json!({"queued": 4, "pending": 4}));
    assert_eq!(
        post_json(
            port,
            "/_test/faults",
            &json!({"status": 500, "route": "decide"})
        )
        .unwrap()
        .status,
        400
    );
    assert_eq!(definitions(port, "phs_testsecurekey", None).status, 429);
    assert_eq!(post_json(port, "/flags/?v=2", &ask).unwrap().status, 500);
    let stats = get(port, "/_test/stats").unwrap().json();
    assert_eq!(stats["faults_pending"], 2);
    assert_eq!(stats["flags_requests"], 5);
    assert_eq!(stats["definitions_requests"], 8);
    assert_eq!(stats["definitions_not_modified"], 1);

    assert_eq!(
        post_json(port, "/_test/reset", &json!({})).unwrap().status,
        200
    );
    assert_eq!(server.flag_definitions_etag(), before);
    assert_eq!(definitions(port, "phx_new", None).status, 401);
    assert_eq!(
        get(port, "/_test/stats").unwrap().json()["faults_pending"],
        0
    );
}
