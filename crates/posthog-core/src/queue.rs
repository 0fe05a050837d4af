//! The bounded in-memory queue and the bookkeeping `flush` waits on.

use crate::event::QueuedEvent;
use std::collections::VecDeque;

/// A batch handed to the sender.
#[derive(Debug)]
pub(crate) struct Batch {
    pub id: u64,
    pub events: Vec<QueuedEvent>,
}

#[derive(Debug)]
struct InFlight {
    id: u64,
    min_seq: u64,
    len: usize,
}

/// Everything guarded by the client's one mutex. Held only for pushes and pops, never across I/O.
#[derive(Debug, Default)]
pub(crate) struct QueueState {
    events: VecDeque<QueuedEvent>,
    bytes: usize,
    next_seq: u64,
    next_batch_id: u64,
    in_flight: Vec<InFlight>,
    /// Events whose retries ran out, kept (on disk too) for the next flush cycle. They count
    /// against the bounds but not in what a flush waits for.
    parked: Vec<QueuedEvent>,
    parked_bytes: usize,
    /// Events with `seq < flush_upto` are sent at once, whatever `flush_at` says.
    pub flush_upto: u64,
    /// No more events are accepted.
    pub closed: bool,
    /// The worker must exit.
    pub stop: bool,
    /// The app said the network is gone: no batch is started until it returns.
    pub offline: bool,
}

