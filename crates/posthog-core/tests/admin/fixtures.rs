//! Every recorded PostHog answer under `crates/posthog-testserver/fixtures/` (written from
//! PostHog's source, file named in each) goes through the client's own decoding: the call it
//! answers must decode it, or fail with the typed error PostHog meant. A fixture without a case
//! here fails the test, so a new recorded answer is always decoded by the client too.

use crate::scripted::*;
use posthog_core::admin::{ActivityFilter, AdminClient, QueryOptions};
use posthog_core::transport::HttpResponse;
use posthog_core::{Error, ErrorKind};
use serde_json::Value;
use std::path::PathBuf;

const QUERY_ID: &str = "0199f3a2c5e87d3b9b8e4f1a2c3d4e5f";
const EXPORT_ID: &str = "019a4eff-1111-7222-8333-444444444444";
const PERSON_ID: &str = "0190b6d7-e8f9-7a0b-8c1d-2e3f4a5b6c7d";

struct Fixture {
    name: String,
    method: String,
    path: String,
    status: u16,
    body: Value,
}

fn fixtures() -> Vec<Fixture> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../posthog-testserver/fixtures");
    let mut out: Vec<Fixture> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            assert!(
                v["source"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("posthog/")),
                "{p:?} names the PostHog source it was written from"
            );
            Fixture {
                name: p.file_stem().unwrap().to_string_lossy().into_owned(),
                method: v["method"].as_str().unwrap().to_owned(),
                path: v["path"].as_str().unwrap().to_owned(),
                status: v["status"].as_u64().unwrap() as u16,
                body: v["body"].clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(out.len() >= 26, "{} fixtures", out.len());
    out
}

fn answer(f: &Fixture) -> HttpResponse {
    if f.body.is_null() {
        // PostHog's `Response(status=202)`: no body at all.
        HttpResponse {
            status: f.status,
            headers: vec![],
            body: vec![],
        }
    } else {
        json_resp(f.status, &f.body)
    }
}

fn kind<T: std::fmt::Debug>(r: Result<T, Error>) -> ErrorKind {
    r.expect_err("PostHog's answer is an error").kind()
}

