'use strict'
// Flag values outside the client: `FlagsSnapshot` (what `evaluateFlags` returns), the pure
// synchronous `LocalEvaluator`, `matchProperty`, `flagHash`, and per-call flag options.

const native = require('./index.js')
const { notSupported } = require('./compat.js')
const { PostHogError, invalidInput } = require('./errors.js')
const { json, jsonText, parse } = require('./convert.js')

/**
 * Per-call flag options for the native layer: one JSON text (the native side reads it once,
 * for the local answer and, when needed, the `/flags` request), or `undefined`.
 */
function flagOptions(o) {
  if (o === undefined || o === null) return undefined
  if (typeof o !== 'object') throw invalidInput('flag options must be an object')
  try {
    return JSON.stringify({
      groups: o.groups,
      personProperties: o.personProperties,
      groupProperties: o.groupProperties,
      onlyEvaluateLocally: o.onlyEvaluateLocally,
      sendFeatureFlagEvents: o.sendFeatureFlagEvents,
      disableGeoip: o.disableGeoip,
      forceRemote: o.forceRemote,
      deviceId: o.deviceId,
      flagKeys: o.flagKeys,
    })
  } catch {
    throw invalidInput('groups, personProperties and groupProperties must be JSON-serialisable')
  }
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

/**
 * The shipped flag-definitions cache provider: one JSON file shared by every process that
 * names the same `path`, with a lease so only one of them fetches per interval (the lease
 * follows `featureFlagsPollingInterval` unless `leaseMs` is given). The core does the file
 * work; pass it as `flagDefinitionCacheProvider`.
 */
class FileFlagDefinitionCache {
  #path
  #leaseMs
  constructor(path, options = {}) {
    if (typeof path !== 'string' || path === '') throw new TypeError('FileFlagDefinitionCache needs a file path')
    const leaseMs = options?.leaseMs
    if (leaseMs !== undefined && !(Number.isFinite(leaseMs) && leaseMs >= 0)) {
      throw new TypeError('leaseMs must be a number, 0 or more')
    }
    this.#path = path
    this.#leaseMs = leaseMs
  }
  /** The definitions file. */
  get path() {
    return this.#path
  }
  /** What the native constructor reads. */
  toJSON() {
    return this.#leaseMs === undefined ? { path: this.#path } : { path: this.#path, leaseMs: this.#leaseMs }
  }
}

module.exports = { FlagsSnapshot, LocalEvaluator, FileFlagDefinitionCache, matchProperty, flagHash, flagOptions, snapshotNative: (s) => snapshotNative(s) }
