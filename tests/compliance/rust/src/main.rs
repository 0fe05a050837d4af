//! The SDK compliance adapter of posthog-core: a small HTTP/1.1 server that PostHog's SDK test
//! harness (<https://github.com/PostHog/posthog-sdk-test-harness>, `CONTRACT.yaml` v1.1 and
//! `ADAPTER_GUIDE.md`) drives. Every endpoint is a thin call into `posthog_core::Client`; the
//! adapter holds no PostHog rules. See `tests/compliance/README.md`.
//!
//! ```text
//! posthog-compliance-adapter [--port N] [--bind ADDR]     (or PORT / ADAPTER_BIND; port 0 = any)
//! ```
//! Prints one line, `http://ADDR:PORT`, then serves until killed.

use flate2::read::GzDecoder;
use posthog_core::transport::{HttpFuture, HttpRequest, HttpTransport, ReqwestTransport};
use posthog_core::{Client, ClientOptions, Event, FlagOptions, Protocol};
use serde_json::{Map, Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The version of this adapter (the contract's `adapter_version`).
const ADAPTER_VERSION: &str = "1.0.0";
/// How long `/flush` waits for the SDK at most.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request body the adapter reads.
const MAX_BODY: usize = 16 * 1024 * 1024;

type Log = Arc<Mutex<Vec<Value>>>;
type LastError = Arc<Mutex<Option<String>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One initialised SDK client and what the adapter observed about it.
struct Session {
    client: Arc<Client>,
    requests: Log,
    last_error: LastError,
    flushes: u64,
}

#[derive(Default)]
struct Adapter {
    session: Mutex<Option<Session>>,
}

/// Wraps the SDK's own transport to record each request for `/state.requests_made` (the
/// contract asks adapters to instrument the HTTP layer; `ClientOptions::transport` is public).
struct Recording {
    inner: ReqwestTransport,
    log: Log,
}

impl HttpTransport for Recording {
    fn send(&self, req: HttpRequest) -> HttpFuture {
        let uuids = batch_uuids(&req.body);
        let path = req
            .url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()))
            .unwrap_or_else(|| "/".into());
        let log = self.log.clone();
        let fut = self.inner.send(req);
        Box::pin(async move {
            let result = fut.await;
            let status = result.as_ref().map(|r| r.status).unwrap_or(0);
            let mut log = lock(&log);
            // A resend of the same batch (same uuids) is a retry attempt.
            let retry_attempt = if uuids.is_empty() {
                0
            } else {
                log.iter()
                    .filter(|r| r["uuid_list"].as_array().is_some_and(|l| *l == uuids))
                    .count()
            };
            log.push(json!({
                "timestamp_ms": now_ms(),
                "status_code": status,
                "retry_attempt": retry_attempt,
                "event_count": uuids.len(),
                "uuid_list": uuids,
                "path": path,
            }));
            drop(log);
            result
        })
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The `uuid` of every element of the body's `batch` array (gzip or plain JSON); empty for
/// any other body.
fn batch_uuids(body: &[u8]) -> Vec<Value> {
    let mut plain = Vec::new();
    let bytes = if body.starts_with(&[0x1f, 0x8b]) {
        if GzDecoder::new(body).read_to_end(&mut plain).is_err() {
            return Vec::new();
        }
        &plain[..]
    } else {
        body
    };
    let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
        return Vec::new();
    };
    v.get("batch")
        .and_then(Value::as_array)
        .map(|b| b.iter().filter_map(|e| e.get("uuid").cloned()).collect())
        .unwrap_or_default()
}

/// An HTTP answer: status and JSON body.
type Reply = (u16, Value);

fn bad(status: u16, msg: impl Into<String>) -> Reply {
    (status, json!({"success": false, "error": msg.into()}))
}

fn not_initialised() -> Reply {
    bad(400, "SDK not initialized: call /init first")
}

fn str_field<'a>(body: &'a Value, name: &str) -> Option<&'a str> {
    body.get(name).and_then(Value::as_str)
}

fn obj_field(body: &Value, name: &str) -> Result<Map<String, Value>, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(_) => Err(bad(400, format!("{name} must be an object"))),
    }
}

fn capture_mode_v1() -> bool {
    std::env::var("POSTHOG_CAPTURE_MODE").is_ok_and(|v| v == "v1")
}

/// What the adapter advertises: the capture protocol, gzip, and the AI lane (`capture_ai`
/// posts to `/i/v0/ai/batch/`, a v0 body) in v0 mode.
fn capabilities(capture: &str) -> Vec<&str> {
    let mut caps = vec![capture, "encoding_gzip"];
    if capture == "capture_v0" {
        caps.push("capture_ai_v0");
    }
    caps
}

