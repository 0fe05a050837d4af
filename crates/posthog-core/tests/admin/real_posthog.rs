//! What real PostHog answers where our client and fake used to agree on something else (see
//! issue #14): async polls that fail as 400/500, cached answers, query timeouts, budgets that
//! learn the team's limit from a 429, and the key practices (scopes, preflight, key provider,
//! key management). Scripted answers follow PostHog's source, file by file.

use crate::scripted::*;
use posthog_core::admin::{
    ActivityFilter, AdminClient, ExportFormat, ExportOptions, ExportSource, NewFeatureFlag,
    QueryOptions, RateClass,
};
use posthog_core::{Error, ErrorKind};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

fn body(req: &posthog_core::transport::HttpRequest) -> Value {
    serde_json::from_slice(&req.body).unwrap()
}

fn path_and_query(req: &posthog_core::transport::HttpRequest) -> String {
    let u = url::Url::parse(&req.url).unwrap();
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

/// posthog/api/query.py `retrieve`: 202 while running, 200 done, 400 with a message, 500
/// without; `destroy` answers 200 `{message}`.
#[test]
fn async_polls_follow_the_query_api_status_codes() {
    let (c, t, _) = client();
    t.push_json(
        202,
        json!({"query_status": {"id": "q1", "complete": false, "error": false}}),
    );
    assert!(c.query_status(1u64, "q1").unwrap().result().is_none());

    t.push_json(400, json!({"query_status": {"id": "q1", "complete": true, "error": true, "error_message": "Unknown table `evnts`"}}));
    let err = c
        .query_status(1u64, "q1")
        .unwrap()
        .result()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(err.to_string().contains("Unknown table"), "{err}");

    // A 500 carrying the status is the answer, not a transient failure to retry.
    t.push_json(500, json!({"query_status": {"id": "q1", "complete": true, "error": true, "error_message": null}}));
    let before = t.requests().len();
    let err = c
        .wait_for_query(1u64, "q1", Duration::from_secs(60))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Server, "{err}");
    assert_eq!(t.requests().len(), before + 1, "not retried");

    t.push_json(200, json!({"message": "Query cancelled"}));
    assert_eq!(
        c.cancel_query(1u64, "q1").unwrap().as_deref(),
        Some("Query cancelled")
    );
}

/// An async submit PostHog serves from its cache answers the full result at once.
#[test]
fn an_async_submit_answered_from_cache_is_complete() {
    let (c, t, _) = client();
    t.push_json(
        200,
        json!({"columns": ["n"], "types": [["n", "UInt64"]], "results": [[7]],
        "hasMore": null, "limit": null, "offset": null, "is_cached": true, "query_status": null}),
    );
    let opts = QueryOptions {
        client_query_id: Some("mine".into()),
        ..QueryOptions::default()
    };
    let s = c
        .query_async(
            1u64,
            "SELECT count() FROM events LIMIT 1",
            Value::Null,
            &opts,
        )
        .unwrap();
    assert!(s.complete);
    assert_eq!(s.id, "mine");
    let r = s.result().unwrap().unwrap();
    assert_eq!(r.results, vec![vec![json!(7)]]);
    assert_eq!(r.has_more, None);
    assert_eq!(body(&t.last())["refresh"], "async");
    let fresh = QueryOptions {
        fresh: true,
        ..QueryOptions::default()
    };
    t.push_json(200, json!({"columns": [], "results": [], "hasMore": false}));
    c.query_with(1u64, "SELECT 1", Value::Null, &fresh).unwrap();
    assert_eq!(body(&t.last())["refresh"], "force_blocking");
}

/// posthog/exceptions.py ClickHouseQueryTimeOut: 504 with a detail; an export asks for the
/// page again at half the size (not the same page again), and fresh results.
#[test]
fn an_export_page_over_the_time_limit_is_asked_again_smaller() {
    let (c, t, _) = client();
    let timeouts = Arc::new(AtomicUsize::new(0));
    let seen = timeouts.clone();
    t.handle(move |req| {
        let q = body(req);
        assert_eq!(q["refresh"], "force_blocking", "exports want fresh rows");
        let text = q["query"]["query"].as_str().unwrap_or_default().to_string();
        if text.contains("LIMIT 1000") || text.contains("LIMIT 500") {
            seen.fetch_add(1, Ordering::SeqCst);
            return Ok(json_resp(
                504,
                &json!({"type": "server_error", "code": "error", "detail": "Query has hit the max execution time before completing. See our docs for how to improve your query performance. You may need to materialize.", "attr": null}),
            ));
        }
        Ok(json_resp(
            200,
            &json!({"columns": ["n"], "types": [["n", "UInt64"]], "results": [[1], [2]], "hasMore": null}),
        ))
    });
    let mut out = Vec::new();
    let opts = ExportOptions {
        page_size: 1000,
        ..ExportOptions::default()
    };
    let source = ExportSource::HogQL {
        query: "SELECT n FROM numbers ORDER BY n".into(),
        values: Value::Null,
    };
    let report = c
        .export(1u64, &source, ExportFormat::Jsonl, &mut out, opts)
        .unwrap();
    assert_eq!(report.rows, 2);
    assert_eq!(
        timeouts.load(Ordering::SeqCst),
        2,
        "1000, then 500, then 250 rows"
    );
    let limits: Vec<String> = t
        .requests()
        .iter()
        .map(|r| body(r)["query"]["query"].as_str().unwrap().to_string())
        .collect();
    assert!(limits[2].contains("LIMIT 250 OFFSET 0"), "{limits:?}");
}

