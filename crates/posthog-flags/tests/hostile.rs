//! Hostile definitions never take the host down: a cohort that contains itself, cohorts that
//! contain each other and flag dependencies thousands of levels deep are inconclusive (with a
//! reason), evaluated on a thread with a small stack.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use posthog_flags::{Definitions, EvalContext, FlagValue, InconclusiveReason};
use serde_json::{Value, json};

/// Runs `f` on a thread with a 256 KiB stack (an app's worker may have no more).
fn small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .expect("the evaluation overflowed or panicked")
}

fn cohort_flag(cohort: &str) -> Value {
    json!({"id": 1, "key": "cohorted", "active": true, "filters": {"groups": [
        {"properties": [{"key": "id", "type": "cohort", "value": cohort}], "rollout_percentage": 100}
    ]}})
}

#[test]
fn a_cohort_that_contains_itself_is_inconclusive() {
    let defs = Definitions::parse(&json!({
        "flags": [cohort_flag("7")],
        "cohorts": {"7": {"type": "OR", "values": [
            {"type": "AND", "values": [{"key": "id", "type": "cohort", "value": "7"}]}
        ]}}
    }))
    .unwrap();
    let err = small_stack(move || {
        defs.evaluate("cohorted", &EvalContext::new("u"))
            .unwrap_err()
    });
    assert_eq!(err.reason, InconclusiveReason::UnsupportedDefinition);
    assert!(err.detail.contains("refers to itself"), "{}", err.detail);
}

#[test]
fn cohorts_that_contain_each_other_are_inconclusive() {
    let defs = Definitions::parse(&json!({
        "flags": [cohort_flag("1")],
        "cohorts": {
            "1": {"type": "AND", "values": [{"key": "id", "type": "cohort", "value": "2"}]},
            "2": {"type": "AND", "values": [{"key": "id", "type": "cohort", "value": "1", "operator": "not_in"}]}
        }
    }))
    .unwrap();
    let err = small_stack(move || {
        defs.evaluate("cohorted", &EvalContext::new("u"))
            .unwrap_err()
    });
    assert_eq!(err.reason, InconclusiveReason::UnsupportedDefinition);
}

/// `n` flags, `f{i}` depending on `f{i-1}`; `reversed` lists each chain from the top down (a
/// hostile order that makes every level recurse), otherwise in PostHog's dependency order.
fn chain(n: usize, reversed: bool) -> Definitions {
    let mut flags = vec![json!({"id": 0, "key": "f0", "active": true,
        "filters": {"groups": [{"rollout_percentage": 100}]}})];
    for i in 1..n {
        // The parent alone: deciding it first makes each level recurse into the one below
        // (PostHog's order would list the whole chain from the bottom, decided from the cache).
        let chain: Vec<String> = if reversed {
            vec![format!("f{}", i - 1)]
        } else {
            (0..i).map(|j| format!("f{j}")).collect()
        };
        flags.push(
            json!({"id": i, "key": format!("f{i}"), "active": true, "filters": {"groups": [{
                "properties": [{"key": format!("f{}", i - 1), "type": "flag", "value": true,
                    "operator": "flag_evaluates_to", "dependency_chain": chain}],
                "rollout_percentage": 100
            }]}}),
        );
    }
    Definitions::parse(&json!({ "flags": flags })).unwrap()
}

#[test]
fn a_dependency_chain_20000_deep_is_inconclusive_not_a_crash() {
    let defs = chain(20_000, true);
    let err = small_stack(move || defs.evaluate("f19999", &EvalContext::new("u")).unwrap_err());
    assert_eq!(err.reason, InconclusiveReason::UnsupportedDefinition);
    assert!(err.detail.contains("deeper than"), "{}", err.detail);
}

#[test]
fn a_shallow_chain_still_decides() {
    let defs = chain(20, true);
    let ev = small_stack(move || defs.evaluate("f19", &EvalContext::new("u")).unwrap());
    assert_eq!(ev.value, FlagValue::Bool(true));
}

#[test]
fn a_deep_chain_in_dependency_order_decides() {
    // 300 levels listed bottom-up, as PostHog sends them: each level comes from the cache.
    let defs = chain(300, false);
    let ev = small_stack(move || defs.evaluate("f299", &EvalContext::new("u")).unwrap());
    assert_eq!(ev.value, FlagValue::Bool(true));
}
