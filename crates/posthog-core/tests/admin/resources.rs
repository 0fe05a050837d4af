//! Every resource call sends the right method, path and body (scripted transport).

use crate::scripted::*;
use chrono::{TimeZone, Utc};
use posthog_core::admin::{NewFeatureFlag, ProjectId, QueryOptions};
use posthog_core::transport::HttpRequest;
use serde_json::{Value, json};
use std::time::Duration;

fn empty_list() -> Value {
    json!({"next": null, "previous": null, "results": []})
}

fn check(r: &HttpRequest, method: &str, path: &str) -> Value {
    assert_eq!(r.method, method, "{}", r.url);
    let url = url::Url::parse(&r.url).unwrap();
    assert_eq!(url.path(), path);
    if r.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&r.body).unwrap()
    }
}

#[test]
fn every_resource_call() {
    let (c, t, _) = client();
    let flag = json!({"id": 5, "key": "beta", "name": "Beta", "active": true, "deleted": false, "filters": {"groups": []}, "rollout_percentage": null, "tags": ["x"]});

    t.push_json(
        200,
        json!({"results": [{"id": 1, "name": "Default", "api_token": "phc_x"}], "next": null}),
    );
    let projects: Vec<_> = c.projects().list().collect::<Result<_, _>>().unwrap();
    assert_eq!(projects[0].name.as_deref(), Some("Default"));
    check(&t.last(), "GET", "/api/projects/");
    t.push_json(200, json!({"id": 1, "name": "Default"}));
    c.projects().get(ProjectId::Current).unwrap();
    check(&t.last(), "GET", "/api/projects/@current/");

    t.push_json(200, flag.clone());
    let f = c.feature_flags().get(1u64, 5).unwrap();
    assert_eq!(f.extra["tags"], json!(["x"]));
    check(&t.last(), "GET", "/api/projects/1/feature_flags/5/");
    t.push_json(201, flag.clone());
    c.feature_flags()
        .create(
            1u64,
            &NewFeatureFlag::new("beta")
                .name("Beta")
                .rollout_percentage(50.0),
        )
        .unwrap();
    let body = check(&t.last(), "POST", "/api/projects/1/feature_flags/");
    assert_eq!(body["key"], "beta");
    assert_eq!(body["filters"]["groups"][0]["rollout_percentage"], 50.0);
    t.push_json(200, flag.clone());
    c.feature_flags()
        .update(1u64, 5, json!({"name": "B"}))
        .unwrap();
    assert_eq!(
        check(&t.last(), "PATCH", "/api/projects/1/feature_flags/5/"),
        json!({"name": "B"})
    );
    t.push_json(200, flag.clone());
    c.feature_flags().set_active(1u64, 5, false).unwrap();
    assert_eq!(
        check(&t.last(), "PATCH", "/api/projects/1/feature_flags/5/"),
        json!({"active": false})
    );
    t.push_json(200, flag.clone());
    c.feature_flags().delete(1u64, 5).unwrap();
    assert_eq!(
        check(&t.last(), "PATCH", "/api/projects/1/feature_flags/5/"),
        json!({"deleted": true})
    );
    t.push_json(
        200,
        json!({"results": [{"activity": "updated"}], "next": null, "total_count": 1}),
    );
    assert_eq!(c.feature_flags().activity(1u64, 5).count(), 1);
    check(
        &t.last(),
        "GET",
        "/api/projects/1/feature_flags/5/activity/",
    );

    t.push_json(200, empty_list());
    assert_eq!(c.persons().list(1u64, Some("user 1&x")).count(), 0);
    let r = t.last();
    check(&r, "GET", "/api/projects/1/persons/");
    assert!(r.url.ends_with("?distinct_id=user+1%26x"), "{}", r.url);
    t.push_json(200, json!({"id": "p-1"}));
    c.persons().get(1u64, "p-1").unwrap();
    check(&t.last(), "GET", "/api/projects/1/persons/p-1/");
    t.push(Ok(posthog_core::transport::HttpResponse {
        status: 204,
        headers: vec![],
        body: vec![],
    }));
    c.persons().delete(1u64, "p-1").unwrap();
    check(&t.last(), "DELETE", "/api/projects/1/persons/p-1/");
    assert!(c.persons().get(1u64, "../../users/@me").is_err());

    t.push_json(200, empty_list());
    c.cohorts().list(1u64).for_each(drop);
    check(&t.last(), "GET", "/api/projects/1/cohorts/");
    t.push_json(200, json!({"id": 9}));
    c.cohorts().get(1u64, 9).unwrap();
    check(&t.last(), "GET", "/api/projects/1/cohorts/9/");
    t.push_json(201, json!({"id": 10}));
    c.cohorts().create_static(1u64, "VIPs", &[]).unwrap();
    let body = check(&t.last(), "POST", "/api/projects/1/cohorts/");
    assert_eq!(body, json!({"name": "VIPs", "is_static": true}));

    t.push_json(200, empty_list());
    c.insights().list(1u64).for_each(drop);
    check(&t.last(), "GET", "/api/projects/1/insights/");
    t.push_json(200, json!({"id": 3}));
    c.insights().get(1u64, 3).unwrap();
    check(&t.last(), "GET", "/api/projects/1/insights/3/");

    t.push_json(200, empty_list());
    c.annotations().list(1u64).for_each(drop);
    check(&t.last(), "GET", "/api/projects/1/annotations/");
    t.push_json(201, json!({"id": 4}));
    c.annotations()
        .create(
            1u64,
            "deploy",
            Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap(),
        )
        .unwrap();
    let body = check(&t.last(), "POST", "/api/projects/1/annotations/");
    assert_eq!(body["date_marker"], "2025-01-02T03:04:05.000Z");

    t.push_json(200, empty_list());
    c.definitions().events(1u64).for_each(drop);
    check(&t.last(), "GET", "/api/projects/1/event_definitions/");
    t.push_json(200, empty_list());
    c.definitions()
        .properties(1u64, Some("person"))
        .for_each(drop);
    assert!(t.last().url.ends_with("/property_definitions/?type=person"));

    let be = "0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee";
    t.push_json(200, empty_list());
    c.batch_exports().list(1u64).for_each(drop);
    check(&t.last(), "GET", "/api/projects/1/batch_exports/");
    t.push_json(200, json!({"id": be}));
    c.batch_exports().get(1u64, be).unwrap();
    check(
        &t.last(),
        "GET",
        &format!("/api/projects/1/batch_exports/{be}/"),
    );
    t.push_json(201, json!({"id": be}));
    c.batch_exports()
        .create(
            1u64,
            json!({"name": "s3", "destination": {"type": "S3", "config": {}}, "interval": "hour"}),
        )
        .unwrap();
    check(&t.last(), "POST", "/api/projects/1/batch_exports/");
    t.push_json(200, json!({"paused": true}));
    c.batch_exports().pause(1u64, be).unwrap();
    check(
        &t.last(),
        "POST",
        &format!("/api/projects/1/batch_exports/{be}/pause/"),
    );
    t.push_json(200, json!({"paused": false}));
    c.batch_exports().unpause(1u64, be).unwrap();
    check(
        &t.last(),
        "POST",
        &format!("/api/projects/1/batch_exports/{be}/unpause/"),
    );
    t.push_json(201, json!({"backfill_id": "b"}));
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    c.batch_exports()
        .backfill(1u64, be, start, start + chrono::Duration::days(1))
        .unwrap();
    let body = check(
        &t.last(),
        "POST",
        &format!("/api/projects/1/batch_exports/{be}/backfills/"),
    );
    assert_eq!(
        body,
        json!({"start_at": "2025-01-01T00:00:00Z", "end_at": "2025-01-02T00:00:00Z"})
    );
    t.push_json(200, empty_list());
    c.batch_exports()
        .runs(1u64, be, None, None)
        .unwrap()
        .for_each(drop);
    check(
        &t.last(),
        "GET",
        &format!("/api/projects/1/batch_exports/{be}/runs/"),
    );
    assert_bearer_only(&t.requests(), KEY);
}

