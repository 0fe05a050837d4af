use posthog_core::{Client, ClientOptions, Error, ErrorKind, ManualClock};
use posthog_testserver::{RecordedRequest, TestServer};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KEY: &str = "phc_integration_test_key";
pub const WAIT: Duration = Duration::from_secs(20);

/// Options pointing at the server, with a manual clock so retries never wait for real.
pub fn opts(server: &TestServer) -> (ClientOptions, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let o = ClientOptions::new(KEY)
        .host(server.url())
        .flush_interval(Duration::from_secs(3600))
        .clock(clock.clone());
    (o, clock)
}

/// Errors reported through `on_error`.
#[derive(Clone, Default)]
pub struct Reports(pub Arc<Mutex<Vec<Error>>>);

impl Reports {
    pub fn hook(&self) -> posthog_core::config::ErrorHook {
        let inner = self.0.clone();
        Arc::new(move |e: &Error| inner.lock().unwrap().push(e.clone()))
    }
    pub fn kinds(&self) -> Vec<ErrorKind> {
        self.0.lock().unwrap().iter().map(|e| e.kind()).collect()
    }
    pub fn all(&self) -> Vec<Error> {
        self.0.lock().unwrap().clone()
    }
}

pub fn client(o: ClientOptions) -> Client {
    Client::new(o).expect("client")
}

pub fn flush(c: &Client) -> posthog_core::FlushReport {
    c.flush(WAIT).expect("flush")
}

/// The events of one v0/v1 ingestion request body.
pub fn batch(req: &RecordedRequest) -> Vec<Value> {
    let v = req.json().expect("json body");
    v["batch"].as_array().cloned().unwrap_or_default()
}

pub fn ingestion_requests(server: &TestServer) -> Vec<RecordedRequest> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/batch") || r.path.starts_with("/i/v1"))
        .collect()
}

/// Polls a condition (bounded by [`WAIT`]) for states the server exposes no wait for.
pub fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    false
}
