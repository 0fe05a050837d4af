//! The value of an evaluated flag.

/// `true`/`false`, or the key of the chosen variant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum FlagValue {
    /// A boolean flag's value (or `false` for a multivariate flag that did not match).
    Bool(bool),
    /// The chosen variant of a multivariate flag.
    Variant(String),
}

impl FlagValue {
    /// Whether the flag counts as enabled (`true` or any variant).
    pub fn is_enabled(&self) -> bool {
        !matches!(self, FlagValue::Bool(false))
    }
    /// The JSON form: `true`, `false` or `"variant"`.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FlagValue::Bool(b) => serde_json::Value::Bool(*b),
            FlagValue::Variant(v) => serde_json::Value::String(v.clone()),
        }
    }
}
