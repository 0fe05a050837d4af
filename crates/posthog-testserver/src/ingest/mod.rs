//! Every non-control request: routing (ingestion here, flag routes in [`crate::flags`]),
//! faults, recording, answers.

pub(crate) mod decode;
mod event;
mod query;
mod rejection;
mod v0;
mod v1;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;

use crate::fault::{Fault, FaultRoute};
use crate::flags::{self, FlagRoute};
use crate::options::{Profile, ServerOptions};
use crate::records::{RecordedRequest, StoredEvent};
use crate::server::ConnInfo;
use crate::state::Shared;

/// Events accepted by one request and the success status to answer.
#[derive(Default)]
pub(crate) struct Accepted {
    pub(crate) status: u16,
    pub(crate) events: Vec<StoredEvent>,
}

/// Everything a protocol handler reads from one request.
pub(crate) struct Input<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    pub(crate) ip: String,
    pub(crate) seq: u64,
    pub(crate) options: &'a ServerOptions,
    pub(crate) received_at: DateTime<Utc>,
}

impl Input<'_> {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    V0,
    V1,
    /// `POST /flags`.
    Flags,
    /// Either definitions route.
    Definitions,
    /// A flag's remote config (`GET`).
    RemoteConfig,
    /// The private API (`/api/…`).
    Admin,
    Health,
    NotFound,
}

fn classify(path: &str, profile: Profile, definitions_route_missing: bool) -> Route {
    let current = profile == Profile::Current;
    match flags::route(path) {
        Some(FlagRoute::Remote) => return Route::Flags,
        Some(FlagRoute::Definitions) if definitions_route_missing => return Route::NotFound,
        Some(FlagRoute::Definitions | FlagRoute::LocalEvaluation) => return Route::Definitions,
        Some(FlagRoute::RemoteConfig) => return Route::RemoteConfig,
        None => {}
    }
    match path {
        "/e" | "/e/" | "/batch" | "/batch/" | "/i/v0/e" | "/i/v0/e/" => Route::V0,
        "/capture" | "/capture/" | "/track" | "/track/" | "/engage" | "/engage/" if current => {
            Route::V0
        }
        // posthog-python's and posthog-node's AI lane (`capture_ai`): the v0 batch body.
        "/i/v0/ai/batch" | "/i/v0/ai/batch/" if current => Route::V0,
        "/i/v1/analytics/events" if current => Route::V1,
        _ if crate::admin::is_admin_path(path) => Route::Admin,
        "/" | "/_readiness" => Route::Health,
        "/_liveness" if current => Route::Health,
        _ => Route::NotFound,
    }
}

/// The fallback handler: every request that is not a control route.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let received_at = Utc::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    if path == "/_test" || path.starts_with("/_test/") {
        return text(404, "unknown control route");
    }
    let route_missing = shared.with_flags(|f| f.definitions_route_missing);
    let route = classify(&path, shared.options.profile, route_missing);
    let conn = parts.extensions.get::<ConnInfo>().cloned();
    let mut record = RecordedRequest {
        seq: shared.next_seq(),
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        gzip: false,
        body: Vec::new(),
        status: 0,
    };
    let method = parts.method.clone();
    let queue = match route {
        Route::V0 if matches!(method, Method::GET | Method::HEAD | Method::POST) => {
            Some(FaultRoute::Capture)
        }
        Route::V1 if method == Method::POST => Some(FaultRoute::Capture),
        Route::Flags if method == Method::POST => Some(FaultRoute::Flags),
        Route::Definitions if matches!(method, Method::GET | Method::HEAD) => {
            Some(FaultRoute::Definitions)
        }
        Route::RemoteConfig if method == Method::GET => Some(FaultRoute::Admin),
        Route::Admin if method != Method::OPTIONS => Some(FaultRoute::Admin),
        _ => None,
    };
    let handled = queue.is_some();

    let fault = queue.and_then(|q| shared.pop_fault(q));
    if let (Some(Fault::DropConnection), Some(conn)) = (&fault, &conn) {
        shared.record_request(record);
        conn.abort().await;
    }
    if let Some(Fault::Latency(delay)) = &fault {
        tokio::time::sleep(*delay).await;
    }

    let read = read_body(body, shared.options.max_body_bytes).await;
    record.gzip = decode::is_gzip(&read.bytes);
    record.body = if record.gzip {
        decode::gunzip(&read.bytes).unwrap_or_else(|_| read.bytes.clone())
    } else {
        read.bytes.clone()
    };
    if read.failed {
        shared.record_request(record);
        return text(400, "");
    }

    let mut response = if method == Method::OPTIONS {
        preflight(&parts.headers)
    } else if !handled {
        match route {
            Route::NotFound => empty(404),
            Route::Health if matches!(method, Method::GET | Method::HEAD) => text(200, "capture"),
            _ => empty(405),
        }
    } else if let Some(Fault::Status {
        status,
        headers,
        body,
    }) = &fault
    {
        let echo = Echo::of(&parts.headers, &record.body, &record.query);
        status_fault(*status, headers, body, &echo)
    } else if read.too_large {
        match route {
            Route::Flags | Route::Definitions | Route::RemoteConfig | Route::Admin => empty(413),
            Route::V1 => json(413, &v1::error_body(&rejection::Rejection::BodyTooLarge)),
            _ => text(413, &rejection::Rejection::BodyTooLarge.to_string()),
        }
    } else {
        let ip = client_ip(&parts.headers, conn.as_ref());
        let input = Input {
            method: &method,
            path: &path,
            query: &record.query,
            headers: &parts.headers,
            body: &read.bytes,
            ip,
            seq: record.seq,
            options: &shared.options,
            received_at,
        };
        let (response, events) = match route {
            Route::Flags => (flags::remote::handle(&shared, &input), Vec::new()),
            Route::Definitions => (flags::definitions::handle(&shared, &input), Vec::new()),
            Route::RemoteConfig => (flags::remote_config::handle(&shared, &input), Vec::new()),
            Route::Admin => (crate::admin::handle(&shared, &input).await, Vec::new()),
            Route::V1 => {
                let scripted = match &fault {
                    Some(Fault::V1Results(results)) => Some(results.as_slice()),
                    _ => None,
                };
                let answer = v1::handle(&input, scripted);
                let mut response = json(answer.status, &answer.body);
                for (k, v) in &answer.headers {
                    set_header(&mut response, k, v);
                }
                (response, answer.accepted.events)
            }
            _ => match v0::handle(&input) {
                Ok(accepted) if accepted.status == 204 => (empty(204), accepted.events),
                Ok(accepted) => (
                    json(accepted.status, &serde_json::json!({"status": "Ok"})),
                    accepted.events,
                ),
                Err(rejection) => (text(rejection.status(), &rejection.to_string()), Vec::new()),
            },
        };
        shared.store_events(events);
        response
    };

    if let (Route::V1, Some(id)) = (route, parts.headers.get("posthog-request-id")) {
        response
            .headers_mut()
            .insert("posthog-request-id", id.clone());
    }
    add_cors(&mut response, &parts.headers);
    if let (Some(Fault::AckLoss), Some(conn)) = (&fault, &conn) {
        shared.record_request(record);
        conn.abort().await;
    }
    record.status = response.status().as_u16();
    shared.record_request(record);
    response
}

