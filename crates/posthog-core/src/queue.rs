//! The bounded in-memory queue and the bookkeeping `flush` waits on.

use crate::disk::Entry;
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

/// A queued event: its bytes in memory, or (with `storage_dir`, past the memory queue's
/// bounds) only where they are on disk, read back before it is sent.
#[derive(Debug)]
pub(crate) enum Slot {
    Mem(QueuedEvent),
    Disk(Spilled),
}

/// An event kept on disk only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Spilled {
    pub seq: u64,
    /// Its serialised bytes' length.
    pub len: usize,
    pub entry: Entry,
}

impl Slot {
    fn seq(&self) -> u64 {
        match self {
            Slot::Mem(e) => e.seq,
            Slot::Disk(s) => s.seq,
        }
    }
    fn len(&self) -> usize {
        match self {
            Slot::Mem(e) => e.len(),
            Slot::Disk(s) => s.len,
        }
    }
}

/// Everything guarded by the client's one mutex. Held only for pushes and pops, never across I/O.
#[derive(Debug, Default)]
pub(crate) struct QueueState {
    /// In sequence order.
    events: VecDeque<Slot>,
    /// Serialised bytes of every queued event, in memory or not.
    bytes: usize,
    /// Events (and their bytes) held in memory: what the memory bounds limit.
    mem_len: usize,
    mem_bytes: usize,
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
    /// Events queued (in memory or on disk only).
    pub fn len(&self) -> usize {
        self.events.len()
    }
    /// Serialised bytes queued.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
    /// Queued events kept on disk only.
    pub fn spilled(&self) -> usize {
        self.events.len() - self.mem_len
    }
    /// The sequence number the next event will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
    /// Events being sent now.
    pub fn in_flight_events(&self) -> usize {
        self.in_flight.iter().map(|b| b.len).sum()
    }
    /// Whether an event of `len` bytes fits in memory under both bounds.
    pub fn has_room(&self, len: usize, max_events: usize, max_bytes: usize) -> bool {
        self.mem_len + self.parked.len() < max_events
            && self.mem_bytes + self.parked_bytes + len <= max_bytes
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
    /// Puts parked events back at the front of the queue, where their sequence numbers
    /// belong (they were cut from it before anything still queued), so a flush started now
    /// waits for them.
    pub fn unpark(&mut self) {
        self.parked_bytes = 0;
        let mut parked = std::mem::take(&mut self.parked);
        parked.sort_by_key(|e| e.seq);
        for ev in parked.into_iter().rev() {
            self.bytes += ev.len();
            self.mem_len += 1;
            self.mem_bytes += ev.len();
            self.events.push_front(Slot::Mem(ev));
        }
    }
    /// Appends an event held in memory, giving it the next sequence number.
    pub fn push(&mut self, mut ev: QueuedEvent) {
        ev.seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += ev.len();
        self.mem_len += 1;
        self.mem_bytes += ev.len();
        self.events.push_back(Slot::Mem(ev));
    }
    /// Appends an event kept on disk only (`len` serialised bytes at `entry`), giving it the
    /// next sequence number.
    pub fn push_spilled(&mut self, len: usize, entry: Entry) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.bytes += len;
        self.events
            .push_back(Slot::Disk(Spilled { seq, len, entry }));
    }
    /// Removes the oldest queued event.
    pub fn pop_oldest(&mut self) -> Option<Slot> {
        let Some(slot) = self.events.pop_front() else {
            // Parked events are older than anything queued.
            let ev = self.parked.pop()?;
            self.parked_bytes -= ev.len();
            return Some(Slot::Mem(ev));
        };
        self.forget(&slot);
        Some(slot)
    }
    fn forget(&mut self, slot: &Slot) {
        self.bytes -= slot.len();
        if let Slot::Mem(e) = slot {
            self.mem_len -= 1;
            self.mem_bytes -= e.len();
        }
    }
    /// Whether a batch should be cut now.
    pub fn ready(&self, flush_at: usize, max_batch_bytes: usize) -> bool {
        match self.events.front() {
            None => false,
            Some(front) => {
                self.events.len() >= flush_at
                    || self.bytes >= max_batch_bytes
                    || front.seq() < self.flush_upto
            }
        }
    }
    /// The events kept on disk only among the next `max_events` / `max_bytes` to be sent:
    /// what to read back before cutting batches.
    pub fn to_load(&self, max_events: usize, max_bytes: usize) -> Vec<(u64, Entry)> {
        if self.spilled() == 0 {
            return Vec::new();
        }
        let mut size = 0;
        let mut out = Vec::new();
        for slot in self.events.iter().take(max_events) {
            if size >= max_bytes {
                break;
            }
            size += slot.len();
            if let Slot::Disk(s) = slot {
                out.push((s.seq, s.entry));
            }
        }
        out
    }
    /// Replaces an event kept on disk only by its bytes read back; its disk entry, or `None`
    /// if it left the queue meanwhile (evicted).
    pub fn loaded(&mut self, ev: QueuedEvent) -> Option<Entry> {
        let i = self.events.binary_search_by_key(&ev.seq, Slot::seq).ok()?;
        let Slot::Disk(s) = self.events[i] else {
            return None;
        };
        self.mem_len += 1;
        self.mem_bytes += ev.len();
        self.bytes = self.bytes - s.len + ev.len();
        self.events[i] = Slot::Mem(ev);
        Some(s.entry)
    }
    /// Removes an event kept on disk only that could not be read back; its entry.
    pub fn unreadable(&mut self, seq: u64) -> Option<Entry> {
        let i = self.events.binary_search_by_key(&seq, Slot::seq).ok()?;
        let Slot::Disk(s) = self.events[i] else {
            return None;
        };
        self.events.remove(i);
        self.bytes -= s.len;
        Some(s.entry)
    }
    /// Takes the next batch off the front: at most `max_events` events and `max_bytes`
    /// serialised bytes (always at least one event) of those in memory, and records it as in
    /// flight. `None` when the front is on disk only (read it back first).
    pub fn cut(&mut self, max_events: usize, max_bytes: usize) -> Option<Batch> {
        let min_seq = match self.events.front()? {
            Slot::Mem(e) => e.seq,
            Slot::Disk(_) => return None,
        };
        let mut count = 0;
        let mut size = 0;
        for slot in &self.events {
            let Slot::Mem(e) = slot else { break };
            if count == max_events || (count > 0 && size + e.len() > max_bytes) {
                break;
            }
            count += 1;
            size += e.len();
        }
        let events: Vec<QueuedEvent> = self
            .events
            .drain(..count)
            .filter_map(|s| match s {
                Slot::Mem(e) => Some(e),
                Slot::Disk(_) => None,
            })
            .collect();
        self.bytes -= size;
        self.mem_len -= count;
        self.mem_bytes -= size;
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
        self.events.front().is_none_or(|e| e.seq() >= target)
            && self.in_flight.iter().all(|b| b.min_seq >= target)
    }
    /// Empties the queue (at a shutdown that ran out of time), returning how many were left
    /// (queued, in flight).
    pub fn abandon(&mut self) -> (usize, usize) {
        let queued = self.events.len() + self.parked.len();
        let in_flight = self.in_flight_events();
        self.events.clear();
        self.parked.clear();
        self.parked_bytes = 0;
        self.in_flight.clear();
        self.bytes = 0;
        self.mem_len = 0;
        self.mem_bytes = 0;
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
        q.push(ev(5));
        q.unpark();
        assert_eq!((q.len(), q.parked_len(), q.bytes()), (3, 0, 15));
        assert!(!q.resolved_below(target), "a flush waits for them again");
        let b = q.cut(10, 1000).unwrap();
        let seqs: Vec<u64> = b.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [0, 1, 2], "back in front, in order");
    }

    fn entry(i: u32) -> Entry {
        Entry {
            loc: crate::disk::log::Loc {
                segment: 0,
                index: i,
            },
            offset: 0,
            size: 0,
            written_at: 0,
            attempts: 0,
        }
    }

    #[test]
    fn spilled_events_wait_to_be_read_back_in_order() {
        let mut q = QueueState::default();
        q.push(ev(10));
        q.push_spilled(20, entry(1));
        q.push_spilled(30, entry(2));
        q.push(ev(40));
        assert_eq!((q.len(), q.spilled(), q.bytes()), (4, 2, 100));
        assert!(
            q.has_room(1, 3, 51),
            "only memory counts against the memory bounds"
        );
        assert_eq!(q.to_load(2, 1000).len(), 1, "within the window");
        let want: Vec<u64> = q.to_load(10, 1000).iter().map(|(s, _)| *s).collect();
        assert_eq!(want, [1, 2]);
        let b = q.cut(10, 1000).unwrap();
        assert_eq!(b.events.len(), 1, "a cut stops at the first event on disk");
        assert!(q.cut(10, 1000).is_none());
        let back = QueuedEvent {
            seq: 1,
            uuid: Uuid::nil(),
            bytes: vec![b'y'; 20],
        };
        assert_eq!(q.loaded(back).unwrap().loc.index, 1);
        assert_eq!(q.unreadable(2).unwrap().loc.index, 2);
        assert_eq!((q.len(), q.spilled(), q.bytes()), (2, 0, 60));
        let seqs: Vec<u64> = q
            .cut(10, 1000)
            .unwrap()
            .events
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, [1, 3]);
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
