//! The flag API of [`Client`]: local first, `/flags` when local evaluation cannot decide, and
//! one `$feature_flag_called` per (distinct id, flag, response, groups).

use super::options::{CaptureFlags, FlagOptions};
use super::snapshot::{FlagResult, FlagsSnapshot};
use super::{called, poller, remote};
use crate::client::Client;
use crate::error::{Error, ErrorKind};
use crate::event::Event;
use posthog_flags::{Definitions, FlagValue};
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn check(distinct_id: &str, key: Option<&str>) -> Result<(), Error> {
    if distinct_id.is_empty() {
        return Err(Error::InvalidInput("distinct_id is empty".into()));
    }
    if key.is_some_and(str::is_empty) {
        return Err(Error::InvalidInput("the flag key is empty".into()));
    }
    Ok(())
}

impl Client {
    /// Runs `fut` on the client's worker and waits for it, bounded by `timeout`.
    pub(super) fn on_worker<T: Send + 'static>(
        &self,
        fut: impl Future<Output = Result<T, Error>> + Send + 'static,
        timeout: Duration,
    ) -> Result<T, Error> {
        if self.is_shut_down() {
            return Err(Error::Closed);
        }
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime().spawn(async move {
            let _ = tx.send(fut.await);
        });
        match rx.recv_timeout(timeout) {
            Ok(r) => r,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                Err(Error::Timeout(format!("no answer within {timeout:?}")))
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(Error::Closed),
        }
    }

    fn remote_bound(&self) -> Duration {
        self.config().flags_request_timeout * 2 + Duration::from_secs(1)
    }

    fn remote_flags(
        &self,
        distinct_id: &str,
        opts: &FlagOptions,
        keys: Option<Vec<String>>,
    ) -> Result<remote::RemoteFlags, Error> {
        let shared = self.shared().clone();
        let (did, o) = (distinct_id.to_string(), opts.clone());
        let r = self.on_worker(
            async move { remote::fetch(&shared, &did, &o, keys.as_deref()).await },
            self.remote_bound(),
        )?;
        if r.quota_limited && !self.config().profile.rules().quota_limited_is_answer {
            return Err(Error::QuotaLimited(
                "feature flags are quota limited: no flag value is available".into(),
            ));
        }
        Ok(r)
    }

    /// The current local definitions (waiting, bounded, for the first load), if configured.
    pub fn flag_definitions(&self) -> Option<Arc<Definitions>> {
        let cfg = self.config();
        if !cfg.local_evaluation() {
            return None;
        }
        let flags = &self.shared().flags;
        if flags.loads.load(Ordering::Relaxed) == 0 {
            flags.wait_first_attempt(cfg.request_timeout.min(Duration::from_secs(10)));
        }
        flags.definitions.load_full()
    }

    /// The loaded local definitions, without waiting for a first load (`None` before it, or
    /// without local evaluation).
    fn definitions_now(&self) -> Option<Arc<Definitions>> {
        if self.config().local_evaluation() {
            self.shared().flags.definitions.load_full()
        } else {
            None
        }
    }

    /// How many flags the loaded local definitions hold (`None` before the first load),
    /// without waiting: posthog-node's `localEvaluationFlagsLoaded` count.
    pub fn definitions_count(&self) -> Option<usize> {
        self.shared()
            .flags
            .definitions
            .load()
            .as_ref()
            .map(|d| d.len())
    }

    /// Fetches the flag definitions now and waits for them.
    pub fn reload_feature_flags(&self) -> Result<(), Error> {
        if !self.config().local_evaluation() {
            return Err(Error::Config(
                "reload_feature_flags needs personal_api_key (a phs_ or phx_ key)".into(),
            ));
        }
        let shared = self.shared().clone();
        let bound = self.config().request_timeout * 2 + Duration::from_secs(1);
        self.on_worker(
            async move { poller::load_once(&shared).await.map(|_| ()) },
            bound,
        )
    }

    /// One flag with its metadata: local when possible, else `/flags` (unless local-only).
    /// Errors for bad input and for network/server failures; no event is captured. A
    /// disabled client answers `None` without a request.
    pub fn evaluate_flag(
        &self,
        key: &str,
        distinct_id: &str,
        opts: &FlagOptions,
    ) -> Result<Option<FlagResult>, Error> {
        self.lookup(key, distinct_id, opts).map(|l| l.result)
    }

    /// [`Client::evaluate_flag`] with what `$feature_flag_called` reports about it.
    fn lookup(&self, key: &str, distinct_id: &str, opts: &FlagOptions) -> Result<Lookup, Error> {
        check(distinct_id, Some(key))?;
        if self.config().disabled {
            return Ok(Lookup::default());
        }
        if !opts.force_remote
            && let Some(defs) = self.flag_definitions()
        {
            match defs.evaluate_ref(key, opts.view(distinct_id)) {
                Ok(ev) => return Ok(Lookup::of(Some(FlagResult::local(ev)))),
                Err(inc) if opts.only_evaluate_locally => {
                    tracing::debug!(
                        flag = key,
                        reason = inc.reason.as_str(),
                        "flag undecided locally"
                    );
                    return Ok(Lookup::default());
                }
                Err(_) => {}
            }
        } else if opts.only_evaluate_locally {
            return Ok(Lookup::default());
        }
        let r = self.remote_flags(distinct_id, opts, Some(vec![key.to_string()]))?;
        let result = r
            .flags
            .get(key)
            .map(|f| FlagResult::remote(f, r.request_id.as_ref()));
        let mut errors = Vec::new();
        if r.errors_while_computing {
            errors.push("errors_while_computing_flags");
        }
        if r.quota_limited {
            errors.push("quota_limited");
        }
        if result.is_none() {
            errors.push("flag_missing");
        }
        Ok(Lookup {
            result,
            error: (!errors.is_empty()).then(|| errors.join(",")),
            evaluated_at: r.evaluated_at,
            request_id: r.request_id.clone(),
        })
    }

    /// Answers a lookup without any I/O or wait when it can: `Ok(Some(answer))` when the loaded
    /// definitions decide it (or it is local-only and no definitions are configured), capturing
    /// `$feature_flag_called` as the getters do; `Ok(None)` when the server (or the first
    /// definitions load) is needed — then call [`Client::get_feature_flag_result`] off the UI or
    /// JS thread. Lets a binding answer local lookups synchronously.
    #[allow(clippy::option_option)]
    pub fn try_get_feature_flag_result(
        &self,
        key: &str,
        distinct_id: &str,
        opts: &FlagOptions,
    ) -> Result<Option<Option<FlagResult>>, Error> {
        check(distinct_id, Some(key))?;
        if self.config().disabled {
            return Ok(Some(None));
        }
        if opts.force_remote {
            return Ok(None);
        }
        let local = self.config().local_evaluation();
        let defs = self.definitions_now();
        let answer = match defs {
            Some(defs) => match defs.evaluate_ref(key, opts.view(distinct_id)) {
                Ok(ev) => Some(FlagResult::local(ev)),
                Err(_) if opts.only_evaluate_locally => None,
                Err(_) => return Ok(None),
            },
            None if opts.only_evaluate_locally && !local => None,
            None => return Ok(None),
        };
        let lookup = Lookup::of(answer);
        self.flag_called(key, distinct_id, opts, &lookup);
        Ok(Some(lookup.result))
    }

    /// Like [`Client::evaluate_flag`], but a network or server failure gives `Ok(None)` and is
    /// reported through `on_error`; captures `$feature_flag_called` (de-duplicated; in the
    /// posthog-python and posthog-node profiles also when `/flags` failed, with
    /// `$feature_flag_error`).
    pub fn get_feature_flag_result(
        &self,
        key: &str,
        distinct_id: &str,
        opts: &FlagOptions,
    ) -> Result<Option<FlagResult>, Error> {
        match self.lookup(key, distinct_id, opts) {
            Ok(l) => {
                if !self.config().disabled {
                    self.flag_called(key, distinct_id, opts, &l);
                }
                Ok(l.result)
            }
            Err(e) if e.kind() == ErrorKind::InvalidInput => Err(e),
            Err(e) => {
                let profile = self.config().profile;
                if profile.rules().flag_errors_to_on_error {
                    self.shared().report(&e);
                } else {
                    tracing::warn!(kind = %e.kind(), %e, "posthog: /flags failed");
                }
                if profile.rules().flag_called.error {
                    let failed = Lookup {
                        error: Some(called::error_code(profile, &e)),
                        ..Lookup::default()
                    };
                    self.flag_called(key, distinct_id, opts, &failed);
                }
                Ok(None)
            }
        }
    }

    /// The flag's value (`true`, `false` or a variant), or `None` when unknown or unavailable.
    pub fn get_feature_flag(
        &self,
        key: &str,
        distinct_id: &str,
        opts: &FlagOptions,
    ) -> Result<Option<FlagValue>, Error> {
        Ok(self
            .get_feature_flag_result(key, distinct_id, opts)?
            .map(|r| r.value))
    }

    /// Whether the flag is on, or `None` when unknown or unavailable.
    pub fn is_feature_enabled(
        &self,
        key: &str,
        distinct_id: &str,
        opts: &FlagOptions,
    ) -> Result<Option<bool>, Error> {
        Ok(self
            .get_feature_flag(key, distinct_id, opts)?
            .map(|v| v.is_enabled()))
    }

    /// The payload of the flag's current value, or `None`. Captures no event.
    pub fn get_feature_flag_payload(
        &self,
        key: &str,
        distinct_id: &str,
        opts: &FlagOptions,
    ) -> Result<Option<Value>, Error> {
        match self.evaluate_flag(key, distinct_id, opts) {
            Ok(r) => Ok(r.and_then(|r| r.payload)),
            Err(e) if e.kind() == ErrorKind::InvalidInput => Err(e),
            Err(e) => {
                self.shared().report(&e);
                Ok(None)
            }
        }
    }

    /// The payload lookup of the official SDKs (`getFeatureFlagPayload(key, id, matchValue)` /
    /// `get_feature_flag_payload(key, id, match_value=…)`): `None` when the flag is unknown
    /// (or, under [`crate::profile::PayloadMatch::Filter`], its value is not `match_value`),
    /// `Some(None)` when it has no payload. Captures no event; failures are handled as
    /// [`Client::get_feature_flag_result`] handles them.
    #[allow(clippy::option_option)]
    pub fn payload_lookup(
        &self,
        key: &str,
        distinct_id: &str,
        opts: &FlagOptions,
        match_value: Option<&FlagValue>,
    ) -> Result<Option<Option<Value>>, Error> {
        let quiet = FlagOptions {
            send_feature_flag_events: Some(false),
            ..opts.clone()
        };
        let Some(r) = self.get_feature_flag_result(key, distinct_id, &quiet)? else {
            return Ok(None);
        };
        Ok(
            match (self.config().profile.rules().payload_match, match_value) {
                (_, None) => Some(r.payload),
                (crate::profile::PayloadMatch::Filter, Some(want)) => {
                    (&r.value == want).then_some(r.payload)
                }
                (crate::profile::PayloadMatch::Override, Some(want)) if r.locally_evaluated => {
                    let defs = self.shared().flags.definitions.load_full();
                    Some(defs.and_then(|d| d.payload_for(key, want)))
                }
                (crate::profile::PayloadMatch::Override, Some(_)) => Some(r.payload),
            },
        )
    }

    /// Every flag (or `keys` only) for one distinct id in one snapshot: local first, and one
    /// `/flags` request for whatever local evaluation could not decide. Returns every error.
    pub fn evaluate_flags(
        &self,
        distinct_id: &str,
        opts: &FlagOptions,
        keys: Option<&[String]>,
    ) -> Result<FlagsSnapshot, Error> {
        check(distinct_id, None)?;
        let mut snap = FlagsSnapshot {
            distinct_id: distinct_id.to_string(),
            ..FlagsSnapshot::default()
        };
        if self.config().disabled {
            return Ok(snap);
        }
        let defs = if opts.force_remote {
            None
        } else {
            self.flag_definitions()
        };
        let ask: Option<Vec<String>> = match defs {
            Some(defs) => {
                local_results(&defs, &mut snap, opts, keys);
                if snap.unresolved.is_empty() || opts.only_evaluate_locally {
                    return Ok(snap);
                }
                Some(snap.unresolved.keys().cloned().collect())
            }
            None if opts.only_evaluate_locally => {
                for k in keys.unwrap_or_default() {
                    snap.unresolved
                        .insert(k.clone(), "definitions_not_loaded".into());
                }
                return Ok(snap);
            }
            None => keys.map(<[String]>::to_vec),
        };
        let r = self.remote_flags(distinct_id, opts, ask.clone())?;
        snap.request_id = r.request_id.clone();
        for (k, f) in &r.flags {
            if ask.as_ref().is_some_and(|a| !a.contains(k)) {
                continue;
            }
            snap.unresolved.remove(k);
            snap.flags
                .insert(k.clone(), FlagResult::remote(f, r.request_id.as_ref()));
        }
        if let Some(ask) = ask {
            for k in ask {
                if !snap.flags.contains_key(&k) {
                    snap.unresolved
                        .entry(k)
                        .or_insert_with(|| "not_in_answer".into());
                }
            }
        }
        Ok(snap)
    }

    fn all_flags_snapshot(
        &self,
        distinct_id: &str,
        opts: &FlagOptions,
        keys: Option<&[String]>,
    ) -> Result<FlagsSnapshot, Error> {
        match self.evaluate_flags(distinct_id, opts, keys) {
            Ok(s) => Ok(s),
            Err(e) if e.kind() == ErrorKind::InvalidInput => Err(e),
            Err(e) => {
                self.shared().report(&e);
                let local = FlagOptions {
                    only_evaluate_locally: true,
                    ..opts.clone()
                };
                self.evaluate_flags(distinct_id, &local, keys)
            }
        }
    }

    /// Every known flag value; on a network or server failure, the locally decided ones (the
    /// failure is reported through `on_error`).
    pub fn get_all_flags(
        &self,
        distinct_id: &str,
        opts: &FlagOptions,
    ) -> Result<BTreeMap<String, FlagValue>, Error> {
        let snap = self.all_flags_snapshot(distinct_id, opts, None)?;
        Ok(snap.flags.into_iter().map(|(k, f)| (k, f.value)).collect())
    }

    /// Every known flag value and every payload (as [`Client::get_all_flags`]).
    #[allow(clippy::type_complexity)]
    pub fn get_all_flags_and_payloads(
        &self,
        distinct_id: &str,
        opts: &FlagOptions,
    ) -> Result<(BTreeMap<String, FlagValue>, BTreeMap<String, Value>), Error> {
        let snap = self.all_flags_snapshot(distinct_id, opts, None)?;
        let mut flags = BTreeMap::new();
        let mut payloads = BTreeMap::new();
        for (k, f) in snap.flags {
            if let Some(p) = f.payload {
                payloads.insert(k.clone(), p);
            }
            flags.insert(k, f.value);
        }
        Ok((flags, payloads))
    }

    /// `get_all_flags` (`with_payloads = false`: key → value) or `get_all_flags_and_payloads`
    /// (`{featureFlags, featureFlagPayloads}`) as JSON in the profile's shape
    /// ([`crate::profile::AllFlagsShape`]): `keys` limits the evaluation (and is sent to
    /// `/flags` as `flag_keys_to_evaluate`); a network or server failure gives the locally
    /// decided flags (reported as [`Client::get_all_flags`] does).
    pub fn all_flags_json(
        &self,
        distinct_id: &str,
        opts: &FlagOptions,
        keys: Option<&[String]>,
        with_payloads: bool,
    ) -> Result<Value, Error> {
        let shape = self.config().profile.rules().all_flags;
        if self.config().disabled && shape.disabled_null {
            return Ok(if with_payloads {
                serde_json::json!({"featureFlags": null, "featureFlagPayloads": null})
            } else {
                Value::Null
            });
        }
        let snap = self.all_flags_snapshot(distinct_id, opts, keys)?;
        Ok(self.snapshot_json(snap, with_payloads))
    }

    /// [`Client::all_flags_json`] without any I/O or wait: `Some` when the loaded definitions
    /// decide every flag asked for (or the lookup is local-only, or the client disabled),
    /// `None` when the server or the first definitions load is needed — then call
    /// `all_flags_json` off the JS or UI thread. Lets a binding answer synchronously.
    pub fn try_all_flags_json(
        &self,
        distinct_id: &str,
        opts: &FlagOptions,
        keys: Option<&[String]>,
        with_payloads: bool,
    ) -> Result<Option<Value>, Error> {
        check(distinct_id, None)?;
        if self.config().disabled {
            return self
                .all_flags_json(distinct_id, opts, keys, with_payloads)
                .map(Some);
        }
        if opts.force_remote {
            return Ok(None);
        }
        let local = self.config().local_evaluation();
        let defs = self.definitions_now();
        let mut snap = FlagsSnapshot {
            distinct_id: distinct_id.to_string(),
            ..FlagsSnapshot::default()
        };
        match defs {
            Some(defs) => {
                local_results(&defs, &mut snap, opts, keys);
                if !snap.unresolved.is_empty() && !opts.only_evaluate_locally {
                    return Ok(None);
                }
            }
            None if opts.only_evaluate_locally
                && (!local || self.shared().flags.loads.load(Ordering::Relaxed) > 0) => {}
            None => return Ok(None),
        }
        Ok(Some(self.snapshot_json(snap, with_payloads)))
    }

    /// A snapshot as `all_flags_json` answers it, in the profile's shape.
    fn snapshot_json(&self, snap: FlagsSnapshot, with_payloads: bool) -> Value {
        let shape = self.config().profile.rules().all_flags;
        let mut flags = serde_json::Map::new();
        let mut payloads = serde_json::Map::new();
        for (k, f) in snap.flags {
            if let Some(p) = f.payload {
                let p = if shape.payloads_as_text {
                    Value::String(p.to_string())
                } else {
                    p
                };
                payloads.insert(k.clone(), p);
            } else if shape.remote_enabled_without_payload
                && !f.locally_evaluated
                && f.value.is_enabled()
            {
                payloads.insert(k.clone(), Value::Null);
            }
            flags.insert(k, f.value.to_json());
        }
        if with_payloads {
            serde_json::json!({"featureFlags": flags, "featureFlagPayloads": payloads})
        } else {
            Value::Object(flags)
        }
    }

    /// posthog-python's `capture(send_feature_flags=…)`: evaluates the event's flags (see
    /// [`CaptureFlags`]) and adds `$feature/<key>` for each and `$active_feature_flags` (when
    /// any is on); the event's own properties win. A failure is logged and adds nothing.
    pub fn add_flag_properties(&self, event: &mut Event, spec: &CaptureFlags) {
        let local = match spec.only_evaluate_locally {
            Some(l) => l,
            None => {
                self.config().local_evaluation() && self.shared().flags.definitions.load().is_some()
            }
        };
        let opts = FlagOptions {
            groups: event.groups.clone(),
            person_properties: spec.person_properties.clone(),
            group_properties: spec.group_properties.clone(),
            disable_geoip: event.disable_geoip,
            only_evaluate_locally: local,
            force_remote: !local,
            send_feature_flag_events: Some(false),
            device_id: None,
        };
        let snap = match self.evaluate_flags(&event.distinct_id, &opts, spec.flag_keys.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(%e, "posthog: unable to get feature variants for capture");
                return;
            }
        };
        let active = snap.enabled_keys();
        for (k, f) in &snap.flags {
            event
                .properties
                .entry(format!("$feature/{k}"))
                .or_insert_with(|| f.value.to_json());
        }
        if !active.is_empty() {
            event
                .properties
                .entry("$active_feature_flags")
                .or_insert_with(|| Value::Array(active.into_iter().map(Value::String).collect()));
        }
    }

    /// A read of one flag of an `evaluate_flags` snapshot (`opts` being the options it was
    /// evaluated with): under [`crate::profile::Rules::snapshot_reads_capture`] captures
    /// `$feature_flag_called` as a lookup would (de-duplicated, with `flag_missing` or
    /// `local_evaluation_inconclusive` for a flag without a value); otherwise nothing.
    pub fn record_flag_read(&self, snap: &FlagsSnapshot, key: &str, opts: &FlagOptions) {
        let cfg = self.config();
        if cfg.disabled
            || !cfg.profile.rules().snapshot_reads_capture
            || snap.distinct_id.is_empty()
        {
            return;
        }
        let result = snap.flags.get(key).cloned();
        let error = if snap.unresolved.contains_key(key) {
            Some("local_evaluation_inconclusive".to_string())
        } else if result.is_none() {
            Some("flag_missing".to_string())
        } else {
            None
        };
        let l = Lookup {
            result,
            error,
            evaluated_at: None,
            request_id: snap.request_id.clone(),
        };
        self.flag_called(key, &snap.distinct_id, opts, &l);
    }

    /// Captures `$feature_flag_called` once per (distinct id, key, response, groups), with
    /// the profile's properties.
    fn flag_called(&self, key: &str, distinct_id: &str, opts: &FlagOptions, l: &Lookup) {
        let cfg = self.config();
        if !opts
            .send_feature_flag_events
            .unwrap_or(cfg.send_feature_flag_events)
        {
            return;
        }
        let r = l.result.as_ref();
        let response = r.map(|r| r.value.to_json()).unwrap_or(Value::Null);
        let groups = Value::Object(opts.groups.clone()).to_string();
        let first = self
            .shared()
            .flags
            .called
            .lock()
            .map(|mut d| d.first_time(distinct_id, key, &response.to_string(), &groups))
            .unwrap_or(true);
        if !first {
            return;
        }
        let loaded = self.shared().flags.loaded_at_ms.load(Ordering::Relaxed);
        let call = called::FlagCall {
            key,
            result: r,
            error: l.error.clone(),
            evaluated_at: l.evaluated_at,
            request_id: l.request_id.clone(),
            now_ms: self.shared().now_ms(),
            definitions_loaded_at: (loaded > 0).then_some(loaded),
        };
        let mut e = Event::new("$feature_flag_called", distinct_id)
            .properties(called::called_properties(cfg.profile, &call));
        e.groups = opts.groups.clone();
        e.disable_geoip = opts.disable_geoip;
        self.capture(e);
    }
}

