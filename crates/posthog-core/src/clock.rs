//! Time behind a trait: the system clock for real use, a manual clock for tests that must
//! never sleep.

use chrono::{DateTime, Utc};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Condvar, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// A boxed future that sleeps.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Wall time and waiting. Retry backoff waits through [`Clock::sleep`]; the flush timer and
/// the definitions poll through [`Clock::timer`]; event ages read [`Clock::now`].
pub trait Clock: Send + Sync + 'static {
    /// The current time in UTC.
    fn now(&self) -> DateTime<Utc>;
    /// A future that completes after `d` (inside the client's runtime): a retry's wait.
    fn sleep(&self, d: Duration) -> Sleep;
    /// A future that completes after `d` of this clock's time: a periodic timer (the flush
    /// interval, the definitions poll). Defaults to [`Clock::sleep`].
    fn timer(&self, d: Duration) -> Sleep {
        self.sleep(d)
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn sleep(&self, d: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(d))
    }
}

/// A test clock. `sleep` returns at once, advances the clock and records the wait, so retry
/// tests can assert the backoff schedule without waiting; a `timer` completes only when the
/// clock reaches its deadline (through [`ManualClock::advance`] or a `sleep`), so flush and
/// poll tests move time by hand.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    sleeps: Mutex<Vec<Duration>>,
    timers: Mutex<Vec<(DateTime<Utc>, oneshot::Sender<()>)>>,
    timer_added: Condvar,
}

impl ManualClock {
    /// A clock starting at `start`.
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Mutex::new(start),
            sleeps: Mutex::new(Vec::new()),
            timers: Mutex::new(Vec::new()),
            timer_added: Condvar::new(),
        }
    }
    /// Moves the clock forward and completes every timer whose deadline it reaches.
    pub fn advance(&self, d: Duration) {
        let now = {
            let Ok(mut now) = self.now.lock() else {
                return;
            };
            *now += chrono::Duration::from_std(d).unwrap_or_default();
            *now
        };
        let mut timers = self.timers.lock().unwrap_or_else(|p| p.into_inner());
        let (due, waiting): (Vec<_>, Vec<_>) = timers.drain(..).partition(|(at, _)| *at <= now);
        *timers = waiting;
        drop(timers);
        for (_, tx) in due {
            let _ = tx.send(());
        }
    }
    /// Every wait asked for so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().map(|s| s.clone()).unwrap_or_default()
    }
    /// The timers waiting for the clock to reach them.
    pub fn pending_timers(&self) -> usize {
        self.timers.lock().map(|t| t.len()).unwrap_or_default()
    }
    /// Blocks (up to `limit` of real time) until at least `n` timers wait; a test's sync point
    /// before [`ManualClock::advance`]. Returns whether they did.
    pub fn wait_for_timers(&self, n: usize, limit: Duration) -> bool {
        let timers = self.timers.lock().unwrap_or_else(|p| p.into_inner());
        self.timer_added
            .wait_timeout_while(timers, limit, |t| t.len() < n)
            .map(|(t, _)| t.len() >= n)
            .unwrap_or(false)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.now.lock().map(|n| *n).unwrap_or_else(|_| Utc::now())
    }
    fn sleep(&self, d: Duration) -> Sleep {
        if let Ok(mut s) = self.sleeps.lock() {
            s.push(d);
        }
        self.advance(d);
        Box::pin(std::future::ready(()))
    }
    fn timer(&self, d: Duration) -> Sleep {
        let at = self.now() + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut t) = self.timers.lock() {
            t.push((at, tx));
        }
        self.timer_added.notify_all();
        Box::pin(async move {
            // A dropped clock also ends the wait.
            let _ = rx.await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn timers_complete_when_the_clock_reaches_them() {
        let c = ManualClock::new(Utc::now());
        let mut t = c.timer(Duration::from_secs(10));
        assert!(c.wait_for_timers(1, Duration::from_secs(1)));
        c.advance(Duration::from_secs(9));
        assert!(futures_poll(&mut t).is_pending());
        assert_eq!(c.pending_timers(), 1);
        // A retry's sleep moves the same clock.
        c.sleep(Duration::from_secs(1)).await;
        assert_eq!(c.pending_timers(), 0);
        t.await;
        assert_eq!(c.sleeps(), vec![Duration::from_secs(1)]);
    }

    fn futures_poll(f: &mut Sleep) -> std::task::Poll<()> {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        f.as_mut().poll(&mut cx)
    }
}
