'use strict'
// posthog-node 5.x compatibility: how each of its constructor options is handled, and which of
// its methods this package does not provide. The README's "Compatibility with posthog-node"
// tables list the same names; `__test__/compat.test.mjs` checks that both agree.
//
// Only names and defaults are handled here (STYLE: option names follow the official SDK);
// every rule about events, batching, retries and flags stays in the Rust core.

// Loaded lazily: posthog.js requires this module while it is being defined.
const errors = () => require('./errors.js')

/** posthog-node methods (and properties) this package does not provide, with the reason. */
const UNSUPPORTED_METHODS = {
  captureLog: 'the logs API is not supported',
  startSpan: 'the tracing API is not supported',
  withSpan: 'the tracing API is not supported',
  getActiveSpan: 'the tracing API is not supported',
  withContext: 'request contexts (AsyncLocalStorage) are not supported; pass distinctId and properties',
  enterContext: 'request contexts (AsyncLocalStorage) are not supported; pass distinctId and properties',
  getContext: 'request contexts (AsyncLocalStorage) are not supported',
  overrideFeatureFlags: 'local flag overrides are not supported; use the test server or LocalEvaluator in tests',
  getSurveysStateless: 'surveys are not supported',
  getFeatureFlagEvaluationRuntime: 'evaluation runtimes are not exposed by the core yet',
  getFeatureFlagKeysByEvaluationRuntime: 'evaluation runtimes are not exposed by the core yet',
  isLocalEvaluationReady: 'the core has no non-blocking "definitions loaded" check yet; use waitForLocalEvaluationReady()',
  addPendingPromise: 'flush() waits for the core\'s own work; there is no JS promise queue',
  prepareEventMessage: 'events are built by the core',
  fetch: 'HTTP is the core\'s; there is no JS fetch',
  getPersistedProperty: 'there is no JS persistence layer',
  setPersistedProperty: 'there is no JS persistence layer',
  getCustomUserAgent: 'the User-Agent is set by the core',
  getErrorPropertiesBuilder: 'the core builds $exception_list; there is no JS properties builder (use captureException)',
}

/** posthog-node getters this package does not provide (reading them throws), with the reason. */
const UNSUPPORTED_GETTERS = {
  apiKey: 'the project key stays in native memory and is never handed back to JS',
  projectToken: 'the project key stays in native memory and is never handed back to JS',
  distinctIdHasSentFlagCalls: 'the $feature_flag_called dedup cache is the core\'s',
  metrics: 'the metrics API is not supported',
  logger: 'the logs API is not supported',
  emails: 'the emails API is not supported',
}

function notSupported(what, why) {
  const { NotSupportedError } = errors()
  return new NotSupportedError(`${what} is not supported by posthog-sdk: ${why}`)
}

function configError(message) {
  const { PostHogError } = errors()
  return new PostHogError(`invalid configuration: ${message}`, 'config')
}

function isDefault(value, accepts) {
  return (accepts ?? []).some((a) =>
    Array.isArray(a) ? Array.isArray(value) && value.length === a.length : Object.is(a, value),
  )
}

/**
 * Splits posthog-node options into JSON text for the core's options schema (which owns every
 * name, default, alias and unsupported value) and the functions the JS layer keeps. Throws
 * `not_supported` for an official option the core cannot honour (the core says which) and
 * `config` for a function where data belongs or options that are not JSON.
 */
function resolveOptions(options) {
  const native = require('./index.js')
  if (options === undefined || options === null) options = {}
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw configError('options must be an object')
  }
  const beforeSend = []
  let onError
  let flagCache
  const data = {}
  for (const [name, v] of Object.entries(options)) {
    if (v === undefined) continue
    const hook = native.optionHookKind(name)
    if (hook === 'before_send') {
      if (v === null) continue
      const list = Array.isArray(v) ? v : [v]
      if (!list.every((f) => typeof f === 'function')) {
        throw configError(`option ${name} must be a function or an array of functions`)
      }
      beforeSend.push(...list)
      continue
    }
    if (hook === 'on_error') {
      if (v !== null && typeof v !== 'function') throw configError(`option ${name} must be a function`)
      onError = v ?? undefined
      continue
    }
    if (hook === 'flag_definition_cache') {
      if (v === null) continue
      flagCache = cacheProviderArg(name, v)
      continue
    }
    if (typeof v === 'function') throw configError(`option ${name} must not be a function`)
    let text
    try {
      text = JSON.stringify(v)
    } catch {
      throw configError(`option ${name} must be JSON-serialisable`)
    }
    const why = native.unsupportedOption(name, text ?? 'null')
    if (why) throw notSupported(`option ${name}`, why)
    data[name] = v
  }
  const js = {
    beforeSend,
    onError,
    flagCache,
    strictLocalEvaluation: options.strictLocalEvaluation === true,
    // posthog-node's `client.options`, without the secrets.
    options: Object.freeze(redacted(options)),
  }
  return { native: JSON.stringify(data), js }
}

const PROVIDER_METHODS = ['getFlagDefinitions', 'shouldFetchFlagDefinitions', 'onFlagDefinitionsReceived', 'shutdown']

/**
 * posthog-node's `flagDefinitionCacheProvider` as the native constructor takes it: our
 * `FileFlagDefinitionCache` as JSON text (the core's own file provider), or an object with the
 * four methods as a dispatcher: the core sends `{id, method, data?}`, the method runs here (it
 * may return a Promise) and its result goes back by `_cacheProviderAnswer`.
 */
function cacheProviderArg(name, provider) {
  const native = require('./index.js')
  const { FileFlagDefinitionCache } = require('./flags.js')
  if (provider instanceof FileFlagDefinitionCache) return JSON.stringify(provider.toJSON())
  if (typeof provider !== 'object' || !PROVIDER_METHODS.every((m) => typeof provider[m] === 'function')) {
    throw configError(`option ${name} must be an object with ${PROVIDER_METHODS.join(', ')} methods`)
  }
  return (request) => {
    let id
    try {
      const { id: i, method, data } = JSON.parse(request)
      id = i
      Promise.resolve()
        .then(() => (method === 'onFlagDefinitionsReceived' ? provider[method](data) : provider[method]()))
        .then(
          (result) => {
            const answer = method === 'shouldFetchFlagDefinitions' ? Boolean(result) : result
            native._cacheProviderAnswer(id, true, answer === undefined || answer === null ? undefined : JSON.stringify(answer))
          },
          (err) => native._cacheProviderAnswer(id, false, String(err && err.message ? err.message : err)),
        )
    } catch (err) {
      if (id !== undefined) native._cacheProviderAnswer(id, false, String(err))
    }
  }
}

function redacted(options) {
  const copy = { ...options }
  for (const k of ['personalApiKey', 'secretKey']) if (copy[k] !== undefined) copy[k] = '[redacted]'
  return copy
}

module.exports = {
  UNSUPPORTED_METHODS,
  UNSUPPORTED_GETTERS,
  resolveOptions,
  notSupported,
}