impl Adapter {
    fn client(&self) -> Option<Arc<Client>> {
        lock(&self.session).as_ref().map(|s| s.client.clone())
    }

    fn health(&self) -> Reply {
        let capture = if capture_mode_v1() {
            "capture_v1"
        } else {
            "capture_v0"
        };
        (
            200,
            json!({
                "sdk_name": "posthog-sdk-rust",
                "sdk_version": posthog_core::VERSION,
                "adapter_version": ADAPTER_VERSION,
                "capabilities": capabilities(capture),
            }),
        )
    }

    /// Drops the current client: shut down with no drain time, so queued events are abandoned.
    fn discard(&self) {
        let old = lock(&self.session).take();
        if let Some(s) = old {
            let _ = s.client.shutdown(Duration::ZERO);
        }
    }

    fn init(&self, body: &Value) -> Reply {
        let (Some(api_key), Some(host)) = (str_field(body, "api_key"), str_field(body, "host"))
        else {
            return bad(400, "api_key and host are required strings");
        };
        self.discard();
        let requests: Log = Arc::default();
        let last_error: LastError = Arc::default();
        let transport = match ReqwestTransport::new() {
            Ok(inner) => Recording {
                inner,
                log: requests.clone(),
            },
            Err(e) => return bad(500, e.to_string()),
        };
        let errors = last_error.clone();
        let mut opts = ClientOptions::new(api_key)
            .host(host)
            .transport(Arc::new(transport))
            .on_error(Arc::new(move |e| *lock(&errors) = Some(e.to_string())));
        if let Some(n) = body.get("flush_at").and_then(Value::as_u64) {
            opts = opts.flush_at(n as usize);
        }
        if let Some(ms) = body.get("flush_interval_ms").and_then(Value::as_u64) {
            opts = opts.flush_interval(Duration::from_millis(ms));
        }
        if let Some(n) = body.get("max_retries").and_then(Value::as_u64) {
            opts = opts.max_retries(u32::try_from(n).unwrap_or(u32::MAX));
        }
        if let Some(on) = body.get("enable_compression").and_then(Value::as_bool) {
            opts = opts.gzip(on);
        }
        if let Some(on) = body.get("disable_geoip").and_then(Value::as_bool) {
            opts = opts.disable_geoip(on);
        }
        if let Some(on) = body.get("historical_migration").and_then(Value::as_bool) {
            opts = opts.historical_migration(on);
        }
        if capture_mode_v1() {
            opts = opts.protocol(Protocol::V1);
        }
        match Client::new(opts) {
            Ok(client) => {
                *lock(&self.session) = Some(Session {
                    client: Arc::new(client),
                    requests,
                    last_error,
                    flushes: 0,
                });
                (200, json!({"success": true}))
            }
            Err(e) => bad(400, e.to_string()),
        }
    }

    fn capture(&self, body: &Value, ai: bool) -> Reply {
        let Some(client) = self.client() else {
            return not_initialised();
        };
        let (Some(distinct_id), Some(name)) =
            (str_field(body, "distinct_id"), str_field(body, "event"))
        else {
            return bad(400, "distinct_id and event are required strings");
        };
        let properties = match obj_field(body, "properties") {
            Ok(p) => p,
            Err(r) => return r,
        };
        let mut event = Event::new(name, distinct_id).properties(properties);
        if let Some(ts) = str_field(body, "timestamp") {
            match posthog_core::parse_timestamp(ts) {
                Ok(t) => event = event.timestamp(t),
                Err(e) => return bad(400, e.to_string()),
            }
        }
        if let Some(u) = str_field(body, "uuid") {
            match posthog_core::parse_uuid(u) {
                Ok(u) => event.uuid = Some(u),
                Err(e) => return bad(400, e.to_string()),
            }
        }
        let sent = if ai {
            client.capture_ai(event)
        } else {
            client.capture(event)
        };
        match sent {
            Some(uuid) => (200, json!({"success": true, "uuid": uuid.to_string()})),
            None => bad(
                400,
                "the SDK did not accept the event (see /state last_error)",
            ),
        }
    }

    fn flush(&self) -> Reply {
        let Some(client) = self.client() else {
            return not_initialised();
        };
        let result = client.flush(FLUSH_TIMEOUT);
        if let Some(s) = lock(&self.session).as_mut() {
            s.flushes += 1;
            if let Err(e) = &result {
                *lock(&s.last_error) = Some(e.to_string());
            }
        }
        match result {
            Ok(report) => (
                200,
                json!({"success": true, "events_flushed": report.sent, "report": report}),
            ),
            Err(e) => (
                200,
                json!({"success": false, "events_flushed": 0, "error": e.to_string()}),
            ),
        }
    }

