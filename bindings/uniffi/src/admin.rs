//! `PostHogAdminClient`: the core's admin client (PostHog's private API, personal `phx_` key)
//! behind a uniffi object. Free-form objects (users, persons, cohorts, filters…) cross as JSON
//! text; lists are lazy pagers (`FlagPager`, `JsonPager`) whose `nextPage()` fetches one page.
//!
//! Every call blocks the calling thread while the core's own worker thread does the HTTP work:
//! call it from `Dispatchers.IO` or a Swift `Task`, never the main thread.

use crate::error::PostHogError;
use posthog_core::admin as core;
use posthog_core::admin::Pager;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Admin client options. The personal key is not here on purpose (records print every
/// field): pass it to the `PostHogAdminClient` constructor. Unset fields keep the core's
/// defaults.
#[derive(Debug, Clone, uniffi::Record)]
pub struct AdminOptions {
    /// The app host (default `https://us.posthog.com`; `https://eu.posthog.com` or self-hosted).
    /// `http://` only for loopback.
    #[uniffi(default = None)]
    pub host: Option<String>,
    /// The timeout of one HTTP attempt in milliseconds (default 30 000).
    #[uniffi(default = None)]
    pub timeout_ms: Option<u64>,
    /// Retries of an idempotent request after a 5xx or a transport error (default 3).
    #[uniffi(default = None)]
    pub max_retries: Option<u32>,
    /// Requests in flight at once (default 4).
    #[uniffi(default = None)]
    pub max_concurrency: Option<u32>,
    /// Also retry writes (POST, PATCH, DELETE) after a 5xx or transport error (default false:
    /// a write whose answer was lost may have been applied).
    #[uniffi(default = None)]
    pub retry_writes: Option<bool>,
}

impl AdminOptions {
    pub(crate) fn into_core(self, key: String) -> core::AdminOptions {
        self.apply(core::AdminOptions::new(key))
    }

    /// These options over `o` (a key or a key provider already in it).
    pub(crate) fn apply(self, mut o: core::AdminOptions) -> core::AdminOptions {
        if let Some(h) = self.host {
            o = o.host(h);
        }
        if let Some(t) = self.timeout_ms {
            o = o.timeout(Duration::from_millis(t));
        }
        if let Some(n) = self.max_retries {
            o = o.max_retries(n);
        }
        if let Some(n) = self.max_concurrency {
            o = o.max_concurrency(n as usize);
        }
        if let Some(on) = self.retry_writes {
            o = o.retry_writes(on);
        }
        o
    }
}

/// A feature flag as the private API answers it. `filtersJson` holds the release conditions,
/// variants and payloads; `json` the whole flag as answered (every field).
#[derive(Debug, Clone, uniffi::Record)]
pub struct FeatureFlagRecord {
    /// The numeric id used by `getFeatureFlag`, `updateFeatureFlag`, …
    pub id: u64,
    /// The flag key used in code.
    pub key: String,
    /// The description (PostHog calls it `name`).
    pub name: Option<String>,
    /// Whether the flag is on.
    pub active: bool,
    /// Whether the flag was (soft) deleted.
    pub deleted: bool,
    /// The release conditions as JSON text.
    pub filters_json: String,
    /// The legacy top-level rollout percentage.
    pub rollout_percentage: Option<f64>,
    /// Whether the flag keeps its value across identify.
    pub ensure_experience_continuity: Option<bool>,
    /// When the flag was created.
    pub created_at: Option<String>,
    /// The whole flag as JSON text.
    pub json: String,
}

impl From<core::FeatureFlag> for FeatureFlagRecord {
    fn from(f: core::FeatureFlag) -> Self {
        let json = to_json(&f);
        FeatureFlagRecord {
            id: f.id,
            key: f.key,
            name: f.name,
            active: f.active,
            deleted: f.deleted,
            filters_json: f.filters.to_string(),
            rollout_percentage: f.rollout_percentage,
            ensure_experience_continuity: f.ensure_experience_continuity,
            created_at: f.created_at,
            json,
        }
    }
}

/// The rows of a HogQL query. Each row is a JSON array (as text) of the row's values, in
/// `columns` order.
#[derive(Debug, Clone, uniffi::Record)]
pub struct QueryResultRecord {
    /// The column names.
    pub columns: Vec<String>,
    /// Each column's type (`"String"`, `"UInt64"`, `"DateTime64(6, 'UTC')"`…): a string
    /// type as answered, a `[name, type]` pair's type, anything else as JSON text.
    pub types: Vec<String>,
    /// The rows, one JSON array text each.
    pub rows_json: Vec<String>,
    /// Whether more rows exist beyond PostHog's default limit; null when the query has a
    /// `LIMIT` of its own (PostHog sends `null` then: count the rows).
    pub has_more: Option<bool>,
    /// Whether PostHog answered from its cache (`is_cached`; null when it did not say): pass
    /// `fresh = true` to have it computed again.
    pub is_cached: Option<bool>,
    /// Every other field PostHog sent (`limit`, `timezone`, `hogql`…), as a JSON object.
    pub extra_json: String,
}

impl From<core::QueryResult> for QueryResultRecord {
    fn from(r: core::QueryResult) -> Self {
        QueryResultRecord {
            columns: r.columns,
            types: r.types.iter().map(type_name).collect(),
            rows_json: r
                .results
                .into_iter()
                .map(|row| Value::Array(row).to_string())
                .collect(),
            has_more: r.has_more,
            is_cached: r.extra.get("is_cached").and_then(Value::as_bool),
            extra_json: Value::Object(r.extra).to_string(),
        }
    }
}

fn type_name(t: &Value) -> String {
    match t {
        Value::String(s) => s.clone(),
        Value::Array(pair) => match pair.last() {
            Some(Value::String(s)) => s.clone(),
            _ => t.to_string(),
        },
        other => other.to_string(),
    }
}

/// The state of an async query (`queryAsync`, `queryStatus`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct QueryStatusRecord {
    /// The id to poll and cancel with.
    pub id: String,
    /// Whether the query finished (successfully or not).
    pub complete: bool,
    /// Whether it failed.
    pub error: bool,
    /// Why it failed.
    pub error_message: Option<String>,
}

