//! The end-to-end demo: captures a short session, flushes, and prints the delivery report.
//!
//! Without keys it starts the embedded local PostHog (and makes it fail once, to show a retry);
//! with `POSTHOG_PROJECT_API_KEY` (and optionally `POSTHOG_HOST`) set it sends to real PostHog.

use posthog_core::{Client, ClientOptions, Event};
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
    if let Some(server) = server {
        let st = server.stats();
        println!(
            "local PostHog: {} requests ({:?}), {} events stored, {} unique uuids",
            st.requests, st.statuses, st.events_stored, st.unique_uuids
        );
        if st.unique_uuids != s.accepted {
            return Err("some accepted events were not delivered".into());
        }
    }
    println!("ok: every accepted event was delivered");
    Ok(())
}
