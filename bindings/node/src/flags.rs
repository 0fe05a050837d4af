//! The flag API of `NativeClient`: read the arguments, call the core on the libuv pool
//! (`AsyncTask`: a lookup may make a `/flags` request), convert the result. Values and payloads
//! cross as JSON text, which the JS layer parses; which call fails how is the core's rule
//! (`posthog_core::flags`).

use crate::client::NativeClient;
use crate::errors;
use napi::bindgen_prelude::*;
use posthog_core::{Client, Error as CoreError, FlagOptions, FlagValue, FlagsSnapshot};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;

fn invalid(msg: impl Into<String>) -> CoreError {
    CoreError::InvalidInput(msg.into())
}

/// A string argument, or `invalid_input` (its emptiness is the core's business).
pub(crate) fn string_arg(v: Unknown, name: &str) -> std::result::Result<String, CoreError> {
    match v.get_type() {
        Ok(ValueType::String) => {
            String::from_unknown(v).map_err(|_| invalid(format!("{name} must be a string")))
        }
        _ => Err(invalid(format!("{name} must be a string"))),
    }
}

/// The per-call options as one JSON text (the JS layer serialises them once per call):
/// `{ groups?, personProperties?, groupProperties?, onlyEvaluateLocally?,
/// sendFeatureFlagEvents?, disableGeoip?, forceRemote?, deviceId?, flagKeys? }`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct OptionsText {
    groups: Option<Map<String, Value>>,
    person_properties: Option<Map<String, Value>>,
    group_properties: Option<Map<String, Value>>,
    only_evaluate_locally: Option<bool>,
    send_feature_flag_events: Option<bool>,
    disable_geoip: Option<bool>,
    force_remote: Option<bool>,
    device_id: Option<String>,
    flag_keys: Option<Vec<String>>,
}

/// Reads the options text once into the core's `FlagOptions` (and `flagKeys`).
fn flag_options(
    opts: Option<String>,
) -> std::result::Result<(FlagOptions, Option<Vec<String>>), CoreError> {
    let Some(text) = opts else {
        return Ok((FlagOptions::default(), None));
    };
    let o: OptionsText = serde_json::from_str(&text).map_err(|e| {
        invalid(format!(
            "flag options: groups, personProperties and groupProperties must be objects, \
             onlyEvaluateLocally, sendFeatureFlagEvents, disableGeoip and forceRemote booleans, \
             deviceId a string, flagKeys an array of strings ({})",
            category(&e)
        ))
    })?;
    Ok((
        FlagOptions {
            groups: o.groups.unwrap_or_default(),
            person_properties: o.person_properties.unwrap_or_default(),
            group_properties: o.group_properties.unwrap_or_default(),
            disable_geoip: o.disable_geoip,
            only_evaluate_locally: o.only_evaluate_locally.unwrap_or(false),
            force_remote: o.force_remote.unwrap_or(false),
            send_feature_flag_events: o.send_feature_flag_events,
            device_id: o.device_id,
        },
        o.flag_keys,
    ))
}

/// serde's error category, without the value it failed on.
fn category(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "a field has the wrong type",
        serde_json::error::Category::Eof => "truncated",
    }
}

/// `matchValue` of `getFeatureFlagPayload`: `true`, `false`, a variant key, or absent.
fn match_value(v: Option<Unknown>) -> std::result::Result<Option<FlagValue>, CoreError> {
    let Some(v) = v else { return Ok(None) };
    match v.get_type() {
        Ok(ValueType::Undefined | ValueType::Null) => Ok(None),
        Ok(ValueType::Boolean) => bool::from_unknown(v)
            .map(|b| Some(FlagValue::Bool(b)))
            .map_err(|_| invalid("matchValue must be a boolean or a string")),
        Ok(ValueType::String) => String::from_unknown(v)
            .map(|s| Some(FlagValue::Variant(s)))
            .map_err(|_| invalid("matchValue must be a boolean or a string")),
        _ => Err(invalid("matchValue must be a boolean or a string")),
    }
}

fn text(v: &Value) -> String {
    v.to_string()
}

