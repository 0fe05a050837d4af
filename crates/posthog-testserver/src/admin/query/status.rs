//! Async queries: `QueryStatus` objects, polls and cancels. A query is computed when it
//! is submitted but reported running (`complete: false`, HTTP 202) until it was polled
//! once; it completes right after that poll, so the second poll answers it (200, or 400
//! / 500 when it failed with / without an `error_message`). While running it holds one
//! slot of the concurrency limit.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// How an async query ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// The full answer, as a blocking query answers it.
    Done(Value),
    /// Failed: `Some(message)` when PostHog may expose it (the query's fault: a HogQL or
    /// API error, 400 on poll), `None` when it may not (an internal error, 500).
    Failed(Option<String>),
}

/// One submitted async query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AsyncQuery {
    pub(crate) outcome: Outcome,
    pub(crate) polls: u32,
    pub(crate) start_time: DateTime<Utc>,
    pub(crate) end_time: Option<DateTime<Utc>>,
    pub(crate) task_id: String,
    /// Where its answer goes in the cache when it completes.
    pub(crate) cache_key: String,
}

/// The seconds a stored status lives (`QueryStatusManager.STATUS_TTL_SECONDS`).
const STATUS_TTL: i64 = 20 * 60;

impl AsyncQuery {
    /// A query submitted now with this outcome.
    pub(crate) fn new(outcome: Outcome, cache_key: String) -> AsyncQuery {
        AsyncQuery {
            outcome,
            polls: 0,
            start_time: Utc::now(),
            end_time: None,
            task_id: uuid::Uuid::new_v4().to_string(),
            cache_key,
        }
    }

    /// Whether it still runs (not yet polled).
    pub(crate) fn running(&self) -> bool {
        self.polls == 0
    }

    /// The `QueryStatus` object: `dates` formats its times (DRF's encoder on the submit
    /// answer, Django's on polls); a polled query has been picked up by a worker.
    pub(crate) fn status(
        &self,
        id: &str,
        dates: fn(DateTime<Utc>) -> String,
        polled: bool,
    ) -> Value {
        let running = self.running();
        let (error, message, results) = match (&self.outcome, running) {
            (_, true) => (false, Value::Null, Value::Null),
            (Outcome::Done(answer), false) => (false, Value::Null, answer.clone()),
            (Outcome::Failed(message), false) => (true, json!(message), Value::Null),
        };
        let picked_up = polled || self.polls > 0;
        let expiration =
            self.end_time.unwrap_or(self.start_time) + chrono::Duration::seconds(STATUS_TTL);
        json!({
            "complete": !running,
            "dashboard_id": null,
            "end_time": if running { Value::Null } else { json!(dates(self.end_time.unwrap_or(self.start_time))) },
            "error": error,
            "error_message": message,
            "expiration_time": dates(expiration),
            "id": id,
            "insight_id": null,
            "labels": null,
            "pickup_time": if picked_up { json!(dates(self.start_time)) } else { Value::Null },
            "query_async": true,
            "query_progress": null,
            "results": results,
            "start_time": dates(self.start_time),
            "task_id": self.task_id,
            "team_id": 1,
        })
    }

    /// The HTTP status of a poll of this state: 202 running, 200 complete, 400 failed
    /// with a message, 500 failed without.
    pub(crate) fn poll_status(&self) -> u16 {
        match (&self.outcome, self.running()) {
            (_, true) => 202,
            (Outcome::Done(_), false) => 200,
            (Outcome::Failed(Some(_)), false) => 400,
            (Outcome::Failed(None), false) => 500,
        }
    }
}

/// DRF's datetime rendering: microseconds, `Z`.
pub(crate) fn drf_time(t: DateTime<Utc>) -> String {
    crate::db::time::format(t)
}

/// Django's `DjangoJSONEncoder`: milliseconds, `Z`.
pub(crate) fn django_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_then_complete_or_failed() {
        let mut q = AsyncQuery::new(Outcome::Done(json!({"results": []})), "k".into());
        assert_eq!(q.poll_status(), 202);
        assert_eq!(q.status("id", drf_time, false)["complete"], false);
        q.polls = 1;
        q.end_time = Some(Utc::now());
        assert_eq!(q.poll_status(), 200);
        assert_eq!(
            q.status("id", django_time, true)["results"]["results"],
            json!([])
        );
        q.outcome = Outcome::Failed(None);
        assert_eq!(q.poll_status(), 500);
        q.outcome = Outcome::Failed(Some("bad".into()));
        assert_eq!(
            (
                q.poll_status(),
                q.status("id", drf_time, true)["error_message"].clone()
            ),
            (400, json!("bad"))
        );
    }
}
