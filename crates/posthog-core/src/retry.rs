//! What to do with an answer (a pure classification) and how long to wait before trying again
//! (capped exponential backoff with jitter, `Retry-After` as a floor).

use crate::config::Protocol;
use crate::error::Error;
use crate::transport::{HttpResponse, TransportFailure};
use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::time::Duration;

/// The first wait before a retry.
pub const MIN_DELAY: Duration = Duration::from_millis(100);
/// No wait is ever longer than this, whatever the server asks for.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// What the sender should do next with a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every event was accepted.
    Delivered,
    /// v1: the server answered per event. Resend the `retry` ones; `dropped` were refused for good.
    Partial {
        /// The uuids (lower-case, hyphenated) to send again.
        retry: HashSet<String>,
        /// The uuids the server dropped or limited (terminal).
        dropped: HashSet<String>,
        /// The server's `Retry-After`, if any.
        after: Option<Duration>,
    },
    /// A transient failure: send the whole batch again after a wait.
    Retry {
        /// The server's `Retry-After`, as a floor for the wait.
        after: Option<Duration>,
        /// What went wrong, reported if the retries run out.
        error: Error,
    },
    /// 413: split the batch in halves (a single event is dropped).
    Split(Error),
    /// A terminal failure.
    Fail(Error),
}

/// Classifies one attempt. Retry on connection errors, timeouts, 408, 429 and 5xx; never on
/// 400, 401, 402, 403, 413 (split instead), 415 or any other 4xx.
pub fn classify(
    protocol: Protocol,
    outcome: &Result<HttpResponse, TransportFailure>,
    now: DateTime<Utc>,
) -> Verdict {
    let resp = match outcome {
        Err(TransportFailure::Timeout) => {
            return Verdict::Retry {
                after: None,
                error: Error::Timeout("the request timed out".into()),
            };
        }
        Err(TransportFailure::Connection(msg)) => {
            return Verdict::Retry {
                after: None,
                error: Error::Transport(msg.clone()),
            };
        }
        Ok(resp) => resp,
    };
    let after = resp
        .header("retry-after")
        .and_then(|v| parse_retry_after(v, now));
    let request_id = resp.header("posthog-request-id").map(str::to_string);
    match resp.status {
        200..=299 => match protocol {
            Protocol::V0 => Verdict::Delivered,
            Protocol::V1 => classify_v1_results(&resp.body, after),
        },
        408 | 429 | 500..=599 => Verdict::Retry {
            after,
            error: Error::from_status(
                resp.status,
                &resp.body,
                after.map(|d| d.as_secs()),
                request_id,
            ),
        },
        413 => Verdict::Split(Error::from_status(413, &resp.body, None, request_id)),
        status => Verdict::Fail(Error::from_status(status, &resp.body, None, request_id)),
    }
}