    fn get_feature_flag(&self, body: &Value) -> Reply {
        let Some(client) = self.client() else {
            return not_initialised();
        };
        let (Some(key), Some(distinct_id)) =
            (str_field(body, "key"), str_field(body, "distinct_id"))
        else {
            return bad(400, "key and distinct_id are required strings");
        };
        let opts = match (|| -> Result<FlagOptions, Reply> {
            Ok(FlagOptions {
                groups: obj_field(body, "groups")?,
                person_properties: obj_field(body, "person_properties")?,
                group_properties: obj_field(body, "group_properties")?,
                disable_geoip: body.get("disable_geoip").and_then(Value::as_bool),
                force_remote: body
                    .get("force_remote")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                ..FlagOptions::default()
            })
        })() {
            Ok(o) => o,
            Err(r) => return r,
        };
        match client.get_feature_flag(key, distinct_id, &opts) {
            Ok(v) => (
                200,
                json!({"success": true, "value": v.map(|v| v.to_json()).unwrap_or(Value::Null)}),
            ),
            Err(e) => bad(400, e.to_string()),
        }
    }

    fn state(&self) -> Reply {
        let guard = lock(&self.session);
        let Some(s) = guard.as_ref() else {
            return (
                200,
                json!({
                    "pending_events": 0, "total_events_captured": 0, "total_events_sent": 0,
                    "total_retries": 0, "last_error": null, "requests_made": [],
                    "total_flushes": 0, "initialized": false,
                }),
            );
        };
        let stats = s.client.stats();
        (
            200,
            json!({
                "pending_events": stats.pending,
                "total_events_captured": stats.accepted,
                "total_events_sent": stats.sent,
                "total_retries": stats.retried,
                "last_error": lock(&s.last_error).clone(),
                "requests_made": lock(&s.requests).clone(),
                "total_flushes": s.flushes,
                "initialized": true,
                "sdk_stats": stats,
            }),
        )
    }

    fn reset(&self) -> Reply {
        self.discard();
        (200, json!({"success": true}))
    }

    fn route(&self, method: &str, path: &str, body: &[u8]) -> Reply {
        let parsed = if body.iter().all(u8::is_ascii_whitespace) {
            Ok(Value::Object(Map::new()))
        } else {
            serde_json::from_slice::<Value>(body)
        };
        let Ok(json_body) = parsed else {
            return bad(400, "the body is not JSON");
        };
        if method == "POST" && !json_body.is_object() {
            return bad(400, "the body must be a JSON object");
        }
        match (method, path) {
            ("GET", "/health") => self.health(),
            ("GET", "/state") => self.state(),
            ("POST", "/init") => self.init(&json_body),
            ("POST", "/capture") => self.capture(&json_body, false),
            ("POST", "/capture_ai") => self.capture(&json_body, true),
            ("POST", "/flush") => self.flush(),
            ("POST", "/get_feature_flag") => self.get_feature_flag(&json_body),
            ("POST", "/reset") => self.reset(),
            (
                _,
                "/health" | "/state" | "/init" | "/capture" | "/capture_ai" | "/flush"
                | "/get_feature_flag" | "/reset",
            ) => bad(405, "method not allowed"),
            _ => bad(404, format!("no endpoint {path}")),
        }
    }
}

/// Reads one request (Content-Length bodies only), answers it, closes the connection.
fn serve(adapter: &Adapter, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/").to_string();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((name, value)) = h.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let (status, reply) = if length > MAX_BODY {
        bad(413, "body too large")
    } else {
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        // The harness's parallel mode appends `?test_id=`; this adapter is sequential.
        let path = target.split('?').next().unwrap_or("/");
        adapter.route(&method, path, &body)
    };
    let text = reply.to_string();
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        _ => "Internal Server Error",
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    out.flush()
}

fn main() {
    let mut port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
    let mut bind = std::env::var("ADAPTER_BIND").unwrap_or_else(|_| "127.0.0.1".into());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--port" => port = args.next().unwrap_or_default(),
            "--bind" => bind = args.next().unwrap_or_default(),
            _ => {
                eprintln!("usage: posthog-compliance-adapter [--port N] [--bind ADDR]");
                std::process::exit(2);
            }
        }
    }
    let listener = match TcpListener::bind(format!("{bind}:{port}")) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot bind {bind}:{port}: {e}");
            std::process::exit(1);
        }
    };
    let actual = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    println!("http://{bind}:{actual}");
    let _ = std::io::stdout().flush();
    let adapter = Arc::new(Adapter::default());
    for stream in listener.incoming().flatten() {
        let adapter = adapter.clone();
        std::thread::spawn(move || {
            if let Err(e) = serve(&adapter, stream) {
                eprintln!("connection error: {e}");
            }
        });
    }
}