/// One getter call.
pub enum Lookup {
    Flag(String),
    Result(String),
    Enabled(String),
    Payload(String, Option<FlagValue>),
    All,
    AllAndPayloads,
}

/// A getter run on the libuv pool; resolves with JSON text (or nothing).
pub struct FlagTask {
    client: Arc<Client>,
    lookup: Lookup,
    distinct_id: String,
    opts: FlagOptions,
}

impl Task for FlagTask {
    type Output = std::result::Result<Option<String>, CoreError>;
    type JsValue = Option<String>;

    fn compute(&mut self) -> Result<Self::Output> {
        let (c, id, o) = (&self.client, self.distinct_id.as_str(), &self.opts);
        Ok(match &self.lookup {
            Lookup::Flag(key) => c
                .get_feature_flag(key, id, o)
                .map(|v| v.map(|v| text(&v.to_json()))),
            Lookup::Result(key) => c
                .get_feature_flag_result(key, id, o)
                .map(|r| r.map(|r| text(&r.node_result_json(key)))),
            Lookup::Enabled(key) => c
                .is_feature_enabled(key, id, o)
                .map(|v| v.map(|b| b.to_string())),
            // The payload (the core's `matchValue` rule); `null` for a flag without one,
            // nothing when the flag is unknown.
            Lookup::Payload(key, want) => c
                .payload_lookup(key, id, o, want.as_ref())
                .map(|r| r.map(|p| p.map_or_else(|| "null".to_string(), |p| text(&p)))),
            Lookup::All => c.all_flags_json(id, o, None, false).map(|v| Some(text(&v))),
            Lookup::AllAndPayloads => c.all_flags_json(id, o, None, true).map(|v| Some(text(&v))),
        })
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Option<String>> {
        output.map_err(|e| errors::to_js(&env, &e))
    }
}

/// `evaluateFlags` on the libuv pool.
pub struct SnapshotTask {
    client: Arc<Client>,
    distinct_id: String,
    opts: FlagOptions,
    keys: Option<Vec<String>>,
}

impl Task for SnapshotTask {
    type Output = std::result::Result<FlagsSnapshot, CoreError>;
    type JsValue = NativeFlagsSnapshot;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self
            .client
            .evaluate_flags(&self.distinct_id, &self.opts, self.keys.as_deref()))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<NativeFlagsSnapshot> {
        output
            .map(|snapshot| NativeFlagsSnapshot { snapshot })
            .map_err(|e| errors::to_js(&env, &e))
    }
}

/// `reloadFeatureFlags` on the libuv pool.
pub struct ReloadTask(Arc<Client>);

impl Task for ReloadTask {
    type Output = std::result::Result<(), CoreError>;
    type JsValue = ();

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.0.reload_feature_flags())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<()> {
        output.map_err(|e| errors::to_js(&env, &e))
    }
}

#[napi]
impl NativeClient {
    fn flag_task(
        &self,
        env: &Env,
        lookup: impl FnOnce() -> std::result::Result<Lookup, CoreError>,
        distinct_id: Unknown,
        opts: Option<String>,
    ) -> Result<AsyncTask<FlagTask>> {
        let read = || -> std::result::Result<FlagTask, CoreError> {
            let lookup = lookup()?;
            let distinct_id = string_arg(distinct_id, "distinctId")?;
            let (opts, _) = flag_options(opts)?;
            Ok(FlagTask {
                client: self.client.clone(),
                lookup,
                distinct_id,
                opts,
            })
        };
        read()
            .map(AsyncTask::new)
            .map_err(|e| errors::to_js(env, &e))
    }

