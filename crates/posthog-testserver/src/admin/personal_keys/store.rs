//! The metadata of every personal API key the server knows. The secret values and their
//! scopes stay where the definitions routes read them ([`FlagState::keys`]); each `phx_`
//! key there gets a record here on first sight (registered and default keys too), and a
//! record whose value left that map is dropped.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::admin::projects::ORGANIZATION_ID;
use crate::admin::request::now;
use crate::admin::users::USER_ID;
use crate::flags::store::{DEFAULT_PERSONAL_KEY, FlagState};

/// PostHog's `MAX_API_KEYS_PER_USER`.
pub(crate) const MAX_KEYS: usize = 10;

/// One key's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRecord {
    pub(crate) id: String,
    pub(crate) label: String,
    /// The secret (`phx_…`), the key of [`FlagState::keys`].
    pub(crate) value: String,
    pub(crate) created_at: String,
    pub(crate) last_used_at: Option<String>,
    pub(crate) scoped_teams: Vec<i64>,
    pub(crate) scoped_organizations: Vec<String>,
    pub(crate) last_rolled_at: Option<String>,
    seq: u64,
}

/// Every record, in creation order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct KeyStore {
    records: Vec<KeyRecord>,
    next_seq: u64,
}

/// A fresh random token: 32 random bytes, URL-safe base64 (43 characters), as
/// `generate_random_token` makes them.
pub(crate) fn random_token() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `mask_key_value`: `phx_...abcd`, or `********` for a value shorter than 16.
pub(crate) fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 16 {
        return "********".to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

impl KeyStore {
    /// Adds records for `phx_` keys of `flags` that have none, drops records of values
    /// that are gone.
    pub(crate) fn sync(&mut self, flags: &FlagState) {
        self.records.retain(|r| flags.keys.contains_key(&r.value));
        let mut missing: Vec<&String> = flags
            .keys
            .keys()
            .filter(|k| k.starts_with("phx_") && !self.records.iter().any(|r| &r.value == *k))
            .collect();
        missing.sort();
        for value in missing {
            let label = if value == DEFAULT_PERSONAL_KEY {
                "Test key"
            } else {
                "Registered key"
            };
            self.insert(value.clone(), label.to_owned(), Vec::new(), Vec::new());
        }
    }

    /// Adds a record (the caller puts the value in [`FlagState::keys`]).
    pub(crate) fn insert(
        &mut self,
        value: String,
        label: String,
        scoped_teams: Vec<i64>,
        scoped_organizations: Vec<String>,
    ) -> &KeyRecord {
        self.next_seq += 1;
        self.records.push(KeyRecord {
            id: random_token(),
            label,
            value,
            created_at: now(),
            last_used_at: None,
            scoped_teams,
            scoped_organizations,
            last_rolled_at: None,
            seq: self.next_seq,
        });
        let last = self.records.len() - 1;
        &self.records[last]
    }

    /// How many keys the user has.
    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    /// The records, newest first (`-created_at`).
    pub(crate) fn newest_first(&self) -> Vec<&KeyRecord> {
        let mut all: Vec<&KeyRecord> = self.records.iter().collect();
        all.sort_by_key(|r| std::cmp::Reverse(r.seq));
        all
    }

    /// The record of `id`.
    pub(crate) fn by_id_mut(&mut self, id: &str) -> Option<&mut KeyRecord> {
        self.records.iter_mut().find(|r| r.id == id)
    }

    /// The record of the secret `value`.
    pub(crate) fn by_value_mut(&mut self, value: &str) -> Option<&mut KeyRecord> {
        self.records.iter_mut().find(|r| r.value == value)
    }

    /// Removes the record of `id`; answers its secret.
    pub(crate) fn remove(&mut self, id: &str) -> Option<String> {
        let index = self.records.iter().position(|r| r.id == id)?;
        Some(self.records.remove(index).value)
    }

    /// Marks `value` used now (PostHog refreshes `last_used_at` at most once an hour).
    pub(crate) fn touch(&mut self, value: &str) {
        let stamp = now();
        if let Some(record) = self.by_value_mut(value) {
            let stale = record.last_used_at.as_deref().is_none_or(|last| {
                crate::db::time::parse(last)
                    .zip(crate::db::time::parse(&stamp))
                    .is_none_or(|(a, b)| b - a >= chrono::Duration::hours(1))
            });
            if stale {
                record.last_used_at = Some(stamp);
            }
        }
    }
}

impl KeyRecord {
    /// `PersonalAPIKeySerializer`'s form: `value` only when given (create, roll),
    /// `scopes` `["*"]` when empty.
    pub(crate) fn to_json(&self, scopes: &[String], value: Option<&str>) -> Value {
        let scopes: Vec<String> = if scopes.is_empty() {
            vec!["*".to_owned()]
        } else {
            scopes.to_vec()
        };
        json!({
            "id": self.id,
            "label": self.label,
            "value": value,
            "mask_value": mask(&self.value),
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "user_id": USER_ID,
            "scopes": scopes,
            "scoped_teams": self.scoped_teams,
            "scoped_organizations": self.scoped_organizations,
            "last_rolled_at": self.last_rolled_at,
        })
    }
}

/// The one organization a key may be scoped to.
pub(crate) fn known_organization(id: &str) -> bool {
    id == ORGANIZATION_ID
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_like_posthog() {
        assert_eq!(mask("phx_short"), "********");
        assert_eq!(mask("phx_0123456789abcdef"), "phx_...cdef");
        assert_eq!(random_token().len(), 43);
    }
}
