//! The admin client against the local PostHog test server (its private API, HogQL over
//! SQLite, synthetic events).

use crate::export_fake::jsonl_uuids;
use crate::scripted::manual_clock;
use posthog_core::ErrorKind;
use posthog_core::admin::{
    AdminClient, AdminOptions, ExportFormat, ExportOptions, ExportSource, NewFeatureFlag, ProjectId,
};
use posthog_testserver::TestServer;
use serde_json::{Value, json};
use std::io::{Read, Write};

pub const TEST_KEY: &str = "phx_testpersonalkey";

/// A raw HTTP/1.1 POST to the server's control API (no client, no runtime).
pub fn control(server: &TestServer, path: &str, body: &Value) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    let body = body.to_string();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// A test server and an admin client for it (always `Some`: the server has the admin routes).
pub fn admin_server() -> Option<(TestServer, AdminClient)> {
    let server = TestServer::spawn();
    let client = AdminClient::new(
        AdminOptions::new(TEST_KEY)
            .host(server.url())
            .clock(manual_clock()),
    )
    .unwrap();
    Some((server, client))
}

pub fn generate(server: &TestServer, count: u64, start: &str, end: &str) {
    let (status, body) = control(
        server,
        "/_test/events/generate",
        &json!({"count": count, "event": "$pageview", "start": start, "end": end, "distinct_ids": 100}),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn resources_against_the_server() {
    let Some((server, c)) = admin_server() else {
        return;
    };
    c.users().me().unwrap();
    let projects: Vec<_> = c.projects().list().collect::<Result<_, _>>().unwrap();
    assert!(!projects.is_empty());
    let p = ProjectId::Id(projects[0].id);
    c.projects().get(ProjectId::Current).unwrap();
    for i in 0..120 {
        c.feature_flags()
            .create(p, &NewFeatureFlag::new(format!("flag-{i}")))
            .unwrap();
    }
    let mut pager = c.feature_flags().list(p);
    let keys: Vec<_> = pager.by_ref().map(|f| f.unwrap().key).collect();
    assert!(keys.len() >= 120);
    assert!(
        pager.pages_fetched() >= 2,
        "paged across {} pages",
        pager.pages_fetched()
    );
    let f = c
        .feature_flags()
        .create(p, &NewFeatureFlag::new("beta").rollout_percentage(50.0))
        .unwrap();
    assert!(!c.feature_flags().set_active(p, f.id, false).unwrap().active);
    assert!(!c.feature_flags().get(p, f.id).unwrap().active);
    let dup = c
        .feature_flags()
        .create(p, &NewFeatureFlag::new("beta"))
        .unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::InvalidRequest);
    assert!(c.feature_flags().delete(p, f.id).unwrap().deleted);
    let _ = c.feature_flags().activity(p, f.id).collect::<Vec<_>>();
    c.annotations()
        .create(p, "deploy", chrono::Utc::now())
        .unwrap();
    assert!(c.annotations().list(p).count() >= 1);
    c.cohorts().create_static(p, "VIPs", &[]).unwrap();
    assert!(c.cohorts().list(p).count() >= 1);
    let _ = c.insights().list(p).collect::<Vec<_>>();
    generate(&server, 50, "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z");
    assert!(c.persons().list(p, Some("user-1")).count() >= 1);
    assert!(c.definitions().events(p).count() >= 1);
    let _ = c.definitions().properties(p, None).collect::<Vec<_>>();
    let _ = c.batch_exports().list(p).collect::<Vec<_>>();
    // every request carried the key as a bearer header only
    for r in server.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TEST_KEY}").as_str())
        );
        assert!(!r.query.contains(TEST_KEY));
        assert!(!r.body_text().contains(TEST_KEY));
    }
}

