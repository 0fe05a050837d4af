//! Hot paths of the ingestion pipeline: `capture` (build + serialise + enqueue; in memory, on
//! the durable on-disk queue, and through the mobile client) and batch serialisation + gzip,
//! per event.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use posthog_core::config::Protocol;
use posthog_core::event::{EventMessage, serialize};
use posthog_core::mobile::{DeviceContext, MobileClient, MobileOptions};
use posthog_core::transport::{HttpFuture, HttpRequest, HttpResponse, HttpTransport, gzip};
use posthog_core::{Client, ClientOptions, Event, FsyncPolicy};
use serde_json::{Map, Value, json};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const DEFINITIONS: &str = include_str!("../../posthog-flags/tests/data/flag_definitions.json");

/// Answers at once (definitions for GET, `{"status":"Ok"}` otherwise): measures the client,
/// not the network.
struct Accept;
impl HttpTransport for Accept {
    fn send(&self, req: HttpRequest) -> HttpFuture {
        let body = if req.method == "GET" {
            DEFINITIONS.as_bytes().to_vec()
        } else {
            br#"{"status":"Ok"}"#.to_vec()
        };
        Box::pin(async move {
            Ok(HttpResponse {
                status: 200,
                headers: vec![],
                body,
            })
        })
    }
}

fn props() -> Map<String, Value> {
    json!({"plan": "pro", "seats": 12, "trial": false, "$current_url": "https://example.com/pricing",
           "tags": ["a", "b"], "nested": {"k": 1.5}})
    .as_object()
    .cloned()
    .unwrap()
}

fn bench_capture(c: &mut Criterion) {
    let client = Client::new(
        ClientOptions::new("phc_bench")
            .host("http://127.0.0.1:9")
            .max_queue_size(10_000_000)
            .max_queue_bytes(4 << 30)
            .flush_interval(Duration::from_secs(3600))
            .transport(Arc::new(Accept)),
    )
    .unwrap();
    let p = props();
    let mut g = c.benchmark_group("capture");
    g.throughput(Throughput::Elements(1));
    g.bench_function("enqueue_event_6_props", |b| {
        b.iter_batched(
            || Event::new("pageview", "user-123").properties(p.clone()),
            |e| black_box(client.capture(e)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
    client.shutdown(Duration::from_secs(30)).unwrap();
}

fn bench_options() -> ClientOptions {
    ClientOptions::new("phc_bench")
        .host("http://127.0.0.1:9")
        .flush_interval(Duration::from_secs(3600))
        .transport(Arc::new(Accept))
}

/// `capture` onto the on-disk queue (delivered and acknowledged as it goes, so the files stay
/// small), with OS-buffered writes and with an fsync per event, and the mobile client's
/// `capture` (session, super properties, context) on an OS-buffered disk queue.
fn bench_durable(c: &mut Criterion) {
    let base = std::env::temp_dir().join(format!("posthog-bench-{}", std::process::id()));
    let p = props();
    let mut g = c.benchmark_group("capture");
    g.throughput(Throughput::Elements(1));
    for (name, policy) in [
        ("durable_os_buffered", FsyncPolicy::Never),
        ("durable_fsync_every_event", FsyncPolicy::Always),
    ] {
        let client =
            Client::new(bench_options().storage_dir(base.join(name)).fsync(policy)).unwrap();
        g.bench_function(name, |b| {
            b.iter_batched(
                || Event::new("pageview", "user-123").properties(p.clone()),
                |e| black_box(client.capture(e)),
                BatchSize::SmallInput,
            )
        });
        client.shutdown(Duration::from_secs(30)).unwrap();
    }
    let context = DeviceContext {
        app_name: Some("Bench".into()),
        os_name: Some("Android".into()),
        device_model: Some("Pixel 9".into()),
        ..DeviceContext::default()
    };
    let mobile = MobileClient::start(
        MobileOptions::new(
            bench_options()
                .storage_dir(base.join("mobile-queue"))
                .fsync(FsyncPolicy::Never),
            base.join("mobile"),
        )
        .context(context)
        .preload_feature_flags(false),
    )
    .unwrap();
    mobile.register("plan", "pro");
    g.bench_function("mobile_durable_os_buffered", |b| {
        b.iter_batched(
            || p.clone(),
            |p| black_box(mobile.capture("pageview", p)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
    mobile.shutdown(Duration::from_secs(30)).unwrap();
    drop(mobile);
    let _ = std::fs::remove_dir_all(&base);
}

fn bench_serialise(c: &mut Criterion) {
    let msgs: Vec<EventMessage> = (0..100)
        .map(|i| EventMessage {
            event: "pageview".into(),
            distinct_id: format!("user-{i}"),
            properties: props(),
            timestamp: chrono::Utc::now(),
            uuid: uuid::Uuid::now_v7(),
            set: None,
            set_once: None,
        })
        .collect();
    let mut g = c.benchmark_group("serialise");
    g.throughput(Throughput::Elements(100));
    g.bench_function("v0_100_events", |b| {
        b.iter(|| {
            for m in &msgs {
                black_box(serialize(m, Protocol::V0).unwrap());
            }
        })
    });
    g.bench_function("v0_100_events_plus_gzip", |b| {
        b.iter(|| {
            let mut body = Vec::with_capacity(64 * 1024);
            for m in &msgs {
                body.extend(serialize(m, Protocol::V0).unwrap());
                body.push(b',');
            }
            black_box(gzip(&body))
        })
    });
    g.finish();
}

fn bench_flags(c: &mut Criterion) {
    let client = Client::new(
        ClientOptions::new("phc_bench")
            .host("http://127.0.0.1:9")
            .personal_api_key("phs_bench")
            .send_feature_flag_events(false)
            .transport(Arc::new(Accept)),
    )
    .unwrap();
    let person = json!({"email": "ada@example.com", "plan": "pro", "country": "US",
        "age": 36, "app_version": "2.4.1", "platform": "ios", "sessions_30d": 12,
        "signup_date": "2024-03-01", "is_beta": true, "company_name": "Acme"});
    let mut opts = posthog_core::FlagOptions {
        person_properties: person.as_object().cloned().unwrap(),
        only_evaluate_locally: true,
        ..Default::default()
    };
    opts.groups.insert("company".into(), json!("acme"));
    opts.group_properties.insert(
        "company".into(),
        json!({"plan": "enterprise", "employees": 250}),
    );
    assert!(client.flag_definitions().is_some());
    let mut g = c.benchmark_group("flags_client");
    g.bench_function("get_feature_flag_multivariate", |b| {
        b.iter(|| {
            black_box(
                client
                    .get_feature_flag("exp-checkout-flow", "user-42", &opts)
                    .unwrap(),
            )
        })
    });
    g.bench_function("get_all_flags_53", |b| {
        b.iter(|| black_box(client.get_all_flags("user-42", &opts).unwrap()))
    });
    g.finish();
    client.shutdown(Duration::from_secs(5)).unwrap();
}

criterion_group!(
    benches,
    bench_capture,
    bench_durable,
    bench_serialise,
    bench_flags
);
criterion_main!(benches);
