'use strict'
// posthog-node 5.x compatibility: how each of its constructor options is handled, and which of
// its methods this package does not provide. The README's "Compatibility with posthog-node"
// tables list the same names; `__test__/compat.test.mjs` checks that both agree.
//
// Only names and defaults are handled here (STYLE: option names follow the official SDK);
// every rule about events, batching, retries and flags stays in the Rust core.

// Loaded lazily: posthog.js requires this module while it is being defined.
const errors = () => require('./errors.js')

/** posthog-node's defaults where they differ from the core's (`ClientOptions::new`). */
const NODE_DEFAULTS = { flushAt: 20, requestTimeout: 10_000 }

/** Options passed to the core under the same name (types and values checked by the core). */
const NATIVE = [
  'host',
  'flushAt',
  'flushInterval',
  'maxQueueSize',
  'requestTimeout',
  'featureFlagsRequestTimeoutMs',
  'sendFeatureFlagEvent',
  'disableGeoip',
  'historicalMigration',
  'disabled',
  // This package's own options (not in posthog-node).
  'maxRetries',
  'maxQueueBytes',
  'maxBatchBytes',
  'maxEventBytes',
  'gzip',
  'maxInFlight',
  'overflow',
  'blockTimeout',
  'protocol',
  'superProperties',
  'storageDir',
]

/**
 * posthog-node options this package does not implement. Setting one throws `not_supported`,
 * unless the value is one that means what this package does anyway (`accepts`).
 */
const UNSUPPORTED_OPTIONS = {
  fetchRetryDelay: { why: 'the core retries with capped full-jitter backoff and honours Retry-After; tune maxRetries instead' },
  maxBatchSize: { why: 'the core cuts batches by flushAt and by bytes (maxBatchBytes), halving a batch on 413' },
  featureFlagsRequestMaxRetries: { why: 'the core asks /flags once per lookup, bounded by featureFlagsRequestTimeoutMs' },
  remoteConfigRequestTimeoutMs: { why: 'remote config payloads (getRemoteConfigPayload) are not supported' },
  disableRemoteConfig: { why: 'remote config payloads (getRemoteConfigPayload) are not supported', accepts: [true] },
  disableRemoteFeatureFlags: { why: 'use onlyEvaluateLocally per call or strictLocalEvaluation', accepts: [false] },
  disableSurveys: { why: 'surveys are not supported', accepts: [true] },
  bootstrap: { why: 'bootstrapped flags are not supported' },
  personProfiles: { why: 'person-profile processing modes are not supported' },
  addTracingHeaders: { why: 'tracing headers are not supported' },
  evaluationContexts: { why: 'flag evaluation contexts are not supported by the core yet', accepts: [[]] },
  evaluationEnvironments: { why: 'flag evaluation contexts are not supported by the core yet', accepts: [[]] },
  custom_blocked_useragents: { why: 'bot filtering by user agent is not supported', accepts: [[]] },
  __preview_capture_bot_pageviews: { why: 'bot page views are not supported', accepts: [false] },
  enableExceptionAutocapture: { why: 'error tracking is not supported', accepts: [false] },
  enableFullAiCapture: { why: 'the AI capture route is not supported', accepts: [false] },
  flagDefinitionCacheProvider: { why: 'the core keeps the flag definitions (ETag polling); a shared cache is not supported' },
  maxCacheSize: { why: 'the core bounds its own $feature_flag_called dedup cache' },
  fetch: { why: 'HTTP is the core\'s (reqwest, on its worker thread); a JS fetch cannot be plugged in' },
  readPostHogCookie: { why: 'the Express/NestJS integrations are not supported', accepts: [false] },
  metrics: { why: 'the metrics API is not supported' },
  logs: { why: 'the logs API is not supported' },
  traces: { why: 'the tracing API is not supported' },
  appHost: { why: 'the emails API is not supported' },
  emailRequestTimeoutMs: { why: 'the emails API is not supported' },
  emailRequestMaxRetries: { why: 'the emails API is not supported' },
  migratedFrom: { why: 'the emails API is not supported' },
  waitUntil: { why: 'not needed: await flush() or the *Immediate methods, which resolve after delivery' },
  waitUntilDebounceMs: { why: 'waitUntil is not supported' },
  waitUntilMaxWaitMs: { why: 'waitUntil is not supported' },
}

/**
 * posthog-node options accepted without effect: they do nothing on a server-side posthog-node
 * either (`featureFlagsLogWarnings` quiets helpers this package does not have).
 */
const NO_EFFECT = ['preloadFeatureFlags', 'sessionExpirationTimeSeconds', 'disable_capture_url_hashes', 'featureFlagsLogWarnings']

/** Options handled in the JS layer (besides NATIVE): see `resolveOptions`. */
const JS_LAYER = [
  'secretKey',
  'personalApiKey',
  'enableLocalEvaluation',
  'featureFlagsPollingInterval',
  'fetchRetryCount',
  'disableCompression',
  'before_send',
  'beforeSend',
  'onError',
  'defaultOptIn',
  'persistence',
  'privacyMode',
  'isServer',
  'strictLocalEvaluation',
]