#[test]
fn scopes_and_keys_against_the_server() {
    let Some((server, _)) = admin_server() else {
        return;
    };
    server.register_key("phx_readonly", &["feature_flag:read"]);
    let c = AdminClient::new(AdminOptions::new("phx_readonly").host(server.url())).unwrap();
    let err = c
        .feature_flags()
        .create(ProjectId::Current, &NewFeatureFlag::new("x"))
        .unwrap_err();
    match err {
        posthog_core::Error::Forbidden { scope, .. } => {
            assert_eq!(scope.as_deref(), Some("feature_flag:write"))
        }
        other => panic!("{other:?}"),
    }
    let bad = AdminClient::new(AdminOptions::new("phx_unknown").host(server.url())).unwrap();
    assert_eq!(
        bad.users().me().unwrap_err().kind(),
        ErrorKind::Unauthorized
    );
    bad.rotate_key(TEST_KEY).unwrap();
    bad.users().me().unwrap();
}

#[test]
fn query_async_poll_cancel_against_the_server() {
    let Some((server, c)) = admin_server() else {
        return;
    };
    generate(&server, 30, "2025-01-01T00:00:00Z", "2025-01-01T01:00:00Z");
    let r = c
        .query(
            ProjectId::Current,
            "SELECT count() FROM events WHERE event = {e}",
            json!({"e": "$pageview"}),
        )
        .unwrap();
    assert_eq!(r.results[0][0], 30);
    let st = c
        .query_async(
            ProjectId::Current,
            "SELECT event FROM events",
            json!(null),
            &Default::default(),
        )
        .unwrap();
    let r = c
        .wait_for_query(
            ProjectId::Current,
            &st.id,
            std::time::Duration::from_secs(30),
        )
        .unwrap();
    assert_eq!(r.results.len(), 30);
    c.cancel_query(ProjectId::Current, &st.id).unwrap();
}

#[test]
fn rate_limit_429_is_waited_out() {
    let Some((server, _)) = admin_server() else {
        return;
    };
    let clock = manual_clock();
    let c = AdminClient::new(
        AdminOptions::new(TEST_KEY)
            .host(server.url())
            .clock(clock.clone()),
    )
    .unwrap();
    let (status, body) = control(
        &server,
        "/_test/admin/rate_limit",
        &json!({"limit": 2, "retry_after": 5}),
    );
    assert_eq!(status, 200, "{body}");
    for _ in 0..3 {
        let _ = c.users().me();
    }
    assert!(
        clock.sleeps().contains(&std::time::Duration::from_secs(5)),
        "{:?}",
        clock.sleeps()
    );
}

