//! The request path: bearer only, error mapping, 429 waits, retries, origins, key rotation.

use crate::scripted::*;
use posthog_core::admin::{AdminClient, AdminOptions, Limit, ProjectId, RateLimits};
use posthog_core::transport::TransportFailure;
use posthog_core::{Error, ErrorKind};
use serde_json::json;
use std::time::Duration;

fn list(results: serde_json::Value, next: Option<&str>) -> serde_json::Value {
    json!({"count": 5, "next": next, "previous": null, "results": results})
}

#[test]
fn bearer_header_only_and_json() {
    let (c, t, _) = client();
    t.push_json(
        200,
        json!({"uuid": "u1", "email": "a@b.c", "is_staff": false}),
    );
    let me = c.users().me().unwrap();
    assert_eq!(me.email.as_deref(), Some("a@b.c"));
    assert_eq!(me.extra["is_staff"], false);
    let r = t.last();
    assert_eq!(r.method, "GET");
    assert_eq!(r.url, format!("{HOST}/api/users/@me/"));
    assert_bearer_only(&t.requests(), KEY);
    let dbg = format!("{c:?} {:?}", AdminOptions::new(KEY));
    assert!(!dbg.contains("scriptedsecret"), "{dbg}");
}

#[test]
fn project_key_refused_at_construction() {
    let err = AdminClient::new(AdminOptions::new("phc_projectkey123")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidKey);
    assert!(!err.to_string().contains("projectkey123"));
    let (c, _, _) = client();
    assert_eq!(
        c.rotate_key("phc_nope").unwrap_err().kind(),
        ErrorKind::InvalidKey
    );
}