/// Runs the call the fixture answers; panics when the client does not take it as PostHog
/// meant it.
fn decode(c: &AdminClient, f: &Fixture) {
    let sql = "SELECT event FROM events LIMIT 10";
    let none = Value::Null;
    match f.name.as_str() {
        "activity_log_page" => {
            let filter = ActivityFilter {
                scope: Some("FeatureFlag".into()),
                ..ActivityFilter::default()
            };
            let mut pager = c.activity_log(1u64, &filter);
            let page = pager.next_page().unwrap().unwrap();
            assert!(!page.is_empty() && page[0]["activity"].is_string());
            assert!(pager.next_url().is_some(), "the cursor is kept");
        }
        "batch_export_backfill" => {
            let at = chrono::Utc::now();
            let v = c
                .batch_exports()
                .backfill(1u64, EXPORT_ID, at - chrono::Duration::days(1), at)
                .unwrap();
            assert!(v.is_object());
        }
        "batch_export_runs_page" => {
            let mut runs = c.batch_exports().runs(1u64, EXPORT_ID, None, None).unwrap();
            let page = runs.next_page().unwrap().unwrap();
            assert!(!page.is_empty() && page[0]["status"].is_string());
        }
        "flag_activity_missing_scope_403" => {
            let err = c
                .feature_flags()
                .activity(1u64, 1042)
                .next_page()
                .unwrap()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Forbidden);
            match err {
                Error::Forbidden { scope, .. } => {
                    assert_eq!(scope.as_deref(), Some("activity_log:read"))
                }
                other => panic!("{other:?}"),
            }
        }
        "flag_activity_page" => {
            let mut pager = c.feature_flags().activity(1u64, 1042);
            let page = pager.next_page().unwrap().unwrap();
            assert!(!page.is_empty());
            assert!(pager.total().is_some(), "total_count is read");
        }
        "person_delete_202" => c.persons().delete(1u64, PERSON_ID).unwrap(),
        "personal_key_create" => {
            let k = c.personal_api_keys().create("ci", &["query:read"]).unwrap();
            let secret = k.value.as_ref().expect("the secret, shown once");
            assert!(secret.expose().starts_with("phx_"));
            assert!(!format!("{k:?}").contains(secret.expose()));
        }
        "personal_key_current" => {
            let k = c.personal_api_keys().current().unwrap();
            assert!(k.value.is_none(), "never the secret");
            assert!(!k.scopes_or_all().is_empty());
        }
        "personal_key_current_api_403" | "personal_key_legacy_scope_403" => {
            assert_eq!(kind(c.personal_api_keys().list()), ErrorKind::Forbidden);
        }
        "personal_key_roll" => {
            let k = c.personal_api_keys().roll("01k").unwrap();
            assert!(k.value.is_some(), "the new secret");
        }
        "persons_page" => {
            let mut pager = c.persons().list(1u64, None);
            let page = pager.next_page().unwrap().unwrap();
            assert!(!page.is_empty());
            assert_eq!(pager.total(), None, "PostHog counts no persons");
        }
        "query_async_complete" => {
            let r = c.query_status(1u64, QUERY_ID).unwrap().result().unwrap();
            assert!(!r.unwrap().columns.is_empty());
        }
        "query_async_failed_400" => {
            let r = c.query_status(1u64, QUERY_ID).unwrap().result().unwrap();
            assert_eq!(kind(r), ErrorKind::InvalidRequest);
        }
        "query_async_failed_500" => {
            let r = c.query_status(1u64, QUERY_ID).unwrap().result().unwrap();
            assert_eq!(kind(r), ErrorKind::Server);
        }
        "query_async_running" => {
            assert!(c.query_status(1u64, QUERY_ID).unwrap().result().is_none());
        }
        "query_async_submitted" | "query_force_async_submitted" => {
            let s = c
                .query_async(1u64, sql, none, &QueryOptions::default())
                .unwrap();
            assert!(s.result().is_none(), "still running");
        }
        "query_cancel" => {
            assert!(c.cancel_query(1u64, QUERY_ID).unwrap().is_some());
        }
        "query_concurrency_429" | "query_throttled_429" => {
            assert_eq!(kind(c.query(1u64, sql, none)), ErrorKind::RateLimited);
        }
        "query_hogql_default_limit" => {
            let r = c.query(1u64, sql, none).unwrap();
            assert_eq!(r.has_more, Some(false));
            assert_eq!(r.types.len(), r.columns.len());
            assert!(
                r.types
                    .iter()
                    .all(|t| t.as_array().is_some_and(|p| p.len() == 2))
            );
            assert!(!r.results.is_empty());
        }
        "query_hogql_own_limit" | "query_hogql_cached" => {
            let r = c.query(1u64, sql, none).unwrap();
            assert_eq!(r.has_more, None, "null when the query has its own LIMIT");
            assert!(r.extra["is_cached"].is_boolean() && r.extra["timezone"].is_string());
        }
        "query_timeout_504" => {
            assert_eq!(kind(c.query(1u64, sql, none)), ErrorKind::Timeout);
        }
        "users_me_missing_scope_403" => match c.users().me().unwrap_err() {
            Error::Forbidden { scope, .. } => assert_eq!(scope.as_deref(), Some("user:read")),
            other => panic!("{other:?}"),
        },
        other => panic!("fixture {other} has no decoding case: add one"),
    }
}

#[test]
fn every_fixture_decodes_with_the_client() {
    for f in fixtures() {
        let t = Scripted::new();
        let clock = manual_clock();
        let c = AdminClient::new(
            // the fixtures' next links are on PostHog Cloud's origin, the only one the key goes to
            options(&t, &clock)
                .host("https://us.posthog.com")
                .max_retries(0)
                .max_throttle_retries(0)
                .rate_limits(None),
        )
        .unwrap();
        t.push(Ok(answer(&f)));
        decode(&c, &f);
        let req = t.requests().into_iter().next().expect("one request");
        assert_eq!(req.method.as_str(), f.method, "{}", f.name);
        let path = url::Url::parse(&req.url).unwrap().path().to_owned();
        let want = f.path.split('?').next().unwrap().replace("{id}", "01k");
        assert_eq!(path, want, "{}", f.name);
    }
}
