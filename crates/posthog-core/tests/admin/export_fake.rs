//! Export against a scripted query endpoint that implements the keyset and offset paging:
//! pages, formats, resume without duplicates or gaps.

use crate::scripted::*;
use chrono::{TimeZone, Utc};
use posthog_core::admin::{
    AdminClient, Checkpoint, ExportFormat, ExportOptions, ExportSource, Position,
};
use posthog_core::transport::HttpRequest;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// `n` events, three per timestamp (ties), uuids not in timestamp order.
fn events(n: usize) -> Vec<Vec<Value>> {
    let mut rows: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            let ts = format!(
                "2025-01-01T00:{:02}:{:02}.000000Z",
                (i / 3) / 60 % 60,
                (i / 3) % 60
            );
            let uuid = format!("0190{:04x}-0000-4000-8000-{:012x}", (n - i) % 7, i);
            vec![
                json!(uuid),
                json!(if i % 2 == 0 { "$pageview" } else { "signup" }),
                json!(ts),
                json!(format!("user-{}", i % 10)),
                json!({"i": i, "text": "a, \"quoted\"\nline"}),
            ]
        })
        .collect();
    rows.sort_by(|a, b| (a[2].as_str(), a[0].as_str()).cmp(&(b[2].as_str(), b[0].as_str())));
    rows
}

fn limit_of(q: &str, word: &str) -> Option<usize> {
    let idx = q.find(word)? + word.len();
    q[idx..].split_whitespace().next()?.parse().ok()
}

/// Answers the events keyset query and `... LIMIT n OFFSET m` over `data`.
fn serve(
    data: Arc<Vec<Vec<Value>>>,
    calls: Arc<AtomicUsize>,
    fail_at: Option<usize>,
) -> impl Fn(&HttpRequest) -> Answer + Send + Sync {
    move |req| {
        let call = calls.fetch_add(1, Ordering::SeqCst);
        if Some(call) == fail_at {
            return Ok(json_resp(
                400,
                &json!({"type": "validation_error", "detail": "injected", "attr": null}),
            ));
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let q = body["query"]["query"].as_str().unwrap().to_string();
        let v = &body["query"]["values"];
        let limit = limit_of(&q, " LIMIT ").unwrap();
        // values never spliced into the text
        assert!(!q.contains("2025-"), "{q}");
        let rows: Vec<Vec<Value>> =
            if q.contains("FROM events WHERE timestamp >= toDateTime({after})") {
                let (after, before) = (v["after"].as_str().unwrap(), v["before"].as_str().unwrap());
                let event = v.get("event").and_then(Value::as_str);
                let last = v
                    .get("last_ts")
                    .map(|t| (t.as_str().unwrap(), v["last_uuid"].as_str().unwrap()));
                data.iter()
                    .filter(|r| {
                        let (ts, id) = (r[2].as_str().unwrap(), r[0].as_str().unwrap());
                        ts >= after
                            && ts < before
                            && event.is_none_or(|e| r[1] == e)
                            && last.is_none_or(|l| (ts, id) > l)
                    })
                    .take(limit)
                    .cloned()
                    .collect()
            } else {
                let offset = limit_of(&q, " OFFSET ").unwrap();
                data.iter()
                    .skip(offset)
                    .take(limit)
                    .map(|r| vec![r[0].clone(), r[1].clone()])
                    .collect()
            };
        let columns: Vec<&str> = if q.contains("FROM events WHERE") {
            vec!["uuid", "event", "timestamp", "distinct_id", "properties"]
        } else {
            vec!["uuid", "event"]
        };
        Ok(json_resp(
            200,
            &json!({"columns": columns, "types": [], "results": rows, "hasMore": false}),
        ))
    }
}

fn window() -> ExportSource {
    ExportSource::events(
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2025, 1, 2, 0, 0, 0).unwrap(),
    )
}

