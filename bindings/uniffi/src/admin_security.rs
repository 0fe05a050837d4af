//! The key practices on `PostHogAdminClient`: the scopes each operation needs, a preflight of
//! the key's scopes, a key provider asked again after a 401, personal key management, the
//! activity log, and batch export runs by window. Rules and shapes are the core's.

use crate::admin::{AdminOptions, JsonPager, to_json};
use crate::admin_client::PostHogAdminClient;
use crate::error::PostHogError;
use posthog_core::Error;
use posthog_core::admin as core;
use std::collections::HashMap;
use std::sync::Arc;

/// Why a key provider could not give a key (the text goes into errors: never put the key in it).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum KeyProviderError {
    /// The secret manager could not answer.
    #[error("{detail}")]
    Failed {
        /// What went wrong.
        detail: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for KeyProviderError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        // Not the exception's text: it might quote the secret.
        KeyProviderError::Failed {
            detail: "an unexpected exception".into(),
        }
    }
}

/// Where the personal key comes from when it may change while the app runs (a secret manager,
/// a file a rotation job rewrites). Asked once when the client is made and again whenever
/// PostHog answers 401, off the calling thread; the refused request is sent once more with the
/// new key, so a key rotated elsewhere is picked up without a restart.
#[uniffi::export(with_foreign)]
pub trait KeyProvider: Send + Sync {
    /// The personal API key (`phx_…`) to use now.
    fn personal_api_key(&self) -> Result<String, KeyProviderError>;
}

struct ForeignKeyProvider(Arc<dyn KeyProvider>);

impl core::KeyProvider for ForeignKeyProvider {
    fn personal_key(&self) -> Result<String, Error> {
        self.0
            .personal_api_key()
            .map_err(|e| Error::key_provider_raised(&format!("KeyProviderError ({e})")))
    }
}

/// What a preflight found.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PreflightRecord {
    /// The key's scopes as PostHog answered them; null when the server cannot say (an older
    /// PostHog), so nothing was checked.
    pub granted: Option<Vec<String>>,
    /// The scopes the operations need.
    pub required: Vec<String>,
}

/// A client-side request budget: requests per minute and per hour.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct RateBudget {
    /// Requests per minute.
    pub per_minute: u32,
    /// Requests per hour.
    pub per_hour: u32,
}

/// The smallest set of scopes for these operations (names like `"feature_flags.list"`,
/// `"export"`; see `adminOperations()`). An unknown name throws `InvalidInput`.
#[uniffi::export]
pub fn admin_required_scopes(operations: Vec<String>) -> Result<Vec<String>, PostHogError> {
    Ok(core::required_scopes(&operations)?)
}

/// Every admin operation and the scopes it needs.
#[uniffi::export]
pub fn admin_operations() -> HashMap<String, Vec<String>> {
    core::OPERATIONS
        .iter()
        .map(|(name, scopes)| {
            let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
            ((*name).to_owned(), scopes)
        })
        .collect()
}

#[uniffi::export]
impl PostHogAdminClient {
    /// A client whose key comes from `provider` (asked now, and again after every 401).
    #[uniffi::constructor]
    pub fn with_key_provider(
        provider: Arc<dyn KeyProvider>,
        options: AdminOptions,
    ) -> Result<Arc<Self>, PostHogError> {
        let opts = options.apply(core::AdminOptions::from_provider(Arc::new(
            ForeignKeyProvider(provider),
        )));
        Ok(Arc::new(PostHogAdminClient {
            inner: core::AdminClient::new(opts)?,
        }))
    }

    /// Checks once that the key has every scope `operations` need; a missing one throws
    /// `Forbidden` with `attributes().scope` naming it.
    pub fn preflight(&self, operations: Vec<String>) -> Result<PreflightRecord, PostHogError> {
        let p = self.inner.preflight(&operations)?;
        Ok(PreflightRecord {
            granted: p.granted,
            required: p.required,
        })
    }

    /// The client-side budget of `"general"`, `"analytics"` or `"query"` requests: PostHog's
    /// published limits, lowered when a 429 shows this team's are lower (null when off).
    pub fn rate_budget(&self, rate_class: String) -> Result<Option<RateBudget>, PostHogError> {
        let class: core::RateClass = rate_class.parse()?;
        Ok(self
            .inner
            .rate_budget(class)
            .map(|(per_minute, per_hour)| RateBudget {
                per_minute,
                per_hour,
            }))
    }

