//! Keys as types: a project key can never be used where a personal key belongs, and no key is
//! ever printed.

use crate::error::Error;
use std::fmt;

/// What a key string looks like, judged by its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// `phc_…`: project API key, for events and `/flags`.
    Project,
    /// `phx_…`: personal API key, for the private API.
    Personal,
    /// `phs_…`: feature-flags secure key, for flag definitions.
    FlagsSecure,
    /// `pha_…`: OAuth access token.
    OAuth,
    /// No known prefix.
    Unknown,
}

impl KeyType {
    /// Classifies a key by its prefix.
    pub fn of(key: &str) -> KeyType {
        match key.get(..4) {
            Some("phc_") => KeyType::Project,
            Some("phx_") => KeyType::Personal,
            Some("phs_") => KeyType::FlagsSecure,
            Some("pha_") => KeyType::OAuth,
            _ => KeyType::Unknown,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            KeyType::Project => {
                "a project API key (phc_…); it belongs in the ingestion client (events and /flags)"
            }
            KeyType::Personal => {
                "a personal API key (phx_…); it is a secret for the admin client on servers and must never be used for ingestion"
            }
            KeyType::FlagsSecure => {
                "a feature-flags secure key (phs_…); it belongs in the local-evaluation option (personal_api_key) of a server client"
            }
            KeyType::OAuth => "an OAuth access token (pha_…); this SDK does not use those",
            KeyType::Unknown => "a key without a known prefix",
        }
    }
}

/// A string that never shows itself in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
struct Secret(String);

impl Secret {
    /// Wraps a key and registers it for scrubbing ([`crate::redact::register`]).
    fn new(key: String) -> Secret {
        crate::redact::register(&key);
        Secret(key)
    }

    fn redacted(&self) -> String {
        let prefix = self.0.get(..4).filter(|p| p.ends_with('_')).unwrap_or("");
        format!("{prefix}[redacted]")
    }
}

fn check_shape(key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::InvalidKey("the key is empty".into()));
    }
    if key.trim() != key {
        return Err(Error::InvalidKey(
            "the key has leading or trailing white space".into(),
        ));
    }
    if key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::InvalidKey(
            "the key must be at most 128 printable ASCII characters".into(),
        ));
    }
    Ok(())
}

/// A project API key (`phc_…`), public by design but still never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ProjectKey(Secret);

impl ProjectKey {
    /// Validates a project key. A personal (`phx_`), flags secure (`phs_`) or OAuth (`pha_`) key
    /// is refused with an error that says what it is and where it belongs. Old keys without the
    /// `phc_` prefix are accepted.
    pub fn parse(key: impl Into<String>) -> Result<ProjectKey, Error> {
        let key = key.into();
        check_shape(&key)?;
        match KeyType::of(&key) {
            KeyType::Project | KeyType::Unknown => Ok(ProjectKey(Secret::new(key))),
            other => Err(Error::InvalidKey(format!(
                "the ingestion client needs a project API key (phc_…), but this looks like {}",
                other.describe()
            ))),
        }
    }

    /// The key itself, for the wire. Never log it.
    pub fn expose(&self) -> &str {
        &self.0.0
    }
}

/// A personal API key (`phx_…`): a secret, sent only as `Authorization: Bearer`.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonalKey(Secret);

impl PersonalKey {
    /// Validates a personal key; a project key (`phc_`) is refused.
    pub fn parse(key: impl Into<String>) -> Result<PersonalKey, Error> {
        let key = key.into();
        check_shape(&key)?;
        match KeyType::of(&key) {
            KeyType::Personal | KeyType::Unknown => Ok(PersonalKey(Secret::new(key))),
            other => Err(Error::InvalidKey(format!(
                "the admin client needs a personal API key (phx_…), but this looks like {}",
                other.describe()
            ))),
        }
    }

    /// The key itself, for the `Authorization` header. Never log it.
    pub fn expose(&self) -> &str {
        &self.0.0
    }
}

/// A secret that may read flag definitions: a personal key (`phx_`) or a flags secure key (`phs_`).
#[derive(Clone, PartialEq, Eq)]
pub struct FlagsSecureKey(Secret);

impl FlagsSecureKey {
    /// Validates a definitions key; a project key (`phc_`) is refused.
    pub fn parse(key: impl Into<String>) -> Result<FlagsSecureKey, Error> {
        let key = key.into();
        check_shape(&key)?;
        match KeyType::of(&key) {
            KeyType::Personal | KeyType::FlagsSecure | KeyType::Unknown => {
                Ok(FlagsSecureKey(Secret::new(key)))
            }
            other => Err(Error::InvalidKey(format!(
                "flag definitions need a personal (phx_…) or flags secure (phs_…) key, but this looks like {}",
                other.describe()
            ))),
        }
    }

    /// The key itself, for the `Authorization` header. Never log it.
    pub fn expose(&self) -> &str {
        &self.0.0
    }
}

macro_rules! redacting_fmt {
    ($($t:ident),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($t), self.0.redacted())
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0.redacted())
            }
        }
    )*};
}
redacting_fmt!(ProjectKey, PersonalKey, FlagsSecureKey);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_key_refuses_secret_keys() {
        for (k, word) in [
            ("phx_secret123", "personal"),
            ("phs_secret123", "secure"),
            ("pha_token", "OAuth"),
        ] {
            let err = ProjectKey::parse(k).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(word), "{msg}");
            assert!(!msg.contains(k), "message leaks the key: {msg}");
        }
        assert!(ProjectKey::parse("phc_abc").is_ok());
        assert!(ProjectKey::parse("legacykey").is_ok());
        assert!(ProjectKey::parse("").is_err());
        assert!(ProjectKey::parse(" phc_abc").is_err());
    }

    #[test]
    fn personal_key_refuses_project_key() {
        let msg = PersonalKey::parse("phc_public").unwrap_err().to_string();
        assert!(msg.contains("project API key"), "{msg}");
        assert!(PersonalKey::parse("phx_abc").is_ok());
        assert!(FlagsSecureKey::parse("phs_abc").is_ok());
        assert!(FlagsSecureKey::parse("phc_abc").is_err());
    }

    #[test]
    fn keys_are_redacted() {
        let k = ProjectKey::parse("phc_supersecretvalue").unwrap();
        assert_eq!(format!("{k:?}"), "ProjectKey(phc_[redacted])");
        assert_eq!(format!("{k}"), "phc_[redacted]");
        let p = PersonalKey::parse("phx_supersecretvalue").unwrap();
        assert!(!format!("{p:?}{p}").contains("supersecret"));
        assert_eq!(k.expose(), "phc_supersecretvalue");
    }
}
