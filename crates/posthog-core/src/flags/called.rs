//! De-duplication of `$feature_flag_called`: a bounded set that forgets its oldest entries
//! one by one (never a wholesale clear).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};

/// How many (distinct_id, key, response, groups) tuples are remembered.
pub const DEFAULT_CAPACITY: usize = 50_000;

/// Remembers which flag responses were already reported.
#[derive(Debug)]
pub struct CalledDedup {
    seen: HashSet<u64>,
    order: VecDeque<u64>,
    capacity: usize,
}

impl Default for CalledDedup {
    fn default() -> Self {
        CalledDedup::new(DEFAULT_CAPACITY)
    }
}

impl CalledDedup {
    /// An empty set remembering at most `capacity` entries.
    pub fn new(capacity: usize) -> CalledDedup {
        CalledDedup {
            seen: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records the tuple; `true` when it is new (so the event should be sent).
    pub fn first_time(
        &mut self,
        distinct_id: &str,
        key: &str,
        response: &str,
        groups: &str,
    ) -> bool {
        let mut h = DefaultHasher::new();
        (distinct_id, key, response, groups).hash(&mut h);
        let id = h.finish();
        if !self.seen.insert(id) {
            return false;
        }
        self.order.push_back(id);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    /// Entries remembered now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedups_and_evicts_oldest_first() {
        let mut d = CalledDedup::new(3);
        assert!(d.first_time("u", "a", "true", "{}"));
        assert!(!d.first_time("u", "a", "true", "{}"));
        assert!(
            d.first_time("u", "a", "false", "{}"),
            "another response is new"
        );
        assert!(d.first_time("u", "b", "true", "{}"));
        assert!(d.first_time("v", "a", "true", "{}"));
        assert_eq!(d.len(), 3);
        // ("u","a","true") was the oldest and is forgotten; the others are still known.
        assert!(!d.first_time("v", "a", "true", "{}"));
        assert!(!d.first_time("u", "b", "true", "{}"));
        assert!(d.first_time("u", "a", "true", "{}"));
    }
}