#[test]
fn errors_keep_detail_attr_and_scope() {
    let (c, t, _) = client();
    t.push_json(401, json!({"type": "authentication_error", "code": "authentication_failed", "detail": "Invalid personal API key.", "attr": null}));
    assert!(matches!(c.users().me(), Err(Error::Unauthorized { .. })));
    t.push_json(403, json!({"type": "authentication_error", "code": "permission_denied", "detail": "API key missing required scope 'feature_flag:write'", "attr": null}));
    match c.feature_flags().set_active(ProjectId::Current, 1, false) {
        Err(Error::Forbidden { scope, .. }) => {
            assert_eq!(scope.as_deref(), Some("feature_flag:write"))
        }
        other => panic!("{other:?}"),
    }
    t.push_json(404, json!({"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": null}));
    assert_eq!(
        c.feature_flags().get(7u64, 99).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    t.push_json(400, json!({"type": "validation_error", "code": "unique", "detail": "There is already a feature flag with this key.", "attr": "key"}));
    match c
        .feature_flags()
        .create(7u64, &posthog_core::admin::NewFeatureFlag::new("dup"))
    {
        Err(Error::InvalidRequest {
            status: 400,
            attr,
            detail,
            ..
        }) => {
            assert_eq!(attr.as_deref(), Some("key"));
            assert!(detail.contains("already"));
        }
        other => panic!("{other:?}"),
    }
    // a key echoed by the server never reaches the error text
    t.push_json(401, json!({"detail": format!("bad key {KEY}")}));
    let msg = c.users().me().unwrap_err().to_string();
    assert!(!msg.contains(KEY), "{msg}");
}

#[test]
fn waits_out_429_through_the_clock() {
    let (c, t, clock) = client();
    t.push(Ok(with_header(json_resp(429, &json!({"type": "throttled_error", "code": "throttled", "detail": "Request was throttled."})), "Retry-After", "7")));
    t.push(Ok(with_header(
        json_resp(429, &json!({})),
        "retry-after",
        "3",
    )));
    t.push_json(200, json!({"id": 2, "name": "p"}));
    let p = c.projects().get(2u64).unwrap();
    assert_eq!(p.id, 2);
    assert_eq!(t.requests().len(), 3);
    let waited: Duration = clock.sleeps().iter().sum();
    assert!(
        clock.sleeps().contains(&Duration::from_secs(7)),
        "{:?}",
        clock.sleeps()
    );
    assert!(waited >= Duration::from_secs(10), "{waited:?}");

    // bounded: gives up with RateLimited after max_throttle_retries
    let t2 = Scripted::new();
    let clock2 = manual_clock();
    let c2 = AdminClient::new(options(&t2, &clock2).max_throttle_retries(2)).unwrap();
    t2.handle(|_| Ok(with_header(json_resp(429, &json!({})), "Retry-After", "1")));
    match c2.users().me() {
        Err(Error::RateLimited {
            retry_after_secs, ..
        }) => assert_eq!(retry_after_secs, Some(1)),
        other => panic!("{other:?}"),
    }
    assert_eq!(t2.requests().len(), 3);
}

#[test]
fn get_retried_on_503_post_not_unless_retry_writes() {
    let (c, t, clock) = client();
    t.push_json(503, json!({"detail": "busy"}));
    t.push(Err(TransportFailure::Connection("reset".into())));
    t.push_json(200, json!({"id": 1, "key": "f"}));
    assert_eq!(c.feature_flags().get(1u64, 1).unwrap().key, "f");
    assert_eq!(t.requests().len(), 3);
    assert_eq!(clock.sleeps().len(), 2);

    t.push_json(503, json!({"detail": "busy"}));
    let err = c
        .annotations()
        .create(1u64, "deploy", chrono::Utc::now())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(t.requests().len(), 4, "a POST is not retried");

    // query reads are POSTs but idempotent: retried
    t.push_json(503, json!({"detail": "busy"}));
    t.push_json(
        200,
        json!({"columns": ["x"], "types": [], "results": [[1]], "hasMore": false}),
    );
    assert_eq!(
        c.query(1u64, "SELECT 1", json!(null)).unwrap().results,
        vec![vec![json!(1)]]
    );

    let t2 = Scripted::new();
    let c2 = AdminClient::new(options(&t2, &manual_clock()).retry_writes(true)).unwrap();
    t2.push_json(502, json!({}));
    t2.push_json(201, json!({"id": 3, "content": "deploy"}));
    assert_eq!(
        c2.annotations()
            .create(1u64, "deploy", chrono::Utc::now())
            .unwrap()["id"],
        3
    );
    assert_eq!(t2.requests().len(), 2);

    // retries are bounded by max_retries
    let t3 = Scripted::new();
    let c3 = AdminClient::new(options(&t3, &manual_clock()).max_retries(1)).unwrap();
    t3.handle(|_| Ok(json_resp(500, &json!({}))));
    assert_eq!(c3.users().me().unwrap_err().kind(), ErrorKind::Server);
    assert_eq!(t3.requests().len(), 2);
}

#[test]
fn pager_follows_next_lazily() {
    let (c, t, _) = client();
    t.push_json(
        200,
        list(
            json!([{"id": 1, "key": "a"}, {"id": 2, "key": "b"}]),
            Some(&format!(
                "{HOST}/api/projects/1/feature_flags/?limit=2&offset=2"
            )),
        ),
    );
    t.push_json(
        200,
        list(
            json!([{"id": 3, "key": "c"}, {"id": 4, "key": "d"}]),
            Some(&format!(
                "{HOST}/api/projects/1/feature_flags/?limit=2&offset=4"
            )),
        ),
    );
    t.push_json(200, list(json!([{"id": 5, "key": "e"}]), None));
    let mut pager = c.feature_flags().list(1u64);
    assert_eq!(
        t.requests().len(),
        0,
        "nothing fetched before the first next()"
    );
    assert_eq!(pager.next().unwrap().unwrap().key, "a");
    assert_eq!(pager.next().unwrap().unwrap().key, "b");
    assert_eq!(t.requests().len(), 1);
    assert_eq!(pager.total(), Some(5));
    let rest: Vec<_> = pager.map(|f| f.unwrap().key).collect();
    assert_eq!(rest, ["c", "d", "e"]);
    let urls: Vec<_> = t.requests().into_iter().map(|r| r.url).collect();
    assert_eq!(urls[0], format!("{HOST}/api/projects/1/feature_flags/"));
    assert!(urls[2].ends_with("offset=4"));
    assert_bearer_only(&t.requests(), KEY);
}

#[test]
fn next_on_another_origin_is_refused() {
    let (c, t, _) = client();
    for evil in [
        "https://evil.example.com/api/projects/1/feature_flags/?offset=2",
        "http://ph.example.com/api/x/",
        "https://ph.example.com:8443/api/x/",
        // Same origin, but credentials would go out as Basic auth beside the bearer.
        "https://:pw@ph.example.com/api/x/",
        "https://user@ph.example.com/api/x/",
    ] {
        t.push_json(200, list(json!([{"id": 1, "key": "a"}]), Some(evil)));
        let items: Vec<_> = c.feature_flags().list(1u64).collect();
        assert!(items[0].is_ok());
        assert_eq!(
            items[1].as_ref().unwrap_err().kind(),
            ErrorKind::Unexpected,
            "{evil}"
        );
        assert_eq!(items.len(), 2);
    }
    assert!(t.requests().iter().all(|r| r.url.starts_with(HOST)));
    assert_eq!(t.requests().len(), 5);
}

#[test]
fn next_pages_that_loop_end_the_list() {
    let (c, t, _) = client();
    let a = format!("{HOST}/api/projects/1/feature_flags/?offset=1");
    let b = format!("{HOST}/api/projects/1/feature_flags/?offset=2");
    t.push_json(200, list(json!([{"id": 1, "key": "first"}]), Some(&a)));
    t.push_json(200, list(json!([{"id": 2, "key": "a"}]), Some(&b)));
    // b points back to a: two pages alternating forever, unless the pager remembers.
    t.push_json(200, list(json!([{"id": 3, "key": "b"}]), Some(&a)));
    let items: Vec<_> = c.feature_flags().list(1u64).collect();
    assert_eq!(items.len(), 4, "three pages, then the loop's error");
    assert!(items[..3].iter().all(Result::is_ok));
    let err = items[3].as_ref().unwrap_err();
    assert!(err.to_string().contains("already read"), "{err}");
    assert_eq!(t.requests().len(), 3);
}

#[test]
fn rotate_key_applies_to_later_requests() {
    let (c, t, _) = client();
    t.handle(|_| Ok(json_resp(200, &json!({"uuid": "u"}))));
    c.users().me().unwrap();
    c.rotate_key("phx_rotatedkey456").unwrap();
    c.users().me().unwrap();
    let reqs = t.requests();
    assert_bearer_only(&reqs[..1], KEY);
    assert_bearer_only(&reqs[1..], "phx_rotatedkey456");
}

#[test]
fn client_budget_makes_callers_wait() {
    let t = Scripted::new();
    let clock = manual_clock();
    let limits = RateLimits {
        query: Limit {
            per_minute: 2,
            per_hour: 100,
        },
        ..RateLimits::default()
    };
    let c = AdminClient::new(options(&t, &clock).rate_limits(Some(limits))).unwrap();
    t.handle(|_| {
        Ok(json_resp(
            200,
            &json!({"columns": [], "results": [], "hasMore": false}),
        ))
    });
    for _ in 0..4 {
        c.query(1u64, "SELECT 1", json!(null)).unwrap();
    }
    let waited: Duration = clock.sleeps().iter().sum();
    assert!(waited >= Duration::from_secs(59), "{waited:?}");
    assert_eq!(t.requests().len(), 4);
    // general calls are not held back by the query budget
    let before = clock.sleeps().len();
    c.users().me().unwrap();
    assert_eq!(clock.sleeps().len(), before);
}

#[test]
fn closed_client_refuses_calls() {
    let (c, _, _) = client();
    c.close();
    assert_eq!(c.users().me().unwrap_err().kind(), ErrorKind::Closed);
}

#[test]
fn concurrent_callers_share_one_worker() {
    let (c, t, _) = client();
    t.handle(|_| Ok(json_resp(200, &json!({"uuid": "u"}))));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || c.users().me().map(|u| u.uuid))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap().as_deref(), Some("u"));
    }
    assert_eq!(t.requests().len(), 8);
}