    /// The flag's value as JSON text (`true`, `false`, `"variant"`, `null` when decided to
    /// nothing), at once when the loaded definitions decide it (no I/O: the core's
    /// `try_get_feature_flag_result`), else a Promise of it from the libuv pool (`/flags`;
    /// nothing when unknown or unavailable; with `enabled`, `"true"`/`"false"` as
    /// `isFeatureEnabled`). The options are read once, for both. Throws
    /// `invalid_input` for bad arguments.
    #[napi(
        ts_args_type = "key: string, distinctId: string, options: string | undefined | null, enabled: boolean",
        ts_return_type = "string | Promise<string | null>"
    )]
    pub fn lookup_flag(
        &self,
        env: Env,
        key: Unknown,
        distinct_id: Unknown,
        options: Option<String>,
        enabled: bool,
    ) -> Result<Either<String, AsyncTask<FlagTask>>> {
        let read = || -> std::result::Result<Either<String, AsyncTask<FlagTask>>, CoreError> {
            let key = string_arg(key, "key")?;
            let distinct_id = string_arg(distinct_id, "distinctId")?;
            let (opts, _) = flag_options(options)?;
            if let Some(answer) =
                self.client
                    .try_get_feature_flag_result(&key, &distinct_id, &opts)?
            {
                return Ok(Either::A(
                    answer.map_or_else(|| "null".to_string(), |r| text(&r.value.to_json())),
                ));
            }
            Ok(Either::B(AsyncTask::new(FlagTask {
                client: self.client.clone(),
                lookup: if enabled {
                    Lookup::Enabled(key)
                } else {
                    Lookup::Flag(key)
                },
                distinct_id,
                opts,
            })))
        };
        read().map_err(|e| errors::to_js(&env, &e))
    }

    /// `getAllFlags` (`{ key: value }`) or, with `withPayloads`, `getAllFlagsAndPayloads`
    /// (`{ featureFlags, featureFlagPayloads }`) as JSON text: at once when the loaded
    /// definitions decide every flag, else a Promise of it from the libuv pool. The options
    /// are read once, for both.
    #[napi(
        ts_args_type = "distinctId: string, options: string | undefined | null, withPayloads: boolean",
        ts_return_type = "string | Promise<string>"
    )]
    pub fn all_flags(
        &self,
        env: Env,
        distinct_id: Unknown,
        options: Option<String>,
        with_payloads: bool,
    ) -> Result<Either<String, AsyncTask<FlagTask>>> {
        let read = || -> std::result::Result<Either<String, AsyncTask<FlagTask>>, CoreError> {
            let distinct_id = string_arg(distinct_id, "distinctId")?;
            let (opts, _) = flag_options(options)?;
            if let Some(v) =
                self.client
                    .try_all_flags_json(&distinct_id, &opts, None, with_payloads)?
            {
                return Ok(Either::A(text(&v)));
            }
            let lookup = if with_payloads {
                Lookup::AllAndPayloads
            } else {
                Lookup::All
            };
            Ok(Either::B(AsyncTask::new(FlagTask {
                client: self.client.clone(),
                lookup,
                distinct_id,
                opts,
            })))
        };
        read().map_err(|e| errors::to_js(&env, &e))
    }

    /// posthog-node's `getFeatureFlagResult` as JSON text (the core's shape), or nothing.
    #[napi(
        ts_args_type = "key: string, distinctId: string, options?: string | undefined | null",
        ts_return_type = "Promise<string | null>"
    )]
    pub fn get_feature_flag_result(
        &self,
        env: Env,
        key: Unknown,
        distinct_id: Unknown,
        options: Option<String>,
    ) -> Result<AsyncTask<FlagTask>> {
        let lookup = || Ok(Lookup::Result(string_arg(key, "key")?));
        self.flag_task(&env, lookup, distinct_id, options)
    }

    /// The payload as JSON text, or nothing.
    #[napi(
        ts_args_type = "key: string, distinctId: string, matchValue?: boolean | string | undefined | null, options?: string | undefined | null",
        ts_return_type = "Promise<string | null>"
    )]
    pub fn get_feature_flag_payload(
        &self,
        env: Env,
        key: Unknown,
        distinct_id: Unknown,
        match_value: Option<Unknown>,
        options: Option<String>,
    ) -> Result<AsyncTask<FlagTask>> {
        let lookup = || {
            Ok(Lookup::Payload(
                string_arg(key, "key")?,
                self::match_value(match_value)?,
            ))
        };
        self.flag_task(&env, lookup, distinct_id, options)
    }

    /// Private (benchmarks): the core's own `get_all_flags`, in µs per call over `n` calls for
    /// `user-0` … `user-999` with these options, run in Rust without crossing — printed beside
    /// `getAllFlags` so the binding's overhead shows in the same run.
    #[napi(js_name = "_coreAllFlagsUs")]
    pub fn core_all_flags_us(&self, env: Env, options: Option<String>, n: u32) -> Result<f64> {
        let (opts, _) = flag_options(options).map_err(|e| errors::to_js(&env, &e))?;
        let ids: Vec<String> = (0..1000).map(|i| format!("user-{i}")).collect();
        let t0 = std::time::Instant::now();
        for i in 0..n as usize {
            let r = self.client.get_all_flags(&ids[i % ids.len()], &opts);
            std::hint::black_box(r.ok());
        }
        Ok(t0.elapsed().as_secs_f64() * 1e6 / f64::from(n.max(1)))
    }

    /// Every flag (or `options.flagKeys`) in one snapshot; rejects with every error.
    #[napi(
        ts_args_type = "distinctId: string, options?: string | undefined | null",
        ts_return_type = "Promise<NativeFlagsSnapshot>"
    )]
    pub fn evaluate_flags(
        &self,
        env: Env,
        distinct_id: Unknown,
        options: Option<String>,
    ) -> Result<AsyncTask<SnapshotTask>> {
        let read = || -> std::result::Result<SnapshotTask, CoreError> {
            let distinct_id = string_arg(distinct_id, "distinctId")?;
            let (opts, keys) = flag_options(options)?;
            Ok(SnapshotTask {
                client: self.client.clone(),
                distinct_id,
                opts,
                keys,
            })
        };
        read()
            .map(AsyncTask::new)
            .map_err(|e| errors::to_js(&env, &e))
    }

    /// Fetches the flag definitions now; rejects with every error (`config` without
    /// `personalApiKey`).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn reload_feature_flags(&self) -> AsyncTask<ReloadTask> {
        AsyncTask::new(ReloadTask(self.client.clone()))
    }
}

