//! Remote config: `GET /api/projects/@current/feature_flags/{key}/remote_config?token=…` with
//! the secret key (a feature-flags secure key `phs_…` or a personal API key `phx_…` with
//! `feature_flag:read`) as a bearer. PostHog answers the flag's payload — decrypted when the
//! flag's payloads are encrypted — as JSON text (so the body is a JSON string), or `null`.

use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::retry;
use crate::transport::HttpRequest;
use serde_json::Value;
use std::time::Duration;

impl Client {
    /// The remote-config payload of flag `key` (its key or numeric id), or `None` when the
    /// flag has none (posthog-node's profile: `Some(Null)`), the client is disabled, or the
    /// request failed (reported through
    /// `on_error` where the profile hands flag errors to it, else logged), as the official
    /// SDKs answer. The payload's JSON text is decoded when the profile says so
    /// ([`crate::profile::Rules::remote_config_decodes_text`]; a text that is not JSON stays
    /// a string). Errors: an empty key, and no secret key configured ([`Error::Config`]).
    pub fn get_remote_config_payload(&self, key: &str) -> Result<Option<Value>, Error> {
        if key.is_empty() {
            return Err(Error::InvalidInput("the flag key is empty".into()));
        }
        let cfg = self.config();
        if cfg.disabled {
            return Ok(None);
        }
        if cfg.flags_key.is_none() {
            return Err(Error::Config(
                "get_remote_config_payload needs the secret key (personal_api_key: a phs_ or \
                 phx_ key)"
                    .into(),
            ));
        }
        match self.fetch_remote_config_payload(key) {
            Ok(v) => Ok(v),
            Err(e) if e.kind() == ErrorKind::InvalidInput => Err(e),
            Err(e) => {
                if cfg.profile.rules().flag_errors_to_on_error {
                    self.shared().report(&e);
                } else {
                    tracing::warn!(kind = %e.kind(), %e, "posthog: remote config request failed");
                }
                Ok(None)
            }
        }
    }

    /// [`Client::get_remote_config_payload`] returning every failure as an error (404 for a
    /// flag that is missing or not a remote-config flag, 401/403 for the key).
    pub fn fetch_remote_config_payload(&self, key: &str) -> Result<Option<Value>, Error> {
        let cfg = self.config();
        let Some(secret) = &cfg.flags_key else {
            return Err(Error::Config(
                "remote config needs the secret key (personal_api_key)".into(),
            ));
        };
        let rules = cfg.profile.rules();
        let timeout = if rules.remote_config_request_timeout {
            cfg.request_timeout
        } else {
            cfg.flags_request_timeout
        };
        let url = remote_config_url(&cfg.host, key, self.shared().key().expose())?;
        let req = HttpRequest {
            method: "GET".into(),
            url,
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                (
                    "Authorization".into(),
                    format!("Bearer {}", secret.expose()),
                ),
                (
                    "User-Agent".into(),
                    format!("{}/{}", cfg.sdk_name, cfg.sdk_version),
                ),
            ],
            body: Vec::new(),
            timeout,
            max_response_bytes: crate::transport::limits::FLAGS,
        };
        let shared = self.shared().clone();
        let decode = rules.remote_config_decodes_text;
        self.on_worker(
            async move {
                let outcome = shared.config.transport.send(req).await;
                match outcome {
                    Err(f) => Err(retry::failure_error(&f, "the remote config request")),
                    Ok(r) if (200..300).contains(&r.status) => decode_answer(&r.body, decode),
                    Ok(r) => Err(retry::response_error(&r, shared.config.clock.now())),
                }
            },
            timeout + Duration::from_secs(1),
        )
    }
}

/// `{host}/api/projects/@current/feature_flags/{key}/remote_config?token={token}`, the key
/// percent-encoded as one path segment.
fn remote_config_url(host: &str, key: &str, token: &str) -> Result<String, Error> {
    let mut url = reqwest::Url::parse(host)
        .map_err(|e| Error::Config(format!("bad remote config URL: {e}")))?;
    url.path_segments_mut()
        .map_err(|()| Error::Config("bad remote config URL".into()))?
        .pop_if_empty()
        .extend([
            "api",
            "projects",
            "@current",
            "feature_flags",
            key,
            "remote_config",
        ]);
    url.query_pairs_mut().append_pair("token", token);
    Ok(url.to_string())
}

/// The answer's JSON; with `decode_text` (posthog-node), a string is decoded once more
/// (PostHog stores the payload as JSON text), staying a string when it is not JSON, and a
/// `null` answer is `null`; otherwise (posthog-python) `null` is no payload.
fn decode_answer(body: &[u8], decode_text: bool) -> Result<Option<Value>, Error> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| Error::Unexpected("the remote config answer is not JSON".into()))?;
    Ok(match v {
        Value::Null if !decode_text => None,
        Value::String(s) if decode_text => {
            Some(serde_json::from_str(&s).unwrap_or(Value::String(s)))
        }
        other => Some(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn url_encodes_the_key() {
        let u = remote_config_url("https://us.i.posthog.com", "a/b c?", "phc_x").unwrap();
        assert_eq!(
            u,
            "https://us.i.posthog.com/api/projects/@current/feature_flags/a%2Fb%20c%3F/remote_config?token=phc_x"
        );
    }

    #[test]
    fn decodes_as_the_profile_says() {
        let body = br#""{\"a\": 1}""#;
        assert_eq!(decode_answer(body, true).unwrap(), Some(json!({"a": 1})));
        assert_eq!(
            decode_answer(body, false).unwrap(),
            Some(json!("{\"a\": 1}"))
        );
        assert_eq!(
            decode_answer(br#""plain""#, true).unwrap(),
            Some(json!("plain"))
        );
        assert_eq!(decode_answer(b"null", true).unwrap(), Some(Value::Null));
        assert_eq!(decode_answer(b"null", false).unwrap(), None);
        assert_eq!(
            decode_answer(b"{\"x\":2}", true).unwrap(),
            Some(json!({"x": 2}))
        );
        assert!(decode_answer(b"<html>", true).is_err());
    }
}