#[test]
fn pager_reads_page_by_page() {
    let (c, t, _) = client();
    let next = |o: u32| {
        Some(format!(
            "{HOST}/api/projects/1/feature_flags/?limit=2&offset={o}"
        ))
    };
    t.push_json(
        200,
        list(
            json!([{"id": 1, "key": "a"}, {"id": 2, "key": "b"}]),
            next(2).as_deref(),
        ),
    );
    t.push_json(
        200,
        list(
            json!([{"id": 3, "key": "c"}, {"id": 4, "key": "d"}]),
            next(4).as_deref(),
        ),
    );
    t.push_json(200, list(json!([{"id": 5, "key": "e"}]), None));
    let mut pager = c.feature_flags().list(1u64);
    let keys =
        |p: Vec<posthog_core::admin::FeatureFlag>| p.into_iter().map(|f| f.key).collect::<Vec<_>>();
    // An item taken with next() is not returned again by next_page().
    assert_eq!(pager.next().unwrap().unwrap().key, "a");
    assert_eq!(keys(pager.next_page().unwrap().unwrap()), ["b"]);
    assert_eq!(t.requests().len(), 1, "the rest of a page needs no request");
    assert_eq!(keys(pager.next_page().unwrap().unwrap()), ["c", "d"]);
    assert_eq!(t.requests().len(), 2, "one request per page");
    assert_eq!(keys(pager.next_page().unwrap().unwrap()), ["e"]);
    assert!(pager.next_page().is_none());
    assert_eq!(t.requests().len(), 3);
}

