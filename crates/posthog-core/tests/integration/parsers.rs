//! Every parser of a server answer, fed arbitrary input: ingestion answers (v0 and v1),
//! `/flags` (v1 and v2), error bodies, `Retry-After`, request ids. None may panic, hang or
//! echo a key; each either understands the input or says it does not. The case count is
//! `PROPTEST_CASES` (a longer run lives in the fuzz workflow).

use chrono::Utc;
use posthog_core::config::Protocol;
use posthog_core::flags::remote::parse_response;
use posthog_core::retry::{self, Verdict};
use posthog_core::transport::{HttpResponse, TransportFailure};
use posthog_core::{Error, ErrorKind};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::time::Duration;

/// Arbitrary JSON, biased toward the keys PostHog answers with.
fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("results".to_string()),
        Just("result".to_string()),
        Just("flags".to_string()),
        Just("featureFlags".to_string()),
        Just("featureFlagPayloads".to_string()),
        Just("detail".to_string()),
        Just("attr".to_string()),
        Just("enabled".to_string()),
        Just("variant".to_string()),
        Just("metadata".to_string()),
        Just("payload".to_string()),
        Just("reason".to_string()),
        Just("quotaLimited".to_string()),
        Just("requestId".to_string()),
        "[a-z_$]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,16}".prop_map(Value::String),
        Just(json!("retry")),
        Just(json!("ok")),
        Just(json!("phx_leaked.SECRET")),
    ];
    leaf.prop_recursive(6, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Bodies: arbitrary bytes, or arbitrary JSON.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
    ]
}

fn resp(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> HttpResponse {
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn no_key(e: &Error) {
    let text = format!("{e} {e:?} {:?}", e.attributes());
    assert!(!text.contains("SECRET"), "{text}");
}

proptest! {
    #[test]
    fn ingestion_answers_are_classified(
        status in prop_oneof![Just(200u16), Just(400), Just(413), Just(429), Just(503), 100u16..600],
        retry_after in ".{0,40}",
        request_id in ".{0,40}",
        body in body(),
        v1 in any::<bool>(),
    ) {
        let headers = vec![
            ("retry-after".to_string(), retry_after),
            ("x-request-id".to_string(), request_id),
        ];
        let outcome = Ok(resp(status, headers, body));
        let protocol = if v1 { Protocol::V1 } else { Protocol::V0 };
        match retry::classify(protocol, &outcome, Utc::now()) {
            Verdict::Retry { after, error } => {
                prop_assert!(after.is_none_or(|d| d <= retry::MAX_DELAY));
                no_key(&error);
            }
            Verdict::Partial { after, .. } => prop_assert!(after.is_none_or(|d| d <= retry::MAX_DELAY)),
            Verdict::Fail(e) | Verdict::Split(e) => no_key(&e),
            Verdict::Delivered => prop_assert!((200..300).contains(&status)),
        }
    }

    #[test]
    fn retry_after_is_bounded(value in prop_oneof![".{0,40}", "[0-9]{1,30}", "-?[0-9]{0,6}\\.[0-9]{0,6}"]) {
        if let Some(d) = retry::parse_retry_after(&value, Utc::now(), Duration::from_secs(30)) {
            prop_assert!(d <= Duration::from_secs(30));
        }
    }

    #[test]
    fn flags_answers_parse_or_say_why(body in body()) {
        match parse_response(&body) {
            Ok(flags) => {
                // Never more flags than the answer could hold.
                prop_assert!(flags.flags.len() <= body.len());
            }
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::Unexpected);
                no_key(&e);
            }
        }
    }

    #[test]
    fn error_bodies_never_echo_a_key(status in 400u16..600, body in body(), id in ".{0,20}") {
        let mut body = body;
        body.extend_from_slice(b" phx_leaked.SECRET");
        let e = Error::from_status(status, &body, Some(1), Some(format!("{id} phx_leaked.SECRET")));
        if status != 408 && status != 413 {
            prop_assert_eq!(e.attributes().status, Some(status));
        }
        no_key(&e);
    }

    #[test]
    fn transport_failures_never_echo_a_key(text in ".{0,40}") {
        let e = retry::failure_error(
            &TransportFailure::Connection(format!("{text} Bearer phx_leaked.SECRET")),
            "a request",
        );
        no_key(&e);
    }
}
