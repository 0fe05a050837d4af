'use strict'
// The public `PostHog` class: a thin layer over the native client (index.js → the addon).
//
// It only does what needs JavaScript: `JSON.stringify` of property maps (so `Date`, `toJSON`
// and `undefined` behave as in posthog-node), `JSON.parse` of the flag values and payloads the
// native layer returns as JSON text, `beforeSend` (a JS function cannot be called from the
// core's hook), the `'error'` event, and turning native errors into `PostHogError`. Every rule
// about events, batching, retries, flags and errors is the Rust core's.

const { EventEmitter } = require('node:events')
const util = require('node:util')
const native = require('./index.js')

/** An error of the PostHog client: `code` is the core's error kind, `status` the HTTP status. */
class PostHogError extends Error {
  constructor(message, code, status = null) {
    super(message)
    this.name = 'PostHogError'
    this.code = code
    this.status = status
  }

  /** A PostHogError from a native error or an error payload `{ code, message, status }`. */
  static from(e) {
    if (e instanceof PostHogError) return e
    const code = e && CODES.has(e.code) ? e.code : 'unexpected'
    const status = e && typeof e.status === 'number' ? e.status : null
    const err = new PostHogError(String(e && e.message !== undefined ? e.message : e), code, status)
    if (e && typeof e.reason === 'string') err.reason = e.reason
    if (e && typeof e.scope === 'string') err.scope = e.scope
    if (e instanceof Error && e.stack) err.stack = `PostHogError: ${err.message}\n${e.stack.split('\n').slice(1).join('\n')}`
    return err
  }
}

const CODES = new Set(native._errorCodes())

/** JSON text of an optional map, or `undefined`. Throws on BigInt or cycles (caught by callers). */
function json(value) {
  return value === undefined || value === null ? undefined : JSON.stringify(value)
}

/** JSON text of a map for the local evaluator: a string is taken as JSON text already. */
function jsonText(value) {
  return typeof value === 'string' ? value : json(value)
}

function invalidInput(message) {
  return new PostHogError(message, 'invalid_input')
}

/** Per-call flag options for the native layer (property maps as JSON text). */
function flagOptions(o) {
  if (o === undefined || o === null) return undefined
  if (typeof o !== 'object') throw invalidInput('flag options must be an object')
  let groups, personProperties, groupProperties
  try {
    groups = json(o.groups)
    personProperties = json(o.personProperties)
    groupProperties = json(o.groupProperties)
  } catch {
    throw invalidInput('groups, personProperties and groupProperties must be JSON-serialisable')
  }
  return {
    groups,
    personProperties,
    groupProperties,
    onlyEvaluateLocally: o.onlyEvaluateLocally,
    sendFeatureFlagEvents: o.sendFeatureFlagEvents,
    disableGeoip: o.disableGeoip,
    forceRemote: o.forceRemote,
    deviceId: o.deviceId,
    flagKeys: o.flagKeys,
  }
}

/** JSON text from the native layer → a value; nothing → `undefined`. */
function parse(text) {
  return text === null || text === undefined ? undefined : JSON.parse(text)
}

/** Runs a native call that returns a Promise; every failure becomes a rejected PostHogError. */
function call(fn, then) {
  let p
  try {
    p = fn()
  } catch (e) {
    return Promise.reject(PostHogError.from(e))
  }
  return p.then(then, rethrow)
}

let snapshotNative

/**
 * Every flag of one distinct id, evaluated at one moment (`evaluateFlags`). Pass it to
 * `capture({ ..., flags })` to add `$feature/<key>` and `$active_feature_flags`.
 */
class FlagsSnapshot {
  #native

  /** @private Made by `PostHog.evaluateFlags`. */
  constructor(nativeSnapshot) {
    this.#native = nativeSnapshot
  }

  static {
    snapshotNative = (s) => s.#native
  }

