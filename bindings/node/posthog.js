'use strict'
// The public `PostHog` class: a thin layer over the native client (index.js → the addon).
//
// It only does what needs JavaScript: `JSON.stringify` of property maps (so `Date`, `toJSON`
// and `undefined` behave as in posthog-node), `JSON.parse` of the flag values and payloads the
// native layer returns as JSON text, running `beforeSend` on the message the core prepared (a
// JS function cannot be called from the core's hook), the `'error'` event, and turning native errors into `PostHogError`. Every rule
// about events, batching, retries, flags and errors is the Rust core's.

const { EventEmitter } = require('node:events')
const util = require('node:util')
const native = require('./index.js')
const { resolveOptions, notSupported, NODE_DEFAULTS, UNSUPPORTED_METHODS, UNSUPPORTED_GETTERS } = require('./compat.js')

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

/**
 * A posthog-node method, property or option this package does not provide (`code`
 * `'not_supported'`, a code of this binding, not one of the core's error kinds).
 */
class NotSupportedError extends PostHogError {
  constructor(message) {
    super(message, 'not_supported')
    this.name = 'NotSupportedError'
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

  /** `getPayload` (posthog-node's `FeatureFlagEvaluations` name). */
  getFlagPayload(key) {
    return this.getPayload(key)
  }

  /** `unresolved` (posthog-node's `FeatureFlagEvaluations` name). */
  get unresolvedFlags() {
    return this.unresolved
  }

  /** Not supported: a snapshot cannot be narrowed yet. Throws `not_supported`. */
  only() {
    throw notSupported('FlagsSnapshot.only()', 'a snapshot cannot be narrowed; pass flagKeys to evaluateFlags')
  }

  /** Not supported: accesses are not tracked. Throws `not_supported`. */
  onlyAccessed() {
    throw notSupported('FlagsSnapshot.onlyAccessed()', 'accesses are not tracked; pass flagKeys to evaluateFlags')
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

const DEFAULT_WAIT_MS = 30_000
/** The `$lib` of this package's events (the native `SDK_NAME`). */
const LIBRARY_ID = 'posthog-sdk-node'

class PostHog extends EventEmitter {
  #native
  /** `before_send` / `beforeSend` functions, run in order; empty when none. */
  #beforeSend
  #optedOut
  #strictLocal
  #localEvaluation
  #optionsCopy
  #privacyMode
  /** Super properties from `register` (`null` when none). */
  #props = null
  #debugListener = null
  /** Captures waiting for their flags (`sendFeatureFlags`); `flush`/`shutdown` wait for them. */
  #pending = new Set()

  /**
   * @param {string} apiKey the project API key (`phc_…`)
   * @param {import('./posthog').PostHogOptions} [options] posthog-node 5.x option names
   */
  constructor(apiKey, options) {
    super()
    const { native: rest, js } = resolveOptions(options)
    this.#beforeSend = js.beforeSend
    this.#optedOut = js.optedOut
    this.#strictLocal = js.strictLocalEvaluation
    this.#privacyMode = js.privacyMode
    this.#optionsCopy = js.options
    this.#localEvaluation = rest.personalApiKey !== undefined
    if (js.onError) super.on('error', js.onError)
    if (rest.superProperties != null) {
      try {
        rest.superProperties = JSON.stringify(rest.superProperties)
      } catch {
        throw new PostHogError('invalid configuration: option superProperties must be JSON-serialisable', 'config')
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
   * filtered by `before_send`, opted out, queue full, shut down…) or, with
   * `sendFeatureFlags`, is queued once its flags are known. Never throws.
   */
  capture(message) {
    if (this.#optedOut) return undefined
    if (message !== null && typeof message === 'object' && message.sendFeatureFlags && !message.flags) {
      this.#track(this.#captureWithFlags(message))
      return undefined
    }
    return this.#enqueue(message)
  }

  /** `capture`, then resolves once the event is delivered (or definitively failed). */
  async captureImmediate(message) {
    this.capture(message)
    await this.flush()
  }

  /** `sendFeatureFlags`: evaluates the flags, then queues the event with them. */
  async #captureWithFlags(message) {
    const o = typeof message.sendFeatureFlags === 'object' ? message.sendFeatureFlags : {}
    let flags
    try {
      flags = await this.evaluateFlags(message.distinctId, { ...o, groups: message.groups, sendFeatureFlagEvents: false })
    } catch (e) {
      if (this.listenerCount('error') > 0) this.emit('error', PostHogError.from(e))
    }
    this.#enqueue(flags ? { ...message, flags } : message)
  }

  /**
   * `beforeSend`: the core prepared the message (`prepared`, JSON text from a native
   * `prepare*` call, or nothing when it refused the event); the functions run on it in order
   * (`timestamp` as a `Date`) and the core queues what they return, or counts a drop.
   */
  #hooked(prepared, what) {
    if (prepared === null || prepared === undefined) return undefined
    let msg
    try {
      msg = JSON.parse(prepared)
      msg.timestamp = new Date(msg.timestamp)
      for (const f of this.#beforeSend) {
        msg = f(msg)
        if (msg === null || msg === undefined) {
          this.#native.recordFiltered()
          return undefined
        }
      }
    } catch {
      this.#native.rejectInput(`${what}: beforeSend threw`)
      return undefined
    }
    let text
    try {
      text = JSON.stringify(msg)
    } catch {
      this.#native.rejectInput(`${what}: the message beforeSend returned must be JSON-serialisable`)
      return undefined
    }
    return this.#native.captureMessage(text, prepared) ?? undefined
  }

  #track(promise) {
    this.#pending.add(promise)
    promise.finally(() => this.#pending.delete(promise))
  }

  #enqueue(msg) {
    let stage = 'expects an object argument'
    try {
      const { distinctId, event, groups, timestamp, uuid, flags, disableGeoip } = msg
      let properties = msg.properties
      if (this.#props !== null) properties = { ...this.#props, ...properties }
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
      stage = 'event and uuid must be strings, distinctId a string or absent, disableGeoip a boolean'
      const args = [event, distinctId ?? undefined, p, g, t, uuid ?? undefined, f, disableGeoip ?? undefined]
      const id =
        this.#beforeSend.length > 0
          ? this.#hooked(this.#native.prepareCapture(...args), 'capture')
          : (this.#native.capture(...args) ?? undefined)
      if (this.#debugListener) console.log('[PostHog] capture', JSON.stringify({ event, distinctId, uuid: id }))
      return id
    } catch {
      this.#native.rejectInput(`capture: ${stage}`)
      return undefined
    }
  }

  /**
   * Runs a native `identify`/`alias`/`groupIdentify` (or its `prepare*` twin through
   * `beforeSend`) on `fields` (property maps already JSON text).
   */
  #personCall(what, direct, prepare, fields) {
    return this.#beforeSend.length > 0 ? this.#hooked(prepare(fields), what) : (direct(fields) ?? undefined)
  }

  /**
   * `$identify` (built by the core): `properties` become `$set` (`properties.$set_once` becomes
   * `$set_once`); `disableGeoip` overrides the client's setting.
   */
  identify(message) {
    if (this.#optedOut) return undefined
    let fields
    try {
      const { distinctId, properties, disableGeoip } = message
      fields = { distinctId, properties: json(properties), disableGeoip }
    } catch {
      this.#native.rejectInput('identify: expects { distinctId, properties } with JSON-serialisable properties')
      return undefined
    }
    return this.#personCall('identify', (m) => this.#native.identify(m), (m) => this.#native.prepareIdentify(m), fields)
  }

  /** `identify`, then resolves once the event is delivered. */
  async identifyImmediate(message) {
    this.identify(message)
    await this.flush()
  }

  /** `$create_alias` (built by the core): makes `alias` another id of `distinctId`. */
  alias(message) {
    if (this.#optedOut) return undefined
    let fields
    try {
      const { distinctId, alias, disableGeoip } = message
      fields = { distinctId, alias, disableGeoip }
    } catch {
      this.#native.rejectInput('alias: expects { distinctId, alias }')
      return undefined
    }
    return this.#personCall('alias', (m) => this.#native.alias(m), (m) => this.#native.prepareAlias(m), fields)
  }

  /** `alias`, then resolves once the event is delivered. */
  async aliasImmediate(message) {
    this.alias(message)
    await this.flush()
  }

  /** `$groupidentify` (built by the core): sets a group's properties. */
  groupIdentify(message) {
    if (this.#optedOut) return undefined
    let fields
    try {
      const { groupType, groupKey, properties, distinctId, disableGeoip } = message
      fields = { groupType, groupKey, properties: json(properties), distinctId, disableGeoip }
    } catch {
      this.#native.rejectInput('groupIdentify: expects { groupType, groupKey, properties } with JSON-serialisable properties')
      return undefined
    }
    return this.#personCall(
      'groupIdentify',
      (m) => this.#native.groupIdentify(m),
      (m) => this.#native.prepareGroupIdentify(m),
      fields,
    )
  }

  /** `groupIdentify`, then resolves once the event is delivered. */
  async groupIdentifyImmediate(message) {
    this.groupIdentify(message)
    await this.flush()
  }

  /** A `$set` event: `properties` → `$set`, `propertiesOnce` → `$set_once` (as posthog-node). */
  setPersonProperties(message) {
    const { distinctId, properties = {}, propertiesOnce = {} } = message ?? {}
    const p = {}
    if (properties && Object.keys(properties).length > 0) p.$set = properties
    if (propertiesOnce && Object.keys(propertiesOnce).length > 0) p.$set_once = propertiesOnce
    if (Object.keys(p).length === 0) return undefined
    return this.capture({ distinctId, event: '$set', properties: p })
  }

  /** A `$set` event with `$unset: [names]` (as posthog-node). */
  unsetPersonProperties(message) {
    const { distinctId, properties } = message ?? {}
    const names = (Array.isArray(properties) ? properties : [properties]).filter((n) => typeof n === 'string' && n !== '')
    if (names.length === 0) return undefined
    return this.capture({ distinctId, event: '$set', properties: { $unset: names } })
  }

  /** Adds properties to every later `capture` (event properties win). */
  async register(properties) {
    if (properties === null || typeof properties !== 'object') return
    this.#props = { ...this.#props, ...properties }
  }

  /** Removes a property added by `register`. */
  async unregister(property) {
    if (this.#props === null) return
    const { [property]: _, ...rest } = this.#props
    this.#props = Object.keys(rest).length > 0 ? rest : null
  }

  /** Sends events again after `optOut`/`disable`. */
  async optIn() {
    this.#optedOut = false
  }

  /** Stops sending events (captures return `undefined`; no `$feature_flag_called`). */
  async optOut() {
    this.#optedOut = true
  }

  /** `optIn`. */
  enable() {
    return this.optIn()
  }

  /** `optOut`. */
  disable() {
    return this.optOut()
  }

  /** Whether events are dropped because of `optOut`/`disable`/`defaultOptIn: false`. */
  get optedOut() {
    return this.#optedOut
  }

  /** Whether the client was made with `disabled: true` (nothing is ever sent). */
  get isDisabled() {
    return this.#optionsCopy.disabled === true
  }

  /** Logs captures and errors to the console (`debug(false)` stops). */
  debug(enabled = true) {
    if (enabled && !this.#debugListener) {
      this.#debugListener = (err) => console.log('[PostHog] error', err.code, err.message)
      super.on('error', this.#debugListener)
    } else if (!enabled && this.#debugListener) {
      this.removeListener('error', this.#debugListener)
      this.#debugListener = null
    }
  }

  get isDebug() {
    return this.#debugListener !== null
  }

  /**
   * Listens to `'error'` (the only event this client emits). Returns a function that removes
   * the listener, as posthog-node does. Other event names throw `not_supported`.
   */
  on(event, listener) {
    if (event !== 'error') {
      throw notSupported(`on(${JSON.stringify(String(event))})`, "only 'error' is emitted")
    }
    super.on(event, listener)
    return () => this.removeListener(event, listener)
  }

  /**
   * Sends everything queued; resolves with the delivery report once it is delivered or has
   * definitively failed. Rejects with a `PostHogError` (`code` `'timeout'`) after `timeoutMs`.
   */
  async flush(timeoutMs) {
    if (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
    return this.#native.flush(ms(timeoutMs)).catch(rethrow)
  }

  /** Stops accepting events and drains the queue within `shutdownTimeoutMs` (default 30 s). */
  async shutdown(shutdownTimeoutMs) {
    if (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
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

  /** `{ key, enabled, variant, payload }`, or `undefined` when the flag is not decided. */
  async getFeatureFlagResult(key, distinctId, options) {
    if (distinctId !== null && typeof distinctId === 'object') throw contextOverload('getFeatureFlagResult')
    const value = await this.getFeatureFlag(key, distinctId, options)
    if (value === undefined) return undefined
    const payload = await this.getFeatureFlagPayload(key, distinctId, value, { ...options, sendFeatureFlagEvents: false })
    return { key, enabled: value !== false, variant: typeof value === 'string' ? value : undefined, payload }
  }

  /** Local answer now when the definitions decide, else the pooled (possibly remote) lookup. */
  #lookup(key, distinctId, options, local, pooled) {
    let o, quick
    try {
      o = this.#flagOptions(options)
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

  /** Per-call flag options, with the client's `strictLocalEvaluation` and opt-out applied. */
  #flagOptions(options) {
    if (!this.#strictLocal && !this.#optedOut) return flagOptions(options)
    if (options !== undefined && options !== null && typeof options !== 'object') return flagOptions(options)
    const o = { ...options }
    if (this.#strictLocal && o.onlyEvaluateLocally === undefined) o.onlyEvaluateLocally = true
    if (this.#optedOut) o.sendFeatureFlagEvents = false
    return flagOptions(o)
  }

  /**
   * The payload of the flag's value (decoded JSON), or `undefined`. With `matchValue`, only
   * when the flag evaluates to that value.
   */
  getFeatureFlagPayload(key, distinctId, matchValue, options) {
    return call(() => this.#native.getFeatureFlagPayload(key, distinctId, matchValue, this.#flagOptions(options)), parse)
  }

  /** Every known flag value (the locally decided ones when the server cannot be asked). */
  getAllFlags(distinctId, options) {
    if (distinctId !== null && typeof distinctId === 'object') return Promise.reject(contextOverload('getAllFlags'))
    return call(() => this.#native.getAllFlags(distinctId, this.#flagOptions(options)), parse)
  }

  /** `{ featureFlags, featureFlagPayloads }` (as `getAllFlags`). */
  getAllFlagsAndPayloads(distinctId, options) {
    if (distinctId !== null && typeof distinctId === 'object') return Promise.reject(contextOverload('getAllFlagsAndPayloads'))
    return call(() => this.#native.getAllFlagsAndPayloads(distinctId, this.#flagOptions(options)), parse)
  }

  /** Every flag (or `options.flagKeys`) in one `FlagsSnapshot`; rejects with every error. */
  evaluateFlags(distinctId, options) {
    if (distinctId !== null && typeof distinctId === 'object') return Promise.reject(contextOverload('evaluateFlags'))
    return call(() => this.#native.evaluateFlags(distinctId, this.#flagOptions(options)), (n) => new FlagsSnapshot(n))
  }

  /** Fetches the flag definitions now (needs `personalApiKey`); rejects with every error. */
  reloadFeatureFlags() {
    return call(() => this.#native.reloadFeatureFlags(), () => undefined)
  }

  /**
   * Resolves `true` once local evaluation has definitions (it loads them now), `false` without
   * `personalApiKey`/`secretKey`, on a failed load, or after `timeoutMs` (default 30 s).
   */
  waitForLocalEvaluationReady(timeoutMs = DEFAULT_WAIT_MS) {
    if (!this.#localEvaluation) return Promise.resolve(false)
    let timer
    const timeout = new Promise((resolve) => {
      timer = setTimeout(resolve, Math.max(0, Number(timeoutMs) || 0), false)
      timer.unref?.()
    })
    const loaded = this.reloadFeatureFlags().then(() => true, () => false)
    return Promise.race([loaded, timeout]).finally(() => clearTimeout(timer))
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

  /** The `$lib` of the events. */
  getLibraryId() {
    return LIBRARY_ID
  }

  /** The `$lib_version` of the events. */
  getLibraryVersion() {
    return native.VERSION
  }

  /** The options given to the constructor (secret keys shown as `'[redacted]'`). */
  get options() {
    return this.#optionsCopy
  }

  get flushAt() {
    return this.#optionsCopy.flushAt ?? NODE_DEFAULTS.flushAt
  }

  get privacyMode() {
    return this.#privacyMode
  }

  get enableFullAiCapture() {
    return false
  }

  get preloadFeatureFlags() {
    return this.#optionsCopy.preloadFeatureFlags ?? true
  }

  get disableSurveys() {
    return this.#optionsCopy.disableSurveys ?? false
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

for (const [name, why] of Object.entries(UNSUPPORTED_METHODS)) {
  Object.defineProperty(PostHog.prototype, name, {
    value: {
      [name]() {
        throw notSupported(`${name}()`, why)
      },
    }[name],
    writable: true,
    configurable: true,
  })
}
for (const [name, why] of Object.entries(UNSUPPORTED_GETTERS)) {
  Object.defineProperty(PostHog.prototype, name, {
    get() {
      throw notSupported(name, why)
    },
    configurable: true,
  })
}

function contextOverload(method) {
  return notSupported(`${method}() without a distinctId`, 'request contexts are not supported; pass the distinctId')
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
  NotSupportedError,
  FlagsSnapshot,
  LocalEvaluator,
  matchProperty,
  flagHash,
  VERSION: native.VERSION,
}
module.exports.default = PostHog
// After the exports above: admin.js requires this module for PostHogError.
module.exports.AdminClient = require('./admin.js').AdminClient