/// posthog/rate_limit.py: a team on the legacy query budget (120/hour) answers 429 long
/// before our default 2 400/hour; the budget learns the real limit.
#[test]
fn a_429_lowers_the_query_budget_to_the_teams_limit() {
    let (c, t, _) = client();
    for _ in 0..5 {
        t.push_json(200, json!({"columns": [], "results": [], "hasMore": false}));
        c.query(1u64, "SELECT 1", Value::Null).unwrap();
    }
    assert_eq!(c.rate_budget(RateClass::Query), Some((240, 2400)));
    t.push(Ok(with_header(
        json_resp(
            429,
            &json!({"type": "throttled_error", "code": "throttled", "detail": "Request was throttled. Expected available in 1800 seconds.", "attr": null}),
        ),
        "Retry-After",
        "1800",
    )));
    t.push_json(200, json!({"columns": [], "results": [], "hasMore": false}));
    c.query(1u64, "SELECT 1", Value::Null).unwrap();
    let (_, per_hour) = c.rate_budget(RateClass::Query).unwrap();
    assert_eq!(
        per_hour, 5,
        "learnt from the 429: PostHog let five queries through this hour"
    );
}

/// posthog/api/personal_api_key.py: `@current` needs no scope and lists the key's scopes.
#[test]
fn a_preflight_names_the_missing_scope() {
    let (c, t, _) = client();
    assert_eq!(
        AdminClient::required_scopes(&["feature_flags.list", "feature_flags.activity", "export"])
            .unwrap(),
        vec!["activity_log:read", "feature_flag:read", "query:read"]
    );
    t.push_json(200, json!({"id": "01k", "label": "flags bot", "value": null, "mask_value": "phx_...abcd",
        "scopes": ["feature_flag:write", "query:read"], "scoped_teams": [], "scoped_organizations": [],
        "created_at": "2026-01-01T00:00:00Z", "last_used_at": null, "user_id": 1, "last_rolled_at": null}));
    let err = c
        .preflight(&["feature_flags.update", "feature_flags.activity", "export"])
        .unwrap_err();
    assert_eq!(
        t.last().url,
        format!("{HOST}/api/personal_api_keys/@current/")
    );
    match &err {
        Error::Forbidden { scope, .. } => assert_eq!(scope.as_deref(), Some("activity_log:read")),
        other => panic!("{other:?}"),
    }
    assert!(!err.to_string().contains(KEY));

    t.push_json(
        200,
        json!({"id": "01k", "scopes": ["feature_flag:write", "query:read"]}),
    );
    let ok = c.preflight(&["feature_flags.list", "query"]).unwrap();
    assert_eq!(ok.granted.unwrap().len(), 2);
    // An older PostHog without the route: nothing checked, no failure.
    t.push_json(404, json!({"type": "invalid_request", "code": "not_found", "detail": "Not found.", "attr": null}));
    assert_eq!(c.preflight(&["query"]).unwrap().granted, None);
    assert!(c.preflight(&["no.such.operation"]).is_err());
}

