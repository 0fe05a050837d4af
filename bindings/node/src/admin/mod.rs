//! `NativeAdmin`: the core `AdminClient` behind a napi class (the engine of `AdminClient` in
//! `admin.js`). Every call of the core blocks (its worker thread does the HTTP), so each one
//! runs on the libuv pool as an `AsyncTask`; answers cross as JSON text, which the JS layer
//! parses. Lists are `NativePager`s whose `next()` is an `AsyncTask` too: the next page is
//! fetched only when the buffered one is used up (the core's `Pager`). No runtime is built here.

use crate::errors;
use napi::bindgen_prelude::*;
use posthog_core::Error as CoreError;
use posthog_core::admin::{AdminClient, ProjectId};
use serde_json::Value;
use std::sync::{Arc, Mutex};

pub(crate) type CoreResult<T> = std::result::Result<T, CoreError>;

/// One blocking core call, run on the libuv pool; its answer as JSON (`null` → `undefined`).
type Job = Box<dyn FnOnce(&AdminClient) -> CoreResult<Value> + Send>;

/// The items of a list, each as JSON, fetched page by page by the core's `Pager`.
type Items = Box<dyn Iterator<Item = CoreResult<Value>> + Send>;

/// A typed core answer as JSON (a macro: the binding does not depend on serde itself).
macro_rules! json {
    ($v:expr) => {
        serde_json::to_value($v)
            .map_err(|e| CoreError::Unexpected(format!("cannot encode an answer: {e}")))
    };
}

/// A core pager of typed items as a `NativePager` of JSON items.
macro_rules! pager {
    ($p:expr) => {
        NativePager::of($p.map(|r| r.and_then(|t| json!(t))))
    };
}

mod export;
mod key_provider;
mod resources;

use key_provider::{Asker, JsKeyProvider};

/// The native admin client. Use `AdminClient` of the package; this one is its engine.
#[napi]
pub struct NativeAdmin {
    pub(crate) client: AdminClient,
    /// Set when the key comes from a JS `keyProvider`: the answers it is waiting for.
    provider: Option<Arc<JsKeyProvider>>,
}

#[napi]
impl NativeAdmin {
    /// Validates the options (`personalApiKey`, `host`, `timeoutMs`, `maxRetries`,
    /// `maxConcurrency`, `retryWrites`) and starts the core's admin worker. Without
    /// `personalApiKey` the core reads `POSTHOG_PERSONAL_API_KEY` (and `POSTHOG_HOST`).
    /// Throws an error with `code` `invalid_key` or `config`.
    ///
    /// `askKey(ticket)`, when given, is called on the JS thread whenever PostHog answers 401
    /// (the request then waits, off the JS thread, for `provideKey(ticket, …)`) — the engine of
    /// the `keyProvider` option.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        #[napi(ts_arg_type = "Record<string, unknown> | undefined | null")] options: Option<
            Unknown,
        >,
        #[napi(ts_arg_type = "((ticket: number) => void) | undefined | null")] ask_key: Option<
            Unknown,
        >,
    ) -> Result<Self> {
        let fail = |e: CoreError| errors::to_js(&env, &e);
        let mut opts = crate::options::admin(options).map_err(fail)?;
        let mut provider = None;
        if let Some(f) = ask_key.filter(|f| matches!(f.get_type(), Ok(ValueType::Function))) {
            let f: Function<u32, ()> = Function::from_unknown(f)?;
            let ask: Asker = f
                .build_threadsafe_function::<u32>()
                .callee_handled::<false>()
                .weak::<true>()
                .build_callback(|ctx| Ok(ctx.value))?;
            let p = Arc::new(JsKeyProvider::new(ask));
            opts = opts.key_provider(p.clone());
            provider = Some(p);
        }
        let client = AdminClient::new(opts).map_err(fail)?;
        Ok(NativeAdmin { client, provider })
    }

    /// The `keyProvider`'s answer to `askKey(ticket)`: the key, or the name of what it threw.
    #[napi]
    pub fn provide_key(&self, ticket: u32, key: Option<String>, error: Option<String>) {
        if let Some(p) = &self.provider {
            p.answer(
                ticket,
                key.ok_or_else(|| error.unwrap_or_else(|| "no key".into())),
            );
        }
    }

    /// The app origin this client talks to.
    #[napi(getter)]
    pub fn host(&self) -> String {
        self.client.host().to_string()
    }

    /// Swaps the personal key for every later request. Throws `invalid_key` (a `phc_` key…).
    #[napi]
    pub fn rotate_key(&self, env: Env, key: Unknown) -> Result<()> {
        let key = match key.get_type() {
            Ok(ValueType::String) => String::from_unknown(key)?,
            _ => {
                return Err(errors::to_js(
                    &env,
                    &CoreError::InvalidKey("the personal API key must be a string".into()),
                ));
            }
        };
        self.client
            .rotate_key(key)
            .map_err(|e| errors::to_js(&env, &e))
    }
}

