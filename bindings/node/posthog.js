'use strict'
// The public `PostHog` class: a thin layer over the native client (index.js → the addon).
//
// It only does what needs JavaScript: `JSON.stringify` of property maps (so `Date`, `toJSON`
// and `undefined` behave as in posthog-node), `beforeSend` (a JS function cannot be called
// from the core's hook), the `'error'` event, and turning native errors into `PostHogError`.
// Every rule about events, batching, retries and errors is the Rust core's.

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
    if (e instanceof Error && e.stack) err.stack = `PostHogError: ${err.message}\n${e.stack.split('\n').slice(1).join('\n')}`
    return err
  }
}

const CODES = new Set(native._errorCodes())

/** JSON text of an optional map, or `undefined`. Throws on BigInt or cycles (caught by callers). */
function json(value) {
  return value === undefined || value === null ? undefined : JSON.stringify(value)
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
      const { distinctId, event, properties, groups, timestamp, uuid } = msg
      stage = 'properties and groups must be JSON-serialisable'
      const p = json(properties)
      const g = json(groups)
      stage = 'timestamp must be a valid Date or an RFC 3339 string'
      const t = time(timestamp)
      return this.#native.capture({ distinctId, event, properties: p, groups: g, timestamp: t, uuid }) ?? undefined
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

function rethrow(e) {
  throw PostHogError.from(e)
}

module.exports = { PostHog, PostHogError, VERSION: native.VERSION }
module.exports.default = PostHog
