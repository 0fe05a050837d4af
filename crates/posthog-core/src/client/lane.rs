//! The AI lane: `capture_ai` events (`$ai_generation`…) travel on a queue of their own to
//! PostHog's dedicated AI endpoint, `/i/v0/ai/batch/` (posthog-python's `capture_ai`,
//! posthog-node's `captureAi`), with a larger per-event bound; `capture` never reroutes.

use super::Client;
use crate::config::Protocol;
use crate::error::Error;
use crate::event::{Event, EventMessage};
use crate::stats::DropCause;
use uuid::Uuid;

/// The largest AI event accepted (posthog-python's AI lane: 8 MiB).
pub const AI_MAX_EVENT_BYTES: usize = 8 * 1024 * 1024;

impl Client {
    /// Queues an LLM-analytics event on the AI lane (`/i/v0/ai/batch/`): the same message as
    /// [`Client::capture`] builds (super properties, `before_send`, uuid, UTC timestamp) and
    /// the same result. The lane is a queue of its own, started on first use; `flush`,
    /// `shutdown`, `stats` and `rotate_key` cover it.
    pub fn capture_ai(&self, event: Event) -> Option<Uuid> {
        self.capture_on(event, true)
    }

    /// [`Client::capture_message`] onto the AI lane (a message from [`Client::prepare`]).
    pub fn capture_ai_message(&self, msg: EventMessage) -> Option<Uuid> {
        self.capture_message_on(msg, true)
    }

    pub(super) fn enqueue_on(&self, msg: EventMessage, ai: bool) -> Option<Uuid> {
        if !ai {
            return self.enqueue_message(msg);
        }
        match self.ai_lane() {
            Some(lane) => lane.enqueue_message(msg),
            None => {
                self.shared.drop_event(
                    DropCause::Invalid,
                    Some(Error::Unexpected("the AI lane could not start".into())),
                );
                None
            }
        }
    }

    /// The lane, if `capture_ai` has started it.
    pub(super) fn started_ai_lane(&self) -> Option<&Client> {
        self.ai.get().and_then(|l| l.as_deref())
    }

    fn ai_lane(&self) -> Option<&Client> {
        self.ai
            .get_or_init(|| {
                let mut config = self.shared.config.clone();
                if let Ok(key) = self.shared.key.read() {
                    config.key = key.clone();
                }
                config.ai_lane = true;
                config.protocol = Protocol::V0;
                config.max_event_bytes = config.max_event_bytes.max(AI_MAX_EVENT_BYTES);
                config.max_batch_bytes = config.max_batch_bytes.max(AI_MAX_EVENT_BYTES);
                config.storage_dir = config.storage_dir.map(|d| d.join("ai"));
                // The lane only sends: flags stay with the main client.
                config.flags_key = None;
                config.flag_definition_cache = None;
                config.local_evaluation_enabled = false;
                match Client::start(config) {
                    Ok(lane) => Some(Box::new(lane)),
                    Err(e) => {
                        self.shared.report(&e);
                        None
                    }
                }
            })
            .as_deref()
    }
}