  /** The flag's value (`true`, `false` or a variant key), or `undefined` when not decided. */
  getFlag(key) {
    return typeof key === 'string' ? (this.#native.getFlag(key) ?? undefined) : undefined
  }

  /** Whether the flag is on (`true` or a variant); `false` when not decided. */
  isEnabled(key) {
    return typeof key === 'string' ? this.#native.isEnabled(key) : false
  }

  /** The payload of the flag's value (decoded JSON), or `undefined`. */
  getPayload(key) {
    return typeof key === 'string' ? parse(this.#native.getPayload(key)) : undefined
  }

  /** `{ value, payload, locallyEvaluated, reason, id, version, requestId }`, or `undefined`. */
  getFlagResult(key) {
    return typeof key === 'string' ? parse(this.#native.getFlagResult(key)) : undefined
  }

  /** The keys of every decided flag, sorted. */
  get keys() {
    return this.#native.keys
  }

  /** Undecided flag key → reason (`missing_context`, `not_in_answer`, …). */
  get unresolved() {
    return this.#native.unresolved
  }

  /** The `/flags` request id, when the server was asked. */
  get requestId() {
    return this.#native.requestId ?? undefined
  }

  /** Whom the flags were evaluated for. */
  get distinctId() {
    return this.#native.distinctId
  }
}

/**
 * The pure local evaluator over a flag-definitions response, synchronous (no I/O). Pass the
 * definitions as JSON text to keep number literals (`5` vs `5.0`); an object is stringified.
 */
class LocalEvaluator {
  #native

  /** @param {string | object} definitions the definitions response (JSON text or object) */
  constructor(definitions) {
    let text = definitions
    if (typeof text !== 'string') {
      try {
        text = JSON.stringify(definitions)
      } catch {
        throw invalidInput('definitions must be JSON text or a JSON-serialisable object')
      }
    }
    try {
      this.#native = native.NativeLocalEvaluator.fromJson(text)
    } catch (e) {
      throw PostHogError.from(e)
    }
  }

  /** A LocalEvaluator from the definitions' JSON text. */
  static fromJson(text) {
    if (typeof text !== 'string') throw invalidInput('fromJson expects JSON text')
    return new LocalEvaluator(text)
  }

  /**
   * Evaluates one flag: `{ value, payload }` (payload decoded, `null` when none). Throws a
   * `PostHogError` with `code` `'inconclusive'` and `reason` when it cannot be decided
   * locally. Property maps may be given as JSON text.
   */
  evaluate(key, context) {
    if (typeof key !== 'string') throw invalidInput('key must be a string')
    const c = evalContext(context)
    let r
    try {
      r = this.#native.evaluate(key, c[0], c[1], c[2], c[3], c[4])
    } catch (e) {
      throw PostHogError.from(e)
    }
    return { value: r.value, payload: r.payload == null ? null : JSON.parse(r.payload) }
  }

  /**
   * Every loaded flag (or `flagKeys`) with one conversion of the context:
   * `{ flags: { key: value }, payloads: { key: payload }, unresolved: { key: reason } }`.
   */
  evaluateAll(context, flagKeys) {
    if (flagKeys != null && !(Array.isArray(flagKeys) && flagKeys.every((k) => typeof k === 'string'))) {
      throw invalidInput('flagKeys must be an array of strings')
    }
    const c = evalContext(context)
    try {
      return JSON.parse(this.#native.evaluateAll(c[0], c[1], c[2], c[3], c[4], flagKeys ?? undefined))
    } catch (e) {
      throw PostHogError.from(e)
    }
  }

  /** The number of loaded flags. */
  get size() {
    return this.#native.size
  }

  /** The loaded flag keys, in the order served. */
  get keys() {
    return this.#native.keys
  }

  static matchProperty(property, values, propertyMatchingVersion) {
    return matchProperty(property, values, propertyMatchingVersion)
  }

  static flagHash(key, bucketingValue, salt, separator) {
    return flagHash(key, bucketingValue, salt, separator)
  }
}

/** `[distinctId, deviceId, personProperties, groups, groupProperties]` for the native evaluator. */
function evalContext(context) {
  const c = context ?? {}
  if (typeof c.distinctId !== 'string') throw invalidInput('distinctId must be a string')
  if (c.deviceId != null && typeof c.deviceId !== 'string') throw invalidInput('deviceId must be a string')
  try {
    return [c.distinctId, c.deviceId ?? undefined, jsonText(c.personProperties), jsonText(c.groups), jsonText(c.groupProperties)]
  } catch {
    throw invalidInput('personProperties, groups and groupProperties must be JSON-serialisable')
  }
}

/**
 * Matches one property filter against `values` (objects, or JSON text to keep number
 * literals). Throws `PostHogError` `inconclusive` (with `reason`) or `invalid_input`.
 */
function matchProperty(property, values, propertyMatchingVersion = 1) {
  let p, v
  try {
    p = jsonText(property)
    v = jsonText(values ?? {})
  } catch {
    throw invalidInput('property and values must be JSON-serialisable')
  }
  if (p === undefined) throw invalidInput('property is required')
  if (!Number.isInteger(propertyMatchingVersion) || propertyMatchingVersion < 0) {
    throw invalidInput('propertyMatchingVersion must be a whole number')
  }
  try {
    return native.matchProperty(p, v, propertyMatchingVersion)
  } catch (e) {
    throw PostHogError.from(e)
  }
}

/** The bucketing hash of `key + separator + bucketingValue + salt`, in [0, 1). */
function flagHash(key, bucketingValue, salt = '', separator = '.') {
  for (const [name, v] of [['key', key], ['bucketingValue', bucketingValue], ['salt', salt], ['separator', separator]]) {
    if (typeof v !== 'string') throw invalidInput(`${name} must be a string`)
  }
  return native.flagHash(key, bucketingValue, salt, separator)
}

/** A `Date` as RFC 3339; strings pass through (the core parses them). */
function time(value) {
  return value instanceof Date ? value.toISOString() : value
}

class PostHog extends EventEmitter {
  #native
  #beforeSend

  /**
   * @param {string} apiKey the project API key (`phc_…`)
   * @param {import('./posthog').PostHogOptions} [options]
   */
  constructor(apiKey, options) {
    super()
    let rest = options
    if (options !== null && typeof options === 'object') {
      const { beforeSend, onError, superProperties, ...others } = options
      if (beforeSend != null && typeof beforeSend !== 'function') {
        throw new PostHogError('invalid configuration: option beforeSend must be a function', 'config')
      }
      if (onError != null && typeof onError !== 'function') {
        throw new PostHogError('invalid configuration: option onError must be a function', 'config')
      }
      this.#beforeSend = beforeSend ?? undefined
      if (onError) this.on('error', onError)
      rest = others
      if (superProperties != null) {
        try {
          rest.superProperties = JSON.stringify(superProperties)
        } catch {
          throw new PostHogError('invalid configuration: option superProperties must be JSON-serialisable', 'config')
        }
      }
    }
    // The listener holds the client weakly, so an abandoned client can still be collected.
    const self = new WeakRef(this)
    const listener = (info) => {
      const client = self.deref()
      if (client && client.listenerCount('error') > 0) client.emit('error', PostHogError.from(info))
    }
    try {
      this.#native = new native.NativeClient(apiKey, rest, listener)
    } catch (e) {
      throw PostHogError.from(e)
    }
  }

  /**
   * Queues an event. Returns its uuid, or `undefined` when it was not accepted (invalid,
   * filtered by `beforeSend`, queue full, shut down…). Never throws.
   */
  capture(message) {
    let stage = 'beforeSend threw'
    try {
      let msg = message
      if (this.#beforeSend) {
        msg = this.#beforeSend(msg)
        if (msg === null || msg === undefined) {
          this.#native.recordFiltered()
          return undefined
        }
      }
      stage = 'expects an object argument'
      const { distinctId, event, properties, groups, timestamp, uuid, flags } = msg
      stage = 'properties and groups must be JSON-serialisable'
      const p = json(properties)
      const g = json(groups)
      stage = 'timestamp must be a valid Date or an RFC 3339 string'
      const t = time(timestamp)
      stage = 'flags must be a FlagsSnapshot'
      let f
      if (flags !== undefined && flags !== null) {
        if (!(flags instanceof FlagsSnapshot)) throw new TypeError(stage)
        f = snapshotNative(flags)
      }
      stage = 'event, distinctId and uuid must be strings'
      return this.#native.capture(event, distinctId, p, g, t, uuid, f) ?? undefined
    } catch {
      this.#native.rejectInput(`capture: ${stage}`)
      return undefined
    }
  }

  /** `$identify`: `properties` become `$set` (`properties.$set_once` becomes `$set_once`). */
  identify(message) {
    try {
      const { distinctId, properties } = message
      return this.#native.identify({ distinctId, properties: json(properties) }) ?? undefined
    } catch {
      this.#native.rejectInput('identify: expects { distinctId, properties } with JSON-serialisable properties')
      return undefined
    }
  }

  /** `$create_alias`: makes `alias` another id of `distinctId`. */
  alias(message) {
    try {
      const { distinctId, alias } = message
      return this.#native.alias({ distinctId, alias }) ?? undefined
    } catch {
      this.#native.rejectInput('alias: expects { distinctId, alias }')
      return undefined
    }
  }

  /** `$groupidentify`: sets a group's properties. */
  groupIdentify(message) {
    try {
      const { groupType, groupKey, properties, distinctId } = message
      return this.#native.groupIdentify({ groupType, groupKey, properties: json(properties), distinctId }) ?? undefined
    } catch {
      this.#native.rejectInput('groupIdentify: expects { groupType, groupKey, properties } with JSON-serialisable properties')
      return undefined
    }
  }

  /**
   * Sends everything queued; resolves with the delivery report once it is delivered or has
   * definitively failed. Rejects with a `PostHogError` (`code` `'timeout'`) after `timeoutMs`.
   */
  flush(timeoutMs) {
    return this.#native.flush(ms(timeoutMs)).catch(rethrow)
  }

  /** Stops accepting events and drains the queue within `shutdownTimeoutMs` (default 30 s). */
  shutdown(shutdownTimeoutMs) {
    return this.#native.shutdown(ms(shutdownTimeoutMs)).catch(rethrow)
  }

  // Feature flags. The getters resolve `undefined` when the value is unknown or unavailable
  // (network or server failure, quota limit: reported to the 'error' listeners) and reject
  // only for bad input (`invalid_input`); `evaluateFlags` and `reloadFeatureFlags` reject with
  // every error. A lookup the loaded definitions decide is answered at once, without I/O;
  // one that needs `/flags` runs on the libuv pool.

  /** The flag's value: `true`, `false`, a variant key, or `undefined`. */
  getFeatureFlag(key, distinctId, options) {
    return this.#lookup(key, distinctId, options, (v) => v ?? undefined, (o) =>
      this.#native.getFeatureFlag(key, distinctId, o).then(parse, rethrow),
    )
  }

  /** Whether the flag is on, or `undefined`. */
  isFeatureEnabled(key, distinctId, options) {
    return this.#lookup(key, distinctId, options, (v) => (v === null ? undefined : v !== false), (o) =>
      this.#native.isFeatureEnabled(key, distinctId, o).then(enabled, rethrow),
    )
  }

  /** Local answer now when the definitions decide, else the pooled (possibly remote) lookup. */
  #lookup(key, distinctId, options, local, pooled) {
    let o, quick
    try {
      o = flagOptions(options)
      quick = this.#native.tryGetFeatureFlag(key, distinctId, o)
    } catch (e) {
      return Promise.reject(PostHogError.from(e))
    }
    if (quick !== null && quick !== undefined) return Promise.resolve(local(JSON.parse(quick)))
    try {
      return pooled(o)
    } catch (e) {
      return Promise.reject(PostHogError.from(e))
    }
  }

  /**
   * The payload of the flag's value (decoded JSON), or `undefined`. With `matchValue`, only
   * when the flag evaluates to that value.
   */
  getFeatureFlagPayload(key, distinctId, matchValue, options) {
    return call(() => this.#native.getFeatureFlagPayload(key, distinctId, matchValue, flagOptions(options)), parse)
  }

  /** Every known flag value (the locally decided ones when the server cannot be asked). */
  getAllFlags(distinctId, options) {
    return call(() => this.#native.getAllFlags(distinctId, flagOptions(options)), parse)
  }

  /** `{ featureFlags, featureFlagPayloads }` (as `getAllFlags`). */
  getAllFlagsAndPayloads(distinctId, options) {
    return call(() => this.#native.getAllFlagsAndPayloads(distinctId, flagOptions(options)), parse)
  }

  /** Every flag (or `options.flagKeys`) in one `FlagsSnapshot`; rejects with every error. */
  evaluateFlags(distinctId, options) {
    return call(() => this.#native.evaluateFlags(distinctId, flagOptions(options)), (n) => new FlagsSnapshot(n))
  }

  /** Fetches the flag definitions now (needs `personalApiKey`); rejects with every error. */
  reloadFeatureFlags() {
    return call(() => this.#native.reloadFeatureFlags(), () => undefined)
  }

  /** Swaps the project key for every later request. Throws `PostHogError` (`invalid_key`). */
  rotateKey(apiKey) {
    try {
      this.#native.rotateKey(apiKey)
    } catch (e) {
      throw PostHogError.from(e)
    }
  }

  /** The client's counters (queued, sent, failed, dropped by cause…). */
  stats() {
    return this.#native.stats()
  }

  /** Whether `shutdown` has run. */
  get isShutDown() {
    return this.#native.isShutDown
  }

  /** The resolved ingestion host. */
  get host() {
    return this.#native.host
  }

  toString() {
    return `PostHog(${this.host})`
  }

  toJSON() {
    return { host: this.host }
  }

  [util.inspect.custom]() {
    return `PostHog { host: ${util.inspect(this.host)} }`
  }
}

function ms(value) {
  return typeof value === 'number' ? value : undefined
}

function enabled(text) {
  return text === null || text === undefined ? undefined : text === 'true'
}

function rethrow(e) {
  throw PostHogError.from(e)
}

module.exports = {
  PostHog,
  PostHogError,
  FlagsSnapshot,
  LocalEvaluator,
  matchProperty,
  flagHash,
  VERSION: native.VERSION,
}
module.exports.default = PostHog
// After the exports above: admin.js requires this module for PostHogError.
module.exports.AdminClient = require('./admin.js').AdminClient