impl QueueState {
    /// Events queued.
    pub fn len(&self) -> usize {
        self.events.len()
    }
    /// Serialised bytes queued.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
    /// The sequence number the next event will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
    /// Events being sent now.
    pub fn in_flight_events(&self) -> usize {
        self.in_flight.iter().map(|b| b.len).sum()
    }
    /// Whether an event of `len` bytes fits under both bounds.
    pub fn has_room(&self, len: usize, max_events: usize, max_bytes: usize) -> bool {
        self.events.len() + self.parked.len() < max_events
            && self.bytes + self.parked_bytes + len <= max_bytes
    }
    /// Events parked for the next flush cycle.
    pub fn parked_len(&self) -> usize {
        self.parked.len()
    }
    /// Keeps events whose retries ran out for the next flush cycle.
    pub fn park(&mut self, events: impl IntoIterator<Item = QueuedEvent>) {
        for ev in events {
            self.parked_bytes += ev.len();
            self.parked.push(ev);
        }
    }
    /// Puts parked events back at the end of the queue with new sequence numbers (so a flush
    /// started now waits for them); returns `(old, new)` sequence pairs.
    pub fn unpark(&mut self) -> Vec<(u64, u64)> {
        self.parked_bytes = 0;
        let parked = std::mem::take(&mut self.parked);
        parked
            .into_iter()
            .map(|ev| {
                let old = ev.seq;
                self.push(ev);
                (old, self.next_seq - 1)
            })
            .collect()
    }
    /// Appends an event, giving it the next sequence number.
    pub fn push(&mut self, mut ev: QueuedEvent) {
        ev.seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += ev.len();
        self.events.push_back(ev);
    }
    /// Removes the oldest queued event.
    pub fn pop_oldest(&mut self) -> Option<QueuedEvent> {
        let Some(ev) = self.events.pop_front() else {
            // Parked events are older than anything queued.
            let ev = self.parked.pop()?;
            self.parked_bytes -= ev.len();
            return Some(ev);
        };
        self.bytes -= ev.len();
        Some(ev)
    }
    /// Whether a batch should be cut now.
    pub fn ready(&self, flush_at: usize, max_batch_bytes: usize) -> bool {
        match self.events.front() {
            None => false,
            Some(front) => {
                self.events.len() >= flush_at
                    || self.bytes >= max_batch_bytes
                    || front.seq < self.flush_upto
            }
        }
    }
    /// Takes the next batch off the front: at most `max_events` events and `max_bytes`
    /// serialised bytes (always at least one event), and records it as in flight.
    pub fn cut(&mut self, max_events: usize, max_bytes: usize) -> Option<Batch> {
        let first = self.events.front()?;
        let min_seq = first.seq;
        let mut count = 0;
        let mut size = 0;
        for e in &self.events {
            if count == max_events || (count > 0 && size + e.len() > max_bytes) {
                break;
            }
            count += 1;
            size += e.len();
        }
        let events: Vec<QueuedEvent> = self.events.drain(..count).collect();
        self.bytes -= size;
        let id = self.next_batch_id;
        self.next_batch_id += 1;
        self.in_flight.push(InFlight {
            id,
            min_seq,
            len: count,
        });
        Some(Batch { id, events })
    }
    /// Marks a batch as finished (delivered or definitively failed).
    pub fn finish(&mut self, batch_id: u64) {
        self.in_flight.retain(|b| b.id != batch_id);
    }
    /// Whether every event with `seq < target` is resolved (neither queued nor in flight).
    pub fn resolved_below(&self, target: u64) -> bool {
        self.events.front().is_none_or(|e| e.seq >= target)
            && self.in_flight.iter().all(|b| b.min_seq >= target)
    }
    /// Empties the queue (at a shutdown that ran out of time), returning how many were left.
    pub fn abandon(&mut self) -> (usize, usize) {
        let queued = self.events.len() + self.parked.len();
        let in_flight = self.in_flight_events();
        self.events.clear();
        self.parked.clear();
        self.parked_bytes = 0;
        self.in_flight.clear();
        self.bytes = 0;
        (queued, in_flight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn ev(n: usize) -> QueuedEvent {
        QueuedEvent {
            seq: 0,
            uuid: Uuid::nil(),
            bytes: vec![b'x'; n],
        }
    }

    #[test]
    fn cuts_by_count_and_bytes() {
        let mut q = QueueState::default();
        for _ in 0..5 {
            q.push(ev(10));
        }
        assert!(!q.ready(10, 1000));
        assert!(q.ready(5, 1000));
        assert!(q.ready(10, 50));
        let b = q.cut(3, 1000).unwrap();
        assert_eq!(b.events.len(), 3);
        assert_eq!(q.len(), 2);
        let b2 = q.cut(10, 15).unwrap();
        assert_eq!(b2.events.len(), 1, "bytes bound");
        assert_eq!(q.bytes(), 10);
        // One event larger than the byte bound still goes alone.
        q.push(ev(100));
        let b3 = q.cut(10, 50).unwrap();
        assert_eq!(b3.events.len(), 1);
    }

    #[test]
    fn flush_bookkeeping() {
        let mut q = QueueState::default();
        q.push(ev(1));
        q.push(ev(1));
        let target = q.next_seq();
        assert!(!q.resolved_below(target));
        q.flush_upto = target;
        assert!(q.ready(100, 1000));
        let b = q.cut(1, 1000).unwrap();
        assert!(!q.resolved_below(target));
        let b2 = q.cut(1, 1000).unwrap();
        q.push(ev(1)); // after the flush started: not waited for
        q.finish(b2.id);
        assert!(
            !q.resolved_below(target),
            "the first batch is still in flight"
        );
        q.finish(b.id);
        assert!(q.resolved_below(target));
        assert!(!q.resolved_below(q.next_seq()));
    }

    #[test]
    fn park_and_unpark() {
        let mut q = QueueState::default();
        q.push(ev(5));
        q.push(ev(5));
        let b = q.cut(10, 1000).unwrap();
        q.finish(b.id);
        let target = q.next_seq();
        q.park(b.events);
        assert!(
            q.resolved_below(target),
            "a flush does not wait for parked events"
        );
        assert!(
            !q.has_room(1, 2, 100),
            "parked events count against the bounds"
        );
        assert!(!q.has_room(1, 10, 10));
        assert_eq!(q.unpark(), vec![(0, 2), (1, 3)]);
        assert_eq!((q.len(), q.parked_len(), q.bytes()), (2, 0, 10));
    }

    #[test]
    fn room() {
        let mut q = QueueState::default();
        q.push(ev(10));
        assert!(q.has_room(10, 2, 20));
        assert!(!q.has_room(11, 2, 20));
        q.push(ev(1));
        assert!(!q.has_room(1, 2, 100));
        assert_eq!(q.pop_oldest().unwrap().len(), 10);
        assert_eq!(q.bytes(), 1);
    }
}
