//! Scripted faults, de-duplication counters and waiting.

use std::time::{Duration, Instant};

use posthog_testserver::{Fault, TestServer};
use serde_json::json;

use crate::http::{post_json, request};

fn batch(uuids: &[&str]) -> serde_json::Value {
    let events: Vec<_> = uuids
        .iter()
        .map(|u| json!({"event": "e", "distinct_id": "u", "uuid": u, "properties": {}}))
        .collect();
    json!({"api_key": "phc_test", "batch": events})
}

const U1: &str = "0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a81";
const U2: &str = "0190c2a6-7d3e-7c1a-9f2b-3c4d5e6f7a82";

#[test]
fn status_fault_answers_and_stores_nothing() {
    let server = TestServer::spawn();
    server.push_faults([Fault::retry_after(429, 7), Fault::status(503)]);
    let r = post_json(server.port(), "/batch/", &batch(&[U1])).unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("7"));
    let r = post_json(server.port(), "/batch/", &batch(&[U1])).unwrap();
    assert_eq!(r.status, 503);
    let r = post_json(server.port(), "/batch/", &batch(&[U1])).unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(server.events().len(), 1);
    let stats = server.stats();
    assert_eq!(stats.requests, 3);
    assert_eq!(stats.statuses.get(&429), Some(&1));
    assert_eq!(stats.statuses.get(&200), Some(&1));
    let requests = server.requests();
    assert_eq!(requests[0].status, 429);
    assert_eq!(requests[0].json().unwrap()["api_key"], "phc_test");
}

#[test]
fn latency_delays_then_handles() {
    let server = TestServer::spawn();
    server.push_fault(Fault::Latency(Duration::from_millis(300)));
    let start = Instant::now();
    let r = post_json(
        server.port(),
        "/e/",
        &json!({"token": "phc_t", "event": "e", "distinct_id": "u"}),
    )
    .unwrap();
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(r.status, 200);
    assert_eq!(server.events().len(), 1);
}

#[test]
fn drop_connection_gives_a_connection_error_and_stores_nothing() {
    let server = TestServer::spawn();
    server.push_fault(Fault::DropConnection);
    let r = post_json(server.port(), "/batch/", &batch(&[U1]));
    assert!(r.is_err(), "expected a connection error, got {r:?}");
    assert!(server.wait_for_requests(1, Duration::from_secs(5)));
    assert_eq!(server.events().len(), 0);
    assert_eq!(server.requests()[0].status, 0);
    assert_eq!(server.stats().dropped_connections, 1);
    // The next request works.
    assert_eq!(
        post_json(server.port(), "/batch/", &batch(&[U1]))
            .unwrap()
            .status,
        200
    );
}

#[test]
fn ack_loss_stores_then_closes_and_duplicates_are_counted() {
    let server = TestServer::spawn();
    server.push_fault(Fault::AckLoss);
    let r = post_json(server.port(), "/batch/", &batch(&[U1, U2]));
    assert!(r.is_err(), "expected a connection error, got {r:?}");
    assert!(server.wait_for_events(2, Duration::from_secs(5)));
    // The client retries the same events.
    assert_eq!(
        post_json(server.port(), "/batch/", &batch(&[U1, U2]))
            .unwrap()
            .status,
        200
    );
    let stats = server.stats();
    assert_eq!(stats.events_stored, 4);
    assert_eq!(stats.unique_uuids, 2);
    assert_eq!(stats.duplicate_events, 2);
    assert_eq!(server.events().len(), 4);
}

#[test]
fn keep_alive_connection_survives_next_to_a_dropped_one() {
    use std::io::{Read, Write};
    let server = TestServer::spawn();
    let body = batch(&[U1]).to_string();
    let req = format!(
        "POST /batch/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut keep = std::net::TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    keep.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 4096];
    keep.write_all(req.as_bytes()).unwrap();
    let n = keep.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    server.push_fault(Fault::DropConnection);
    assert!(post_json(server.port(), "/batch/", &batch(&[U1])).is_err());
    keep.write_all(req.as_bytes()).unwrap();
    let n = keep.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
}

#[test]
fn wait_for_events_wakes_on_arrival_and_times_out() {
    let server = TestServer::spawn();
    assert!(!server.wait_for_events(1, Duration::from_millis(50)));
    let port = server.port();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        post_json(port, "/batch/", &batch(&[U1, U2])).unwrap()
    });
    let start = Instant::now();
    assert!(server.wait_for_events(2, Duration::from_secs(10)));
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(sender.join().unwrap().status, 200);
    assert!(server.wait_for_requests(1, Duration::from_secs(1)));
    server.reset();
    assert!(server.events().is_empty());
    assert!(server.requests().is_empty());
    assert_eq!(server.stats().requests, 0);
}

#[test]
fn recorded_request_shows_gzip_and_headers() {
    use std::io::Write;
    let server = TestServer::spawn();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(batch(&[U1]).to_string().as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let r = request(
        server.port(),
        "POST",
        "/batch/?compression=gzip-js",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
            ("X-Forwarded-For", "203.0.113.9"),
        ],
        Some(&gz),
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let req = &server.requests()[0];
    assert!(req.gzip);
    assert_eq!(req.header("Content-Encoding"), Some("gzip"));
    assert_eq!(req.query, "compression=gzip-js");
    assert_eq!(req.json().unwrap()["batch"][0]["uuid"], U1);
    let event = &server.events()[0];
    assert_eq!(event.ip, "203.0.113.9");
    assert_eq!(event.route, "/batch/");
    assert_eq!(event.request_seq, req.seq);
}

#[test]
fn body_limit_is_a_413() {
    let server = TestServer::spawn_with(posthog_testserver::ServerOptions {
        max_body_bytes: 100,
        ..Default::default()
    });
    let r = post_json(server.port(), "/batch/", &batch(&[U1, U2])).unwrap();
    assert_eq!(r.status, 413);
    assert!(server.events().is_empty());
}
