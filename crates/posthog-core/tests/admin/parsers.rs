//! Admin answers from a hostile or broken server: list pages and query results of any shape
//! end in items or a typed error, never a panic or an endless list. Cases: `PROPTEST_CASES`.

use crate::scripted::*;
use posthog_core::ErrorKind;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn answer() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("results".to_string()),
        Just("next".to_string()),
        Just("count".to_string()),
        Just("columns".to_string()),
        Just("types".to_string()),
        Just("hasMore".to_string()),
        Just("id".to_string()),
        Just("key".to_string()),
        Just("error".to_string()),
        Just("query_status".to_string()),
        "[a-z_]{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,10}".prop_map(Value::String),
        Just(json!(format!(
            "{HOST}/api/projects/1/feature_flags/?offset=1"
        ))),
        Just(json!("https://evil.example.com/next")),
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn list_pages_end(pages in prop::collection::vec(answer(), 1..4)) {
        let (c, t, _) = client();
        for p in &pages {
            t.push_json(200, p.clone());
        }
        // Unscripted requests get a 404: the list must end by then.
        let items: Vec<_> = c.feature_flags().list(1u64).take(1000).collect();
        prop_assert!(items.len() < 1000, "the list ended");
        prop_assert!(t.requests().len() <= pages.len() + 1);
        for e in items.iter().filter_map(|i| i.as_ref().err()) {
            prop_assert!(matches!(e.kind(), ErrorKind::Unexpected | ErrorKind::NotFound), "{e}");
        }
    }

    #[test]
    fn query_results_parse_or_fail(body in answer()) {
        let (c, t, _) = client();
        t.push_json(200, body);
        if let Err(e) = c.query(1u64, "SELECT 1", json!(null)) {
            prop_assert!(
                matches!(e.kind(), ErrorKind::Unexpected | ErrorKind::NotFound | ErrorKind::InvalidRequest | ErrorKind::Timeout),
                "{e}"
            );
        }
    }
}
