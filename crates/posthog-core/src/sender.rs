//! Delivery of one batch: attempts, classification, backoff, 413 halves, counters and reports.

use crate::client::Shared;
use crate::disk::Exhausted;
use crate::error::Error;
use crate::event::QueuedEvent;
use crate::protocol::{BatchIdentity, build_request};
use crate::retry::{Backoff, Verdict, classify};
use crate::stats::{Counters, DropCause};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use uuid::Uuid;

/// Sends `events` until they are delivered or definitively failed; never returns an error
/// (outcomes go to the counters and the error hook).
pub(crate) fn send_batch(
    shared: &Shared,
    events: Vec<QueuedEvent>,
) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
    Box::pin(async move {
        let cfg = &shared.config;
        let id = BatchIdentity {
            request_id: Uuid::new_v4(),
            created_at: cfg.clock.now(),
        };
        let mut pending = events;
        let mut backoff = Backoff::seeded(cfg.jitter_seed);
        let mut attempt: u32 = 0;
        let mut cuts = Cuts::default();
        loop {
            attempt += 1;
            let key = shared.key();
            let req = build_request(cfg, &key, &pending, attempt, id, cfg.clock.now());
            let outcome = cfg.transport.send(req).await;
            track_auth(shared, &outcome);
            let (again, after, error) = match classify(cfg.protocol, &outcome, cfg.clock.now()) {
                Verdict::Delivered => {
                    Counters::add(&shared.stats.sent, pending.len() as u64);
                    shared.resolve_on_disk(pending.iter().map(|e| e.seq));
                    return;
                }
                Verdict::Partial {
                    retry,
                    dropped,
                    after,
                } => {
                    let mut again = Vec::new();
                    let (mut ok, mut refused) = (0u64, 0u64);
                    let mut done = Vec::new();
                    for ev in pending {
                        let u = ev.uuid.to_string();
                        if retry.contains(&u) {
                            again.push(ev);
                        } else if dropped.contains(&u) {
                            refused += 1;
                            done.push(ev.seq);
                        } else {
                            ok += 1;
                            done.push(ev.seq);
                        }
                    }
                    shared.resolve_on_disk(done);
                    Counters::add(&shared.stats.sent, ok);
                    if refused > 0 {
                        shared.stats.drop(DropCause::Server, refused);
                        shared.report(&Error::InvalidRequest {
                            status: 200,
                            detail: format!("the server dropped {refused} event(s)"),
                            attr: None,
                            request_id: Some(id.request_id.to_string()),
                        });
                    }
                    if again.is_empty() {
                        return;
                    }
                    let err = Error::Server {
                        status: 200,
                        detail: format!("the server asked to retry {} event(s)", again.len()),
                        request_id: Some(id.request_id.to_string()),
                        retry_after_secs: after.map(|d| d.as_secs()),
                    };
                    (again, after, err)
                }
                Verdict::Retry { after, error } => (pending, after, error),
                Verdict::Split(error) => {
                    if pending.len() == 1 {
                        shared.resolve_on_disk(pending.iter().map(|e| e.seq));
                        shared.stats.drop(DropCause::TooLarge, 1);
                        shared.report_batch(&error, &pending);
                        return;
                    }
                    let right = pending.split_off(pending.len() / 2);
                    send_batch(shared, pending).await;
                    send_batch(shared, right).await;
                    return;
                }
                Verdict::Fail(error) => {
                    shared.resolve_on_disk(pending.iter().map(|e| e.seq));
                    fail(shared, &pending, &error);
                    return;
                }
            };
            {
                let mut st = shared.lock();
                if st.offline {
                    // The app said the network is gone: keep the events for when it
                    // returns, without spending their retries.
                    tracing::debug!(events = again.len(), "offline; batch kept for later");
                    st.park(again);
                    return;
                }
            }
            // Retry until the batch's deadline (or `max_retries`, when one is set): the next
            // attempt must start before the deadline.
            let delay = backoff.next_delay(after);
            let deadline = chrono::Duration::from_std(cfg.retry_for)
                .ok()
                .and_then(|d| id.created_at.checked_add_signed(d));
            let next_at = chrono::Duration::from_std(delay)
                .ok()
                .and_then(|d| cfg.clock.now().checked_add_signed(d));
            let late = match (deadline, next_at) {
                (None, _) => false,
                (Some(deadline), Some(next)) => next > deadline,
                (Some(_), None) => true,
            };
            if late || cfg.max_retries.is_some_and(|m| attempt > m) {
                exhausted(shared, again, &error);
                return;
            }
            Counters::add(&shared.stats.retried, 1);
            tracing::debug!(attempt, %error, "retrying a batch");
            if after.is_some() {
                // The server's floor: neither a flush nor shutdown cuts it short.
                cfg.clock.sleep(delay).await;
            } else if wait_out(shared, delay, &mut cuts).await {
                backoff = Backoff::seeded(cfg.jitter_seed);
            }
            pending = again;
        }
    })
}

