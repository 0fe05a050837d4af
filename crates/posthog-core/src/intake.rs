//! A binding's captures, handed over in order to a dedicated thread that builds, serialises and
//! queues them with [`Client::capture`], so the caller's thread only records what it was given.
//!
//! The caller fixes each event's uuid and timestamp before submitting it (they are what the
//! event carries, whenever it is built). Every rule of [`Client::capture`] — the queue bound,
//! drop counting, super properties, opt-out — applies when the item is processed; a binding
//! calls [`Intake::drain`] before anything that must see the earlier captures (flush, stats,
//! register, opt out, shutdown, a direct capture).

use crate::client::Client;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// What processes one submitted item on the intake thread (or on the caller's, when the
/// intake is full or drained): typically converts it and calls [`Client::capture`].
pub type Handler<T> = Box<dyn Fn(&Client, T) + Send + Sync>;

/// What a submit does when `max_waiting` items already wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backpressure {
    /// Processes the waiting items on the submitting thread (a binding whose handler may need
    /// a lock the submitter holds, such as Python's GIL).
    Inline,
    /// Waits until the intake thread has worked the backlog down to half, so both threads
    /// never compete for the items and the submitter's core is free meanwhile (Node).
    Wait,
}

/// Submitted items waiting for the intake thread.
struct Waiting<T> {
    items: VecDeque<T>,
    /// Submitters waiting for room ([`Backpressure::Wait`]).
    blocked: usize,
    /// The intake thread sleeps on `ready`: a submit wakes it.
    idle: bool,
    stop: bool,
}

struct Inner<T> {
    client: Arc<Client>,
    handler: Handler<T>,
    waiting: Mutex<Waiting<T>>,
    ready: Condvar,
    /// Signalled when the backlog is down to half, for blocked submitters.
    room: Condvar,
    backpressure: Backpressure,
    /// Held while items are processed: whoever holds it pops the next one, so items reach the
    /// client in the order they were submitted.
    turn: Mutex<()>,
    max_waiting: usize,
}

impl<T> Inner<T> {
    fn waiting(&self) -> MutexGuard<'_, Waiting<T>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn turn(&self) -> MutexGuard<'_, ()> {
        self.turn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Processes every waiting item, in order, on the calling thread.
    fn process_all(&self) {
        let _turn = self.turn();
        loop {
            // Popped in its own statement: the `waiting` lock must not be held while the
            // handler runs (a `while let` keeps it for the whole body), or a submit would wait
            // for the item in progress — and deadlock a binding whose handler needs a lock
            // (e.g. Python's GIL for `on_error`) that the submitting thread holds.
            let next = {
                let mut w = self.waiting();
                let next = w.items.pop_front();
                if w.blocked > 0 && w.items.len() <= self.max_waiting / 2 {
                    self.room.notify_all();
                }
                next
            };
            let Some(item) = next else { break };
            (self.handler)(&self.client, item);
        }
    }
}

/// An ordered hand-over of captures to a dedicated thread. Dropping it processes what is left.
pub struct Intake<T: Send + 'static> {
    inner: Arc<Inner<T>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Intake<T> {
    /// Starts the intake thread. At most `max_waiting` items wait for it; a submit beyond
    /// that processes the waiting items on the caller's thread (back-pressure, never a drop).
    pub fn new(
        client: Arc<Client>,
        max_waiting: usize,
        handler: Handler<T>,
    ) -> Result<Intake<T>, crate::Error> {
        Intake::with_backpressure(client, max_waiting, Backpressure::Inline, handler)
    }

    /// [`Intake::new`] with the given behaviour beyond `max_waiting` items.
    pub fn with_backpressure(
        client: Arc<Client>,
        max_waiting: usize,
        backpressure: Backpressure,
        handler: Handler<T>,
    ) -> Result<Intake<T>, crate::Error> {
        let inner = Arc::new(Inner {
            client,
            handler,
            room: Condvar::new(),
            backpressure,
            waiting: Mutex::new(Waiting {
                blocked: 0,
                items: VecDeque::new(),
                idle: false,
                stop: false,
            }),
            ready: Condvar::new(),
            turn: Mutex::new(()),
            max_waiting: max_waiting.max(1),
        });
        let worker = inner.clone();
        let thread = std::thread::Builder::new()
            .name("posthog-intake".into())
            .spawn(move || run(&worker))
            .map_err(|e| crate::Error::Config(format!("cannot start the intake thread: {e}")))?;
        Ok(Intake {
            inner,
            thread: Some(thread),
        })
    }

    /// Hands one item over. Cheap: a lock and a push, and a wake-up only when the thread sleeps.
    pub fn submit(&self, item: T) {
        let mut w = self.inner.waiting();
        if w.stop {
            drop(w);
            let _turn = self.inner.turn();
            (self.inner.handler)(&self.inner.client, item);
            return;
        }
        w.items.push_back(item);
        let full = w.items.len() > self.inner.max_waiting;
        let wake = std::mem::take(&mut w.idle);
        if wake {
            self.inner.ready.notify_one();
        }
        if !full {
            return;
        }
        if self.inner.backpressure == Backpressure::Inline {
            drop(w);
            self.inner.process_all();
            return;
        }
        w.blocked += 1;
        while w.items.len() > self.inner.max_waiting / 2 && !w.stop {
            w = self.inner.room.wait(w).unwrap_or_else(|p| p.into_inner());
        }
        w.blocked -= 1;
    }

    /// Returns once every item submitted before the call has been processed (the waiting ones
    /// on this thread, the one in progress by the intake thread).
    pub fn drain(&self) {
        self.inner.process_all();
    }

    /// The client the items go to.
    pub fn client(&self) -> &Arc<Client> {
        &self.inner.client
    }
}

fn run<T>(inner: &Inner<T>) {
    loop {
        {
            let mut w = inner.waiting();
            while w.items.is_empty() && !w.stop {
                w.idle = true;
                w = inner.ready.wait(w).unwrap_or_else(|p| p.into_inner());
            }
            w.idle = false;
            if w.items.is_empty() && w.stop {
                return;
            }
        }
        inner.process_all();
    }
}

impl<T: Send + 'static> Drop for Intake<T> {
    fn drop(&mut self) {
        self.inner.waiting().stop = true;
        self.inner.ready.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.inner.process_all();
    }
}