/// The core's `FlagsSnapshot`: values as `boolean | string`, payloads as JSON text.
#[napi]
pub struct NativeFlagsSnapshot {
    pub(crate) snapshot: FlagsSnapshot,
}

#[napi]
impl NativeFlagsSnapshot {
    /// The flag's value, or nothing when it was not decided.
    #[napi]
    pub fn get_flag(&self, key: String) -> Option<Either<bool, String>> {
        self.snapshot.value(&key).map(|v| match v {
            FlagValue::Bool(b) => Either::A(*b),
            FlagValue::Variant(s) => Either::B(s.clone()),
        })
    }

    /// Whether the flag is on (`true` or a variant); `false` when not decided.
    #[napi]
    pub fn is_enabled(&self, key: String) -> bool {
        self.snapshot.is_enabled(&key)
    }

    /// The payload as JSON text, or nothing.
    #[napi]
    pub fn get_payload(&self, key: String) -> Option<String> {
        self.snapshot.payload(&key).map(text)
    }

    /// The keys of every decided flag, sorted.
    #[napi(getter)]
    pub fn keys(&self) -> Vec<String> {
        self.snapshot.keys().map(str::to_string).collect()
    }

    /// Undecided flag key → reason.
    #[napi(getter)]
    pub fn unresolved(&self) -> std::collections::HashMap<String, String> {
        self.snapshot
            .unresolved
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The `/flags` request id, when the server was asked.
    #[napi(getter)]
    pub fn request_id(&self) -> Option<String> {
        self.snapshot.request_id.clone()
    }

    /// Whom the flags were evaluated for.
    #[napi(getter)]
    pub fn distinct_id(&self) -> String {
        self.snapshot.distinct_id.clone()
    }

    /// One flag's metadata as JSON text `{ value, payload, locallyEvaluated, reason, id,
    /// version, requestId }`, or nothing.
    #[napi]
    pub fn get_flag_result(&self, key: String) -> Option<String> {
        self.snapshot.get(&key).map(|r| {
            let mut m = Map::new();
            m.insert("value".into(), r.value.to_json());
            m.insert("payload".into(), r.payload.clone().unwrap_or(Value::Null));
            m.insert("locallyEvaluated".into(), Value::Bool(r.locally_evaluated));
            m.insert(
                "reason".into(),
                r.reason.clone().map_or(Value::Null, Value::String),
            );
            m.insert("id".into(), r.id.map_or(Value::Null, Value::from));
            m.insert("version".into(), r.version.map_or(Value::Null, Value::from));
            m.insert(
                "requestId".into(),
                r.request_id.clone().map_or(Value::Null, Value::String),
            );
            text(&Value::Object(m))
        })
    }
}

// ---- remote config ----------------------------------------------------------------------

/// `getRemoteConfigPayload(flagKey)` on the libuv pool: the payload as JSON text (decoded as
/// posthog-node does), `undefined` when there is none.
pub struct RemoteConfigTask {
    client: Arc<Client>,
    key: String,
}

impl Task for RemoteConfigTask {
    type Output = std::result::Result<Option<String>, CoreError>;
    type JsValue = Option<String>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self
            .client
            .get_remote_config_payload(&self.key)
            .map(|v| v.map(|v| text(&v))))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Option<String>> {
        output.map_err(|e| errors::to_js(&env, &e))
    }
}

