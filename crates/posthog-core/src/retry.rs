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

/// How one attempt of any request ended: the one classification behind ingestion, `/flags`,
/// the definitions poller and the admin client (each decides how many retries it spends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// 2xx. (A 304 is not one: only the definitions poller asks conditionally, and it reads
    /// 304 itself before classifying; anywhere else it would mean nothing was delivered.)
    Success,
    /// A connection failure, a timeout, 408 or 5xx: worth another attempt.
    Transient,
    /// 429: worth another attempt after the server's `Retry-After`.
    Throttled,
    /// 413: the body must shrink.
    TooLarge,
    /// Any other answer: another attempt gets the same answer.
    Terminal,
}

/// Classifies one attempt (see [`Class`]).
pub fn class_of(outcome: &Result<HttpResponse, TransportFailure>) -> Class {
    match outcome {
        // An oversized answer would be as large again.
        Err(TransportFailure::TooLarge { .. }) => Class::Terminal,
        Err(_) => Class::Transient,
        Ok(r) => match r.status {
            200..=299 => Class::Success,
            429 => Class::Throttled,
            408 | 500..=599 => Class::Transient,
            413 => Class::TooLarge,
            _ => Class::Terminal,
        },
    }
}

/// No PostHog server handled the request: no answer at all, or a gateway's 502/504. Such a
/// request is safe to repeat at once even when it is not idempotent (`/flags` retries once so).
pub fn reached_no_server(outcome: &Result<HttpResponse, TransportFailure>) -> bool {
    match outcome {
        Err(TransportFailure::TooLarge { .. }) => false,
        Err(_) => true,
        Ok(r) => matches!(r.status, 502 | 504),
    }
}

/// The response headers that carry PostHog's request id, in the order they are read.
pub const REQUEST_ID_HEADERS: [&str; 2] = ["x-request-id", "posthog-request-id"];

/// The request id PostHog echoed, from the first of [`REQUEST_ID_HEADERS`] present.
pub fn request_id(resp: &HttpResponse) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|h| resp.header(h))
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The answer's `Retry-After`, clamped to `cap` (see [`parse_retry_after`]).
pub fn retry_after(resp: &HttpResponse, now: DateTime<Utc>, cap: Duration) -> Option<Duration> {
    resp.header("retry-after")
        .and_then(|v| parse_retry_after(v, now, cap))
}

/// The longest `Retry-After` an error reports (what the server asked for, not what is waited).
const REPORTED_RETRY_AFTER_CAP: Duration = Duration::from_secs(24 * 3600);

/// The error for a non-success answer: status, scrubbed detail, `Retry-After` and request id,
/// read the same way for every endpoint.
pub fn response_error(resp: &HttpResponse, now: DateTime<Utc>) -> Error {
    Error::from_status(
        resp.status,
        &resp.body,
        retry_after(resp, now, REPORTED_RETRY_AFTER_CAP).map(|d| d.as_secs()),
        request_id(resp),
    )
}

/// The error for a request that got no answer; `what` names the request (`"the /flags request"`).
pub fn failure_error(failure: &TransportFailure, what: &str) -> Error {
    match failure {
        TransportFailure::Timeout => Error::Timeout(format!("{what} timed out")),
        TransportFailure::Connection(m) => Error::Transport(crate::redact::scrub(m)),
        TransportFailure::TooLarge { limit } => Error::Unexpected(format!(
            "the answer to {what} is larger than {limit} bytes; it was not read"
        )),
    }
}

