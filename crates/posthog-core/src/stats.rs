//! Counters of what happened to every event, readable at any time.

use std::sync::atomic::{AtomicU64, Ordering};

/// Why an event was dropped before it could be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropCause {
    /// The queue was full.
    QueueFull,
    /// The event alone was over `max_event_bytes`, or the server refused it as too large.
    TooLarge,
    /// The event was malformed (empty name or distinct id, unserialisable).
    Invalid,
    /// The client was shut down.
    Closed,
    /// `before_send` returned nothing.
    BeforeSend,
    /// The v1 server answered `drop` or `limited` for it.
    Server,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Events waiting in the queue now (in memory or, with `storage_dir`, on disk only).
    pub queued: u64,
    /// Events waiting or being sent now.
    pub pending: u64,
    /// Events accepted by `capture` since start.
    pub accepted: u64,
    /// Events the server acknowledged.
    pub sent: u64,
    /// Requests sent again after a failure.
    pub retried: u64,
    /// Events that definitively failed (rejected, or retries exhausted).
    pub failed: u64,
    /// Batches that definitively failed.
    pub failed_batches: u64,
    /// Events whose retries ran out but which were kept in the on-disk queue for the next
    /// flush (counted once per time; they are counted in `sent` when delivered later).
    pub deferred: u64,
    /// Events waiting now in the on-disk queue beyond the memory queue's bounds (counted in
    /// `queued` and `pending` too); read back into memory as batches are delivered.
    pub spilled: u64,
    /// Dropped: queue full.
    pub dropped_queue_full: u64,
    /// Dropped: too large.
    pub dropped_too_large: u64,
    /// Dropped: invalid input.
    pub dropped_invalid: u64,
    /// Dropped: captured after shutdown.
    pub dropped_closed: u64,
    /// Dropped by `before_send`.
    pub dropped_before_send: u64,
    /// Dropped by the server (v1 `drop`/`limited`).
    pub dropped_server: u64,
    /// Requests answered 401/403 in a row (0 after any success).
    pub consecutive_auth_failures: u64,
}

impl Stats {
    /// Both counters together (a client and its AI lane); auth failures: the longer streak.
    pub fn merged(&self, other: &Stats) -> Stats {
        Stats {
            queued: self.queued + other.queued,
            pending: self.pending + other.pending,
            accepted: self.accepted + other.accepted,
            sent: self.sent + other.sent,
            retried: self.retried + other.retried,
            failed: self.failed + other.failed,
            failed_batches: self.failed_batches + other.failed_batches,
            deferred: self.deferred + other.deferred,
            spilled: self.spilled + other.spilled,
            dropped_queue_full: self.dropped_queue_full + other.dropped_queue_full,
            dropped_too_large: self.dropped_too_large + other.dropped_too_large,
            dropped_invalid: self.dropped_invalid + other.dropped_invalid,
            dropped_closed: self.dropped_closed + other.dropped_closed,
            dropped_before_send: self.dropped_before_send + other.dropped_before_send,
            dropped_server: self.dropped_server + other.dropped_server,
            consecutive_auth_failures: self
                .consecutive_auth_failures
                .max(other.consecutive_auth_failures),
        }
    }

    /// All drops, every cause.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full
            + self.dropped_too_large
            + self.dropped_invalid
            + self.dropped_closed
            + self.dropped_before_send
            + self.dropped_server
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub accepted: AtomicU64,
    pub sent: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
    pub failed_batches: AtomicU64,
    pub deferred: AtomicU64,
    pub dropped: [AtomicU64; 6],
    pub consecutive_auth_failures: AtomicU64,
}

impl Counters {
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
    pub fn drop(&self, cause: DropCause, n: u64) {
        Self::add(&self.dropped[cause as usize], n);
    }
    pub fn snapshot(&self, queued: u64, pending: u64, spilled: u64) -> Stats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            queued,
            pending,
            accepted: g(&self.accepted),
            sent: g(&self.sent),
            retried: g(&self.retried),
            failed: g(&self.failed),
            failed_batches: g(&self.failed_batches),
            deferred: g(&self.deferred),
            spilled,
            dropped_queue_full: g(&self.dropped[DropCause::QueueFull as usize]),
            dropped_too_large: g(&self.dropped[DropCause::TooLarge as usize]),
            dropped_invalid: g(&self.dropped[DropCause::Invalid as usize]),
            dropped_closed: g(&self.dropped[DropCause::Closed as usize]),
            dropped_before_send: g(&self.dropped[DropCause::BeforeSend as usize]),
            dropped_server: g(&self.dropped[DropCause::Server as usize]),
            consecutive_auth_failures: g(&self.consecutive_auth_failures),
        }
    }
}
