//! The client's own background thread: a small current-thread tokio runtime that cuts batches
//! and runs up to `max_in_flight` deliveries at once. Bindings never build a runtime for it.

use crate::client::Shared;
use crate::clock::Sleep;
use crate::error::Error;
use crate::sender::send_batch;
use crate::stats::Counters;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::Semaphore;

/// Starts the worker thread; returns it and a handle to spawn work on its runtime.
pub(crate) fn spawn(
    shared: Arc<Shared>,
) -> Result<(JoinHandle<()>, tokio::runtime::Handle), Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Config(format!("cannot start the worker runtime: {e}")))?;
    let handle = rt.handle().clone();
    let thread = std::thread::Builder::new()
        .name("posthog-worker".into())
        .spawn(move || rt.block_on(run(shared)))
        .map_err(|e| Error::Config(format!("cannot start the worker thread: {e}")))?;
    Ok((thread, handle))
}

/// Reads events kept on disk only back into memory when they are among the next to be sent
/// (enough for every delivery that may run at once). One that cannot be read — its file
/// removed or damaged under the client — is counted as failed and reported.
fn read_back(shared: &Shared) {
    let Some(d) = &shared.disk else { return };
    let cfg = &shared.config;
    let want = {
        let st = shared.lock();
        if st.stop || st.offline {
            return;
        }
        st.to_load(
            cfg.max_batch_size.saturating_mul(cfg.max_in_flight),
            cfg.max_batch_bytes.saturating_mul(cfg.max_in_flight),
        )
    };
    if want.is_empty() {
        return;
    }
    let read = d.read(&want);
    let mut lost = Vec::new();
    let mut first_error = None;
    {
        let mut st = shared.lock();
        for (got, (seq, _)) in read.into_iter().zip(&want) {
            match got {
                Ok(ev) => {
                    if let Some(entry) = st.loaded(ev) {
                        d.bind(*seq, entry);
                    }
                }
                Err(e) => {
                    if let Some(entry) = st.unreadable(*seq) {
                        lost.push(entry.loc);
                        first_error.get_or_insert(e);
                    }
                }
            }
        }
    }
    if let Some(e) = first_error {
        let n = lost.len() as u64;
        Counters::add(&shared.stats.failed, n);
        Counters::add(&shared.stats.failed_batches, 1);
        if let Err(e) = d.ack_locs(&lost) {
            shared.report(&e);
        }
        shared.report(&Error::Io(format!(
            "on-disk queue: {n} event(s) could not be read back ({e}); given up"
        )));
        shared.changed.notify_all();
    }
}

async fn run(shared: Arc<Shared>) {
    let cfg = &shared.config;
    let permits = Arc::new(Semaphore::new(cfg.max_in_flight));
    // A zero flush interval means no timed flush (posthog-node's `flushInterval: 0`): batches
    // go by count, bytes and explicit flushes only.
    // The timer runs on the client's clock, so tests move it by hand.
    let timed = !cfg.flush_interval.is_zero();
    let new_tick = || -> Sleep {
        if timed {
            cfg.clock.timer(cfg.flush_interval)
        } else {
            Box::pin(std::future::pending())
        }
    };
    let mut tick = new_tick();
    tokio::spawn(crate::flags::poller::run(shared.clone()));
    loop {
        read_back(&shared);
        // Cut and start every batch that is due, while permits last.
        loop {
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                break;
            };
            let batch = {
                let mut st = shared.lock();
                if st.stop {
                    return;
                }
                if !st.offline && st.ready(cfg.flush_at, cfg.max_batch_bytes) {
                    st.cut(cfg.max_batch_size, cfg.max_batch_bytes)
                } else {
                    None
                }
            };
            let Some(batch) = batch else {
                break;
            };
            // Room was made: wake producers blocked by the Block policy.
            shared.changed.notify_all();
            let shared2 = shared.clone();
            tokio::spawn(async move {
                send_batch(&shared2, batch.events).await;
                shared2.lock().finish(batch.id);
                drop(permit);
                shared2.changed.notify_all();
                shared2.wake.notify_one();
            });
        }
        if shared.lock().stop {
            return;
        }
        tokio::select! {
            _ = shared.wake.notified() => {}
            _ = &mut tick => {
                tick = new_tick();
                let mut st = shared.lock();
                if !st.offline {
                    shared.unpark(&mut st);
                    st.flush_upto = st.flush_upto.max(st.next_seq());
                }
            }
        }
    }
}