impl<T: Send + 'static> std::fmt::Debug for Intake<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intake")
            .field("waiting", &self.inner.waiting().items.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientOptions, Event};
    use std::time::Duration;

    fn client() -> Arc<Client> {
        let opts = ClientOptions::new("phc_test")
            .host("http://127.0.0.1:9")
            .flush_interval(Duration::ZERO)
            .flush_at(1_000_000);
        Arc::new(Client::new(opts).unwrap())
    }

    #[test]
    fn drain_sees_every_submitted_item_in_order() {
        let c = client();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let intake: Intake<u32> = Intake::new(
            c.clone(),
            8,
            Box::new(move |client, i| {
                s2.lock().unwrap().push(i);
                client.capture(Event::new("e", format!("u{i}")));
            }),
        )
        .unwrap();
        for i in 0..1000 {
            intake.submit(i);
        }
        intake.drain();
        assert_eq!(*seen.lock().unwrap(), (0..1000).collect::<Vec<_>>());
        assert_eq!(c.stats().queued, 1000);
    }

    #[test]
    fn submit_does_not_wait_for_the_item_in_progress() {
        let c = client();
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        let release_rx = Mutex::new(release_rx);
        let started_tx = Mutex::new(started_tx);
        let intake: Intake<u32> = Intake::new(
            c.clone(),
            8,
            Box::new(move |_, i| {
                if i == 0 {
                    let _ = started_tx.lock().unwrap().send(());
                    let _ = release_rx.lock().unwrap().recv();
                }
            }),
        )
        .unwrap();
        intake.submit(0);
        started.recv_timeout(Duration::from_secs(5)).unwrap();
        // The handler is busy with item 0: a submit only queues.
        let (done_tx, done) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                intake.submit(1);
                done_tx.send(()).unwrap();
            });
            let waited = done.recv_timeout(Duration::from_secs(5));
            release.send(()).unwrap();
            waited.expect("submit waited for the handler");
        });
        intake.drain();
    }

    #[test]
    fn a_waiting_submitter_lets_the_intake_thread_work_the_backlog_down() {
        let c = client();
        let on = Arc::new(Mutex::new(Vec::new()));
        let seen = on.clone();
        let intake: Intake<u32> = Intake::with_backpressure(
            c.clone(),
            4,
            Backpressure::Wait,
            Box::new(move |client, i| {
                seen.lock()
                    .unwrap()
                    .push((i, std::thread::current().name().map(str::to_string)));
                client.capture(Event::new("e", format!("u{i}")));
            }),
        )
        .unwrap();
        for i in 0..200 {
            intake.submit(i);
        }
        // Everything the submitter did not drain itself ran on the intake thread, in order.
        let before_drain = on.lock().unwrap().len();
        assert!(
            before_drain >= 200 - 5,
            "the backlog never exceeds max_waiting + 1"
        );
        assert!(
            on.lock().unwrap()[..before_drain]
                .iter()
                .all(|(_, t)| t.as_deref() == Some("posthog-intake"))
        );
        intake.drain();
        let got: Vec<u32> = on.lock().unwrap().iter().map(|(i, _)| *i).collect();
        assert_eq!(got, (0..200).collect::<Vec<_>>());
        assert_eq!(c.stats().queued, 200);
    }

    #[test]
    fn drop_processes_what_is_left() {
        let c = client();
        let intake: Intake<u32> = Intake::new(
            c.clone(),
            1_000_000,
            Box::new(|client, i| {
                client.capture(Event::new("e", format!("u{i}")));
            }),
        )
        .unwrap();
        for i in 0..500 {
            intake.submit(i);
        }
        drop(intake);
        assert_eq!(c.stats().queued, 500);
    }
}
