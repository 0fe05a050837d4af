//! [`Pending`]: the answer to work started on the worker, which the caller may await (a
//! `Future`, for async bindings) or wait for with a bound (blocking callers off the UI
//! thread). Runtime-free: it needs no executor of its own.

use crate::error::Error;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

struct Slot<T> {
    value: Option<Result<T, Error>>,
    waker: Option<Waker>,
    /// The sender went away without an answer (the worker stopped).
    abandoned: bool,
}

struct Inner<T> {
    slot: Mutex<Slot<T>>,
    ready: Condvar,
}

/// The receiving half: resolves once with the work's result.
pub struct Pending<T> {
    inner: Arc<Inner<T>>,
}

/// The sending half, held by the work on the worker. Dropping it unanswered resolves the
/// [`Pending`] with [`Error::Closed`].
pub(crate) struct Answer<T> {
    inner: Option<Arc<Inner<T>>>,
}

/// A connected pair.
pub(crate) fn pending<T>() -> (Answer<T>, Pending<T>) {
    let inner = Arc::new(Inner {
        slot: Mutex::new(Slot {
            value: None,
            waker: None,
            abandoned: false,
        }),
        ready: Condvar::new(),
    });
    (
        Answer {
            inner: Some(inner.clone()),
        },
        Pending { inner },
    )
}

impl<T> Inner<T> {
    fn finish(&self, value: Option<Result<T, Error>>) {
        let waker = {
            let mut s = self.slot.lock().unwrap_or_else(|p| p.into_inner());
            match value {
                Some(v) => s.value = Some(v),
                None => s.abandoned = true,
            }
            s.waker.take()
        };
        self.ready.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Answer<T> {
    /// Resolves the pending side.
    pub fn send(mut self, value: Result<T, Error>) {
        if let Some(inner) = self.inner.take() {
            inner.finish(Some(value));
        }
    }
}

impl<T> Drop for Answer<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.finish(None);
        }
    }
}

impl<T> std::fmt::Debug for Pending<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

impl<T> Pending<T> {
    /// Blocks the calling thread until the answer arrives or `timeout` passes (never call
    /// it on a UI thread; await the `Future` instead).
    pub fn wait(self, timeout: Duration) -> Result<T, Error> {
        let deadline = Instant::now() + timeout;
        let mut s = self.inner.slot.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(v) = s.value.take() {
                return v;
            }
            if s.abandoned {
                return Err(Error::Closed);
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout(format!(
                    "no answer from the worker within {timeout:?}"
                )));
            }
            s = self
                .inner
                .ready
                .wait_timeout(s, deadline - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

impl<T> Future for Pending<T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = self.inner.slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = s.value.take() {
            return Poll::Ready(v);
        }
        if s.abandoned {
            return Poll::Ready(Err(Error::Closed));
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_wake_waiters_and_a_dropped_sender_closes() {
        let (tx, rx) = pending::<u32>();
        let t = std::thread::spawn(move || tx.send(Ok(7)));
        assert_eq!(rx.wait(Duration::from_secs(10)).unwrap(), 7);
        t.join().unwrap();

        let (tx, rx) = pending::<u32>();
        drop(tx);
        assert_eq!(
            rx.wait(Duration::from_secs(10)).unwrap_err().kind(),
            crate::ErrorKind::Closed
        );

        let (_tx, rx) = pending::<u32>();
        assert_eq!(
            rx.wait(Duration::from_millis(1)).unwrap_err().kind(),
            crate::ErrorKind::Timeout
        );
    }

    #[test]
    fn the_future_resolves() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (tx, rx) = pending::<&str>();
        std::thread::spawn(move || tx.send(Ok("done")));
        assert_eq!(rt.block_on(rx).unwrap(), "done");
    }
}