#[test]
fn query_sync_async_poll_cancel() {
    let (c, t, clock) = client();
    t.push_json(200, json!({"columns": ["event", "c"], "types": [["event", "String"], ["c", "UInt64"]], "results": [["$pageview", 3]], "hasMore": false, "limit": 100}));
    let opts = QueryOptions {
        client_query_id: Some("my-q".into()),
        name: Some("n".into()),
        fresh: false,
    };
    let r = c
        .query_with(
            1u64,
            "SELECT event, count() AS c FROM events WHERE event = {e} GROUP BY event",
            json!({"e": "$pageview"}),
            &opts,
        )
        .unwrap();
    assert_eq!(r.columns, ["event", "c"]);
    assert_eq!(r.results[0][1], 3);
    let body = check(&t.last(), "POST", "/api/projects/1/query/");
    assert_eq!(body["query"]["kind"], "HogQLQuery");
    assert_eq!(body["query"]["values"]["e"], "$pageview");
    assert_eq!(body["client_query_id"], "my-q");
    assert_eq!(body["refresh"], "blocking");

    t.push_json(
        202,
        json!({"query_status": {"id": "qid-1", "complete": false}}),
    );
    let st = c
        .query_async(1u64, "SELECT 1", json!(null), &QueryOptions::default())
        .unwrap();
    assert_eq!(st.id, "qid-1");
    assert!(st.result().is_none());
    assert_eq!(
        check(&t.last(), "POST", "/api/projects/1/query/")["refresh"],
        "async"
    );

    t.push_json(
        200,
        json!({"query_status": {"id": "qid-1", "complete": false}}),
    );
    assert!(!c.query_status(1u64, "qid-1").unwrap().complete);
    check(&t.last(), "GET", "/api/projects/1/query/qid-1/");

    t.push_json(
        200,
        json!({"query_status": {"id": "qid-1", "complete": false}}),
    );
    t.push_json(200, json!({"query_status": {"id": "qid-1", "complete": true, "results": {"columns": ["x"], "results": [[1]], "hasMore": false}}}));
    let r = c
        .wait_for_query(1u64, "qid-1", Duration::from_secs(60))
        .unwrap();
    assert_eq!(r.results, vec![vec![json!(1)]]);
    assert_eq!(clock.sleeps(), vec![Duration::from_millis(100)]);

    t.push_json(200, json!({"query_status": {"id": "q2", "complete": true, "error": true, "error_message": "Unknown table"}}));
    let e = c
        .wait_for_query(1u64, "q2", Duration::from_secs(60))
        .unwrap_err();
    assert!(e.to_string().contains("Unknown table"));

    t.handle(|_| {
        Ok(json_resp(
            200,
            &json!({"query_status": {"id": "q3", "complete": false}}),
        ))
    });
    let e = c
        .wait_for_query(1u64, "q3", Duration::from_secs(3))
        .unwrap_err();
    assert_eq!(e.kind(), posthog_core::ErrorKind::Timeout);

    t.push(Ok(posthog_core::transport::HttpResponse {
        status: 204,
        headers: vec![],
        body: vec![],
    }));
    c.cancel_query(1u64, "q3").unwrap();
    check(&t.last(), "DELETE", "/api/projects/1/query/q3/");
}