/// What ingestion does with one attempt: [`class_of`], then v1's per-event results. Retry on
/// connection errors, timeouts, 408, 429 and 5xx; never on 400, 401, 402, 403, 413 (split
/// instead), 415 or any other 4xx.
pub fn classify(
    protocol: Protocol,
    outcome: &Result<HttpResponse, TransportFailure>,
    now: DateTime<Utc>,
) -> Verdict {
    let resp = match outcome {
        Err(f) if class_of(outcome) == Class::Terminal => {
            return Verdict::Fail(failure_error(f, "the batch"));
        }
        Err(f) => {
            return Verdict::Retry {
                after: None,
                error: failure_error(f, "the request"),
            };
        }
        Ok(resp) => resp,
    };
    let after = retry_after(resp, now, MAX_DELAY);
    match class_of(outcome) {
        Class::Success => match protocol {
            Protocol::V0 => Verdict::Delivered,
            Protocol::V1 => classify_v1_results(&resp.body, after),
        },
        Class::Transient | Class::Throttled => Verdict::Retry {
            after,
            error: response_error(resp, now),
        },
        Class::TooLarge => Verdict::Split(response_error(resp, now)),
        Class::Terminal => Verdict::Fail(response_error(resp, now)),
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

/// Parses `Retry-After`: delay-seconds (whole or fractional) or an HTTP date, clamped to `cap`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>, cap: Duration) -> Option<Duration> {
    let value = value.trim();
    let d = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else if let Ok(secs) = value.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        Duration::from_secs_f64(secs.min(cap.as_secs_f64()))
    } else {
        let date = DateTime::parse_from_rfc2822(value).ok()?;
        (date.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
    };
    Some(d.min(cap))
}

/// The wait schedule of one request (a batch, a `/flags` call, an admin call): exponential from
/// 100 ms, factor 2, jittered by up to the current delay (so every wait lies in
/// `[base, 2·base)`), never over 30 s. A seed makes the jitter reproducible (schedule tests).
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
    /// A fresh schedule with random jitter.
    pub fn new() -> Backoff {
        Backoff::seeded(None)
    }

    /// A fresh schedule; with `Some(seed)` its jitter is the same on every run.
    pub fn seeded(seed: Option<u64>) -> Backoff {
        let builder = ExponentialBuilder::default()
            .with_min_delay(MIN_DELAY)
            .with_max_delay(MAX_DELAY)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times();
        let builder = match seed {
            Some(seed) => builder.with_jitter_seed(seed),
            None => builder,
        };
        Backoff {
            inner: builder.build(),
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
        assert_eq!(
            parse_retry_after("5", now, MAX_DELAY),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse_retry_after("3600", now, MAX_DELAY), Some(MAX_DELAY));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now, MAX_DELAY),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now, MAX_DELAY),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now, MAX_DELAY), None);
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

    #[test]
    fn one_classification_for_every_endpoint() {
        let cases = [
            (200, Class::Success),
            (204, Class::Success),
            (304, Class::Terminal),
            (408, Class::Transient),
            (500, Class::Transient),
            (503, Class::Transient),
            (429, Class::Throttled),
            (413, Class::TooLarge),
            (400, Class::Terminal),
            (401, Class::Terminal),
            (402, Class::Terminal),
            (403, Class::Terminal),
            (404, Class::Terminal),
            (302, Class::Terminal),
        ];
        for (status, class) in cases {
            assert_eq!(class_of(&resp(status, &[], "")), class, "{status}");
        }
        assert_eq!(class_of(&Err(TransportFailure::Timeout)), Class::Transient);
    }

    #[test]
    fn request_id_and_retry_after_are_read_once_for_all() {
        let now = Utc::now();
        let r = resp(
            503,
            &[("X-Request-Id", "abc"), ("Retry-After", "120")],
            "{}",
        )
        .unwrap();
        assert_eq!(request_id(&r).as_deref(), Some("abc"));
        let r2 = resp(503, &[("PostHog-Request-Id", "def")], "").unwrap();
        assert_eq!(request_id(&r2).as_deref(), Some("def"));
        assert_eq!(request_id(&resp(503, &[], "").unwrap()), None);
        // The wait is capped by the caller; the error reports what the server asked for.
        assert_eq!(retry_after(&r, now, MAX_DELAY), Some(MAX_DELAY));
        let e = response_error(&r, now);
        let a = e.attributes();
        assert_eq!(a.status, Some(503));
        assert_eq!(a.request_id.as_deref(), Some("abc"));
        assert_eq!(a.retry_after_secs, Some(120));
    }

    #[test]
    fn a_seed_makes_the_schedule_reproducible() {
        let take = |seed| {
            let mut b = Backoff::seeded(Some(seed));
            (0..6).map(|_| b.next_delay(None)).collect::<Vec<_>>()
        };
        assert_eq!(take(7), take(7));
        assert_ne!(take(7), take(8));
        for (i, d) in take(7).into_iter().enumerate() {
            let base = (MIN_DELAY * 2u32.pow(i as u32)).min(MAX_DELAY);
            assert!(d >= base && d <= (base * 2).min(MAX_DELAY), "{i}: {d:?}");
        }
    }
}
