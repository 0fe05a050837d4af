//! Cohorts: nested AND/OR property groups with negation, resolved by id at load.

use serde_json::Value;

/// A node of a property group.
#[derive(Debug, Clone)]
pub(crate) enum Node<F> {
    /// `AND` (true) or `OR` (false) over children; an empty group matches.
    Group { all: bool, children: Vec<Node<F>> },
    /// One filter, possibly negated.
    Leaf { filter: F, negation: bool },
}

/// Builds a node tree from a property group's JSON, compiling each leaf with `leaf`.
pub(crate) fn build<F>(group: &Value, leaf: &mut impl FnMut(&Value) -> F) -> Node<F> {
    let all = group.get("type").and_then(Value::as_str) == Some("AND");
    let children = match group.get("values") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                if item.get("values").is_some() {
                    build(item, leaf)
                } else {
                    Node::Leaf {
                        filter: leaf(item),
                        negation: item
                            .get("negation")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    }
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    Node::Group { all, children }
}
