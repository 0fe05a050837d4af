//! A transport that records every request and answers from a script or a handler.

use chrono::{TimeZone, Utc};
use posthog_core::ManualClock;
use posthog_core::admin::{AdminClient, AdminOptions};
use posthog_core::transport::{
    HttpFuture, HttpRequest, HttpResponse, HttpTransport, TransportFailure,
};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

pub const KEY: &str = "phx_scriptedsecretkey";
pub const HOST: &str = "https://ph.example.com";

pub type Answer = Result<HttpResponse, TransportFailure>;
type Handler = Box<dyn Fn(&HttpRequest) -> Answer + Send + Sync>;

#[derive(Default)]
pub struct Scripted {
    pub requests: Mutex<Vec<HttpRequest>>,
    script: Mutex<VecDeque<Answer>>,
    handler: Mutex<Option<Handler>>,
}

impl Scripted {
    pub fn new() -> Arc<Scripted> {
        Arc::new(Scripted::default())
    }
    pub fn push(&self, a: Answer) {
        self.script.lock().unwrap().push_back(a);
    }
    pub fn push_json(&self, status: u16, body: Value) {
        self.push(Ok(json_resp(status, &body)));
    }
    pub fn handle(&self, h: impl Fn(&HttpRequest) -> Answer + Send + Sync + 'static) {
        *self.handler.lock().unwrap() = Some(Box::new(h));
    }
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.requests.lock().unwrap().clone()
    }
    pub fn last(&self) -> HttpRequest {
        self.requests().pop().expect("a request")
    }
}

pub fn json_resp(status: u16, body: &Value) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: serde_json::to_vec(body).unwrap(),
    }
}

pub fn with_header(mut r: HttpResponse, k: &str, v: &str) -> HttpResponse {
    r.headers.push((k.to_string(), v.to_string()));
    r
}

impl HttpTransport for Scripted {
    fn send(&self, req: HttpRequest) -> HttpFuture {
        self.requests.lock().unwrap().push(req.clone());
        let answer = match self.script.lock().unwrap().pop_front() {
            Some(a) => a,
            None => match &*self.handler.lock().unwrap() {
                Some(h) => h(&req),
                None => Ok(json_resp(404, &serde_json::json!({"detail": "Not found."}))),
            },
        };
        Box::pin(std::future::ready(answer))
    }
}

pub fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
    ))
}

pub fn options(t: &Arc<Scripted>, clock: &Arc<ManualClock>) -> AdminOptions {
    AdminOptions::new(KEY)
        .host(HOST)
        .transport(t.clone())
        .clock(clock.clone())
}

pub fn client() -> (AdminClient, Arc<Scripted>, Arc<ManualClock>) {
    let t = Scripted::new();
    let clock = manual_clock();
    let c = AdminClient::new(options(&t, &clock)).unwrap();
    (c, t, clock)
}

/// Asserts the key went only in the Authorization header.
pub fn assert_bearer_only(reqs: &[HttpRequest], key: &str) {
    assert!(!reqs.is_empty());
    for r in reqs {
        let auth: Vec<_> = r
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            .collect();
        assert_eq!(auth.len(), 1, "{} {}", r.method, r.url);
        assert_eq!(auth[0].1, format!("Bearer {key}"));
        assert!(!r.url.contains(key), "key in URL {}", r.url);
        assert!(
            !String::from_utf8_lossy(&r.body).contains(key),
            "key in body"
        );
        for (k, v) in &r.headers {
            if !k.eq_ignore_ascii_case("authorization") {
                assert!(!v.contains(key), "key in header {k}");
            }
        }
    }
}
