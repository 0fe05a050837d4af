//! `/api/personal_api_keys/`: the key that authenticates (`@current`), and key management for
//! rotation scripts (list, create with scopes, roll, delete).
//!
//! Current PostHog lets a personal key read only itself; listing, creating, rolling and
//! deleting keys with a key is refused (403, "This action does not support Personal API Key
//! access") and works from a logged-in session only. Older PostHog versions allow them with the
//! `personal_api_key:read`/`write` scopes. The client sends them either way and reports the
//! refusal as an [`Error::Forbidden`].

use super::budget::RateClass;
use super::client::AdminClient;
use super::http::{Call, Method};
use super::ids::segment;
use crate::error::Error;
use crate::keys::PersonalKey;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

/// A personal API key as PostHog describes it. Its `value` is only there in the answer that
/// created or rolled it, and never shows in `Debug`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonalApiKey {
    /// The key's id (used in paths; not the secret).
    pub id: String,
    /// Your label for it.
    #[serde(default)]
    pub label: Option<String>,
    /// The new secret, once: in the answer to create or roll. Store it in your secret manager.
    #[serde(default, skip_serializing, deserialize_with = "secret")]
    pub value: Option<PersonalKey>,
    /// A masked form PostHog shows (`phx_...abcd`).
    #[serde(default)]
    pub mask_value: Option<String>,
    /// The granted scopes (`["*"]` for full access).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The projects it is limited to (empty: all).
    #[serde(default)]
    pub scoped_teams: Option<Vec<u64>>,
    /// The organizations it is limited to (empty: all).
    #[serde(default)]
    pub scoped_organizations: Option<Vec<String>>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it was last used.
    #[serde(default)]
    pub last_used_at: Option<String>,
    /// When it was last rolled.
    #[serde(default)]
    pub last_rolled_at: Option<String>,
    /// Every other field, kept as answered.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl PersonalApiKey {
    /// The scopes, `["*"]` when PostHog answered none (its meaning).
    pub fn scopes_or_all(&self) -> Vec<String> {
        if self.scopes.is_empty() {
            vec!["*".to_string()]
        } else {
            self.scopes.clone()
        }
    }

    /// The key as PostHog's JSON, with `value` the new secret in clear when PostHog sent one
    /// (create, roll) and `null` otherwise: what the bindings hand a rotation script, which
    /// asked for the secret to store it.
    pub fn to_json_with_secret(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            let secret = self.value.as_ref().map(|s| s.expose().to_owned());
            m.insert("value".into(), secret.map_or(Value::Null, Value::String));
        }
        v
    }
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PersonalKey>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => PersonalKey::parse(s)
            .map(Some)
            .map_err(|_| serde::de::Error::custom("the key value is not a personal API key")),
    }
}

/// The personal API keys of the user the key belongs to.
#[derive(Debug, Clone, Copy)]
pub struct PersonalApiKeys<'a> {
    client: &'a AdminClient,
}

impl AdminClient {
    /// The personal API keys resource (`/api/personal_api_keys/`).
    pub fn personal_api_keys(&self) -> PersonalApiKeys<'_> {
        PersonalApiKeys { client: self }
    }
}

impl PersonalApiKeys<'_> {
    fn send(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, Error> {
        let inner = &self.client.inner;
        let url = inner.http.url(path, &[]);
        let call = if method == Method::Get {
            Call::get(url, RateClass::General)
        } else {
            Call::write(method, url, body, RateClass::General)
        };
        inner.send(call)
    }

    /// The key this client authenticates with (`GET …/@current/`; needs no scope): its
    /// scopes, label and when it was last rolled.
    pub fn current(&self) -> Result<PersonalApiKey, Error> {
        self.client.inner.get(
            "/api/personal_api_keys/@current/",
            RateClass::General,
            "personal API key",
        )
    }

    /// Every key of the user (one list, not paged).
    pub fn list(&self) -> Result<Vec<PersonalApiKey>, Error> {
        let v = self.send(Method::Get, "/api/personal_api_keys/", None)?;
        super::http::decode(v, "personal API keys")
    }

    /// Creates a key with `scopes` (e.g. `["feature_flag:read", "query:read"]`; at most ten
    /// keys per user). The answer's `value` is the new secret, shown this once.
    pub fn create(&self, label: &str, scopes: &[&str]) -> Result<PersonalApiKey, Error> {
        if scopes.is_empty() {
            return Err(Error::InvalidInput(
                "give the new key its scopes (least privilege); [\"*\"] grants everything".into(),
            ));
        }
        // PersonalAPIKeySerializer requires both lists: empty means every team and organization
        let body = json!({
            "label": label,
            "scopes": scopes,
            "scoped_teams": [],
            "scoped_organizations": [],
        });
        let v = self.send(Method::Post, "/api/personal_api_keys/", Some(body))?;
        super::http::decode(v, "personal API key")
    }

    /// Rolls a key: PostHog makes a new secret (the answer's `value`) and the old one stops
    /// working at once. Rolling the key this client uses? Pass the new value to
    /// [`AdminClient::rotate_key`] (or let a key provider return it).
    pub fn roll(&self, id: &str) -> Result<PersonalApiKey, Error> {
        let path = format!("/api/personal_api_keys/{}/roll/", segment(id)?);
        let v = self.send(Method::Post, &path, None)?;
        super::http::decode(v, "personal API key")
    }

    /// Deletes (revokes) a key.
    pub fn delete(&self, id: &str) -> Result<(), Error> {
        let path = format!("/api/personal_api_keys/{}/", segment(id)?);
        self.send(Method::Delete, &path, None)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_never_shows_and_is_never_sent_back() {
        let k: PersonalApiKey = serde_json::from_value(json!({
            "id": "01k", "label": "ci", "value": "phx_secret_value_123", "mask_value": "phx_...e123",
            "scopes": [], "scoped_teams": [], "scoped_organizations": [], "created_at": null,
            "last_used_at": null, "user_id": 1, "last_rolled_at": null
        }))
        .unwrap();
        assert_eq!(k.value.as_ref().unwrap().expose(), "phx_secret_value_123");
        assert!(!format!("{k:?}").contains("secret_value"));
        assert!(!serde_json::to_string(&k).unwrap().contains("secret_value"));
        assert_eq!(k.scopes_or_all(), vec!["*"]);
        let listed: PersonalApiKey =
            serde_json::from_value(json!({"id": "01k", "value": null, "scopes": ["query:read"]}))
                .unwrap();
        assert!(listed.value.is_none());
    }
}
