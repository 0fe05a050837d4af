//! Definitions from a hostile or broken server: arbitrary bytes and arbitrary JSON shaped
//! like a definitions answer parse or fail with an error, and every flag that parses
//! evaluates (or is inconclusive) without panicking. Cases: `PROPTEST_CASES`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use posthog_flags::{Definitions, EvalContext};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        Just(json!("cohort")),
        Just(json!("flag")),
        Just(json!("person")),
        Just(json!("regex")),
        Just(json!("flag_evaluates_to")),
        Just(json!("AND")),
        Just(json!("1")),
        Just(json!("(a+)+$")),
    ]
}

/// JSON whose objects use the keys of a definitions answer.
fn definitions_like() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("flags"),
        Just("cohorts"),
        Just("group_type_mapping"),
        Just("filters"),
        Just("groups"),
        Just("properties"),
        Just("key"),
        Just("value"),
        Just("type"),
        Just("operator"),
        Just("values"),
        Just("rollout_percentage"),
        Just("multivariate"),
        Just("variants"),
        Just("variant"),
        Just("payloads"),
        Just("active"),
        Just("id"),
        Just("dependency_chain"),
        Just("aggregation_group_type_index"),
        Just("1"),
        Just("negation"),
        Just("holdout"),
        Just("bucketing_identifier"),
    ]
    .prop_map(str::to_string);
    leaf().prop_recursive(7, 96, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_parse_or_fail(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Definitions::from_slice(&bytes);
    }

    #[test]
    fn definitions_like_json_evaluates_without_panicking(
        flags in prop::collection::vec(definitions_like(), 0..4),
        cohorts in definitions_like(),
        person in definitions_like(),
    ) {
        let flags: Vec<Value> = flags
            .into_iter()
            .enumerate()
            .map(|(i, mut f)| {
                if let Value::Object(m) = &mut f {
                    m.insert("key".into(), json!(format!("f{i}")));
                }
                f
            })
            .collect();
        let answer = json!({"flags": flags, "cohorts": cohorts});
        if let Ok(defs) = Definitions::parse(&answer) {
            let mut ctx = EvalContext::new("user-1");
            if let Value::Object(m) = person {
                ctx.person_properties = m;
            }
            let all = defs.evaluate_all(&ctx);
            prop_assert!(all.len() <= defs.len());
        }
    }
}
