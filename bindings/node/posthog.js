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
const path = require('node:path')
const native = require('./index.js')
const { resolveOptions, notSupported, UNSUPPORTED_METHODS, UNSUPPORTED_GETTERS } = require('./compat.js')
const { PostHogError, NotSupportedError, rethrow, call } = require('./errors.js')
const { json, parse, payloadsParse, time, ms, enabled } = require('./convert.js')
const { Recorder, uuidv7 } = require('./intake.js')
const { describeThrown } = require('./exception.js')
const { startAutocapture } = require('./autocapture.js')
const { FlagsSnapshot, LocalEvaluator, matchProperty, flagHash, flagOptions, snapshotNative } = require('./flags.js')

const DEFAULT_WAIT_MS = 30_000
/** The `$lib` of this package's events (the native `SDK_NAME`). */
const LIBRARY_ID = 'posthog-sdk-node'

class PostHog extends EventEmitter {
  #native
  /** `before_send` / `beforeSend` functions, run in order; empty when none. */
  #beforeSend
  #strictLocal
  #localEvaluation
  #optionsCopy
  #debugListener = null
  /** Captures waiting for their flags (`sendFeatureFlags`); `flush`/`shutdown` wait for them. */
  #pending = new Set()
  /** Plain captures recorded for the native intake (`intake.js`). */
  #recorder
  /** Whether captures may be recorded: no `beforeSend` and the core accepts events now (asked
   *  again after each state change: opt out/in, shutdown). */
  #record = false
  /** Errors this client captured (`captureException` of the same error object sends once). */
  #capturedErrors = new WeakSet()
  /** Stops `enableExceptionAutocapture` (set while it runs). */
  #stopAutocapture = null
  /** posthog-node's per-type limit of autocaptured exceptions (native). */
  #autocaptureLimiter = null