/// One flag lookup: its result and what `$feature_flag_called` says about it.
#[derive(Debug, Default)]
struct Lookup {
    result: Option<FlagResult>,
    error: Option<String>,
    evaluated_at: Option<i64>,
    /// The `/flags` request id, also when the flag was missing from the answer.
    request_id: Option<String>,
}

impl Lookup {
    fn of(result: Option<FlagResult>) -> Lookup {
        Lookup {
            result,
            ..Lookup::default()
        }
    }
}

/// Evaluates `keys` (or every flag) with the loaded definitions into `snap`: decided flags in
/// `flags`, the others in `unresolved` with their reason.
fn local_results(
    defs: &Definitions,
    snap: &mut FlagsSnapshot,
    opts: &FlagOptions,
    keys: Option<&[String]>,
) {
    // Borrowed: the caller's property maps are read in place, never copied.
    let id = snap.distinct_id.clone();
    let ctx = opts.view(&id);
    let results = match keys {
        Some(keys) => keys
            .iter()
            .map(|k| (k.clone(), defs.evaluate_ref(k, ctx)))
            .collect(),
        None => defs.evaluate_all_ref(ctx),
    };
    for (k, r) in results {
        match r {
            Ok(ev) => {
                snap.flags.insert(k, FlagResult::local(ev));
            }
            Err(inc) => {
                snap.unresolved.insert(k, inc.reason.as_str().to_string());
            }
        }
    }
}
