//! Private API: projects, persons, cohorts, insights, annotations, definitions, batch
//! exports.

use posthog_testserver::TestServer;
use serde_json::{Value, json};

use crate::admin_support::{KEY, all_pages, call, capture, get, post};

#[test]
fn projects() {
    let server = TestServer::spawn();
    let port = server.port();
    let list = get(port, "/api/projects/").json();
    assert_eq!(list["count"], 1);
    assert_eq!(list["results"][0]["id"], 1);
    assert_eq!(
        get(port, "/api/projects/1/").json()["name"],
        list["results"][0]["name"]
    );
}

#[test]
fn persons_come_from_captured_events() {
    let server = TestServer::spawn();
    let port = server.port();
    capture(
        port,
        &[
            ("$pageview", "anon-1", "2024-05-01T10:00:00Z", json!({})),
            (
                "$identify",
                "alice",
                "2024-05-01T10:01:00Z",
                json!({"$anon_distinct_id": "anon-1", "$set": {"email": "a@example.com"}, "$set_once": {"first": 1}}),
            ),
            (
                "$pageview",
                "alice",
                "2024-05-01T10:02:00Z",
                json!({"$set": {"plan": "pro"}, "$set_once": {"first": 2}}),
            ),
            ("$pageview", "bob", "2024-05-01T10:03:00Z", json!({})),
        ],
    );
    let (people, _) = all_pages(port, "/api/projects/1/persons/?limit=1");
    assert_eq!(people.len(), 2);
    let alice = get(port, "/api/projects/1/persons/?distinct_id=alice").json();
    assert!(
        alice.get("count").is_none(),
        "PostHog's person list has no count"
    );
    assert_eq!(alice["results"].as_array().unwrap().len(), 1);
    let alice = &alice["results"][0];
    assert_eq!(alice["distinct_ids"], json!(["anon-1", "alice"]));
    assert_eq!(
        alice["properties"],
        json!({"email": "a@example.com", "first": 1, "plan": "pro"})
    );
    let id = alice["id"].as_str().unwrap();
    // events carry the person id
    let rows = crate::admin_support::query(
        port,
        "SELECT count() FROM events WHERE person_id = {p}",
        json!({"p": id}),
    );
    assert_eq!(rows["results"], json!([[3]]));
    assert_eq!(
        get(port, &format!("/api/projects/1/persons/{id}/")).json()["id"],
        id
    );
    assert_eq!(
        call(
            port,
            "DELETE",
            &format!("/api/projects/1/persons/{id}/"),
            KEY,
            None
        )
        .status,
        202
    );
    assert_eq!(
        get(port, &format!("/api/projects/1/persons/{id}/")).status,
        404
    );
    let persons = |target: &str| {
        get(port, target).json()["results"]
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(persons("/api/projects/1/persons/"), 1);
    assert_eq!(
        get(port, "/api/projects/1/persons/?include_total").json()["count"],
        1
    );
    assert_eq!(persons("/api/projects/1/persons/?distinct_id=nobody"), 0);
    server.reset();
    assert_eq!(persons("/api/projects/1/persons/"), 0);
}

#[test]
fn cohorts_insights_annotations() {
    let server = TestServer::spawn();
    let port = server.port();
    let r = post(
        port,
        "/api/projects/1/cohorts/",
        &json!({"name": "Beta testers", "is_static": true}),
    );
    assert_eq!(r.status, 201);
    let id = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        get(port, &format!("/api/projects/1/cohorts/{id}/")).json()["is_static"],
        true
    );
    assert_eq!(get(port, "/api/projects/1/cohorts/").json()["count"], 1);
    assert_eq!(
        post(
            port,
            "/api/projects/1/cohorts/",
            &json!({"is_static": true})
        )
        .json()["attr"],
        "name"
    );

    let insights = get(port, "/api/projects/1/insights/").json();
    assert_eq!(insights["count"], 2);
    let first = &insights["results"][0];
    assert_eq!(
        get(port, &format!("/api/projects/1/insights/{}/", first["id"])).json()["name"],
        first["name"]
    );
    assert_eq!(get(port, "/api/projects/1/insights/99/").status, 404);

    let r = post(
        port,
        "/api/projects/1/annotations/",
        &json!({"content": "Deployed v2", "date_marker": "2024-05-01T12:00:00Z", "scope": "project"}),
    );
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["date_marker"], "2024-05-01T12:00:00.000000Z");
    let list = get(port, "/api/projects/1/annotations/").json();
    assert_eq!(list["results"][0]["content"], "Deployed v2");
    assert_eq!(
        post(
            port,
            "/api/projects/1/annotations/",
            &json!({"scope": "project"})
        )
        .json()["attr"],
        "content"
    );
    assert_eq!(
        post(
            port,
            "/api/projects/1/annotations/",
            &json!({"content": "x", "scope": "galaxy"})
        )
        .json()["attr"],
        "scope"
    );
    server.reset();
    assert_eq!(get(port, "/api/projects/1/cohorts/").json()["count"], 0);
}

