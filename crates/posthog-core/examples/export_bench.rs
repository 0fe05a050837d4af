//! Exports 1 000 000 events and prints rows/s and peak RSS (`VmHWM`).
//!
//! `cargo run --release -p posthog-core --example export_bench [-- --fake] [-- --rows N]`
//!
//! By default the events come from the in-process test server (SQLite; its memory counts
//! too, so the peak is reset after the events are generated). `--fake` serves synthetic keyset
//! pages from a transport instead, measuring the client alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use posthog_core::admin::{
    AdminClient, AdminOptions, ExportFormat, ExportOptions, ExportSource, ProjectId,
};
use posthog_core::transport::{HttpFuture, HttpRequest, HttpResponse, HttpTransport};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::time::Instant;

fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn reset_peak() {
    // Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Synthetic events: row i has timestamp `start + i ms` and a uuid ordered like i.
struct Fake {
    total: u64,
}

impl HttpTransport for Fake {
    fn send(&self, req: HttpRequest) -> HttpFuture {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let q = body["query"]["query"].as_str().unwrap();
        let limit: u64 = q.rsplit("LIMIT ").next().unwrap().trim().parse().unwrap();
        let from = match body["query"]["values"]
            .get("last_uuid")
            .and_then(Value::as_str)
        {
            Some(u) => u64::from_str_radix(&u[24..], 16).unwrap() + 1,
            None => 0,
        };
        let start = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").unwrap();
        let rows: Vec<Value> = (from..(from + limit).min(self.total))
            .map(|i| {
                let ts = (start + chrono::Duration::milliseconds(i as i64))
                    .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                    .to_string();
                json!([
                    format!("00000001-0000-4000-8000-{i:012x}"),
                    "$pageview",
                    ts,
                    format!("user-{}", i % 1000),
                    {"$browser": "Chrome", "$os": "Linux", "$current_url": format!("https://example.com/page/{}", i % 50), "index": i}
                ])
            })
            .collect();
        let answer = json!({"columns": ["uuid", "event", "timestamp", "distinct_id", "properties"], "types": [], "results": rows, "hasMore": false});
        Box::pin(std::future::ready(Ok(HttpResponse {
            status: 200,
            headers: vec![],
            body: serde_json::to_vec(&answer).unwrap(),
        })))
    }
}

fn control(port: u16, path: &str, body: &Value) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = body.to_string();
    write!(s, "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let fake = args.iter().any(|a| a == "--fake");
    let rows: u64 = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let _server;
    let client = if fake {
        AdminClient::new(
            AdminOptions::new("phx_bench")
                .host("https://bench.invalid")
                .rate_limits(None)
                .transport(std::sync::Arc::new(Fake { total: rows })),
        )
        .unwrap()
    } else {
        let server = posthog_testserver::TestServer::spawn();
        let t = Instant::now();
        let answer = control(
            server.port(),
            "/_test/events/generate",
            &json!({"count": rows, "start": "2025-01-01T00:00:00Z", "end": "2025-01-02T00:00:00Z", "distinct_ids": 1000}),
        );
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "generate failed: {answer}"
        );
        eprintln!("generated {rows} events in {:.1?}", t.elapsed());
        let client = AdminClient::new(
            AdminOptions::new("phx_testpersonalkey")
                .host(server.url())
                .rate_limits(None),
        )
        .unwrap();
        _server = server;
        client
    };
    let before_kb = status_kb("VmRSS:");
    reset_peak();
    let src = ExportSource::events(
        "2025-01-01T00:00:00Z".parse().unwrap(),
        "2025-01-02T00:00:00Z".parse().unwrap(),
    );
    let mut out = std::io::BufWriter::new(std::fs::File::create("/dev/null").unwrap());
    let t = Instant::now();
    let report = client
        .export(
            ProjectId::Current,
            &src,
            ExportFormat::Jsonl,
            &mut out,
            ExportOptions::default(),
        )
        .expect("export");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.rows, rows);
    println!(
        "mode={} rows={} pages={} bytes={} time={:.2}s rows/s={:.0} rss_before_export={} MiB peak_rss_during_export(VmHWM)={} MiB",
        if fake { "fake-transport" } else { "testserver" },
        report.rows,
        report.pages,
        report.checkpoint.bytes,
        secs,
        report.rows as f64 / secs,
        before_kb / 1024,
        status_kb("VmHWM:") / 1024
    );
}
