//! The end-to-end demo: captures a short session, flushes, and prints the delivery report;
//! then plays a mobile app whose events are captured offline, survive a restart of the app,
//! and are delivered once the network is back.
//!
//! Without keys it starts the embedded local PostHog (and makes it fail once, to show a retry);
//! with `POSTHOG_PROJECT_API_KEY` (and optionally `POSTHOG_HOST`) set it sends to real PostHog.

use posthog_core::mobile::{DeviceContext, MobileClient, MobileOptions};
use posthog_core::{Client, ClientOptions, Event, FsyncPolicy};
use posthog_testserver::{Fault, TestServer};
use serde_json::{Map, Value, json};
use std::time::Duration;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (options, server) = match ClientOptions::from_env() {
        Ok(options) => {
            println!(
                "sending to real PostHog ({})",
                std::env::var("POSTHOG_HOST")
                    .unwrap_or_else(|_| posthog_core::config::DEFAULT_HOST.into())
            );
            (options, None)
        }
        Err(_) => {
            let server = TestServer::spawn();
            server.push_fault(Fault::status(503));
            println!(
                "no POSTHOG_PROJECT_API_KEY: using the embedded local PostHog at {}",
                server.url()
            );
            println!("(its first answer is a 503, to show a retry)");
            (
                ClientOptions::new("phc_demo_project_key").host(server.url()),
                Some(server),
            )
        }
    };
    let mobile_options = options.clone();
    let client = Client::new(options.flush_at(20).on_error(std::sync::Arc::new(|e| {
        eprintln!("reported: [{}] {e}", e.kind())
    })))?;
    println!("client: {client:?}");

    let user = "demo-user-1";
    client.identify(
        user,
        obj(json!({"email": "demo@example.com"})),
        obj(json!({"first_seen": "demo"})),
    );
    client.group_identify(
        "company",
        "acme",
        obj(json!({"name": "Acme", "seats": 40})),
        None,
    );
    for (i, page) in ["/", "/pricing", "/signup", "/docs", "/dashboard"]
        .iter()
        .cycle()
        .take(50)
        .enumerate()
    {
        client.capture(
            Event::new("$pageview", user)
                .property("$current_url", format!("https://example.com{page}"))
                .property("step", i as u64)
                .group("company", "acme"),
        );
    }
    let uuid = client.capture(Event::new("signed_up", user).property("plan", "pro"));
    println!(
        "captured 53 events; the last one is {}",
        uuid.map(|u| u.to_string()).unwrap_or_default()
    );

    let report = client.flush(Duration::from_secs(30))?;
    println!(
        "flush report: sent {} · failed {} · dropped {} · retried requests {}",
        report.sent, report.failed, report.dropped, report.retried
    );
    client.shutdown(Duration::from_secs(30))?;
    let s = client.stats();
    println!(
        "stats: accepted {} · sent {} · failed {} · dropped {} · retried {} · pending {}",
        s.accepted,
        s.sent,
        s.failed,
        s.dropped(),
        s.retried,
        s.pending
    );
    let mobile_sent = mobile_session(mobile_options)?;
    if let Some(server) = server {
        let st = server.stats();
        println!(
            "local PostHog: {} requests ({:?}), {} events stored, {} unique uuids",
            st.requests, st.statuses, st.events_stored, st.unique_uuids
        );
        if st.unique_uuids != s.accepted + mobile_sent {
            return Err("some accepted events were not delivered".into());
        }
    }
    println!("ok: every accepted event was delivered");
    Ok(())
}

/// A mobile app: offline, it captures; the app is killed and restarted; back online, the
/// events captured offline are delivered. Returns how many events the app had delivered.
fn mobile_session(options: ClientOptions) -> Result<u64, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("posthog-demo-mobile-{}", std::process::id()));
    let start = |o: ClientOptions| {
        MobileClient::start(
            MobileOptions::new(
                o.storage_dir(dir.join("queue")).fsync(FsyncPolicy::Never),
                &dir,
            )
            .context(DeviceContext {
                app_name: Some("Demo Shop".into()),
                os_name: Some("Android".into()),
                ..DeviceContext::default()
            })
            .preload_feature_flags(false),
        )
    };
    let app = start(options.clone())?;
    app.on_network_change(false);
    app.screen("Home", Map::new());
    app.capture("cart_saved", obj(json!({"items": 2})));
    let anonymous = app.distinct_id();
    let report = app.shutdown(Duration::from_secs(1));
    let first = app.client().stats();
    drop(app);
    println!(
        "mobile: captured {} events offline as {anonymous}; the app stops ({})",
        first.accepted,
        report
            .err()
            .map_or("nothing pending".into(), |e| e.to_string())
    );
    let app = start(options)?;
    app.identify("demo-user-2", Map::new(), Map::new());
    app.on_background();
    let report = app.flush(Duration::from_secs(30))?;
    app.shutdown(Duration::from_secs(30))?;
    println!(
        "mobile: after a restart, online: sent {} (the offline events, then $identify and Application Backgrounded)",
        report.sent
    );
    let sent = app.client().stats().sent;
    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(sent)
}