fn classify_v1_results(body: &[u8], after: Option<Duration>) -> Verdict {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let Some(results) = parsed
        .as_ref()
        .and_then(|v| v.get("results"))
        .and_then(|r| r.as_object())
    else {
        return Verdict::Fail(Error::Unexpected(
            "the v1 answer has no per-event results".into(),
        ));
    };
    let mut retry = HashSet::new();
    let mut dropped = HashSet::new();
    for (uuid, r) in results {
        match r.get("result").and_then(|x| x.as_str()) {
            Some("ok") | Some("warning") => {}
            Some("retry") => {
                retry.insert(uuid.to_ascii_lowercase());
            }
            _ => {
                dropped.insert(uuid.to_ascii_lowercase());
            }
        }
    }
    if retry.is_empty() && dropped.is_empty() {
        Verdict::Delivered
    } else {
        Verdict::Partial {
            retry,
            dropped,
            after,
        }
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP date. Clamped to [`MAX_DELAY`].
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    let d = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else if let Ok(secs) = value.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        Duration::from_secs_f64(secs.min(MAX_DELAY.as_secs_f64()))
    } else {
        let date = DateTime::parse_from_rfc2822(value).ok()?;
        (date.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
    };
    Some(d.min(MAX_DELAY))
}

/// The wait schedule of one batch: exponential from 100 ms, factor 2, jittered by up to the
/// current delay (so every wait lies in `[base, 2·base)`), never over 30 s.
#[derive(Debug)]
pub struct Backoff {
    inner: ExponentialBackoff,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

impl Backoff {
    /// A fresh schedule.
    pub fn new() -> Backoff {
        Backoff {
            inner: ExponentialBuilder::default()
                .with_min_delay(MIN_DELAY)
                .with_max_delay(MAX_DELAY)
                .with_factor(2.0)
                .with_jitter()
                .without_max_times()
                .build(),
        }
    }

    /// The next wait; `floor` (a `Retry-After`) raises it, and the cap bounds both.
    pub fn next_delay(&mut self, floor: Option<Duration>) -> Duration {
        let d = self.inner.next().unwrap_or(MAX_DELAY);
        d.max(floor.unwrap_or(Duration::ZERO)).min(MAX_DELAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Result<HttpResponse, TransportFailure> {
        Ok(HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn classifies_statuses() {
        let now = Utc::now();
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(
                matches!(
                    classify(Protocol::V0, &resp(s, &[], ""), now),
                    Verdict::Retry { .. }
                ),
                "{s}"
            );
        }
        for s in [400, 401, 402, 403, 404, 415] {
            assert!(
                matches!(
                    classify(Protocol::V0, &resp(s, &[], ""), now),
                    Verdict::Fail(_)
                ),
                "{s}"
            );
        }
        assert!(matches!(
            classify(Protocol::V0, &resp(413, &[], ""), now),
            Verdict::Split(_)
        ));
        assert_eq!(
            classify(Protocol::V0, &resp(200, &[], "whatever"), now),
            Verdict::Delivered
        );
        assert!(matches!(
            classify(Protocol::V0, &Err(TransportFailure::Timeout), now),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            classify(
                Protocol::V0,
                &Err(TransportFailure::Connection("reset".into())),
                now
            ),
            Verdict::Retry { .. }
        ));
        match classify(Protocol::V0, &resp(429, &[("Retry-After", "7")], ""), now) {
            Verdict::Retry { after, error } => {
                assert_eq!(after, Some(Duration::from_secs(7)));
                assert_eq!(error.kind(), crate::ErrorKind::RateLimited);
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn classifies_v1_results() {
        let now = Utc::now();
        let body = r#"{"results":{"A":{"result":"ok"},"b":{"result":"retry"},"c":{"result":"drop"},"d":{"result":"warning"},"e":{"result":"limited"},"f":{"result":"new-thing"}}}"#;
        match classify(Protocol::V1, &resp(200, &[], body), now) {
            Verdict::Partial { retry, dropped, .. } => {
                assert_eq!(retry, HashSet::from(["b".to_string()]));
                assert_eq!(dropped.len(), 3);
            }
            v => panic!("{v:?}"),
        }
        let ok = r#"{"results":{"a":{"result":"ok"}}}"#;
        assert_eq!(
            classify(Protocol::V1, &resp(200, &[], ok), now),
            Verdict::Delivered
        );
        assert!(matches!(
            classify(Protocol::V1, &resp(200, &[], "{}"), now),
            Verdict::Fail(_)
        ));
    }

    #[test]
    fn retry_after_forms() {
        let now = DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("5", now), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after("3600", now), Some(MAX_DELAY));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        for _ in 0..50 {
            let mut b = Backoff::new();
            let first = b.next_delay(None);
            assert!(first >= MIN_DELAY && first < MIN_DELAY * 2, "{first:?}");
            let second = b.next_delay(None);
            assert!(
                second >= MIN_DELAY * 2 && second < MIN_DELAY * 4,
                "{second:?}"
            );
            for _ in 0..20 {
                assert!(b.next_delay(None) <= MAX_DELAY);
            }
        }
        let mut b = Backoff::new();
        assert_eq!(
            b.next_delay(Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
        assert_eq!(b.next_delay(Some(Duration::from_secs(999))), MAX_DELAY);
    }
}