/// A key provider is asked again after a 401, and the request is sent once more with the new
/// key; the same key again surfaces the 401.
#[test]
fn a_key_provider_rotates_after_a_401() {
    let t = Scripted::new();
    let clock = manual_clock();
    let calls = Arc::new(AtomicUsize::new(0));
    let n = calls.clone();
    let provider = move || -> Result<String, Error> {
        let i = n.fetch_add(1, Ordering::SeqCst);
        Ok(if i == 0 {
            "phx_first_key_0000".to_string()
        } else {
            "phx_rolled_key_1111".to_string()
        })
    };
    let opts = posthog_core::admin::AdminOptions::from_provider(Arc::new(provider))
        .host(HOST)
        .transport(t.clone())
        .clock(clock.clone());
    let c = AdminClient::new(opts).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1, "asked once at start");
    let unauthorized = json!({"type": "authentication_error", "code": "authentication_failed", "detail": "Personal API key found in request Authorization header is invalid.", "attr": null});
    t.push_json(401, unauthorized.clone());
    t.push_json(200, json!({"email": "a@b.c"}));
    // A write too: a 401 means PostHog did not act on it.
    c.users().me().unwrap();
    let reqs = t.requests();
    assert_eq!(reqs.len(), 2);
    let auth = |r: &posthog_core::transport::HttpRequest| {
        r.headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(auth(&reqs[0]), "Bearer phx_first_key_0000");
    assert_eq!(auth(&reqs[1]), "Bearer phx_rolled_key_1111");
    // Rolled again elsewhere but the provider still has the old value: the 401 surfaces.
    t.push_json(401, unauthorized);
    let err = c.users().me().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthorized);
    assert_eq!(t.requests().len(), 3, "asked, same key, no resend");
}

/// Key management and the activity log: paths, bodies, the secret shown once and never in
/// Debug; the 403 of current PostHog for a personal key comes through typed.
#[test]
fn key_management_and_the_activity_log() {
    let (c, t, _) = client();
    t.push_json(
        201,
        json!({"id": "01new", "label": "ci", "value": "phx_brand_new_secret_42",
        "mask_value": "phx_...t_42", "scopes": ["query:read"], "scoped_teams": [],
        "scoped_organizations": [], "created_at": "2026-12-07T00:00:00Z", "last_used_at": null,
        "user_id": 1, "last_rolled_at": null}),
    );
    let k = c.personal_api_keys().create("ci", &["query:read"]).unwrap();
    assert_eq!(
        body(&t.last()),
        json!({"label": "ci", "scopes": ["query:read"], "scoped_teams": [], "scoped_organizations": []})
    );
    assert_eq!(
        k.value.as_ref().unwrap().expose(),
        "phx_brand_new_secret_42"
    );
    assert!(!format!("{k:?}").contains("brand_new"));
    assert!(
        c.personal_api_keys().create("ci", &[]).is_err(),
        "least privilege: scopes required"
    );

    t.push_json(403, json!({"type": "authentication_error", "code": "permission_denied", "detail": "This action does not support Personal API Key access", "attr": null}));
    let err = c.personal_api_keys().roll("01new").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert_eq!(
        path_and_query(&t.last()),
        "/api/personal_api_keys/01new/roll/"
    );

    t.push_json(200, json!({"next": null, "previous": null, "results": [{"id": "a1", "scope": "FeatureFlag", "activity": "updated"}]}));
    let filter = ActivityFilter {
        scope: Some("FeatureFlag".into()),
        item_id: Some("7".into()),
        ..ActivityFilter::default()
    };
    let entries: Vec<Value> = c.activity_log(1u64, &filter).map(|e| e.unwrap()).collect();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        path_and_query(&t.last()),
        "/api/projects/1/activity_log/?scope=FeatureFlag&item_id=7"
    );
}

/// feature_flag.py: a usage dashboard per new flag unless asked not to; batch_exports/http.py:
/// runs of the last 7 days unless `after`/`before` are passed.
#[test]
fn flags_skip_the_usage_dashboard_and_runs_take_a_window() {
    let (c, t, _) = client();
    t.push_json(201, json!({"id": 9, "key": "beta"}));
    c.feature_flags()
        .create(1u64, &NewFeatureFlag::new("beta"))
        .unwrap();
    assert_eq!(body(&t.last())["_should_create_usage_dashboard"], false);
    t.push_json(201, json!({"id": 10, "key": "beta2"}));
    c.feature_flags()
        .create(1u64, &NewFeatureFlag::new("beta2").usage_dashboard(true))
        .unwrap();
    assert_eq!(body(&t.last())["_should_create_usage_dashboard"], true);

    let after = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let before = after + chrono::Duration::days(30);
    t.push_json(200, json!({"next": null, "previous": null, "results": []}));
    let n = c
        .batch_exports()
        .runs(1u64, "be-1", Some(after), Some(before))
        .unwrap()
        .count();
    assert_eq!(n, 0);
    assert_eq!(
        path_and_query(&t.last()),
        "/api/projects/1/batch_exports/be-1/runs/?after=2026-01-01T00%3A00%3A00Z&before=2026-01-31T00%3A00%3A00Z"
    );
    assert!(
        c.batch_exports()
            .runs(1u64, "be-1", Some(before), Some(after))
            .is_err()
    );
}