impl From<core::QueryStatus> for QueryStatusRecord {
    fn from(s: core::QueryStatus) -> Self {
        QueryStatusRecord {
            id: s.id,
            complete: s.complete,
            error: s.error,
            error_message: s.error_message,
        }
    }
}

pub(crate) fn to_json<T: serde::Serialize + ?Sized>(v: &T) -> String {
    // Serialising the core's JSON-shaped types cannot fail.
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

/// A core pager read one page per call (`Pager::next_page`).
struct PageReader<T> {
    pager: Pager<T>,
}

impl<T: serde::de::DeserializeOwned> PageReader<T> {
    fn new(pager: Pager<T>) -> Self {
        PageReader { pager }
    }

    fn next_page(&mut self) -> Result<Option<Vec<T>>, PostHogError> {
        self.pager.next_page().transpose().map_err(Into::into)
    }
}

/// Feature flags, one page per `nextPage()` call (each fetches at most one page, blocking).
/// `null` once every page was read. Kotlin: `pager.asSequence()` (see `AdminSequences.kt`).
#[derive(uniffi::Object)]
pub struct FlagPager {
    reader: Mutex<PageReader<core::FeatureFlag>>,
}

impl FlagPager {
    pub(crate) fn of(pager: Pager<core::FeatureFlag>) -> Arc<FlagPager> {
        Arc::new(FlagPager {
            reader: Mutex::new(PageReader::new(pager)),
        })
    }
}

#[uniffi::export]
impl FlagPager {
    /// The next page of flags, or null at the end. An error is thrown once; the pager ends
    /// after a failed fetch.
    pub fn next_page(&self) -> Result<Option<Vec<FeatureFlagRecord>>, PostHogError> {
        let mut r = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        Ok(r.next_page()?
            .map(|page| page.into_iter().map(FeatureFlagRecord::from).collect()))
    }

    /// The total the server announced, once a page was fetched.
    pub fn total(&self) -> Option<u64> {
        self.reader
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pager
            .total()
    }

    /// Pages fetched so far.
    pub fn pages_fetched(&self) -> u64 {
        self.reader
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pager
            .pages_fetched() as u64
    }
}

/// A page reader of any serialisable item, seen as JSON text.
trait JsonPages: Send {
    fn next_json_page(&mut self) -> Result<Option<Vec<String>>, PostHogError>;
    fn total(&self) -> Option<u64>;
    fn pages_fetched(&self) -> u64;
}

impl<T: serde::Serialize + serde::de::DeserializeOwned + Send> JsonPages for PageReader<T> {
    fn next_json_page(&mut self) -> Result<Option<Vec<String>>, PostHogError> {
        Ok(self
            .next_page()?
            .map(|page| page.iter().map(|v| to_json(v)).collect()))
    }
    fn total(&self) -> Option<u64> {
        self.pager.total()
    }
    fn pages_fetched(&self) -> u64 {
        self.pager.pages_fetched() as u64
    }
}

/// Any list of the private API (projects, persons, cohorts, insights, annotations,
/// definitions, batch exports, flag activity), one page per `nextPage()` call (each fetches
/// at most one page, blocking), each item the object as JSON text. `null` once every page was
/// read. Kotlin: `pager.asSequence()` (see `AdminSequences.kt`).
#[derive(uniffi::Object)]
pub struct JsonPager {
    reader: Mutex<Box<dyn JsonPages>>,
}

impl JsonPager {
    pub(crate) fn of<T>(pager: Pager<T>) -> Arc<JsonPager>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
    {
        Arc::new(JsonPager {
            reader: Mutex::new(Box::new(PageReader::new(pager))),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Box<dyn JsonPages>> {
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[uniffi::export]
impl JsonPager {
    /// The next page (JSON text per item), or null at the end. An error is thrown once; the
    /// pager ends after a failed fetch.
    pub fn next_page(&self) -> Result<Option<Vec<String>>, PostHogError> {
        self.lock().next_json_page()
    }

    /// The total the server announced, once a page was fetched.
    pub fn total(&self) -> Option<u64> {
        self.lock().total()
    }

    /// Pages fetched so far.
    pub fn pages_fetched(&self) -> u64 {
        self.lock().pages_fetched()
    }
}
