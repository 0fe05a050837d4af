//! The public API beyond the vectors: unknown and deleted flags, evaluate_all, payloads.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use posthog_flags::{Definitions, EvalContext, FlagValue, InconclusiveReason};
use serde_json::json;

#[test]
fn unknown_and_deleted_flags_are_unknown() {
    let defs = Definitions::parse(&json!({"flags": [
        {"id": 1, "key": "gone", "active": true, "deleted": true, "filters": {"groups": [{"rollout_percentage": 100}]}},
        {"id": 2, "key": "off", "active": false, "filters": {"groups": [{"rollout_percentage": 100}]}},
        {"id": 3, "key": "on", "active": true, "version": 7, "filters": {"groups": [{"rollout_percentage": 100}], "payloads": {"true": "{\"a\": 1}"}}}
    ]}))
    .unwrap();
    let ctx = EvalContext::new("user-1");
    assert_eq!(
        defs.evaluate("nope", &ctx).unwrap_err().reason,
        InconclusiveReason::UnknownFlag
    );
    assert_eq!(
        defs.evaluate("gone", &ctx).unwrap_err().reason,
        InconclusiveReason::UnknownFlag
    );
    let off = defs.evaluate("off", &ctx).unwrap();
    assert_eq!(
        (off.value, off.reason.as_str()),
        (FlagValue::Bool(false), "flag_disabled")
    );
    let on = defs.evaluate("on", &ctx).unwrap();
    assert_eq!(on.value, FlagValue::Bool(true));
    assert_eq!(on.payload, Some(json!({"a": 1})));
    assert_eq!(
        (on.condition_index, on.flag_id, on.version),
        (Some(0), 3, Some(7))
    );
    let all: Vec<String> = defs
        .evaluate_all(&ctx)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(all, ["off", "on"]);
}

#[test]
fn fixture_definitions_evaluate() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/flag_definitions.json"
    ))
    .unwrap();
    let defs = Definitions::from_slice(&bytes).unwrap();
    assert_eq!(defs.len(), 53);
    let mut ctx = EvalContext::new("user-4242");
    ctx.person_properties =
        json!({"email": "a@posthog.com", "plan": "pro", "country": "US", "age": 34,
        "platform": "web", "app_version": "2.4.1", "signup_date": "2023-06-01", "sessions_30d": 42,
        "is_beta": true, "company_name": "Acme"})
        .as_object()
        .unwrap()
        .clone();
    let results = defs.evaluate_all(&ctx);
    assert_eq!(results.len(), 53);
    assert!(results.iter().filter(|(_, r)| r.is_ok()).count() > 40);
    assert_eq!(
        defs.evaluate("paid-plans", &ctx).unwrap().value,
        FlagValue::Bool(true)
    );
}
