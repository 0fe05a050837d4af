//! `set_online(false)`: nothing is sent, a failing batch keeps its events without spending
//! retries, flush answers at once; back online, everything goes.

use crate::common::*;
use posthog_core::transport::{
    HttpFuture, HttpRequest, HttpResponse, HttpTransport, ReqwestTransport,
};
use posthog_core::{ErrorKind, Event};
use posthog_testserver::TestServer;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

#[test]
fn offline_holds_events_and_online_sends_them() {
    let server = TestServer::spawn();
    let (o, _) = opts(&server);
    let c = client(o);
    c.set_online(false);
    assert!(!c.is_online());
    for i in 0..3 {
        assert!(c.capture(Event::new(format!("e{i}"), "u")).is_some());
    }
    c.flush_in_background();
    let err = c.flush(WAIT).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.to_string().contains("offline"), "{err}");
    assert!(
        ingestion_requests(&server).is_empty(),
        "nothing sent offline"
    );
    assert_eq!(c.stats().queued, 3);

    c.set_online(true);
    assert!(server.wait_for_events(3, WAIT), "back online sends at once");
    assert_eq!(flush(&c).failed, 0);
    assert_eq!(c.stats().sent, 3);
}

/// Answers the first request with a 503 only when the test says so (after it went offline);
/// later requests go to the real server.
struct GateTransport {
    inner: ReqwestTransport,
    seen: Mutex<Option<Sender<()>>>,
    release: Mutex<Option<Receiver<()>>>,
}

impl HttpTransport for GateTransport {
    fn send(&self, req: HttpRequest) -> HttpFuture {
        let gate = self.release.lock().unwrap().take();
        if let Some(release) = gate {
            if let Some(seen) = self.seen.lock().unwrap().take() {
                seen.send(()).unwrap();
            }
            return Box::pin(async move {
                release.recv().unwrap();
                Ok(HttpResponse {
                    status: 503,
                    ..HttpResponse::default()
                })
            });
        }
        self.inner.send(req)
    }
}

#[test]
fn a_batch_failing_while_offline_is_kept_without_spending_retries() {
    let server = TestServer::spawn();
    let (seen_tx, seen_rx) = channel();
    let (release_tx, release_rx) = channel();
    let transport = Arc::new(GateTransport {
        inner: ReqwestTransport::new().unwrap(),
        seen: Mutex::new(Some(seen_tx)),
        release: Mutex::new(Some(release_rx)),
    });
    let reports = Reports::default();
    let (o, _) = opts(&server);
    let c = client(
        o.transport(transport)
            .max_retries(0)
            .on_error(reports.hook()),
    );
    c.capture(Event::new("kept", "u")).unwrap();
    c.flush_in_background();
    seen_rx.recv_timeout(WAIT).unwrap();
    c.set_online(false);
    release_tx.send(()).unwrap();
    // With max_retries 0 an online failure would fail the event; offline it is kept.
    assert!(wait_until(|| c.stats().queued == 1), "{:?}", c.stats());
    assert_eq!(c.flush(WAIT).unwrap_err().kind(), ErrorKind::Timeout);
    let s = c.stats();
    assert_eq!((s.failed, s.queued), (0, 1), "{s:?}");
    assert!(reports.all().is_empty(), "{:?}", reports.all());

    c.set_online(true);
    assert_eq!(flush(&c).failed, 0);
    assert_eq!(server.stats().unique_uuids, 1);
    assert_eq!(server.events()[0].event, "kept");
}
