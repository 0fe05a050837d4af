//! `GET /api/users/@me/`: who the key belongs to.

use super::budget::RateClass;
use super::client::AdminClient;
use crate::error::Error;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The user a personal key belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// The user's uuid.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The user's e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// The user's first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The user's distinct id in PostHog's own analytics.
    #[serde(default)]
    pub distinct_id: Option<String>,
    /// The current project (`team`), as PostHog answers it.
    #[serde(default)]
    pub team: Option<Value>,
    /// The current organization, as PostHog answers it.
    #[serde(default)]
    pub organization: Option<Value>,
    /// Every other field, kept as answered.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The users resource.
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    client: &'a AdminClient,
}

impl AdminClient {
    /// The users resource (`/api/users/`).
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }
}

impl Users<'_> {
    /// The user the key belongs to (`GET /api/users/@me/`). Any valid key may call it.
    pub fn me(&self) -> Result<User, Error> {
        self.client
            .inner
            .get("/api/users/@me/", RateClass::General, "user")
    }
}
