//! Private API: feature flags are the state the flag routes serve.

use posthog_testserver::TestServer;
use serde_json::{Value, json};

use crate::admin_support::{KEY, all_pages, call, get, patch, post};

const FLAGS: &str = "/api/projects/1/feature_flags/";

fn definitions(port: u16) -> crate::http::RawResponse {
    crate::http::request(
        port,
        "GET",
        "/flags/definitions?token=phc_test",
        &[("Authorization", "Bearer phs_testsecurekey")],
        None,
    )
    .unwrap()
}

#[test]
fn list_is_seeded_from_the_definitions_and_pages_with_next() {
    let server = TestServer::spawn();
    let port = server.port();
    let first = get(port, &format!("{FLAGS}?limit=20")).json();
    assert_eq!(first["count"], 53);
    assert_eq!(first["previous"], Value::Null);
    assert_eq!(
        first["next"],
        format!("http://127.0.0.1:{port}{FLAGS}?limit=20&offset=20")
    );
    let (all, pages) = all_pages(port, &format!("{FLAGS}?limit=20"));
    assert_eq!((all.len(), pages), (53, 3));
    let flag = all.iter().find(|f| f["key"] == "rollout-000-pct").unwrap();
    assert_eq!(flag["id"], 1001);
    assert!(flag["created_at"].is_string());
    let (default_page, pages) = all_pages(port, FLAGS);
    assert_eq!((default_page.len(), pages), (53, 1));
    // /api/environments/ is an alias, @current too
    assert_eq!(
        get(port, "/api/environments/@current/feature_flags/").json()["count"],
        53
    );
    assert_eq!(
        get(port, &format!("{FLAGS}1001/")).json()["key"],
        "rollout-000-pct"
    );
    assert_eq!(get(port, &format!("{FLAGS}999999/")).status, 404);
}

#[test]
fn created_flags_are_served_by_the_definitions_with_a_new_etag() {
    let server = TestServer::spawn();
    let port = server.port();
    let etag = server.flag_definitions_etag();
    let filters = json!({"groups": [{"properties": [], "rollout_percentage": 100}]});
    let r = post(
        port,
        FLAGS,
        &json!({"key": "new-flag", "name": "New", "filters": filters}),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let created = r.json();
    assert_eq!(created["key"], "new-flag");
    assert_eq!(created["active"], true);
    assert_eq!(created["version"], 1);
    let id = created["id"].as_i64().unwrap();

    let served = definitions(port);
    assert_eq!(served.status, 200);
    assert_ne!(served.header("etag"), Some(etag.as_str()));
    assert_eq!(
        served.header("etag"),
        Some(server.flag_definitions_etag().as_str())
    );
    let flags = served.json()["flags"].as_array().unwrap().clone();
    assert_eq!(flags.len(), 54);
    assert!(
        flags
            .iter()
            .any(|f| f["key"] == "new-flag" && f["id"] == id)
    );

    // remote evaluation sees it too
    let remote = crate::http::post_json(
        port,
        "/flags/?v=2",
        &json!({"api_key": "phc_test", "distinct_id": "u1"}),
    )
    .unwrap();
    assert_eq!(remote.json()["flags"]["new-flag"]["enabled"], true);

    // patch: version bumps, definitions follow
    let r = patch(
        port,
        &format!("{FLAGS}{id}/"),
        &json!({"active": false, "name": "Renamed"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["version"], 2);
    let flags = definitions(port).json()["flags"]
        .as_array()
        .unwrap()
        .clone();
    let flag = flags.iter().find(|f| f["id"] == id).unwrap();
    assert_eq!(
        (flag["active"].clone(), flag["name"].clone()),
        (json!(false), json!("Renamed"))
    );

    // DELETE is not allowed; soft delete removes it from the definitions and the list
    assert_eq!(
        call(port, "DELETE", &format!("{FLAGS}{id}/"), KEY, None).status,
        405
    );
    let r = patch(port, &format!("{FLAGS}{id}/"), &json!({"deleted": true}));
    assert_eq!((r.status, r.json()["deleted"].clone()), (200, json!(true)));
    assert_eq!(
        definitions(port).json()["flags"].as_array().unwrap().len(),
        53
    );
    assert_eq!(get(port, FLAGS).json()["count"], 53);
    assert_eq!(get(port, &format!("{FLAGS}{id}/")).status, 404);

    // activity, newest first
    let activity = get(port, &format!("{FLAGS}{id}/activity/")).json();
    let kinds: Vec<&str> = activity["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["activity"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["deleted", "updated", "created"]);
    let changes = &activity["results"][1]["detail"]["changes"];
    assert!(
        changes
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "active" && c["before"] == true && c["after"] == false)
    );

    // a new flag gets a fresh id (ids are not reused)
    let again = post(port, FLAGS, &json!({"key": "new-flag"})).json();
    assert!(again["id"].as_i64().unwrap() > id);
}

#[test]
fn create_validates_the_key() {
    let server = TestServer::spawn();
    let port = server.port();
    let r = post(port, FLAGS, &json!({"name": "no key"}));
    assert_eq!(r.status, 400);
    let body = r.json();
    assert_eq!(
        (
            body["type"].clone(),
            body["code"].clone(),
            body["attr"].clone()
        ),
        (json!("validation_error"), json!("required"), json!("key"))
    );
    let r = post(port, FLAGS, &json!({"key": "rollout-000-pct"}));
    assert_eq!(r.status, 400);
    assert_eq!(
        (r.json()["code"].clone(), r.json()["attr"].clone()),
        (json!("unique"), json!("key"))
    );
    assert_eq!(
        post(port, FLAGS, &json!({"key": "bad key!"})).json()["attr"],
        "key"
    );
    assert_eq!(
        post(port, FLAGS, &json!({"key": "ok", "filters": 3})).json()["attr"],
        "filters"
    );
    // renaming onto a taken key is refused too
    let r = patch(
        port,
        &format!("{FLAGS}1001/"),
        &json!({"key": "rollout-005-pct"}),
    );
    assert_eq!(
        r.json()["code"],
        if r.status == 400 { "unique" } else { "?" }
    );
    let etag = server.flag_definitions_etag();
    assert_eq!(post(port, FLAGS, &json!({})).status, 400);
    assert_eq!(server.flag_definitions_etag(), etag);
}