    /// The key this client uses (`/api/personal_api_keys/@current/`) as JSON: label, scopes,
    /// `last_rolled_at`.
    pub fn current_key(&self) -> Result<String, PostHogError> {
        Ok(to_json(
            &self
                .inner
                .personal_api_keys()
                .current()?
                .to_json_with_secret(),
        ))
    }

    /// Every personal key of the user (JSON array). Current PostHog refuses this to a
    /// personal key (`Forbidden`); older versions allow it with `personal_api_key:read`.
    pub fn list_keys(&self) -> Result<String, PostHogError> {
        let keys = self.inner.personal_api_keys().list()?;
        let all: Vec<_> = keys
            .iter()
            .map(core::PersonalApiKey::to_json_with_secret)
            .collect();
        Ok(to_json(&all))
    }

    /// Creates a key with these scopes (JSON); its secret is in `value`, this once.
    pub fn create_key(&self, label: String, scopes: Vec<String>) -> Result<String, PostHogError> {
        let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let k = self.inner.personal_api_keys().create(&label, &refs)?;
        Ok(to_json(&k.to_json_with_secret()))
    }

    /// Rolls a key (JSON): the new secret is in `value`, the old one stops working now.
    pub fn roll_key(&self, id: String) -> Result<String, PostHogError> {
        let k = self.inner.personal_api_keys().roll(&id)?;
        Ok(to_json(&k.to_json_with_secret()))
    }

    /// Deletes (revokes) a key.
    pub fn delete_key(&self, id: String) -> Result<(), PostHogError> {
        Ok(self.inner.personal_api_keys().delete(&id)?)
    }

    /// The project's activity (audit) log, newest first (scope `activity_log:read`); filter by
    /// `user` (uuid), `scope` (`"FeatureFlag"`, `"Insight"`…), `itemId`.
    #[uniffi::method(default(user = None, scope = None, item_id = None, project = "@current"))]
    pub fn activity_log(
        &self,
        user: Option<String>,
        scope: Option<String>,
        item_id: Option<String>,
        project: String,
    ) -> Result<Arc<JsonPager>, PostHogError> {
        let filter = core::ActivityFilter {
            user,
            scope,
            item_id,
        };
        Ok(JsonPager::of(
            self.inner
                .activity_log(core::ProjectId::parse(&project)?, &filter),
        ))
    }

    /// Creates a batch export from PostHog's JSON spec (`name`, `interval`, `destination`…),
    /// answering it as JSON.
    #[uniffi::method(default(project = "@current"))]
    pub fn create_batch_export_json(
        &self,
        spec_json: String,
        project: String,
    ) -> Result<String, PostHogError> {
        let spec = crate::admin_client::object(&spec_json, "spec_json")?;
        let v = self
            .inner
            .batch_exports()
            .create(core::ProjectId::parse(&project)?, spec)?;
        Ok(to_json(&v))
    }

    /// Runs a batch export again over `[start, end)` (RFC 3339), as JSON.
    #[uniffi::method(default(project = "@current"))]
    pub fn backfill_batch_export(
        &self,
        id: String,
        start: String,
        end: String,
        project: String,
    ) -> Result<String, PostHogError> {
        let start = posthog_core::parse_timestamp(&start)?.into();
        let end = posthog_core::parse_timestamp(&end)?.into();
        let v = self.inner.batch_exports().backfill(
            core::ProjectId::parse(&project)?,
            &id,
            start,
            end,
        )?;
        Ok(to_json(&v))
    }

    /// The runs of a batch export created in `[after, before)` (RFC 3339), newest first.
    /// Without `after` PostHog lists only the last 7 days.
    #[uniffi::method(default(after = None, before = None, project = "@current"))]
    pub fn list_batch_export_runs(
        &self,
        id: String,
        after: Option<String>,
        before: Option<String>,
        project: String,
    ) -> Result<Arc<JsonPager>, PostHogError> {
        let time = |t: Option<String>| -> Result<_, PostHogError> {
            Ok(match t {
                Some(t) => Some(posthog_core::parse_timestamp(&t)?.into()),
                None => None,
            })
        };
        let pager = self.inner.batch_exports().runs(
            core::ProjectId::parse(&project)?,
            &id,
            time(after)?,
            time(before)?,
        )?;
        Ok(JsonPager::of(pager))
    }
}