#[test]
fn event_and_property_definitions_follow_stored_events() {
    let server = TestServer::spawn();
    let port = server.port();
    capture(
        port,
        &[
            (
                "$pageview",
                "a",
                "2024-05-01T10:00:00Z",
                json!({"$browser": "Chrome", "n": 3}),
            ),
            (
                "$pageview",
                "b",
                "2024-05-02T10:00:00Z",
                json!({"$browser": "Firefox"}),
            ),
            (
                "signed_up",
                "a",
                "2024-05-03T10:00:00Z",
                json!({"plan": "pro", "$set": {"email": "a@x"}}),
            ),
        ],
    );
    let events = get(port, "/api/projects/1/event_definitions/").json();
    let names: Vec<&str> = events["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["$pageview", "signed_up"]);
    assert_eq!(
        events["results"][0]["last_seen_at"],
        "2024-05-02T10:00:00.000000Z"
    );
    let props = get(port, "/api/projects/1/property_definitions/").json();
    let find = |name: &str| {
        props["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
    };
    assert_eq!(find("$browser").unwrap()["property_type"], "String");
    assert_eq!(find("n").unwrap()["is_numerical"], true);
    assert!(find("plan").is_some());
    let person_props = get(port, "/api/projects/1/property_definitions/?type=person").json();
    assert_eq!(person_props["results"][0]["name"], "email");
}

#[test]
fn batch_exports_lifecycle() {
    let server = TestServer::spawn();
    let port = server.port();
    let base = "/api/projects/1/batch_exports/";
    let body = json!({"name": "To S3", "destination": {"type": "S3", "config": {"bucket_name": "b", "region": "us-east-1", "prefix": "events/"}}, "interval": "hour"});
    let r = post(port, base, &body);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let export = r.json();
    let id = export["id"].as_str().unwrap().to_owned();
    assert_eq!(export["paused"], false);
    assert_eq!(get(port, base).json()["count"], 1);
    assert_eq!(
        post(port, &format!("{base}{id}/pause/"), &json!({})).json()["paused"],
        true
    );
    assert_eq!(get(port, &format!("{base}{id}/")).json()["paused"], true);
    assert_eq!(
        post(port, &format!("{base}{id}/unpause/"), &json!({})).json()["paused"],
        false
    );
    assert_eq!(get(port, &format!("{base}{id}/")).json()["paused"], false);

    server.generate_events(
        120,
        "$pageview",
        "2024-01-01T00:00:00Z".parse().unwrap(),
        "2024-01-01T02:00:00Z".parse().unwrap(),
    );
    let r = post(
        port,
        &format!("{base}{id}/backfills/"),
        &json!({"start_at": "2024-01-01T00:00:00Z", "end_at": "2024-01-01T03:00:00Z"}),
    );
    assert_eq!(r.status, 200);
    assert!(r.json()["backfill_id"].is_string());
    let (runs, _) = all_pages(port, &format!("{base}{id}/runs/"));
    assert_eq!(runs.len(), 3);
    let counts: Vec<i64> = runs
        .iter()
        .map(|r| r["records_completed"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [0, 60, 60]); // newest first
    assert!(runs.iter().all(|r| r["status"] == "Completed"));

    assert_eq!(
        post(
            port,
            base,
            &json!({"name": "x", "destination": {"type": "Nope"}, "interval": "hour"})
        )
        .json()["attr"],
        "destination"
    );
    assert_eq!(
        post(
            port,
            base,
            &json!({"name": "x", "destination": {"type": "S3"}, "interval": "fortnight"})
        )
        .json()["attr"],
        "interval"
    );
    assert_eq!(
        post(
            port,
            &format!("{base}{id}/backfills/"),
            &json!({"start_at": "2024-01-02T00:00:00Z", "end_at": "2024-01-01T00:00:00Z"})
        )
        .status,
        400
    );
    assert_eq!(get(port, &format!("{base}nope/")).status, 404);
    let _: Value = get(port, base).json();
}
