//! The shared, lock-protected record of everything the server saw.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::admin::state::AdminState;
use crate::db::Db;
use crate::error::Error;
use crate::fault::{Fault, FaultRoute};
use crate::flags::{self, FlagRoute, store::FlagState};
use crate::options::ServerOptions;
use crate::records::{RecordedRequest, ServerStats, StoredEvent};

/// The state one server shares between its handlers and its owner.
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    cond: Condvar,
    changed: watch::Sender<u64>,
    seq: AtomicU64,
    /// Every stored event and the persons they make, for the private API. It catches up with
    /// `inner.events` when read ([`Shared::with_db`]), so ingestion never waits for SQLite.
    /// Lock order: `db`, then `inner` — never take `db` while holding `inner`.
    db: Mutex<Db>,
    pub(crate) options: ServerOptions,
}

pub(crate) struct Inner {
    pub(crate) events: Vec<StoredEvent>,
    /// How many of `events` the database holds.
    db_upto: usize,
    pub(crate) requests: Vec<RecordedRequest>,
    /// One FIFO per route family, indexed by [`FaultRoute::index`].
    faults: [VecDeque<Fault>; 4],
    /// Until this instant every ingestion request is answered with this status (a timed
    /// outage), before any queued fault.
    outage: Option<(std::time::Instant, u16)>,
    uuids: HashSet<String>,
    stats: ServerStats,
    flags: FlagState,
    admin: AdminState,
}

impl Inner {
    fn new(options: &ServerOptions) -> Inner {
        Inner {
            events: Vec::new(),
            db_upto: 0,
            requests: Vec::new(),
            faults: Default::default(),
            outage: None,
            uuids: HashSet::new(),
            stats: ServerStats::default(),
            flags: FlagState::new(options.definitions_route_missing),
            admin: AdminState::new(options),
        }
    }
}

impl Shared {
    pub(crate) fn new(options: ServerOptions) -> Result<Self, Error> {
        let db = Db::open().map_err(|e| Error::Storage(e.to_string()))?;
        Ok(Self {
            inner: Mutex::new(Inner::new(&options)),
            cond: Condvar::new(),
            changed: watch::channel(0).0,
            seq: AtomicU64::new(1),
            db: Mutex::new(db),
            options,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn notify(&self) {
        self.cond.notify_all();
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// A receiver that changes whenever events or requests are recorded.
    pub(crate) fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn pop_fault(&self, route: FaultRoute) -> Option<Fault> {
        let mut inner = self.lock();
        if route == FaultRoute::Capture
            && let Some((until, status)) = inner.outage
        {
            if std::time::Instant::now() < until {
                return Some(Fault::status(status));
            }
            inner.outage = None;
        }
        inner.faults[route.index()].pop_front()
    }

    /// Answers every ingestion request with `status` for `length` from now.
    pub(crate) fn set_outage(&self, length: std::time::Duration, status: u16) {
        self.lock().outage = Some((std::time::Instant::now() + length, status));
    }

    /// Queues faults for one route family; answers how many are pending in all queues.
    pub(crate) fn push_faults(
        &self,
        route: FaultRoute,
        faults: impl IntoIterator<Item = Fault>,
    ) -> usize {
        let mut inner = self.lock();
        inner.faults[route.index()].extend(faults);
        inner.faults.iter().map(VecDeque::len).sum()
    }

    /// Runs `f` on the flag state under the lock (keep `f` short: no evaluation in it).
    pub(crate) fn with_flags<R>(&self, f: impl FnOnce(&mut FlagState) -> R) -> R {
        f(&mut self.lock().flags)
    }

    /// Runs `f` on the private API's state and the flag state under the lock.
    pub(crate) fn with_admin<R>(&self, f: impl FnOnce(&mut AdminState, &mut FlagState) -> R) -> R {
        let inner = &mut *self.lock();
        f(&mut inner.admin, &mut inner.flags)
    }

    /// Runs `f` on the database under its lock, after inserting the events stored since the
    /// last call.
    pub(crate) fn with_db<R>(&self, f: impl FnOnce(&mut Db) -> R) -> R {
        let mut db = self.db.lock().unwrap_or_else(PoisonError::into_inner);
        let pending = {
            let mut inner = self.lock();
            let from = inner.db_upto.min(inner.events.len());
            inner.db_upto = inner.events.len();
            inner.events[from..].to_vec()
        };
        if !pending.is_empty()
            && let Err(err) = db.insert_events(&pending)
        {
            eprintln!("posthog-testserver: cannot insert events into the database: {err}");
        }
        f(&mut db)
    }

    /// Sets (and refills) the admin request budget.
    pub(crate) fn set_admin_rate_limit(&self, limit: Option<u32>, retry_after: u64) {
        self.with_admin(|admin, _| {
            admin.rate = crate::admin::state::RateLimit::new(limit, retry_after);
        });
    }

    /// Sets the query API's throttle classes (their windows start empty).
    pub(crate) fn set_query_throttle(&self, throttle: crate::admin::settings::QueryThrottle) {
        self.with_admin(|admin, _| {
            admin.query.throttle = throttle;
            admin.query.windows = Default::default();
        });
    }

    pub(crate) fn store_events(&self, events: Vec<StoredEvent>) {
        if events.is_empty() {
            return;
        }
        let mut inner = self.lock();
        for event in events {
            inner.stats.events_stored += 1;
            if let Some(uuid) = &event.uuid {
                if inner.uuids.insert(uuid.clone()) {
                    inner.stats.unique_uuids += 1;
                } else {
                    inner.stats.duplicate_events += 1;
                }
            }
            inner.events.push(event);
        }
        drop(inner);
        self.notify();
    }

    pub(crate) fn record_request(&self, request: RecordedRequest) {
        let mut inner = self.lock();
        inner.stats.requests += 1;
        match flags::route(&request.path) {
            Some(FlagRoute::Remote) => inner.stats.flags_requests += 1,
            Some(FlagRoute::Definitions | FlagRoute::LocalEvaluation) => {
                inner.stats.definitions_requests += 1;
                if request.status == 304 {
                    inner.stats.definitions_not_modified += 1;
                }
            }
            Some(FlagRoute::RemoteConfig) | None => {}
        }
        if request.status == 0 {
            inner.stats.dropped_connections += 1;
        } else {
            *inner.stats.statuses.entry(request.status).or_default() += 1;
        }
        inner.requests.push(request);
        drop(inner);
        self.notify();
    }

    pub(crate) fn events(&self) -> Vec<StoredEvent> {
        self.lock().events.clone()
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    pub(crate) fn counts(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.events.len(), inner.requests.len())
    }

    pub(crate) fn stats(&self) -> ServerStats {
        let inner = self.lock();
        let mut stats = inner.stats.clone();
        stats.faults_pending = inner.faults.iter().map(VecDeque::len).sum::<usize>() as u64;
        stats.usage_dashboards_created = inner.admin.dashboards_created;
        stats.flag_list_requests = inner.admin.flag_list_requests;
        stats
    }

    pub(crate) fn reset(&self) {
        {
            let mut db = self.db.lock().unwrap_or_else(PoisonError::into_inner);
            if let Err(err) = db.clear() {
                eprintln!("posthog-testserver: cannot clear the database: {err}");
            }
            *self.lock() = Inner::new(&self.options);
        }
        self.notify();
    }

    /// Blocks the calling (non-async) thread until `done` holds or `timeout` passes.
    pub(crate) fn wait_until(&self, timeout: Duration, done: impl Fn(&Inner) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut inner = self.lock();
        loop {
            if done(&inner) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            inner = self
                .cond
                .wait_timeout(inner, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}
