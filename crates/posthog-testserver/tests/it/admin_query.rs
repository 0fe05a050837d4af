//! Private API: the query API and its HogQL subset.

use std::time::Instant;

use posthog_testserver::TestServer;
use serde_json::{Value, json};

use crate::admin_support::{KEY, call, capture, get, post, query, query_raw};

fn seeded() -> TestServer {
    let server = TestServer::spawn();
    capture(
        server.port(),
        &[
            (
                "$pageview",
                "alice",
                "2024-05-01T10:00:00Z",
                json!({"$browser": "Chrome", "$current_url": "https://a.com/x", "price": 10}),
            ),
            (
                "$pageview",
                "bob",
                "2024-05-01T11:30:00+01:00",
                json!({"$browser": "Firefox", "price": 20, "nested": {"k": "v"}}),
            ),
            (
                "signed_up",
                "alice",
                "2024-05-02T09:30:00Z",
                json!({"plan": "pro", "my prop": "spaced"}),
            ),
            (
                "$pageview",
                "carol",
                "2024-05-03T00:00:00Z",
                json!({"$browser": "Chrome", "price": 30}),
            ),
        ],
    );
    server
}

#[test]
fn selects_columns_with_types() {
    let server = seeded();
    let port = server.port();
    let r = query(
        port,
        "SELECT uuid, event, distinct_id, timestamp, properties, person_id FROM events ORDER BY timestamp LIMIT 1",
        json!({}),
    );
    assert_eq!(
        r["columns"],
        json!([
            "uuid",
            "event",
            "distinct_id",
            "timestamp",
            "properties",
            "person_id"
        ])
    );
    assert_eq!(
        r["types"],
        json!([
            ["uuid", "UUID"],
            ["event", "String"],
            ["distinct_id", "String"],
            ["timestamp", "DateTime64(6, 'UTC')"],
            ["properties", "String"],
            ["person_id", "UUID"]
        ])
    );
    let row = &r["results"][0];
    assert_eq!(row[1], "$pageview");
    assert_eq!(
        row[3], "2024-05-01T10:00:00.000000Z",
        "stored in one RFC 3339 form"
    );
    let props: Value = serde_json::from_str(row[4].as_str().unwrap()).unwrap();
    assert_eq!(
        props["$browser"], "Chrome",
        "properties answer as JSON text"
    );
    assert_eq!(
        (
            r["hasMore"].clone(),
            r["limit"].clone(),
            r["offset"].clone()
        ),
        (Value::Null, Value::Null, Value::Null),
        "a query with its own LIMIT runs without PostHog's paginator"
    );
    assert_eq!(r["query_status"], Value::Null);
    assert_eq!(
        (r["is_cached"].clone(), r["timezone"].clone()),
        (json!(false), json!("UTC"))
    );
    // the +01:00 timestamp was normalised to UTC
    let bob = query(
        port,
        "SELECT timestamp FROM events WHERE distinct_id = 'bob'",
        json!({}),
    );
    assert_eq!(bob["results"], json!([["2024-05-01T10:30:00.000000Z"]]));
    let persons = query(
        port,
        "SELECT id, created_at, properties FROM persons ORDER BY created_at",
        json!({}),
    );
    assert_eq!(persons["results"].as_array().unwrap().len(), 3);
}

#[test]
fn properties_in_every_spelling() {
    let server = seeded();
    let port = server.port();
    let r = query(
        port,
        "SELECT properties.$browser, properties['$browser'], properties.nested.k, properties['my prop'], events.event AS e FROM events ORDER BY timestamp, uuid",
        json!({}),
    );
    assert_eq!(
        r["columns"],
        json!(["$browser", "$browser", "k", "my prop", "e"])
    );
    assert_eq!(
        r["results"][0],
        json!(["Chrome", "Chrome", null, null, "$pageview"])
    );
    assert_eq!(
        r["results"][1],
        json!(["Firefox", "Firefox", "v", null, "$pageview"])
    );
    assert_eq!(
        r["results"][2],
        json!([null, null, null, "spaced", "signed_up"])
    );
}