#[napi]
impl NativeClient {
    /// The remote-config payload of `flagKey` (a Promise of its JSON text, or `undefined`);
    /// rejects with `config` without a secret key.
    #[napi(ts_return_type = "Promise<string | undefined>")]
    pub fn get_remote_config_payload(
        &self,
        env: Env,
        flag_key: Unknown,
    ) -> Result<AsyncTask<RemoteConfigTask>> {
        let key = string_arg(flag_key, "flagKey").map_err(|e| errors::to_js(&env, &e))?;
        Ok(AsyncTask::new(RemoteConfigTask {
            client: self.client.clone(),
            key,
        }))
    }
}

// ---- the flag-definitions cache provider ------------------------------------------------

/// Asks the JS layer to call one provider method: `{"id", "method", "data"?}` as JSON text.
type Dispatcher =
    napi::threadsafe_function::ThreadsafeFunction<String, (), String, Status, false, true>;

/// An answer not given yet, and the task waiting for it.
#[derive(Default)]
struct Slot {
    answer: Option<std::result::Result<Value, String>>,
    waker: Option<std::task::Waker>,
}

type Pending = Arc<std::sync::Mutex<Slot>>;

fn pending() -> &'static std::sync::Mutex<std::collections::HashMap<u32, Pending>> {
    static PENDING: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<u32, Pending>>> =
        std::sync::OnceLock::new();
    PENDING.get_or_init(Default::default)
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Resolves when the JS layer answered (`cacheProviderAnswer`).
struct Answer(Pending, u32);

impl std::future::Future for Answer {
    type Output = std::result::Result<Value, String>;
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let mut slot = lock(&self.0);
        match slot.answer.take() {
            Some(a) => std::task::Poll::Ready(a),
            None => {
                slot.waker = Some(cx.waker().clone());
                std::task::Poll::Pending
            }
        }
    }
}

impl Drop for Answer {
    fn drop(&mut self) {
        // A timed-out call's answer is not waited for any more.
        lock(pending()).remove(&self.1);
    }
}

/// posthog-node's `flagDefinitionCacheProvider`: each method call goes to the JS thread
/// (`Promise.resolve(provider[method](data))`) and its result comes back through
/// [`cache_provider_answer`]; the core bounds each call.
pub struct JsCacheProvider {
    dispatch: Dispatcher,
}

static NEXT_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

impl JsCacheProvider {
    /// Wraps the JS dispatcher `(request: string) => void`.
    pub fn new(f: Unknown) -> Result<JsCacheProvider> {
        let f: Function<String, ()> = Function::from_unknown(f)?;
        let dispatch = f
            .build_threadsafe_function::<String>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(|ctx| Ok(ctx.value))?;
        Ok(JsCacheProvider { dispatch })
    }

