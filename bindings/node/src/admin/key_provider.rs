//! The `keyProvider` option: the core asks its `KeyProvider` off the JS thread (after a 401);
//! this one calls JS through a threadsafe function with a ticket and waits for the JS layer
//! to hand the key back with `provideKey(ticket, …)`, so the provider may be async (a secret
//! manager's SDK) and the JS thread never blocks.

use napi::Status;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use posthog_core::Error as CoreError;
use posthog_core::admin::KeyProvider;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Calls the JS `askKey(ticket)`; unref'ed, so it never keeps the process alive.
pub(crate) type Asker = ThreadsafeFunction<u32, (), u32, Status, false, true>;

/// How long a request waits for the provider before it fails with `invalid_key`.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

type Answer = std::result::Result<String, String>;

/// A `KeyProvider` answered by JavaScript.
pub(crate) struct JsKeyProvider {
    ask: Asker,
    next: AtomicU32,
    waiting: Arc<Mutex<HashMap<u32, Sender<Answer>>>>,
}

impl JsKeyProvider {
    pub(crate) fn new(ask: Asker) -> JsKeyProvider {
        JsKeyProvider {
            ask,
            next: AtomicU32::new(0),
            waiting: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Hands the provider's answer to the request waiting on `ticket` (late answers are dropped).
    pub(crate) fn answer(&self, ticket: u32, answer: Answer) {
        if let Some(tx) = self.lock().remove(&ticket) {
            let _ = tx.send(answer);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Sender<Answer>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl KeyProvider for JsKeyProvider {
    fn personal_key(&self) -> Result<String, CoreError> {
        let ticket = self.next.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel();
        self.lock().insert(ticket, tx);
        if self
            .ask
            .call(ticket, ThreadsafeFunctionCallMode::NonBlocking)
            != Status::Ok
        {
            self.lock().remove(&ticket);
            return Err(CoreError::InvalidKey(
                "the key provider cannot be called (the JS environment is gone)".into(),
            ));
        }
        match rx.recv_timeout(ANSWER_TIMEOUT) {
            Ok(Ok(key)) => Ok(key),
            // Only the thrown value's name: its message might quote a secret.
            Ok(Err(name)) => Err(CoreError::key_provider_raised(&name)),
            Err(_) => {
                self.lock().remove(&ticket);
                Err(CoreError::InvalidKey(format!(
                    "the key provider did not answer within {} s",
                    ANSWER_TIMEOUT.as_secs()
                )))
            }
        }
    }
}