impl NativeAdmin {
    /// A core call on the libuv pool; the promise resolves with its JSON text (or nothing).
    pub(crate) fn task(
        &self,
        job: impl FnOnce(&AdminClient) -> CoreResult<Value> + Send + 'static,
    ) -> AsyncTask<AdminTask> {
        AsyncTask::new(AdminTask {
            client: self.client.clone(),
            job: Some(Box::new(job)),
        })
    }
}

/// A blocking admin call on the libuv pool.
pub struct AdminTask {
    client: AdminClient,
    job: Option<Job>,
}

impl Task for AdminTask {
    type Output = CoreResult<Option<String>>;
    type JsValue = Option<String>;

    fn compute(&mut self) -> Result<Self::Output> {
        let Some(job) = self.job.take() else {
            return Ok(Err(CoreError::Unexpected("an admin task ran twice".into())));
        };
        Ok(job(&self.client).map(|v| (!v.is_null()).then(|| v.to_string())))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Option<String>> {
        output.map_err(|e| errors::to_js(&env, &e))
    }
}

/// A lazy list: each `next()` resolves with the next item (JSON text), or nothing at the end.
#[napi]
pub struct NativePager {
    items: Arc<Mutex<Items>>,
}

impl NativePager {
    /// Wraps a core pager of JSON items (see [`pager!`] for typed ones).
    pub(crate) fn of(
        items: impl Iterator<Item = CoreResult<Value>> + Send + 'static,
    ) -> NativePager {
        let items: Items = Box::new(items);
        NativePager {
            items: Arc::new(Mutex::new(items)),
        }
    }
}

#[napi]
impl NativePager {
    /// The next item as JSON text, or `undefined` when the list is done. Fetches a page (on the
    /// libuv pool) only when the buffered one is used up. Rejects with the core's error, after
    /// which the list is done.
    #[napi(ts_return_type = "Promise<string | undefined | null>")]
    pub fn next(&self) -> AsyncTask<PagerTask> {
        AsyncTask::new(PagerTask(self.items.clone()))
    }
}

/// One `next()` of a pager on the libuv pool.
pub struct PagerTask(Arc<Mutex<Items>>);

impl Task for PagerTask {
    type Output = CoreResult<Option<String>>;
    type JsValue = Option<String>;

    fn compute(&mut self) -> Result<Self::Output> {
        let mut items = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(items.next().transpose().map(|v| v.map(|v| v.to_string())))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Option<String>> {
        output.map_err(|e| errors::to_js(&env, &e))
    }
}

/// The project of a call: a number or `@current` (the default).
pub(crate) fn project(p: Option<String>) -> CoreResult<ProjectId> {
    p.map_or(Ok(ProjectId::Current), |p| ProjectId::parse(&p))
}

/// A numeric id (flags, cohorts, insights) from a JS number.
pub(crate) fn id(n: f64, what: &str) -> CoreResult<u64> {
    if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9.0e15 {
        Ok(n as u64)
    } else {
        Err(CoreError::InvalidInput(format!(
            "{what} must be a whole number"
        )))
    }
}

/// JSON text given by the JS layer (`undefined` → `null`).
pub(crate) fn parse(text: Option<String>, what: &str) -> CoreResult<Value> {
    match text {
        None => Ok(Value::Null),
        Some(t) => serde_json::from_str(&t)
            .map_err(|_| CoreError::InvalidInput(format!("{what} must be JSON-serialisable"))),
    }
}