pub fn direct_uuids(c: &AdminClient) -> Vec<String> {
    let r = c
        .query(
            ProjectId::Current,
            "SELECT uuid FROM events ORDER BY timestamp, uuid LIMIT 50000",
            json!(null),
        )
        .unwrap();
    r.results
        .iter()
        .map(|row| row[0].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn export_matches_a_direct_query() {
    let Some((server, c)) = admin_server() else {
        return;
    };
    generate(
        &server,
        3000,
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:10:00Z",
    );
    let src = ExportSource::events(
        "2025-01-01T00:00:00Z".parse().unwrap(),
        "2025-01-02T00:00:00Z".parse().unwrap(),
    );
    let want = direct_uuids(&c);
    assert_eq!(want.len(), 3000);
    let mut jsonl = Vec::new();
    let report = c
        .export(
            ProjectId::Current,
            &src,
            ExportFormat::Jsonl,
            &mut jsonl,
            ExportOptions {
                page_size: 700,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(report.rows, 3000);
    assert_eq!(jsonl_uuids(&jsonl), want);
    let mut csv = Vec::new();
    c.export(
        ProjectId::Current,
        &src,
        ExportFormat::Csv,
        &mut csv,
        ExportOptions::default(),
    )
    .unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(text.lines().count(), 3001);
}

#[test]
#[ignore = "1 000 000 events: run with --ignored (or the export_bench example in release)"]
fn export_a_million_events_in_bounded_memory() {
    let Some((server, c)) = admin_server() else {
        return;
    };
    generate(
        &server,
        1_000_000,
        "2025-01-01T00:00:00Z",
        "2025-01-02T00:00:00Z",
    );
    let src = ExportSource::events(
        "2025-01-01T00:00:00Z".parse().unwrap(),
        "2025-01-02T00:00:00Z".parse().unwrap(),
    );
    let mut sink = std::io::sink();
    let report = c
        .export(
            ProjectId::Current,
            &src,
            ExportFormat::Jsonl,
            &mut sink,
            ExportOptions::default(),
        )
        .unwrap();
    assert_eq!(report.rows, 1_000_000);
}

#[test]
fn export_resumes_after_an_injected_failure() {
    let Some((server, _)) = admin_server() else {
        return;
    };
    generate(
        &server,
        2500,
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:01:00Z",
    );
    let c = AdminClient::new(
        AdminOptions::new(TEST_KEY)
            .host(server.url())
            .max_retries(0),
    )
    .unwrap();
    let want = direct_uuids(&c);
    let src = ExportSource::events(
        "2025-01-01T00:00:00Z".parse().unwrap(),
        "2025-01-02T00:00:00Z".parse().unwrap(),
    );
    let server = std::sync::Arc::new(server);
    let s2 = server.clone();
    let opts = ExportOptions {
        page_size: 400,
        on_checkpoint: Some(Box::new(move |cp| {
            if cp.pages == 2 {
                s2.push_admin_fault(posthog_testserver::Fault::status(503));
            }
        })),
        ..Default::default()
    };
    let mut out = Vec::new();
    let err = c
        .export(ProjectId::Current, &src, ExportFormat::Csv, &mut out, opts)
        .unwrap_err();
    assert_eq!(err.error.kind(), ErrorKind::Server);
    assert_eq!(err.checkpoint.rows, 800);
    let opts = ExportOptions {
        page_size: 400,
        checkpoint: Some(err.checkpoint),
        ..Default::default()
    };
    let report = c
        .export(ProjectId::Current, &src, ExportFormat::Csv, &mut out, opts)
        .unwrap();
    assert_eq!(report.rows, 1700);
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("uuid,event,timestamp,distinct_id,properties")
    );
    let got: Vec<String> = lines
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    assert_eq!(got, want, "no duplicate, no gap");
}

/// PostHog answers timestamps in the project's time zone: the export's pages and checkpoint
/// stay in UTC (nothing repeated or skipped); a numeric property filter matches as text.
#[test]
fn export_in_a_project_time_zone_with_a_numeric_filter() {
    let Some((server, c)) = admin_server() else {
        return;
    };
    generate(
        &server,
        1500,
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:10:00Z",
    );
    assert!(server.set_project_timezone("America/New_York"));
    let r = c
        .query(
            ProjectId::Current,
            "SELECT uuid, timestamp FROM events ORDER BY timestamp LIMIT 1",
            Value::Null,
        )
        .unwrap();
    assert_eq!(r.extra["timezone"], "America/New_York");
    assert_eq!(
        r.types[1],
        json!(["timestamp", "DateTime64(6, 'America/New_York')"])
    );
    assert_eq!(r.results[0][1], "2024-12-31T19:00:00.000000-05:00");

    let src = ExportSource::events(
        "2025-01-01T00:00:00Z".parse().unwrap(),
        "2025-01-02T00:00:00Z".parse().unwrap(),
    );
    let mut jsonl = Vec::new();
    let report = c
        .export(
            ProjectId::Current,
            &src,
            ExportFormat::Jsonl,
            &mut jsonl,
            ExportOptions {
                page_size: 400,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(report.rows, 1500);
    let uuids: std::collections::HashSet<String> = jsonl_uuids(&jsonl).into_iter().collect();
    assert_eq!(uuids.len(), 1500, "nothing repeated or skipped");
    match &report.checkpoint.position {
        posthog_core::admin::Position::Keyset { timestamp, .. } => {
            assert!(timestamp.ends_with('Z'), "{timestamp}")
        }
        other => panic!("{other:?}"),
    }

    let ExportSource::Events { after, before, .. } = src else {
        unreachable!()
    };
    let filtered = ExportSource::Events {
        after,
        before,
        event: None,
        properties: vec![("index".into(), json!(7))],
    };
    let mut out = Vec::new();
    let report = c
        .export(
            ProjectId::Current,
            &filtered,
            ExportFormat::Jsonl,
            &mut out,
            ExportOptions::default(),
        )
        .unwrap();
    assert_eq!(
        report.rows, 1,
        "the numeric filter matches the event whose index is 7"
    );
}
