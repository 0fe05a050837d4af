//! Rollout, variant choice and holdouts.

use crate::hash::{hash, hash_with};

/// One variant with its slice `[min, max)` of the variant hash.
#[derive(Debug, Clone)]
pub(crate) struct VariantSlice {
    pub(crate) key: String,
    min: f64,
    max: f64,
}

/// Builds the cumulative variant table from `(key, rollout_percentage)` pairs.
pub(crate) fn variant_table(
    variants: impl IntoIterator<Item = (String, f64)>,
) -> Vec<VariantSlice> {
    let mut min = 0.0;
    variants
        .into_iter()
        .map(|(key, pct)| {
            let max = min + pct / 100.0;
            let slice = VariantSlice { key, min, max };
            min = max;
            slice
        })
        .collect()
}

/// Whether the bucketing value falls inside a condition's rollout.
pub(crate) fn in_rollout(flag_key: &str, bucketing_value: &str, rollout_percentage: f64) -> bool {
    hash(flag_key, bucketing_value, "") <= rollout_percentage / 100.0
}

/// The variant the bucketing value falls into, if any.
pub(crate) fn pick_variant<'a>(
    table: &'a [VariantSlice],
    flag_key: &str,
    bucketing_value: &str,
) -> Option<&'a str> {
    if table.is_empty() {
        return None;
    }
    let h = hash(flag_key, bucketing_value, "variant");
    table
        .iter()
        .find(|v| h >= v.min && h < v.max)
        .map(|v| v.key.as_str())
}

/// A holdout group: users hashed under its exclusion percentage get `holdout-<id>`.
#[derive(Debug, Clone)]
pub(crate) struct Holdout {
    /// `holdout-<id>`.
    pub(crate) value: String,
    exclusion_percentage: f64,
}

impl Holdout {
    pub(crate) fn new(id: i64, exclusion_percentage: f64) -> Holdout {
        Holdout {
            value: format!("holdout-{id}"),
            exclusion_percentage,
        }
    }

    /// Whether the bucketing value is held out.
    pub(crate) fn holds_out(&self, bucketing_value: &str) -> bool {
        hash_with("holdout", "-", bucketing_value, "") < self.exclusion_percentage / 100.0
    }
}
