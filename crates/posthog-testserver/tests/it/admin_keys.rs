//! Private API: `/api/personal_api_keys/`, in both server generations.

use posthog_testserver::{PersonalApiKeys, ServerOptions, TestServer};
use serde_json::{Value, json};

use crate::admin_support::{KEY, call, get, post};
use crate::http::post_json;

const KEYS: &str = "/api/personal_api_keys/";

fn new_key(port: u16, auth: &str, label: &str, scopes: Value) -> crate::http::RawResponse {
    call(
        port,
        "POST",
        KEYS,
        auth,
        Some(
            &json!({"label": label, "scopes": scopes, "scoped_teams": [], "scoped_organizations": []}),
        ),
    )
}

#[test]
fn current_servers_let_a_key_read_only_itself() {
    let server = TestServer::spawn();
    let port = server.port();
    let me = get(port, &format!("{KEYS}@current/"));
    assert_eq!(me.status, 200);
    let me = me.json();
    assert_eq!(
        (
            me["value"].clone(),
            me["scopes"].clone(),
            me["user_id"].clone()
        ),
        (Value::Null, json!(["*"]), json!(1))
    );
    assert_eq!(me["mask_value"], "phx_...lkey");
    assert!(me["last_used_at"].is_string(), "this request used it");
    let id = me["id"].as_str().unwrap().to_owned();
    assert_eq!(get(port, &format!("{KEYS}{id}/")).json()["id"], id);
    // another key's record: 403; an unknown id: 404
    server.register_key("phx_someone_else_entirely", &["query:read"]);
    let other = call(
        port,
        "GET",
        &format!("{KEYS}@current/"),
        "phx_someone_else_entirely",
        None,
    )
    .json();
    let other_id = other["id"].as_str().unwrap();
    assert_eq!(other["scopes"], json!(["query:read"]));
    let r = get(port, &format!("{KEYS}{other_id}/"));
    assert_eq!(r.status, 403);
    assert_eq!(get(port, &format!("{KEYS}nope/")).status, 404);
    // everything else: 403, whatever the scopes
    let forbidden = json!({"type": "authentication_error", "code": "permission_denied", "detail": "This action does not support Personal API Key access", "attr": null});
    for (method, target) in [
        ("GET", KEYS.to_owned()),
        ("POST", KEYS.to_owned()),
        ("PATCH", format!("{KEYS}{id}/")),
        ("DELETE", format!("{KEYS}{id}/")),
        ("POST", format!("{KEYS}{id}/roll/")),
    ] {
        let r = call(port, method, &target, KEY, Some(&json!({"label": "x"})));
        assert_eq!(
            (r.status, r.json()),
            (403, forbidden.clone()),
            "{method} {target}"
        );
    }
}