#[test]
fn pager_is_also_an_async_stream() {
    use futures_util::StreamExt;
    let (c, t, _) = client();
    let next = Some(format!(
        "{HOST}/api/projects/1/feature_flags/?limit=2&offset=2"
    ));
    t.push_json(
        200,
        list(
            json!([{"id": 1, "key": "a"}, {"id": 2, "key": "b"}]),
            next.as_deref(),
        ),
    );
    t.push_json(200, list(json!([{"id": 3, "key": "c"}]), None));
    let stream = c.feature_flags().list(1u64).into_stream();
    // Any executor: a current-thread runtime of the test's own.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let keys: Vec<String> = rt.block_on(stream.map(|f| f.unwrap().key).collect());
    assert_eq!(keys, ["a", "b", "c"]);
    assert_eq!(t.requests().len(), 2);
}

#[test]
fn admin_errors_carry_every_attribute_and_seeded_waits() {
    let t = Scripted::new();
    let clock = manual_clock();
    let c = AdminClient::new(options(&t, &clock).jitter_seed(9)).unwrap();
    t.push(Ok(with_header(
        json_resp(503, &json!({"detail": "busy"})),
        "PostHog-Request-Id",
        "adm-1",
    )));
    t.push(Ok(with_header(
        with_header(
            json_resp(503, &json!({"detail": "busy"})),
            "x-request-id",
            "adm-2",
        ),
        "Retry-After",
        "12",
    )));
    t.push(Err(TransportFailure::Timeout));
    t.push(Ok(with_header(
        json_resp(
            403,
            &json!({"detail": "API key missing required scope 'feature_flag:read'"}),
        ),
        "x-request-id",
        "adm-3",
    )));
    let err = c.feature_flags().get(1u64, 1).unwrap_err();
    let a = err.attributes();
    assert_eq!(a.kind, ErrorKind::Forbidden);
    assert_eq!(a.status, Some(403));
    assert_eq!(a.scope.as_deref(), Some("feature_flag:read"));
    assert_eq!(a.request_id.as_deref(), Some("adm-3"));
    let mut b = posthog_core::retry::Backoff::seeded(Some(9));
    let expected: Vec<Duration> = (0..3).map(|_| b.next_delay(None)).collect();
    assert_eq!(
        clock.sleeps(),
        expected,
        "the same seeded schedule as ingestion"
    );

    t.push(Ok(with_header(
        with_header(
            json_resp(503, &json!({"detail": "busy"})),
            "x-request-id",
            "adm-4",
        ),
        "Retry-After",
        "12",
    )));
    let c1 = AdminClient::new(options(&t, &clock).max_retries(0)).unwrap();
    let a = c1.feature_flags().get(1u64, 1).unwrap_err().attributes();
    assert_eq!(
        (
            a.kind,
            a.status,
            a.request_id.as_deref(),
            a.retry_after_secs
        ),
        (ErrorKind::Server, Some(503), Some("adm-4"), Some(12))
    );
}

#[test]
fn a_server_echoing_the_key_never_puts_it_into_an_error() {
    // An unprefixed (legacy) personal key: only scrubbing by value can catch it.
    let legacy = "legacy0personal0key0abcdef";
    for key in [KEY, legacy] {
        let t = Scripted::new();
        let c = AdminClient::new(
            AdminOptions::new(key)
                .host(HOST)
                .transport(t.clone())
                .clock(manual_clock())
                .max_retries(0),
        )
        .unwrap();
        let echoed = format!("Bearer {key}.tail");
        t.push(Ok(with_header(
            json_resp(
                400,
                &json!({"detail": format!("bad {echoed}"), "attr": echoed}),
            ),
            "x-request-id",
            &echoed,
        )));
        let err = c.feature_flags().get(1u64, 1).unwrap_err();
        let a = err.attributes();
        let texts = [
            err.to_string(),
            format!("{err:?}"),
            a.request_id.clone().unwrap_or_default(),
            a.attr.clone().unwrap_or_default(),
            format!("{:?}", t.last()),
        ];
        for text in texts {
            assert!(!text.contains(key), "{key} leaked: {text}");
            assert!(!text.contains(".tail") || !text.contains("phx_"), "{text}");
        }
        assert!(a.request_id.is_some() && a.attr.is_some());
    }
}