/// The early retries a batch has used: one when a flush asks for delivery, one when shutdown
/// begins. Each starts the backoff over, so a server that came back during a long wait gets
/// the events now, while a caller flushing in a loop cannot turn the backoff into a busy retry.
#[derive(Default)]
struct Cuts {
    flush: bool,
    close: bool,
}

impl Cuts {
    /// Uses the allowance for this reason; true when the wait may end now.
    fn take(&mut self, closed: bool) -> bool {
        let used = if closed {
            &mut self.close
        } else {
            &mut self.flush
        };
        !std::mem::replace(used, true)
    }
}

/// Waits out a backoff `delay`, or less when a flush or shutdown wakes it and the batch still
/// has that allowance; true when cut short.
async fn wait_out(shared: &Shared, delay: std::time::Duration, cuts: &mut Cuts) -> bool {
    // Registered before the wait begins and before the closed check, so a flush or shutdown
    // starting in between still wakes it.
    let mut woken = Box::pin(shared.retry_now.notified());
    woken.as_mut().enable();
    let mut sleep = shared.config.clock.sleep(delay);
    loop {
        if shared.lock().closed && cuts.take(true) {
            return true;
        }
        tokio::select! {
            _ = &mut sleep => return false,
            _ = woken.as_mut() => {
                let closed = shared.lock().closed;
                if cuts.take(closed) {
                    return true;
                }
                woken.set(shared.retry_now.notified());
                woken.as_mut().enable();
            }
        }
    }
}

/// Retries ran out on a transient failure. With an on-disk queue the events stay there and are
/// parked for the next flush cycle, unless over `max_attempts` / `max_event_age`; without one
/// (or for events that never reached the disk) they fail.
fn exhausted(shared: &Shared, events: Vec<QueuedEvent>, error: &Error) {
    let Some(d) = &shared.disk else {
        fail(shared, &events, error);
        return;
    };
    let now = shared.now_ms();
    let (mut park, mut given_up) = (Vec::new(), Vec::new());
    let mut expired = Vec::new();
    for ev in events {
        match d.exhausted(ev.seq, now) {
            Exhausted::Park => park.push(ev),
            Exhausted::Expired => {
                expired.push(ev.seq);
                given_up.push(ev);
            }
            Exhausted::NotOnDisk => given_up.push(ev),
        }
    }
    shared.resolve_on_disk(expired);
    if !given_up.is_empty() {
        fail(shared, &given_up, error);
    }
    if !park.is_empty() {
        let n = park.len();
        Counters::add(&shared.stats.deferred, n as u64);
        tracing::warn!(events = n, %error, "retries ran out; events kept on disk for the next flush");
        if given_up.is_empty() {
            shared.report(error);
        }
        shared.lock().park(park);
    }
}

/// A batch failed for good: counted, remembered, and reported with its events (posthog-python's
/// `on_error(error, batch)` receives them).
fn fail(shared: &Shared, batch: &[QueuedEvent], error: &Error) {
    let events = batch.len();
    Counters::add(&shared.stats.failed, events as u64);
    Counters::add(&shared.stats.failed_batches, 1);
    shared.record_failure(error);
    tracing::warn!(events, %error, "a batch failed");
    let error = match error {
        Error::Unauthorized { detail, request_id } => {
            let n = shared
                .stats
                .consecutive_auth_failures
                .load(Ordering::Relaxed);
            Error::Unauthorized {
                detail: format!(
                    "{detail} (rejected {n} time(s) in a row; check the project API key)"
                ),
                request_id: request_id.clone(),
            }
        }
        other => other.clone(),
    };
    shared.report_batch(&error, batch);
}

fn track_auth(
    shared: &Shared,
    outcome: &Result<crate::transport::HttpResponse, crate::transport::TransportFailure>,
) {
    if let Ok(resp) = outcome {
        let c = &shared.stats.consecutive_auth_failures;
        match resp.status {
            401 | 403 => {
                c.fetch_add(1, Ordering::Relaxed);
            }
            200..=299 => c.store(0, Ordering::Relaxed),
            _ => {}
        }
    }
}