#[test]
fn legacy_servers_manage_keys_that_then_authenticate() {
    let server = TestServer::spawn_with(ServerOptions {
        personal_api_keys: PersonalApiKeys::Legacy,
        ..ServerOptions::default()
    });
    let port = server.port();
    // scopes are enforced like any resource's
    server.register_key("phx_noscope_but_long", &["query:read"]);
    let r = call(port, "GET", KEYS, "phx_noscope_but_long", None);
    assert_eq!(
        (r.status, r.json()["detail"].clone()),
        (
            403,
            json!("API key missing required scope 'personal_api_key:read'")
        )
    );
    server.register_key("phx_reader_key_value", &["personal_api_key:read"]);
    let r = new_key(port, "phx_reader_key_value", "x", json!(["query:read"]));
    assert_eq!(
        (r.status, r.json()["detail"].clone()),
        (
            403,
            json!("API key missing required scope 'personal_api_key:write'")
        )
    );
    // create: the value once
    let r = new_key(port, KEY, "Exporter", json!(["query:read", "user:read"]));
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let created = r.json();
    let value = created["value"].as_str().unwrap().to_owned();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(value.starts_with("phx_") && value.len() == 47, "{value}");
    assert_eq!(
        created["mask_value"],
        format!("phx_...{}", &value[value.len() - 4..])
    );
    assert_eq!(created["last_rolled_at"], Value::Null);
    assert_eq!(
        get(port, &format!("{KEYS}{id}/")).json()["value"],
        Value::Null
    );
    // the new key authenticates, with its scopes
    assert_eq!(
        call(port, "GET", "/api/users/@me/", &value, None).status,
        200
    );
    assert_eq!(
        call(port, "GET", "/api/projects/1/feature_flags/", &value, None).status,
        403
    );
    let list = get(port, KEYS).json();
    let list = list.as_array().unwrap();
    assert_eq!(list[0]["id"], id, "a plain array, newest first");
    assert!(list.iter().all(|k| k["value"].is_null()));
    // update
    let r = call(
        port,
        "PATCH",
        &format!("{KEYS}{id}/"),
        KEY,
        Some(&json!({"label": "Renamed", "scopes": ["feature_flag:read"]})),
    );
    assert_eq!(
        (r.status, r.json()["label"].clone()),
        (200, json!("Renamed"))
    );
    assert_eq!(
        call(port, "GET", "/api/projects/1/feature_flags/", &value, None).status,
        200
    );
    // roll: the old value stops working, the new one works
    let rolled = call(port, "POST", &format!("{KEYS}{id}/roll/"), KEY, None);
    assert_eq!(rolled.status, 200);
    let rolled = rolled.json();
    let fresh = rolled["value"].as_str().unwrap().to_owned();
    assert_ne!(fresh, value);
    assert!(rolled["last_rolled_at"].is_string());
    assert_eq!(rolled["id"], id);
    assert_eq!(
        call(port, "GET", "/api/projects/1/feature_flags/", &value, None).status,
        401
    );
    assert_eq!(
        call(port, "GET", "/api/projects/1/feature_flags/", &fresh, None).status,
        200
    );
    // delete: it stops working
    assert_eq!(
        call(port, "DELETE", &format!("{KEYS}{id}/"), KEY, None).status,
        204
    );
    assert_eq!(
        call(port, "GET", "/api/projects/1/feature_flags/", &fresh, None).status,
        401
    );
    assert_eq!(get(port, &format!("{KEYS}{id}/")).status, 404);
}

#[test]
fn key_bodies_are_validated_and_capped_at_ten() {
    let server = TestServer::spawn();
    let port = server.port();
    let r = post_json(
        port,
        "/_test/admin/personal_api_keys",
        &json!({"version": "legacy"}),
    )
    .unwrap();
    assert_eq!(r.json()["version"], "legacy");
    let r = new_key(port, KEY, "k", json!(["query:fly"]));
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"type": "validation_error", "code": "invalid", "detail": "Invalid scope: query:fly", "attr": "scopes"})
        )
    );
    let r = post(port, KEYS, &json!({"scopes": []}));
    assert_eq!(
        (r.json()["code"].clone(), r.json()["attr"].clone()),
        (json!("required"), json!("label"))
    );
    let r = post(
        port,
        KEYS,
        &json!({"label": "k", "scopes": [], "scoped_teams": [7], "scoped_organizations": []}),
    );
    assert_eq!(r.json()["attr"], "scoped_teams");
    let r = post(
        port,
        KEYS,
        &json!({"label": "k", "scopes": [], "scoped_teams": [], "scoped_organizations": ["nope"]}),
    );
    assert_eq!(r.json()["detail"], "Invalid organization UUID");
    // an empty scope list is a full-access key, shown as ["*"]
    let full = new_key(port, KEY, "full", json!([])).json();
    assert_eq!(full["scopes"], json!(["*"]));
    let value = full["value"].as_str().unwrap();
    assert_eq!(
        call(port, "GET", "/api/projects/1/cohorts/", value, None).status,
        200
    );
    // the default key and "full" make 2; eight more fit
    for i in 0..8 {
        assert_eq!(
            new_key(port, KEY, &format!("k{i}"), json!(["*"])).status,
            201,
            "{i}"
        );
    }
    let r = new_key(port, KEY, "eleventh", json!(["*"]));
    assert_eq!(
        (r.status, r.json()["detail"].clone()),
        (
            400,
            json!(
                "You can only have 10 personal API keys. Remove an existing key before creating a new one."
            )
        )
    );
    // reset: back to the options' generation and the default key
    server.reset();
    assert_eq!(get(port, KEYS).status, 403);
    assert_eq!(
        call(port, "GET", "/api/projects/1/cohorts/", value, None).status,
        401
    );
    server.set_personal_api_keys(PersonalApiKeys::Legacy);
    assert_eq!(get(port, KEYS).json().as_array().unwrap().len(), 1);
}