/** posthog-node methods (and properties) this package does not provide, with the reason. */
const UNSUPPORTED_METHODS = {
  captureException: 'error tracking is not supported by the core yet',
  captureExceptionImmediate: 'error tracking is not supported by the core yet',
  captureAi: 'the AI capture route is not supported',
  captureAiImmediate: 'the AI capture route is not supported',
  captureLog: 'the logs API is not supported',
  startSpan: 'the tracing API is not supported',
  withSpan: 'the tracing API is not supported',
  getActiveSpan: 'the tracing API is not supported',
  withContext: 'request contexts (AsyncLocalStorage) are not supported; pass distinctId and properties',
  enterContext: 'request contexts (AsyncLocalStorage) are not supported; pass distinctId and properties',
  getContext: 'request contexts (AsyncLocalStorage) are not supported',
  overrideFeatureFlags: 'local flag overrides are not supported; use the test server or LocalEvaluator in tests',
  getRemoteConfigPayload: 'remote config payloads are not supported by the core yet',
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
  getErrorPropertiesBuilder: 'error tracking is not supported by the core yet',
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
 * Splits posthog-node options into the core's options and what the JS layer keeps.
 * Throws `not_supported` for an unsupported option and `config` for a wrong type.
 */
function resolveOptions(options) {
  if (options === undefined || options === null) options = {}
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw configError('options must be an object')
  }
  for (const [name, { why, accepts }] of Object.entries(UNSUPPORTED_OPTIONS)) {
    const v = options[name]
    if (v !== undefined && v !== null && !isDefault(v, accepts)) throw notSupported(`option ${name}`, why)
  }
  const native = { ...NODE_DEFAULTS }
  for (const name of NATIVE) if (options[name] !== undefined) native[name] = options[name]

  const key = options.secretKey ?? options.personalApiKey
  if (key !== undefined && key !== null && options.enableLocalEvaluation !== false) native.personalApiKey = key
  if (options.enableLocalEvaluation !== undefined) bool(options, 'enableLocalEvaluation')

  const poll = options.featureFlagsPollingInterval
  if (poll === null) {
    throw notSupported('option featureFlagsPollingInterval: null', 'the core always polls; set a long interval instead')
  }
  if (poll !== undefined) native.featureFlagsPollingInterval = poll

  if (options.fetchRetryCount !== undefined) {
    if (options.maxRetries !== undefined) throw configError('set fetchRetryCount or maxRetries, not both')
    native.maxRetries = options.fetchRetryCount
  }
  if (options.disableCompression !== undefined) {
    if (options.gzip !== undefined) throw configError('set disableCompression or gzip, not both')
    native.gzip = !bool(options, 'disableCompression')
  }
  if (options.persistence !== undefined && options.persistence !== 'memory') {
    throw notSupported(`option persistence: ${JSON.stringify(options.persistence)}`, "only 'memory' exists")
  }

  // isServer (default true) adds $is_server: true to every event, as posthog-node does.
  const isServer = options.isServer === undefined ? true : bool(options, 'isServer')
  if (isServer) {
    if (options.superProperties != null && typeof options.superProperties !== 'object') {
      throw configError('option superProperties must be an object')
    }
    native.superProperties = { $is_server: true, ...(options.superProperties ?? {}) }
  }

  const beforeSend = []
  for (const name of ['before_send', 'beforeSend']) {
    const v = options[name]
    if (v === undefined || v === null) continue
    const list = Array.isArray(v) ? v : [v]
    if (!list.every((f) => typeof f === 'function')) {
      throw configError(`option ${name} must be a function or an array of functions`)
    }
    beforeSend.push(...list)
  }
  if (options.onError != null && typeof options.onError !== 'function') {
    throw configError('option onError must be a function')
  }
  const js = {
    beforeSend,
    onError: options.onError ?? undefined,
    optedOut: options.defaultOptIn === undefined ? false : !bool(options, 'defaultOptIn'),
    privacyMode: options.privacyMode === undefined ? false : bool(options, 'privacyMode'),
    strictLocalEvaluation: options.strictLocalEvaluation === undefined ? false : bool(options, 'strictLocalEvaluation'),
    // posthog-node's `client.options`, without the secrets.
    options: Object.freeze(redacted(options)),
  }
  return { native, js }
}

function bool(options, name) {
  const v = options[name]
  if (typeof v !== 'boolean') throw configError(`option ${name} must be a boolean`)
  return v
}

function redacted(options) {
  const copy = { ...options }
  for (const k of ['personalApiKey', 'secretKey']) if (copy[k] !== undefined) copy[k] = '[redacted]'
  return copy
}

module.exports = {
  NODE_DEFAULTS,
  NATIVE,
  JS_LAYER,
  NO_EFFECT,
  UNSUPPORTED_OPTIONS,
  UNSUPPORTED_METHODS,
  UNSUPPORTED_GETTERS,
  resolveOptions,
  notSupported,
}