#[test]
fn where_with_placeholders_and_operators() {
    let server = seeded();
    let port = server.port();
    let rows = |hogql: &str, values: Value| -> Vec<Value> {
        query(port, hogql, values)["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[0].clone())
            .collect()
    };
    let base = "SELECT distinct_id FROM events WHERE";
    let order = "ORDER BY timestamp, uuid";
    assert_eq!(
        rows(
            &format!("{base} event = {{e}} AND properties.$browser = {{b}} {order}"),
            json!({"e": "$pageview", "b": "Chrome"})
        ),
        [json!("alice"), json!("carol")]
    );
    assert_eq!(
        rows(
            &format!("{base} timestamp >= {{since}} {order}"),
            json!({"since": "2024-05-02"})
        ),
        [json!("alice"), json!("carol")]
    );
    assert_eq!(
        rows(
            &format!("{base} timestamp < toDateTime('2024-05-01 10:45:00') {order}"),
            json!({})
        ),
        [json!("alice"), json!("bob")]
    );
    assert_eq!(
        rows(
            &format!("{base} '2024-05-02T00:00:00Z' > timestamp {order}"),
            json!({})
        ),
        [json!("alice"), json!("bob")]
    );
    assert_eq!(
        rows(
            &format!("{base} timestamp > now() - INTERVAL 1 DAY {order}"),
            json!({})
        )
        .len(),
        0
    );
    assert_eq!(
        rows(
            &format!("{base} timestamp > now() - INTERVAL 100000 HOUR {order}"),
            json!({})
        )
        .len(),
        4
    );
    assert_eq!(
        rows(
            &format!("{base} distinct_id IN {{ids}} {order}"),
            json!({"ids": ["bob", "carol"]})
        ),
        [json!("bob"), json!("carol")]
    );
    assert_eq!(
        rows(
            &format!("{base} distinct_id NOT IN ('alice', 'bob') {order}"),
            json!({})
        ),
        [json!("carol")]
    );
    assert_eq!(
        rows(
            &format!(
                "{base} (event != 'signed_up' OR properties.plan = 'pro') AND NOT distinct_id = 'alice' {order}"
            ),
            json!({})
        ),
        [json!("bob"), json!("carol")]
    );
    assert_eq!(
        rows(
            &format!("{base} properties.$current_url LIKE 'https://a.com/%' {order}"),
            json!({})
        ),
        [json!("alice")]
    );
    assert_eq!(
        rows(
            &format!("{base} properties.$current_url LIKE 'HTTPS://%' {order}"),
            json!({})
        )
        .len(),
        0,
        "LIKE is case-sensitive"
    );
    assert_eq!(
        rows(
            &format!("{base} properties.plan IS NOT NULL {order}"),
            json!({})
        ),
        [json!("alice")]
    );
    assert_eq!(
        rows(
            &format!("{base} properties.plan IS NULL AND properties.price > 15 {order}"),
            json!({})
        ),
        [json!("bob"), json!("carol")]
    );
    // a placeholder is bound, never spliced
    assert_eq!(
        rows(
            &format!("{base} distinct_id = {{x}}"),
            json!({"x": "x' OR 1=1 --"})
        )
        .len(),
        0
    );
    let r = query_raw(
        port,
        "SELECT event FROM events WHERE distinct_id = {missing}",
        json!({}),
    );
    assert_eq!(r.status, 400);
}

#[test]
fn aggregates_group_order_limit_offset() {
    let server = seeded();
    let port = server.port();
    let r = query(port, "SELECT count() FROM events", json!({}));
    assert_eq!(
        (
            r["results"].clone(),
            r["types"].clone(),
            r["columns"].clone()
        ),
        (
            json!([[4]]),
            json!([["count()", "UInt64"]]),
            json!(["count()"])
        )
    );
    let r = query(
        port,
        "SELECT event, count(*) AS n, min(timestamp), max(properties.price), sum(properties.price), avg(properties.price) FROM events GROUP BY event ORDER BY n DESC",
        json!({}),
    );
    assert_eq!(
        r["columns"],
        json!([
            "event",
            "n",
            "min(timestamp)",
            "max(properties.price)",
            "sum(properties.price)",
            "avg(properties.price)"
        ])
    );
    assert_eq!(
        r["results"][0],
        json!(["$pageview", 3, "2024-05-01T10:00:00.000000Z", 30, 60, 20.0])
    );
    assert_eq!(r["results"][1][1], 1);
    let r = query(
        port,
        "SELECT properties.$browser AS browser, count() FROM events WHERE event = '$pageview' GROUP BY browser ORDER BY browser ASC",
        json!({}),
    );
    assert_eq!(r["results"], json!([["Chrome", 2], ["Firefox", 1]]));
    let r = query(port, "SELECT toString(count()) AS c FROM events", json!({}));
    assert_eq!(
        (r["results"].clone(), r["types"].clone()),
        (json!([["4"]]), json!([["c", "String"]]))
    );

    let page = |limit: u32, offset: u32| {
        query(
            port,
            &format!(
                "SELECT distinct_id FROM events ORDER BY timestamp DESC, uuid LIMIT {limit} OFFSET {offset}"
            ),
            json!({}),
        )
    };
    let p1 = page(2, 0);
    assert_eq!(
        (p1["results"].clone(), p1["hasMore"].clone()),
        (json!([["carol"], ["alice"]]), Value::Null)
    );
    let p2 = page(2, 2);
    assert_eq!(
        (p2["hasMore"].clone(), p2["offset"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(p2["results"].as_array().unwrap().len(), 2);
    assert_eq!(page(2, 4)["results"], json!([]));
}

#[test]
fn default_and_maximum_limits() {
    let server = TestServer::spawn();
    let port = server.port();
    server.generate_events(
        50_050,
        "e",
        "2024-01-01T00:00:00Z".parse().unwrap(),
        "2024-01-02T00:00:00Z".parse().unwrap(),
    );
    let r = query(port, "SELECT uuid FROM events", json!({}));
    assert_eq!(
        (
            r["results"].as_array().unwrap().len(),
            r["limit"].clone(),
            r["hasMore"].clone()
        ),
        (100, json!(100), json!(true))
    );
    let r = query(
        port,
        "SELECT uuid FROM events ORDER BY timestamp, uuid LIMIT 1000000",
        json!({}),
    );
    assert_eq!(
        (
            r["results"].as_array().unwrap().len(),
            r["limit"].clone(),
            r["hasMore"].clone()
        ),
        (50_000, Value::Null, Value::Null)
    );
    let r = query(
        port,
        "SELECT uuid FROM events ORDER BY timestamp, uuid LIMIT 50000 OFFSET 50000",
        json!({}),
    );
    assert_eq!(
        (r["results"].as_array().unwrap().len(), r["hasMore"].clone()),
        (50, Value::Null)
    );
}

#[test]
fn unsupported_queries_are_rejected() {
    let server = seeded();
    let port = server.port();
    for bad in [
        "SELECT * FROM events",
        "SELECT event FROM sessions",
        "SELECT event FROM events JOIN persons ON 1",
        "SELECT event FROM events UNION ALL SELECT event FROM events",
        "SELECT lower(event) FROM events",
        "SELECT event FROM events; DROP TABLE events",
        "SELECT nope FROM events",
        "SELECT event FROM events WHERE timestamp - INTERVAL 1 DAY > now()",
        "SELECT event FROM events WHERE count() > 1",
        "SELECT event FROM events -- comment",
        "SELECT id FROM events",
        "DELETE FROM events",
    ] {
        let r = query_raw(port, bad, json!({}));
        assert_eq!(r.status, 400, "{bad}");
        let body = r.json();
        assert_eq!(
            (body["type"].clone(), body["attr"].clone()),
            (json!("validation_error"), Value::Null),
            "{bad}"
        );
        let code = body["code"].as_str().unwrap();
        assert!(
            code == "hogql_syntax_error" || code == "hogql_query_error",
            "{bad}: {code}"
        );
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let r = post(
        port,
        "/api/projects/1/query/",
        &json!({"query": {"kind": "TrendsQuery", "series": []}}),
    );
    assert_eq!(
        (r.status, r.json()["detail"].clone()),
        (400, json!("Unsupported query kind: TrendsQuery"))
    );
    assert_eq!(
        query(port, "SELECT count() FROM events", json!({}))["results"],
        json!([[4]])
    );
}

#[test]
fn async_queries_need_one_incomplete_poll() {
    let server = seeded();
    let port = server.port();
    let body = json!({"query": {"kind": "HogQLQuery", "query": "SELECT count() FROM events"}, "refresh": "async", "client_query_id": "my-query-1"});
    let r = post(port, "/api/environments/1/query/", &body);
    assert_eq!(r.status, 202, "a cache miss starts the query: 202");
    let submitted = r.json();
    assert!(
        submitted["cache_key"]
            .as_str()
            .unwrap()
            .starts_with("cache_")
    );
    let status = submitted["query_status"].clone();
    assert_eq!(
        (
            status["id"].clone(),
            status["complete"].clone(),
            status["query_async"].clone()
        ),
        (json!("my-query-1"), json!(false), json!(true))
    );
    let first = get(port, "/api/projects/1/query/my-query-1/");
    assert_eq!(first.status, 202, "running");
    assert_eq!(first.json()["query_status"]["complete"], false);
    let second = get(port, "/api/projects/1/query/my-query-1/");
    assert_eq!(second.status, 200);
    let second = second.json();
    let status = &second["query_status"];
    assert_eq!(
        (status["complete"].clone(), status["error"].clone()),
        (json!(true), json!(false))
    );
    assert_eq!(status["results"]["results"], json!([[4]]));
    assert_eq!(status["results"]["columns"], json!(["count()"]));
    // a complete query is not cancelled
    let r = call(
        port,
        "DELETE",
        "/api/projects/1/query/my-query-1/",
        KEY,
        None,
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"message": "Query already complete"}))
    );
    assert_eq!(get(port, "/api/projects/1/query/my-query-1/").status, 200);
    // a running one is
    let body = json!({"query": {"kind": "HogQLQuery", "query": "SELECT event FROM events"}, "refresh": "force_async"});
    let r = post(port, "/api/projects/1/query/", &body);
    assert_eq!(r.status, 202);
    let submitted = r.json();
    assert!(
        submitted.get("cache_key").is_none(),
        "force_async: only query_status"
    );
    let id = submitted["query_status"]["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "a uuid7's hex digits: {id}");
    let r = call(
        port,
        "DELETE",
        &format!("/api/projects/1/query/{id}/"),
        KEY,
        None,
    );
    assert_eq!(
        (r.status, r.json()),
        (200, json!({"message": "Cancelled query on clickhouse"}))
    );
    let r = get(port, &format!("/api/projects/1/query/{id}/"));
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["detail"],
        format!("Query {id} not found for team 1")
    );
}

#[test]
fn events_captured_through_batch_are_queryable() {
    let server = TestServer::spawn();
    let port = server.port();
    capture(
        port,
        &[(
            "purchase",
            "zed",
            "2024-06-01T00:00:00Z",
            json!({"amount": 5}),
        )],
    );
    let v1 = json!({"created_at": "2024-06-01T00:00:01Z", "batch": [{"event": "v1_event", "uuid": "0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a99", "distinct_id": "zed", "timestamp": "2024-06-01T00:00:01Z", "properties": {}}]});
    let r = crate::http::request(
        port,
        "POST",
        "/i/v1/analytics/events",
        &[
            ("Authorization", "Bearer phc_test"),
            ("Content-Type", "application/json"),
        ],
        Some(v1.to_string().as_bytes()),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = query(
        port,
        "SELECT event, properties.amount, uuid FROM events WHERE distinct_id = 'zed' ORDER BY timestamp",
        json!({}),
    );
    assert_eq!(r["results"][0][0], "purchase");
    assert_eq!(r["results"][0][1], 5);
    assert_eq!(
        r["results"][1],
        json!(["v1_event", null, "0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a99"])
    );
    assert_eq!(server.events().len(), 2, "the in-memory records are kept");
}

#[test]
fn generate_one_million_events() {
    let server = TestServer::spawn();
    let port = server.port();
    let start = Instant::now();
    server.generate_events(
        1_000_000,
        "$pageview",
        "2024-01-01T00:00:00Z".parse().unwrap(),
        "2024-02-01T00:00:00Z".parse().unwrap(),
    );
    println!("generate_events(1_000_000): {:?}", start.elapsed());
    let r = query(
        port,
        "SELECT count(), min(timestamp), max(timestamp) FROM events",
        json!({}),
    );
    assert_eq!(r["results"][0][0], 1_000_000);
    assert_eq!(r["results"][0][1], "2024-01-01T00:00:00.000000Z");
    assert!(r["results"][0][2].as_str().unwrap() < "2024-02-01T00:00:00.000000Z");
    let r = query(port, "SELECT count() FROM persons", json!({}));
    assert_eq!(r["results"], json!([[1000]]));

    // a keyset page of 50 000 rows
    let start = Instant::now();
    let r = query(
        port,
        "SELECT uuid, event, distinct_id, timestamp, properties FROM events WHERE timestamp > {after} ORDER BY timestamp, uuid LIMIT 50000",
        json!({"after": "2024-01-15T00:00:00Z"}),
    );
    println!("50 000-row page query: {:?}", start.elapsed());
    assert_eq!(r["results"].as_array().unwrap().len(), 50_000);
    assert_eq!(r["hasMore"], Value::Null);

    // through the control API
    let start = Instant::now();
    let r = crate::http::post_json(port, "/_test/events/generate", &json!({"count": 1000, "event": "other", "start": "2024-03-01T00:00:00Z", "end": "2024-03-02T00:00:00Z", "distinct_ids": 10})).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["inserted"], 1000);
    println!("control generate 1000: {:?}", start.elapsed());
    assert_eq!(
        query(
            port,
            "SELECT count() FROM events WHERE event = 'other'",
            json!({})
        )["results"],
        json!([[1000]])
    );
}