    fn call(
        &self,
        method: &'static str,
        data: Option<Value>,
    ) -> posthog_core::flags::CacheFuture<'_, Value> {
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let slot: Pending = Arc::default();
        lock(pending()).insert(id, slot.clone());
        let mut req = Map::new();
        req.insert("id".into(), Value::from(id));
        req.insert("method".into(), Value::from(method));
        if let Some(d) = data {
            req.insert("data".into(), d);
        }
        let status = self.dispatch.call(
            Value::Object(req).to_string(),
            napi::threadsafe_function::ThreadsafeFunctionCallMode::NonBlocking,
        );
        let answer = Answer(slot, id);
        Box::pin(async move {
            if status != Status::Ok {
                return Err(format!("the JS thread is not reachable ({status})"));
            }
            answer.await
        })
    }
}

impl posthog_core::flags::FlagDefinitionCache for JsCacheProvider {
    fn get_flag_definitions(&self) -> posthog_core::flags::CacheFuture<'_, Option<Value>> {
        let fut = self.call("getFlagDefinitions", None);
        Box::pin(async move { fut.await.map(|v| Some(v).filter(|v| !v.is_null())) })
    }
    fn should_fetch_flag_definitions(&self) -> posthog_core::flags::CacheFuture<'_, bool> {
        let fut = self.call("shouldFetchFlagDefinitions", None);
        Box::pin(async move { fut.await.map(|v| v.as_bool().unwrap_or(true)) })
    }
    fn on_flag_definitions_received(
        &self,
        data: Value,
    ) -> posthog_core::flags::CacheFuture<'_, ()> {
        let fut = self.call("onFlagDefinitionsReceived", Some(data));
        Box::pin(async move { fut.await.map(|_| ()) })
    }
    fn shutdown(&self) -> posthog_core::flags::CacheFuture<'_, ()> {
        let fut = self.call("shutdown", None);
        Box::pin(async move { fut.await.map(|_| ()) })
    }
}

/// Private: the JS layer's answer to cache-provider request `id`: `ok` with the result as
/// JSON text (`undefined`: none), or the error's text.
#[napi(js_name = "_cacheProviderAnswer")]
pub fn cache_provider_answer(id: u32, ok: bool, json: Option<String>) {
    let Some(slot) = lock(pending()).remove(&id) else {
        return;
    };
    let answer = if ok {
        Ok(json
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null))
    } else {
        Err(json.unwrap_or_else(|| "the provider failed".into()))
    };
    let mut s = lock(&slot);
    s.answer = Some(answer);
    if let Some(w) = s.waker.take() {
        w.wake();
    }
}

/// The constructor's `flagCache` argument: the JS dispatcher of a provider object (a
/// function), or a JS `FileFlagDefinitionCache` as JSON text `{"path", "leaseMs"?}` (the
/// core's file-based provider, no JS call).
pub fn cache_provider_arg(
    v: Option<Unknown>,
) -> Result<Option<Arc<dyn posthog_core::flags::FlagDefinitionCache>>> {
    use posthog_core::flags::FileFlagDefinitionCache as F;
    let Some(v) = v else {
        return Ok(None);
    };
    match v.get_type()? {
        ValueType::Function => Ok(Some(Arc::new(JsCacheProvider::new(v)?))),
        ValueType::String => {
            let text = String::from_unknown(v)?;
            let spec: Value = serde_json::from_str(&text)
                .map_err(|_| Error::from_reason("bad FileFlagDefinitionCache"))?;
            let Some(path) = spec.get("path").and_then(Value::as_str) else {
                return Err(Error::from_reason("FileFlagDefinitionCache needs a path"));
            };
            let lease = spec
                .get("leaseMs")
                .and_then(Value::as_f64)
                .filter(|m| m.is_finite() && *m >= 0.0);
            Ok(Some(Arc::new(match lease {
                Some(ms) => F::with_lease(path, std::time::Duration::from_millis(ms as u64)),
                None => F::new(path),
            })))
        }
        _ => Ok(None),
    }
}