  /**
   * @param {string} apiKey the project API key (`phc_…`)
   * @param {import('./posthog').PostHogOptions} [options] posthog-node 5.x option names
   */
  constructor(apiKey, options) {
    super()
    const { native: rest, js } = resolveOptions(options)
    this.#beforeSend = js.beforeSend
    this.#strictLocal = js.strictLocalEvaluation
    this.#optionsCopy = js.options
    if (js.onError) super.on('error', js.onError)
    // The listener holds the client weakly, so an abandoned client can still be collected.
    const self = new WeakRef(this)
    const listener = (info) => {
      const client = self.deref()
      if (client && client.listenerCount('error') > 0) client.emit('error', PostHogError.from(info))
    }
    // posthog-node emits the flag count after every load of new definitions (poll or reload).
    const loaded = (count) => {
      const client = self.deref()
      if (client) client.emit('localEvaluationFlagsLoaded', count)
    }
    try {
      this.#native = new native.NativeClient(apiKey, rest, listener, loaded, js.flagCache)
    } catch (e) {
      throw PostHogError.from(e)
    }
    this.#localEvaluation = this.#native.localEvaluation
    this.#recorder = new Recorder(this.#native)
    this.#refresh()
    if (js.options.enableExceptionAutocapture && !this.#native.disabled) {
      this.#autocaptureLimiter = new native.ExceptionRateLimiter()
      this.#stopAutocapture = startAutocapture({
        capture: (error, mechanism) => this.#captureException(error, undefined, undefined, undefined, undefined, undefined, mechanism),
        flushSync: (timeoutMs) => {
          this.#handOver()
          native.flushSync(this.#native, timeoutMs)
        },
      })
    }
  }

  /** Re-reads whether captures may be recorded. */
  #refresh() {
    this.#record = this.#beforeSend.length === 0 && this.#native.acceptsEvents
  }

  /** Hands the recorded captures over: every call that must see them in order runs this first. */
  #handOver() {
    this.#recorder.handOver()
  }

  /**
   * Queues an event. Returns its uuid, or `undefined` when it was not accepted (invalid,
   * filtered by `before_send`, opted out, queue full, shut down…) or, with
   * `sendFeatureFlags`, is queued once its flags are known. Never throws.
   */
  capture(message) {
    if (message !== null && typeof message === 'object' && message.sendFeatureFlags && !message.flags) {
      this.#track(this.#captureWithFlags(message))
      return undefined
    }
    return this.#enqueue(message)
  }

  /** `capture`, then resolves once the event is delivered (or definitively failed). */
  async captureImmediate(message) {
    this.capture(message)
    await this.#flushImmediate()
  }

  /**
   * posthog-node's `captureAi`: an LLM-analytics event (`$ai_generation`…), the same message
   * and result as `capture`, queued on the core's AI lane and posted to PostHog's dedicated
   * `/i/v0/ai/batch/` route (8 MiB per event), as posthog-node does. Never throws.
   */
  captureAi(message) {
    return this.#enqueue(message, true)
  }

  /** `captureAi`, then resolves once the event is delivered (or definitively failed). */
  async captureAiImmediate(message) {
    this.captureAi(message)
    await this.#flushImmediate()
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
  #hooked(prepared, what, ai = false) {
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
      this.#native.beforeSendFailed(`${what}: beforeSend threw`)
      return undefined
    }
    let text
    try {
      text = JSON.stringify(msg)
    } catch {
      this.#native.rejectInput(`${what}: the message beforeSend returned must be JSON-serialisable`)
      return undefined
    }
    return (ai ? this.#native.captureAiMessage(text, prepared) : this.#native.captureMessage(text, prepared)) ?? undefined
  }

  #track(promise) {
    this.#pending.add(promise)
    promise.finally(() => this.#pending.delete(promise))
  }

  #enqueue(msg, ai = false) {
    if (!ai && this.#record && msg !== null && typeof msg === 'object') {
      const id = this.#recorded(msg)
      if (id !== null) return id
    }
    this.#handOver()
    let stage = 'expects an object argument'
    try {
      const { distinctId, event, groups, timestamp, uuid, flags, disableGeoip } = msg
      const properties = msg.properties
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
      // A number is passed as its text (the core's stringify rule for ids).
      const id0 = typeof distinctId === 'number' && Number.isFinite(distinctId) ? String(distinctId) : distinctId
      const args = [event, id0 ?? undefined, p, g, t, uuid ?? undefined, f, disableGeoip ?? undefined]
      const id =
        this.#beforeSend.length > 0
          ? this.#hooked(this.#native.prepareCapture(...args), 'capture', ai)
          : ((ai ? this.#native.captureAi(...args) : this.#native.capture(...args)) ?? undefined)
      if (this.#debugListener) console.log('[PostHog] capture', JSON.stringify({ event, distinctId, uuid: id }))
      return id
    } catch {
      this.#native.rejectInput(`capture: ${stage}`)
      return undefined
    }
  }

  /**
   * The fast path: a plain capture becomes one recorded line (its uuid and timestamp fixed
   * now). `null` when the message needs the direct path (a uuid or timestamp text to check,
   * flags, an argument of the wrong type, an empty name or id: the core refuses those at once).
   */
  #recorded(msg) {
    const { distinctId, event, groups, timestamp, uuid, flags, disableGeoip, properties } = msg
    if (typeof event !== 'string' || event === '' || uuid !== undefined || (flags !== undefined && flags !== null)) return null
    if (disableGeoip !== undefined && disableGeoip !== null && typeof disableGeoip !== 'boolean') return null
    let id
    if (typeof distinctId === 'string') {
      if (distinctId === '') return null
      id = distinctId
    } else if (distinctId === undefined || distinctId === null) id = null
    else if (typeof distinctId === 'number' && Number.isFinite(distinctId)) id = String(distinctId)
    else return null
    const now = Date.now()
    let t
    if (timestamp === undefined || timestamp === null) t = now
    else if (timestamp instanceof Date) {
      t = timestamp.getTime()
      if (!Number.isFinite(t)) return null
    } else return null
    const u = uuidv7(now)
    let line
    try {
      line = JSON.stringify([event, id, properties ?? null, groups ?? null, t, u, disableGeoip ?? null])
    } catch {
      this.#native.rejectInput('capture: properties and groups must be JSON-serialisable')
      return undefined
    }
    this.#recorder.push(line)
    if (this.#debugListener) console.log('[PostHog] capture', JSON.stringify({ event, distinctId, uuid: u }))
    return u
  }

  /**
   * Runs a native `identify`/`alias`/`groupIdentify` (or its `prepare*` twin through
   * `beforeSend`) on `fields` (property maps already JSON text).
   */
  #personCall(what, direct, prepare, fields) {
    this.#handOver()
    return this.#beforeSend.length > 0 ? this.#hooked(prepare(fields), what) : (direct(fields) ?? undefined)
  }

  /**
   * `$identify` (built by the core): `properties` become `$set` (`properties.$set_once` becomes
   * `$set_once`); `disableGeoip` overrides the client's setting.
   */
  identify(message) {
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
    await this.#flushImmediate()
  }

  /** `$create_alias` (built by the core): makes `alias` another id of `distinctId`. */
  alias(message) {
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
    await this.#flushImmediate()
  }

  /** `$groupidentify` (built by the core): sets a group's properties. */
  groupIdentify(message) {
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
    await this.#flushImmediate()
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

  /** Adds super properties to every later event (the core keeps them; event properties win). */
  async register(properties) {
    if (properties === null || typeof properties !== 'object') return
    this.#handOver()
    this.#native.register(JSON.stringify(properties))
  }

  /** Removes a property added by `register`. */
  async unregister(property) {
    this.#handOver()
    this.#native.unregister(String(property))
  }

  /** Sends events again after `optOut`/`disable`. */
  async optIn() {
    this.#handOver()
    this.#native.optIn()
    this.#refresh()
  }

  /** Stops sending events (captures return `undefined`; no `$feature_flag_called`). */
  async optOut() {
    this.#handOver()
    this.#native.optOut()
    this.#refresh()
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
    return this.#native.isOptedOut()
  }

  /** Whether the client was made with `disabled: true` (nothing is ever sent). */
  get isDisabled() {
    return this.#native.disabled
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
    if (event !== 'error' && event !== 'localEvaluationFlagsLoaded') {
      throw notSupported(`on(${JSON.stringify(String(event))})`, "only 'error' and 'localEvaluationFlagsLoaded' are emitted")
    }
    super.on(event, listener)
    return () => this.removeListener(event, listener)
  }

  /**
   * Sends everything queued; resolves with the delivery report once it is delivered or has
   * definitively failed. Rejects with a `PostHogError` (`code` `'timeout'`) after `timeoutMs`.
   */
  /** The flush of the `*Immediate` calls: resolves even when delivery failed (the error goes
   *  to the 'error' listeners), as posthog-node's immediate sends do. */
  async #flushImmediate() {
    try {
      await this.flush()
    } catch {
      // reported through on('error')
    }
  }

  async flush(timeoutMs) {
    if (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
    this.#handOver()
    return this.#native.flush(ms(timeoutMs)).catch(rethrow)
  }

  /** Stops accepting events and drains the queue within `shutdownTimeoutMs` (default 30 s). */
  async shutdown(shutdownTimeoutMs) {
    this.#stopAutocapture?.()
    this.#stopAutocapture = null
    if (this.#pending.size > 0) await Promise.allSettled([...this.#pending])
    this.#handOver()
    try {
      return await this.#native.shutdown(ms(shutdownTimeoutMs))
    } catch (e) {
      return rethrow(e)
    } finally {
      this.#refresh()
    }
  }

  // Error tracking. The core builds `$exception_list` from what `exception.js` reads off the
  // thrown value; the event then takes the capture path (beforeSend, personless without a
  // distinctId, flags). The stack of an Error made here stands in for a value without one.

  /**
   * Captures `error` (anything thrown) as an `$exception` event. Never throws; bad input is
   * reported to the 'error' listeners (`invalid_input`). The same error object is sent once.
   */
  captureException(error, distinctId, additionalProperties, uuid, flags) {
    const synthetic = new Error('PostHog syntheticException')
    this.#captureException(error, synthetic.stack, distinctId, additionalProperties, uuid, flags, undefined)
  }

  /** `captureException`, then resolves once the event is delivered (or definitively failed). */
  async captureExceptionImmediate(error, distinctId, additionalProperties, flags) {
    const synthetic = new Error('PostHog syntheticException')
    this.#captureException(error, synthetic.stack, distinctId, additionalProperties, undefined, flags, undefined)
    await this.#flushImmediate()
  }

  /** The `$exception` capture behind both methods and autocapture; its uuid or `undefined`. */
  #captureException(error, syntheticStack, distinctId, additionalProperties, uuid, flags, mechanism) {
    if ((typeof error === 'object' && error !== null) || typeof error === 'function') {
      if (this.#capturedErrors.has(error)) return undefined
      try {
        if (error.__posthog_previously_captured_error === true) return undefined
      } catch {
        // an unreadable property: capture it
      }
      this.#capturedErrors.add(error)
    }
    let caller
    try {
      caller = json(additionalProperties)
    } catch {
      this.#native.rejectInput('captureException: additionalProperties must be JSON-serialisable')
      return undefined
    }
    let text
    try {
      const input = JSON.stringify(describeThrown(error, syntheticStack))
      const options = JSON.stringify({
        mechanism,
        cwd: process.cwd(),
        module_base: process.argv[1] ? path.dirname(process.argv[1]) : process.cwd(),
      })
      text = native.exceptionProperties(input, options, caller)
    } catch (e) {
      this.#native.rejectInput(`captureException: ${PostHogError.from(e).message}`)
      return undefined
    }
    const properties = JSON.parse(text)
    // Autocapture (a mechanism given) is limited per exception type, as in posthog-node.
    if (mechanism && this.#autocaptureLimiter?.limited(String(properties.$exception_list?.[0]?.type ?? 'Exception'))) {
      return undefined
    }
    return this.#enqueue({ event: '$exception', distinctId, properties, uuid, flags })
  }

  // Feature flags. The getters resolve `undefined` when the value is unknown or unavailable
  // (network or server failure, quota limit: reported to the 'error' listeners) and reject
  // only for bad input (`invalid_input`); `evaluateFlags` and `reloadFeatureFlags` reject with
  // every error. A lookup the loaded definitions decide is answered at once, without I/O;
  // one that needs `/flags` runs on the libuv pool.

  /** The flag's value: `true`, `false`, a variant key, or `undefined`. */
  getFeatureFlag(key, distinctId, options) {
    return this.#lookup(key, distinctId, options, false, (v) => v ?? undefined, parse)
  }

  /** Whether the flag is on, or `undefined`. */
  isFeatureEnabled(key, distinctId, options) {
    return this.#lookup(key, distinctId, options, true, (v) => (v === null ? undefined : v !== false), enabled)
  }

  /** `{ key, enabled, variant, payload }`, or `undefined` when the flag is not decided. */
  async getFeatureFlagResult(key, distinctId, options) {
    if (distinctId !== null && typeof distinctId === 'object') throw contextOverload('getFeatureFlagResult')
    let text
    try {
      text = await this.#native.getFeatureFlagResult(key, distinctId, this.#flagOptions(options))
    } catch (e) {
      throw PostHogError.from(e)
    }
    if (text === null || text === undefined) return undefined
    const r = JSON.parse(text)
    return { key: r.key, enabled: r.enabled, variant: r.variant, payload: r.payload, reason: r.reason, reasonCode: r.reasonCode }
  }

  /**
   * One crossing: the local answer (JSON text) now when the definitions decide, else the
   * native Promise of the pooled (possibly remote) lookup, decoded by `remote`.
   */
  #lookup(key, distinctId, options, isEnabled, local, remote) {
    this.#handOver()
    let r
    try {
      r = this.#native.lookupFlag(key, distinctId, this.#flagOptions(options), isEnabled)
    } catch (e) {
      return Promise.reject(PostHogError.from(e))
    }
    if (typeof r === 'string') return Promise.resolve(local(JSON.parse(r)))
    return r.then(remote, rethrow)
  }

  /** `getAllFlags` / `getAllFlagsAndPayloads`: answered now when the definitions decide. */
  #allFlags(distinctId, options, withPayloads, decode) {
    this.#handOver()
    let r
    try {
      r = this.#native.allFlags(distinctId, this.#flagOptions(options), withPayloads)
    } catch (e) {
      return Promise.reject(PostHogError.from(e))
    }
    if (typeof r === 'string') return Promise.resolve(decode(r))
    return r.then(decode, rethrow)
  }

  /** Per-call flag options, with the client's `strictLocalEvaluation` and opt-out applied. */
  #flagOptions(options) {
    if (!this.#strictLocal) return flagOptions(options)
    if (options !== undefined && options !== null && typeof options !== 'object') return flagOptions(options)
    const o = { ...options }
    if (o.onlyEvaluateLocally === undefined) o.onlyEvaluateLocally = true
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
    return this.#allFlags(distinctId, options, false, parse)
  }

  /** `{ featureFlags, featureFlagPayloads }` (as `getAllFlags`). */
  getAllFlagsAndPayloads(distinctId, options) {
    if (distinctId !== null && typeof distinctId === 'object') return Promise.reject(contextOverload('getAllFlagsAndPayloads'))
    return this.#allFlags(distinctId, options, true, payloadsParse)
  }

  /** Every flag (or `options.flagKeys`) in one `FlagsSnapshot`; rejects with every error. */
  evaluateFlags(distinctId, options) {
    if (distinctId !== null && typeof distinctId === 'object') return Promise.reject(contextOverload('evaluateFlags'))
    return call(() => this.#native.evaluateFlags(distinctId, this.#flagOptions(options)), (n) => new FlagsSnapshot(n))
  }

  /**
   * The payload of remote-config flag `flagKey` (PostHog decrypts encrypted payloads), asked
   * with `personalApiKey`/`secretKey`; `undefined` when there is none, the client is disabled
   * or the request fails (reported to the 'error' listeners). Rejects without a secret key.
   */
  getRemoteConfigPayload(flagKey) {
    return call(() => this.#native.getRemoteConfigPayload(flagKey), parse)
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
      this.#handOver()
      this.#native.rotateKey(apiKey)
    } catch (e) {
      throw PostHogError.from(e)
    }
  }

  /** The client's counters (queued, sent, failed, dropped by cause…). */
  stats() {
    this.#handOver()
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
    return this.#native.flushAt
  }

  get privacyMode() {
    return this.#optionsCopy.privacyMode === true
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

module.exports = {
  PostHog,
  PostHogError,
  NotSupportedError,
  FlagsSnapshot,
  LocalEvaluator,
  matchProperty,
  flagHash,
  FileFlagDefinitionCache: require('./flags.js').FileFlagDefinitionCache,
  VERSION: native.VERSION,
}
module.exports.default = PostHog
module.exports.AdminClient = require('./admin.js').AdminClient
