//! Sessions: a `$session_id` (UUID v7) on every event, rotated after
//! [`SESSION_IDLE_TIMEOUT`] without activity, measured with the client's clock.

use chrono::{DateTime, Utc};
use std::time::Duration;
use uuid::Uuid;

/// Inactivity after which the next event starts a new session.
pub const SESSION_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// One session: its id and when it was last active.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    id: Uuid,
    last_activity: DateTime<Utc>,
}

impl Session {
    /// A new session starting at `now`.
    pub fn new(now: DateTime<Utc>) -> Session {
        Session {
            id: Uuid::now_v7(),
            last_activity: now,
        }
    }

    /// The session id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    /// Records activity at `now` and returns the session id to use: a new one when the
    /// previous activity is more than [`SESSION_IDLE_TIMEOUT`] ago.
    pub fn touch(&mut self, now: DateTime<Utc>) -> Uuid {
        let idle = now
            .signed_duration_since(self.last_activity)
            .to_std()
            .unwrap_or_default();
        if idle > SESSION_IDLE_TIMEOUT {
            *self = Session::new(now);
        } else if now > self.last_activity {
            self.last_activity = now;
        }
        self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_only_after_idle_timeout() {
        let t0 = Utc::now();
        let mut s = Session::new(t0);
        let first = s.id();
        let t1 = t0 + chrono::Duration::minutes(29);
        assert_eq!(s.touch(t1), first);
        let t2 = t1 + chrono::Duration::minutes(29);
        assert_eq!(s.touch(t2), first, "activity keeps the session alive");
        let t3 = t2 + chrono::Duration::minutes(31);
        assert_ne!(s.touch(t3), first);
    }
}