/// The `uuid` of every JSON Lines row, in file order.
pub fn jsonl_uuids(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["uuid"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn setup(n: usize, fail_at: Option<usize>) -> (AdminClient, Arc<Scripted>, Arc<Vec<Vec<Value>>>) {
    let t = Scripted::new();
    let data = Arc::new(events(n));
    t.handle(serve(data.clone(), Arc::new(AtomicUsize::new(0)), fail_at));
    let c = AdminClient::new(options(&t, &manual_clock())).unwrap();
    (c, t, data)
}

#[test]
fn jsonl_pages_by_keyset_with_ties() {
    let (c, t, data) = setup(1000, None);
    let mut out = Vec::new();
    let mut progress = Vec::new();
    let (tx, rx) = std::sync::mpsc::channel();
    let opts = ExportOptions {
        page_size: 64,
        on_progress: Some(Box::new(move |n| tx.send(n).unwrap())),
        ..ExportOptions::default()
    };
    let report = c
        .export(1u64, &window(), ExportFormat::Jsonl, &mut out, opts)
        .unwrap();
    progress.extend(rx.try_iter());
    assert_eq!(report.rows, 1000);
    assert_eq!(report.pages, 16);
    assert_eq!(progress.last(), Some(&1000));
    let want: Vec<String> = data
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(jsonl_uuids(&out), want);
    assert_eq!(t.requests().len(), 16, "1000 = 15 full pages + 40 rows");
    let first: Value =
        serde_json::from_str(String::from_utf8_lossy(&out).lines().next().unwrap()).unwrap();
    assert_eq!(first["properties"]["text"], "a, \"quoted\"\nline");
    assert!(matches!(
        report.checkpoint.position,
        Position::Keyset { .. }
    ));
    assert_eq!(report.checkpoint.bytes, out.len() as u64);
    assert_bearer_only(&t.requests(), KEY);
}

#[test]
fn csv_with_header_and_quoting() {
    let (c, _, _) = setup(10, None);
    let mut out = Vec::new();
    c.export(
        1u64,
        &window(),
        ExportFormat::Csv,
        &mut out,
        ExportOptions {
            page_size: 4,
            ..Default::default()
        },
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("uuid,event,timestamp,distinct_id,properties\n"));
    assert!(
        text.contains(r#""{""i"":0,""text"":""a, \""quoted\""\nline""}""#),
        "{text}"
    );
    assert_eq!(text.matches("uuid,event").count(), 1);
}

#[test]
fn resume_after_failure_without_duplicates_or_gaps() {
    for format in [ExportFormat::Jsonl, ExportFormat::Csv] {
        let (c, _, data) = setup(500, Some(3));
        let mut out = Vec::new();
        let err = c
            .export(
                1u64,
                &window(),
                format,
                &mut out,
                ExportOptions {
                    page_size: 50,
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(err.error.to_string().contains("injected"));
        let cp: Checkpoint =
            serde_json::from_str(&serde_json::to_string(&err.checkpoint).unwrap()).unwrap();
        assert_eq!(cp.rows, 150);
        assert_eq!(cp.bytes, out.len() as u64);
        let report = c
            .export(
                1u64,
                &window(),
                format,
                &mut out,
                ExportOptions {
                    page_size: 50,
                    checkpoint: Some(cp),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(report.rows, 350);
        assert_eq!(report.checkpoint.rows, 500);
        let want: Vec<String> = data
            .iter()
            .map(|r| r[0].as_str().unwrap().to_string())
            .collect();
        let got: Vec<String> = match format {
            ExportFormat::Jsonl => jsonl_uuids(&out),
            ExportFormat::Csv => {
                let text = String::from_utf8(out).unwrap();
                assert_eq!(
                    text.matches("uuid,event,timestamp").count(),
                    1,
                    "one header"
                );
                text.lines()
                    .filter(|l| l.starts_with("0190"))
                    .map(|l| l[..36].to_string())
                    .collect()
            }
        };
        assert_eq!(got, want);
    }
}

#[test]
fn hogql_source_pages_by_offset_and_resumes() {
    let (c, _, data) = setup(230, Some(2));
    let src = ExportSource::hogql("SELECT uuid, event FROM events ORDER BY timestamp, uuid");
    let mut out = Vec::new();
    let err = c
        .export(
            1u64,
            &src,
            ExportFormat::Jsonl,
            &mut out,
            ExportOptions {
                page_size: 100,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.checkpoint.position, Position::Offset { offset: 200 });
    let cp = err.checkpoint;
    c.export(
        1u64,
        &src,
        ExportFormat::Jsonl,
        &mut out,
        ExportOptions {
            page_size: 100,
            checkpoint: Some(cp),
            ..Default::default()
        },
    )
    .unwrap();
    let want: Vec<String> = data
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(jsonl_uuids(&out), want);
}

#[test]
fn refuses_bad_inputs_before_any_request() {
    let (c, t, _) = setup(1, None);
    let bad_size = ExportOptions {
        page_size: 50_001,
        ..Default::default()
    };
    assert!(
        c.export(1u64, &window(), ExportFormat::Jsonl, Vec::new(), bad_size)
            .is_err()
    );
    assert!(
        c.export(
            1u64,
            &ExportSource::hogql("SELECT 1 LIMIT 3"),
            ExportFormat::Jsonl,
            Vec::new(),
            ExportOptions::default()
        )
        .is_err()
    );
    let wrong_cp = ExportOptions {
        checkpoint: Some(Checkpoint {
            position: Position::Offset { offset: 3 },
            ..Default::default()
        }),
        ..Default::default()
    };
    assert!(
        c.export(1u64, &window(), ExportFormat::Jsonl, Vec::new(), wrong_cp)
            .is_err()
    );
    assert!(t.requests().is_empty());
}