struct BodyRead {
    bytes: Vec<u8>,
    too_large: bool,
    failed: bool,
}

/// Reads the body up to `limit` bytes; past it, keeps draining (so the client can read
/// the 413) but discards.
async fn read_body(mut body: Body, limit: usize) -> BodyRead {
    const DRAIN_CAP: usize = 256 * 1024 * 1024;
    let mut read = BodyRead {
        bytes: Vec::new(),
        too_large: false,
        failed: false,
    };
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            read.failed = true;
            break;
        };
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.len());
            if total > limit {
                read.too_large = true;
                if total > limit.saturating_add(DRAIN_CAP) {
                    break;
                }
            } else {
                read.bytes.extend_from_slice(&data);
            }
        }
    }
    read
}

fn client_ip(headers: &HeaderMap, conn: Option<&ConnInfo>) -> String {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let real = headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    forwarded
        .or(real)
        .map(str::to_owned)
        .or_else(|| conn.map(|c| c.peer.ip().to_string()))
        .unwrap_or_default()
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub(crate) fn empty(status: u16) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status_code(status);
    response
}

fn text(status: u16, body: &str) -> Response {
    let mut response = Response::new(Body::from(body.to_owned()));
    *response.status_mut() = status_code(status);
    set_header(&mut response, "content-type", "text/plain; charset=utf-8");
    response
}

pub(crate) fn json(status: u16, body: &serde_json::Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status_code(status);
    set_header(&mut response, "content-type", "application/json");
    response
}

/// What a status fault may echo back (a compromised proxy's trick): `{authorization}` is the
/// request's Authorization header, `{api_key}` the project key of its body (`api_key`, `token`)
/// or query (`token`), in the fault's body and header values.
struct Echo {
    authorization: String,
    api_key: String,
}

impl Echo {
    fn of(headers: &HeaderMap, body: &[u8], query: &str) -> Echo {
        let authorization = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let from_body = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                ["api_key", "token"]
                    .iter()
                    .find_map(|k| v.get(k).and_then(|x| x.as_str()).map(str::to_string))
            });
        let from_query = query.split('&').find_map(|p| {
            p.strip_prefix("token=")
                .or_else(|| p.strip_prefix("api_key="))
                .map(str::to_string)
        });
        Echo {
            authorization,
            api_key: from_body.or(from_query).unwrap_or_default(),
        }
    }

    fn fill(&self, text: &str) -> String {
        text.replace("{authorization}", &self.authorization)
            .replace("{api_key}", &self.api_key)
    }
}

fn status_fault(status: u16, headers: &[(String, String)], body: &str, echo: &Echo) -> Response {
    let mut response = text(status, &echo.fill(body));
    for (k, v) in headers {
        set_header(&mut response, k, &echo.fill(v));
    }
    response
}

pub(crate) fn set_header(response: &mut Response, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        response.headers_mut().insert(name, value);
    }
}

const VARY: &str = "origin, access-control-request-method, access-control-request-headers";

/// CORS on every answer, as the capture service's layer does: credentials allowed, the
/// request's origin mirrored.
fn add_cors(response: &mut Response, request: &HeaderMap) {
    let headers = response.headers_mut();
    if let Some(origin) = request.get(header::ORIGIN) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    }
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.insert(header::VARY, HeaderValue::from_static(VARY));
}

/// `OPTIONS` on any path: 200, empty, methods listed, requested headers mirrored.
fn preflight(request: &HeaderMap) -> Response {
    let mut response = empty(200);
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET,POST,OPTIONS"),
    );
    if let Some(requested) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    response
}
