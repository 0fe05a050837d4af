// The public API of the `posthog-sdk` package (hand-written; the native layer's generated
// types are in index.d.ts). Option names follow posthog-node 5.x.

import type { JsFlushReport, JsStats } from './index'

/** What a `flush` or `shutdown` achieved while it waited. */
export type FlushReport = JsFlushReport
/** The client's counters. */
export type Stats = JsStats

/** The core's error kinds (`PostHogError.code`). */
export type ErrorCode =
  | 'config'
  | 'invalid_key'
  | 'invalid_input'
  | 'transport'
  | 'timeout'
  | 'rate_limited'
  | 'unauthorized'
  | 'forbidden'
  | 'invalid_request'
  | 'too_large'
  | 'quota_limited'
  | 'not_found'
  | 'conflict'
  | 'server'
  | 'queue_full'
  | 'closed'
  | 'unexpected'
  | 'inconclusive'
  | 'io'
  /** This binding's own code: see `NotSupportedError`. */
  | 'not_supported'

/** Why local evaluation could not decide a flag (`PostHogError.reason` of `inconclusive`). */
export type InconclusiveReason =
  | 'experience_continuity'
  | 'unsupported_definition'
  | 'unresolved_dependency'
  | 'missing_context'
  | 'unknown_flag'

/** Every error of the client. Messages never contain keys or event payloads. */
export declare class PostHogError extends Error {
  readonly name: 'PostHogError' | 'NotSupportedError'
  /** The core's error kind. */
  readonly code: ErrorCode
  /** The HTTP status behind the error, or `null`. */
  readonly status: number | null
  /** Only on `inconclusive` errors: why local evaluation could not decide. */
  readonly reason?: InconclusiveReason
  /** The request id PostHog echoed, when known. */
  readonly requestId?: string
  /** The `Retry-After` PostHog asked for, in seconds, when given (429, 503). */
  readonly retryAfter?: number
  /** Only on `forbidden` errors: the missing scope, when the server named it. */
  readonly scope?: string
  /** Only on `invalid_request` errors: the field PostHog blamed, when it named one. */
  readonly attr?: string
  /** Only on a stopped `AdminClient.export`: the checkpoint to resume from. */
  readonly checkpoint?: ExportCheckpoint
  constructor(message: string, code: ErrorCode, status?: number | null)
  /** A PostHogError from a native error or an `{ code, message, status }` payload. */
  static from(e: unknown): PostHogError
}

/**
 * A posthog-node method, property or option this package does not provide (`code`
 * `'not_supported'`: a code of this binding, not one of the core's kinds). The message says why.
 */
export declare class NotSupportedError extends PostHogError {
  readonly name: 'NotSupportedError'
  readonly code: 'not_supported'
  constructor(message: string)
}

export interface EventMessage {
  /** Without it, a personless event: a random id and `$process_person_profile: false`. */
  distinctId?: string
  event: string
  properties?: Record<string, any>
  /** Group type → group key (sent as `$groups`). */
  groups?: Record<string, string | number>
  /** When it happened; a `Date` or an RFC 3339 string. Default: now. */
  timestamp?: Date | string
  /** The event's id (for de-duplication). Default: a new UUID v7. */
  uuid?: string
  /** Adds `$feature/<key>` for each flag and `$active_feature_flags` (the event's own win). */
  flags?: FlagsSnapshot
  /**
   * Deprecated in posthog-node (prefer `flags`): evaluate the flags first, then queue the event
   * with them (`capture` then returns `undefined`; `flush` waits for it).
   */
  sendFeatureFlags?: boolean | SendFeatureFlagsOptions
  /** Overrides the client's `disableGeoip` for this event (`$geoip_disable`). */
  disableGeoip?: boolean
}

/**
 * What a `before_send` function receives: the message the core built (defaults, super
 * properties, `$lib`, `$groups`, `$geoip_disable`, …). Fields it leaves out of its answer keep
 * their values.
 */
export interface PreparedMessage {
  event: string
  distinctId: string
  properties: Record<string, any>
  timestamp: Date
  uuid: string
}

export interface SendFeatureFlagsOptions {
  onlyEvaluateLocally?: boolean
  personProperties?: Record<string, any>
  groupProperties?: Record<string, Record<string, any>>
  flagKeys?: string[]
}

/** `getFeatureFlagResult`'s answer (posthog-node's `FeatureFlagResult`). */
export interface FeatureFlagResult {
  readonly key: string
  /** `false` is a conclusive off. */
  readonly enabled: boolean
  readonly variant?: string
  readonly payload?: JsonType
}

/** A flag's value: `true`, `false` or the variant key. */
export type FeatureFlagValue = boolean | string
export type JsonType = string | number | boolean | null | { [key: string]: JsonType } | JsonType[]

/** Per-call options of the flag API (posthog-node 5.x names). */
export interface FlagOptions {
  /** Group type → group key. */
  groups?: Record<string, string | number>
  personProperties?: Record<string, any>
  /** Group type → that group's properties. */
  groupProperties?: Record<string, Record<string, any>>
  /** Never ask `/flags`: a flag local evaluation cannot decide gives `undefined`. */
  onlyEvaluateLocally?: boolean
  /** Capture `$feature_flag_called` (default: the client's `sendFeatureFlagEvent`). */
  sendFeatureFlagEvents?: boolean
  /** Ask PostHog not to use the caller's IP for this lookup. */
  disableGeoip?: boolean
  /** Ignore local definitions and ask `/flags`. */
  forceRemote?: boolean
  /** The device id, for flags bucketed by device. */
  deviceId?: string
}

export interface EvaluateFlagsOptions extends FlagOptions {
  /** Only these flags (default: every flag). */
  flagKeys?: string[]
}

/** One flag's result with its metadata. */
export interface FlagResult {
  value: FeatureFlagValue
  payload: JsonType
  /** Decided from local definitions (no request). */
  locallyEvaluated: boolean
  reason: string | null
  id: number | null
  version: number | null
  requestId: string | null
}

/** Every flag of one distinct id, evaluated at one moment (`PostHog.evaluateFlags`). */
export declare class FlagsSnapshot {
  private constructor()
  /** The value, or `undefined` when the flag was not decided. */
  getFlag(key: string): FeatureFlagValue | undefined
  /** `true` or a variant; `false` when not decided. */
  isEnabled(key: string): boolean
  /** The payload (decoded JSON), or `undefined`. */
  getPayload(key: string): JsonType | undefined
  getFlagResult(key: string): FlagResult | undefined
  /** `getPayload` (posthog-node's `FeatureFlagEvaluations` name). */
  getFlagPayload(key: string): JsonType | undefined
  /** `unresolved` (posthog-node's `FeatureFlagEvaluations` name). */
  readonly unresolvedFlags: Record<string, string>
  /** Not supported: throws `NotSupportedError` (pass `flagKeys` to `evaluateFlags`). */
  only(keys: string[]): never
  /** Not supported: throws `NotSupportedError`. */
  onlyAccessed(): never
  /** The keys of every decided flag, sorted. */
  readonly keys: string[]
  /** Undecided flag key → reason (`missing_context`, `not_in_answer`, `definitions_not_loaded`, …). */
  readonly unresolved: Record<string, string>
  /** The `/flags` request id, when the server was asked. */
  readonly requestId: string | undefined
  readonly distinctId: string
}

/** What `LocalEvaluator.evaluate` is given; property maps may be JSON text (keeps `5.0` apart from `5`). */
export interface EvalContext {
  distinctId: string
  deviceId?: string
  personProperties?: Record<string, any> | string
  groups?: Record<string, string | number> | string
  groupProperties?: Record<string, Record<string, any>> | string
}

/**
 * The pure local evaluator over a flag-definitions response
 * (`{ flags, group_type_mapping, cohorts, property_matching_version? }`). Synchronous, no I/O.
 */
/** The definitions a cache provider stores and returns (posthog-node's shape: snake_case fields and camelCase aliases). */
export interface FlagDefinitionCacheData {
  flags: Record<string, unknown>[]
  group_type_mapping?: Record<string, string>
  groupTypeMapping: Record<string, string>
  cohorts: Record<string, unknown>
  minimal_flag_called_events?: boolean
  minimalFlagCalledEvents?: boolean
  property_matching_version?: number
  propertyMatchingVersion?: number
}

/** posthog-node's `FlagDefinitionCacheProvider`: every method may return a Promise. */
export interface FlagDefinitionCacheProvider {
  /** The cached definitions, `undefined` when empty. */
  getFlagDefinitions(): Promise<FlagDefinitionCacheData | undefined> | FlagDefinitionCacheData | undefined
  /** Whether this process should fetch now (take a distributed lock). */
  shouldFetchFlagDefinitions(): Promise<boolean> | boolean
  /** New definitions this process fetched: store them, release the lock. */
  onFlagDefinitionsReceived(data: FlagDefinitionCacheData): Promise<void> | void
  /** The client shuts down: release locks. */
  shutdown(): Promise<void> | void
}

/** The shipped provider: one JSON file and a lease shared by the processes naming `path`. */
export declare class FileFlagDefinitionCache {
  constructor(path: string, options?: { leaseMs?: number })
  readonly path: string
}

export declare class LocalEvaluator {
  /** Throws `PostHogError` `invalid_input` when the definitions cannot be parsed. */
  constructor(definitions: string | Record<string, any>)
  /** From JSON text: number literals keep their integer/float kind. */
  static fromJson(text: string): LocalEvaluator
  /**
   * `{ value, payload }` (payload `null` when none). Throws `PostHogError` `inconclusive`
   * (with `reason`) when local evaluation cannot decide, `invalid_input` for bad arguments.
   */
  evaluate(key: string, context: EvalContext): { value: FeatureFlagValue; payload: JsonType }
  /** Every loaded flag (or `flagKeys`), converting the context once. */
  evaluateAll(context: EvalContext, flagKeys?: string[]): {
    flags: Record<string, FeatureFlagValue>
    payloads: Record<string, JsonType>
    /** Undecided flag key → reason. */
    unresolved: Record<string, InconclusiveReason>
  }
  readonly size: number
  readonly keys: string[]
  static matchProperty(property: Record<string, any> | string, values: Record<string, any> | string, propertyMatchingVersion?: number): boolean
  static flagHash(key: string, bucketingValue: string, salt?: string, separator?: string): number
}

/** Matches one property filter against `values`; throws `inconclusive` (with `reason`). */
export declare function matchProperty(
  property: Record<string, any> | string,
  values: Record<string, any> | string,
  propertyMatchingVersion?: number,
): boolean
/** The bucketing hash of `key + separator + bucketingValue + salt` (defaults `''`, `'.'`), in [0, 1). */
export declare function flagHash(key: string, bucketingValue: string, salt?: string, separator?: string): number

export interface IdentifyMessage {
  distinctId: string
  /** Person properties (`$set`); `properties.$set_once` is sent as `$set_once`. */
  properties?: Record<string, any>
  /** Overrides the client's `disableGeoip` for this event. */
  disableGeoip?: boolean
}

export interface AliasMessage {
  distinctId: string
  alias: string
  /** Overrides the client's `disableGeoip` for this event. */
  disableGeoip?: boolean
}

export interface SetPersonPropertiesMessage {
  distinctId: string
  /** Sent as `$set`. */
  properties?: Record<string, any>
  /** Sent as `$set_once`. */
  propertiesOnce?: Record<string, any>
}

export interface UnsetPersonPropertiesMessage {
  distinctId: string
  /** The person property names to remove (`$unset`). */
  properties: string[] | string
}

/** A posthog-node `before_send` function: return the message (changed or not) or `null` to drop it. */
export type BeforeSendFn = (
  message: PreparedMessage,
) => (Partial<Omit<PreparedMessage, 'timestamp'>> & { timestamp?: Date | string }) | null | undefined

export interface GroupIdentifyMessage {
  groupType: string
  groupKey: string
  properties?: Record<string, any>
  /** Default: `$<groupType>_<groupKey>`. */
  distinctId?: string
  /** Overrides the client's `disableGeoip` for this event. */
  disableGeoip?: boolean
}

/**
 * posthog-node 5.x options (see the README's compatibility table), then this package's own.
 * posthog-node options not listed here throw `NotSupportedError` when set (unless set to the
 * value that means what this package does anyway).
 */
export interface PostHogOptions {
  /** Default `https://us.i.posthog.com`; `http://` only for loopback. */
  host?: string
  /** Send a batch once this many events are queued (default 20, as posthog-node). */
  flushAt?: number
  /** Send what is queued at least this often, in ms (default 10 000, as posthog-node; `0`: no timed flush). */
  /** Most events in one request (default 100, at least `flushAt`): `flushAt` queued events start a send. */
  maxBatchSize?: number
  flushInterval?: number
  /** The most events queued (default 100 000); the queue is also bounded by `maxQueueBytes`. */
  maxQueueSize?: number
  /** Timeout of one HTTP request, in ms (default 10 000, as posthog-node). */
  requestTimeout?: number
  /** At most this many resends (the same as `maxRetries`); by default a batch is retried until `retryFor`. */
  fetchRetryCount?: number
  /** Send request bodies uncompressed (default false: gzip). */
  disableCompression?: boolean
  /** Ask PostHog not to resolve locations from the sender's IP. */
  disableGeoip?: boolean
  /** Send every batch to the import pipeline (back-fills). */
  historicalMigration?: boolean
  /** Accept calls but send nothing. */
  disabled?: boolean
  /** `false`: start opted out (`optIn()` to send). Default true. */
  defaultOptIn?: boolean
  /**
   * Called with each message of `capture`, `identify`, `alias` and `groupIdentify` before it is
   * queued (in order, for an array); return it (changed or not) or `null` to drop it.
   */
  before_send?: BeforeSendFn | BeforeSendFn[]
  /** Only `'memory'` (posthog-node's only value). */
  persistence?: 'memory'
  /** A flags secure key (`phs_…`) or personal key (`phx_…`): turns on local flag evaluation. */
  secretKey?: string
  /** Deprecated in posthog-node for `secretKey` (which wins when both are set). */
  personalApiKey?: string
  /** `false`: do not use the key for local evaluation (it still serves `getRemoteConfigPayload`). Default true. */
  enableLocalEvaluation?: boolean
  /**
   * Shares the local-evaluation definitions between processes: a `FileFlagDefinitionCache`,
   * or any object with posthog-node's four provider methods (sync or async). Without a secret
   * key the client is a cache-only reader.
   */
  flagDefinitionCacheProvider?: FlagDefinitionCacheProvider | FileFlagDefinitionCache
  /** How often flag definitions are polled, in ms (default 30 000). `null` throws `NotSupportedError`. */
  featureFlagsPollingInterval?: number
  /** Timeout of one `/flags` request, in ms (default 3000). */
  featureFlagsRequestTimeoutMs?: number
  /** Capture `$feature_flag_called` on flag lookups (default true). */
  sendFeatureFlagEvent?: boolean
  /** Never ask `/flags`: every lookup is `onlyEvaluateLocally` (default false). */
  strictLocalEvaluation?: boolean
  /**
   * Capture uncaught exceptions and unhandled rejections as `$exception` events (default
   * false); how the process ends (exit code, stderr) is unchanged.
   */
  enableExceptionAutocapture?: boolean
  /** Exposed as `client.privacyMode` for `@posthog/ai` (default false). */
  privacyMode?: boolean
  /** Add `$is_server: true` to every event (default true, as posthog-node). */
  isServer?: boolean
  /** No effect (as in posthog-node on a server). */
  preloadFeatureFlags?: boolean
  /** No effect (as in posthog-node on a server). */
  sessionExpirationTimeSeconds?: number
  /** No effect (as in posthog-node on a server). */
  disable_capture_url_hashes?: boolean
  /** No effect: the helpers it quiets are not supported. */
  featureFlagsLogWarnings?: boolean

  // This package's own options.
  /** Resends after the first attempt (default 3). */
  maxRetries?: number
  /** The most serialised bytes queued (default 32 MiB). */
  maxQueueBytes?: number
  /** The most serialised bytes in one request (default 5 MiB). */
  maxBatchBytes?: number
  /** The largest single event (default 1 000 000 bytes). */
  maxEventBytes?: number
  /** Gzip request bodies (default true). */
  gzip?: boolean
  /** Requests in flight at once (default 4). */
  maxInFlight?: number
  /**
   * A directory for the core's crash-safe on-disk queue: accepted events survive a crash or a
   * restart and are delivered by the next client on the same directory (one process each).
   */
  storageDir?: string
  /**
   * With `storageDir`: the queue's bound in bytes on disk (default 1 GiB). The memory queue
   * (`maxQueueSize`, `maxQueueBytes`) is then a window over the disk: events past it wait on
   * disk and are read back as batches are delivered.
   */
  maxDiskBytes?: number
  /** What `capture` does when the queue is full (default `'drop_newest'`). */
  overflow?: 'drop_newest' | 'drop_oldest' | 'block'
  /** With `overflow: 'block'`: the longest `capture` waits for room, in ms (required). */
  blockTimeout?: number
  /** The ingestion protocol (default `'v0'`, `POST /batch/`). */
  protocol?: 'v0' | 'v1'
  /** Properties added to every event (the event's own win). */
  superProperties?: Record<string, any>
  /** `before_send` under this package's earlier name (both may be set: `before_send` runs first). */
  beforeSend?: BeforeSendFn | BeforeSendFn[]
  /** Same as `client.on('error', fn)`. */
  onError?: (error: PostHogError) => void
}

/** The type of a posthog-node property this package does not provide (reading it throws). */
type NotSupported = never

/**
 * The client. At run time an `EventEmitter` (`instanceof EventEmitter` holds), typed as
 * posthog-node types it: `on` returns the function that removes the listener.
 */
export declare class PostHog {
  /** Throws `PostHogError` (`invalid_key`, `config`) or `NotSupportedError` synchronously. */
  constructor(apiKey: string, options?: PostHogOptions)
  /** The options given (secret keys shown as `'[redacted]'`). */
  readonly options: Readonly<PostHogOptions>

  /**
   * Queues an event; returns its uuid, or `undefined` when it was not accepted (or, with
   * `sendFeatureFlags`, is queued once the flags are known). Never throws.
   */
  capture(message: EventMessage): string | undefined
  /** `capture`, then resolves once the event is delivered (or definitively failed). */
  captureImmediate(message: EventMessage): Promise<void>
  /** posthog-node's `captureAi`: an LLM-analytics event, queued as `capture` does (to `/batch/`). */
  captureAi(message: EventMessage): string | undefined
  /** `captureAi`, then resolves once the event is delivered (or definitively failed). */
  captureAiImmediate(message: EventMessage): Promise<void>
  /**
   * Captures `error` (anything thrown: an Error, a string, an object…) as an `$exception`
   * event; personless without `distinctId`. Never throws (bad input goes to the `'error'`
   * listeners as `invalid_input`); the same error object is sent once.
   */
  captureException(
    error: unknown,
    distinctId?: string,
    additionalProperties?: Record<string | number, any>,
    uuid?: string,
    flags?: FlagsSnapshot,
  ): void
  /** `captureException`, then resolves once the event is delivered (or definitively failed). */
  captureExceptionImmediate(
    error: unknown,
    distinctId?: string,
    additionalProperties?: Record<string | number, any>,
    flags?: FlagsSnapshot,
  ): Promise<void>
  identify(message: IdentifyMessage): string | undefined
  identifyImmediate(message: IdentifyMessage): Promise<void>
  alias(message: AliasMessage): string | undefined
  aliasImmediate(message: AliasMessage): Promise<void>
  groupIdentify(message: GroupIdentifyMessage): string | undefined
  groupIdentifyImmediate(message: GroupIdentifyMessage): Promise<void>
  /** A `$set` event (`$set`, `$set_once`); nothing when both are empty. */
  setPersonProperties(message: SetPersonPropertiesMessage): string | undefined
  /** A `$set` event with `$unset`. */
  unsetPersonProperties(message: UnsetPersonPropertiesMessage): string | undefined
  /** Adds properties to every later `capture` (the event's own win). */
  register(properties: Record<string, any>): Promise<void>
  unregister(property: string): Promise<void>
  optIn(): Promise<void>
  /** Stops sending events (and `$feature_flag_called`) until `optIn`. */
  optOut(): Promise<void>
  /** `optIn()`. */
  enable(): Promise<void>
  /** `optOut()`. */
  disable(): Promise<void>
  readonly optedOut: boolean
  /** The `disabled` option. */
  readonly isDisabled: boolean
  /** Logs captures and errors to the console. */
  debug(enabled?: boolean): void
  readonly isDebug: boolean
  /** Resolves once everything queued is delivered or has definitively failed (default bound 30 s). */
  flush(timeoutMs?: number): Promise<FlushReport>
  /** Stops accepting events and drains the queue (default bound 30 s); no handle is left open. */
  shutdown(shutdownTimeoutMs?: number): Promise<FlushReport>
  /** Swaps the project key for every later request. */
  rotateKey(apiKey: string): void

  // Feature flags: the getters resolve `undefined` when the value is unknown or unavailable
  // (reported to 'error' listeners) and reject only with `invalid_input`.
  getFeatureFlag(key: string, distinctId: string, options?: FlagOptions): Promise<FeatureFlagValue | undefined>
  isFeatureEnabled(key: string, distinctId: string, options?: FlagOptions): Promise<boolean | undefined>
  /** With `matchValue`: the payload only when the flag evaluates to that value. */
  getFeatureFlagPayload(key: string, distinctId: string, matchValue?: FeatureFlagValue, options?: FlagOptions): Promise<JsonType | undefined>
  /** The value and its payload, or `undefined` when the flag is not decided. */
  getFeatureFlagResult(key: string, distinctId: string, options?: FlagOptions): Promise<FeatureFlagResult | undefined>
  getAllFlags(distinctId: string, options?: FlagOptions): Promise<Record<string, FeatureFlagValue>>
  getAllFlagsAndPayloads(distinctId: string, options?: FlagOptions): Promise<{
    featureFlags: Record<string, FeatureFlagValue>
    featureFlagPayloads: Record<string, JsonType>
  }>
  /** Rejects with every error (quota limits, server and network failures included). */
  evaluateFlags(distinctId: string, options?: EvaluateFlagsOptions): Promise<FlagsSnapshot>
  /** Fetches the definitions now (needs `personalApiKey`); rejects with every error. */
  reloadFeatureFlags(): Promise<void>
  /** The payload of a remote-config flag (decrypted by PostHog), asked with the secret key. */
  getRemoteConfigPayload(flagKey: string): Promise<JsonType | undefined>
  /** `true` once local definitions are loaded (loads them now); `false` without a key or after `timeoutMs` (default 30 000). */
  waitForLocalEvaluationReady(timeoutMs?: number): Promise<boolean>
  stats(): Stats
  /** `'posthog-sdk-node'`, the `$lib` of the events. */
  getLibraryId(): string
  getLibraryVersion(): string
  /** The resolved ingestion host. */
  readonly host: string
  readonly flushAt: number
  readonly privacyMode: boolean
  /** Always `false` (the option is not supported). */
  readonly enableFullAiCapture: boolean
  readonly preloadFeatureFlags: boolean
  readonly disableSurveys: boolean
  /** Whether `shutdown` has run. */
  readonly isShutDown: boolean
  /** Listens to `'error'`; returns the function that removes the listener. */
  on(event: 'error', listener: (error: PostHogError) => void): () => void
  /** Emitted with the number of flags after the local definitions were loaded on request (`reloadFeatureFlags`, `waitForLocalEvaluationReady`). */
  on(event: 'localEvaluationFlagsLoaded', listener: (count: number) => void): () => void
  once(event: 'error', listener: (error: PostHogError) => void): this
  off(event: 'error', listener: (error: PostHogError) => void): this
  addListener(event: 'error', listener: (error: PostHogError) => void): this
  removeListener(event: 'error', listener: (error: PostHogError) => void): this
  removeAllListeners(event?: 'error'): this
  listenerCount(event: 'error'): number
  emit(event: 'error', error: PostHogError): boolean
  toJSON(): { host: string }

  // posthog-node members that throw `NotSupportedError` (see the README for why).
  /** @deprecated Not supported: throws `NotSupportedError`. */ readonly apiKey: NotSupported
  /** @deprecated Not supported: throws `NotSupportedError`. */ readonly projectToken: NotSupported
  /** @deprecated Not supported: throws `NotSupportedError`. */ readonly distinctIdHasSentFlagCalls: NotSupported
  /** @deprecated Not supported: throws `NotSupportedError`. */ readonly logger: NotSupported
  /** @deprecated Not supported: throws `NotSupportedError`. */ readonly metrics: NotSupported
  /** @deprecated Not supported: throws `NotSupportedError`. */ readonly emails: NotSupported
  /** @deprecated Not supported: throws `NotSupportedError`. */ captureLog(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ startSpan(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ withSpan(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ getActiveSpan(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ withContext(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ enterContext(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ getContext(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ overrideFeatureFlags(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ getSurveysStateless(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ getFeatureFlagEvaluationRuntime(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ getFeatureFlagKeysByEvaluationRuntime(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`; use `waitForLocalEvaluationReady()`. */ isLocalEvaluationReady(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ addPendingPromise(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ prepareEventMessage(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ fetch(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ getPersistedProperty(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ setPersistedProperty(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ getCustomUserAgent(...args: unknown[]): never
  /** @deprecated Not supported: throws `NotSupportedError`. */ getErrorPropertiesBuilder(...args: unknown[]): never
}

/** The package version (also sent as `$lib_version`). */
export declare const VERSION: string

export default PostHog

// --- Admin API (PostHog's private API, personal key `phx_…`) --------------------------------

export interface AdminClientOptions {
  /** A personal API key (`phx_…`). Default: `POSTHOG_PERSONAL_API_KEY`. A `phc_` key throws `invalid_key`. */
  personalApiKey?: string
  /** The app host (default `https://us.posthog.com`, or `POSTHOG_HOST` with the env key); `http://` only for loopback. */
  host?: string
  /** Timeout of one HTTP attempt (ms, default 30000). */
  timeoutMs?: number
  /** Retries of idempotent requests after a 5xx or transport error (default 3). */
  maxRetries?: number
  /** Requests in flight at once (default 4). */
  maxConcurrency?: number
  /** Also retry writes (POST, PATCH, DELETE) after a 5xx or transport error (default false). */
  retryWrites?: boolean
  /**
   * Where the key comes from when it may change (a secret manager, a file a job rewrites):
   * asked for the first key when `personalApiKey` is not given (a Promise needs
   * `AdminClient.create`), and again whenever PostHog answers 401 — the request is then sent
   * once more with the new key. What it throws becomes `invalid_key`, named by type only.
   */
  keyProvider?: () => string | Promise<string>
}

/** A project: a numeric id or `'@current'` (the key's default project, the default). */
export type ProjectRef = number | string
export interface ProjectOption {
  project?: ProjectRef
}

/** A lazy list: the next page is fetched only when the current one is used up. */
export type AdminList<T> = AsyncGenerator<T, void, undefined>

/** Answers keep PostHog's field names (snake_case) and every field PostHog sent. */
export interface AdminUser {
  uuid?: string | null
  email?: string | null
  first_name?: string | null
  distinct_id?: string | null
  team?: Record<string, any> | null
  organization?: Record<string, any> | null
  [field: string]: any
}

export interface AdminProject {
  id: number
  uuid?: string | null
  name?: string | null
  api_token?: string | null
  timezone?: string | null
  [field: string]: any
}

export interface AdminFeatureFlag {
  id: number
  key: string
  name?: string | null
  active: boolean
  deleted: boolean
  filters: Record<string, any> | null
  rollout_percentage?: number | null
  ensure_experience_continuity?: boolean | null
  created_at?: string | null
  [field: string]: any
}

export interface NewFeatureFlag {
  key: string
  /** The description. */
  name?: string
  /** Default true. */
  active?: boolean
  /** Release conditions, variants and payloads, in PostHog's form. */
  filters?: Record<string, any>
  /** Shorthand for one condition group rolling out to this percentage of everyone. */
  rolloutPercentage?: number
  /** Any other field is sent as given (`ensure_experience_continuity`, `tags`…). */
  [field: string]: any
}

export interface QueryOptions extends ProjectOption {
  /** Values of the query's `{name}` placeholders: pass every outside value this way. */
  values?: Record<string, JsonType>
  /** Your id for the query (de-duplication, cancelling). */
  clientQueryId?: string
  /** A name shown in PostHog's query log. */
  name?: string
  /** Compute again instead of answering from PostHog's cache (`force_blocking`/`force_async`). */
  fresh?: boolean
}

export interface QueryResult {
  columns: string[]
  /** `[name, type]` pairs, as PostHog answers them. */
  types: JsonType[]
  results: JsonType[][]
  /** Null when the query has a LIMIT of its own (PostHog sends null then). */
  hasMore: boolean | null
  /** Other fields (`limit`, `offset`, `timings`…), as answered. */
  [field: string]: any
}

export interface PersonalApiKey {
  id: string
  label: string | null
  /** The secret, only in the answer to create and roll. */
  value: string | null
  mask_value: string | null
  scopes: string[]
  last_rolled_at: string | null
  [field: string]: any
}

export interface QueryStatus {
  id: string
  complete: boolean
  error: boolean
  error_message?: string | null
  /** The full answer once complete. */
  results?: QueryResult | null
  [field: string]: any
}

/** Opaque, JSON-serialisable: store it next to the output to resume an export. */
export interface ExportCheckpoint {
  position: { kind: 'start' } | { kind: 'keyset'; timestamp: string; uuid: string } | { kind: 'offset'; offset: number }
  rows: number
  pages: number
  bytes: number
  header_written: boolean
}

export interface ExportEvents {
  /** First time included. */
  after: Date | string
  /** First time excluded. */
  before: Date | string
  /** Only this event name. */
  event?: string
  /** Only events whose property equals the value (plain property names). */
  properties?: Record<string, JsonType>
}

export interface ExportOptions extends ProjectOption {
  /** The output file (created, or cut back to `checkpoint.bytes` and appended to when resuming). */
  path: string
  /** Raw events (columns `uuid, event, timestamp, distinct_id, properties`), paged by (timestamp, uuid). */
  events?: ExportEvents
  /** Or a HogQL `SELECT` without `LIMIT`/`OFFSET` (give it a total `ORDER BY`), paged by offset. */
  hogql?: string
  /** Placeholder values of `hogql`. */
  values?: Record<string, JsonType>
  /** Default `'jsonl'`. */
  format?: 'jsonl' | 'csv'
  /** Rows per page (default 10000, at most 50000). */
  pageSize?: number
  /** Resume from here (`PostHogError.checkpoint` of a stopped export). */
  checkpoint?: ExportCheckpoint
  /** Called after every page, on the JS thread (calls may still arrive just after the promise settles). */
  onProgress?: (progress: { rows: number; checkpoint: ExportCheckpoint }) => void
}

export interface ExportResult {
  /** Rows written in this run. */
  rows: number
  /** Pages fetched in this run. */
  pages: number
  /** Totals over all runs. */
  checkpoint: ExportCheckpoint
}

/**
 * A client of PostHog's private API. Every method returns a Promise (or a lazy async
 * iterator) and runs on the libuv pool; failures reject with a `PostHogError`.
 */
export declare class AdminClient {
  /** Throws `PostHogError`: `invalid_key` (missing or `phc_` key), `config`. */
  constructor(options?: AdminClientOptions)
  /** A client whose first key is awaited from an async `keyProvider`. */
  static create(options: AdminClientOptions): Promise<AdminClient>
  readonly host: string
  /** Swaps the personal key for every later request. Throws `invalid_key`. */
  rotateKey(personalApiKey: string): void
  me(): Promise<AdminUser>
  readonly projects: {
    list(): AdminList<AdminProject>
    get(id?: ProjectRef): Promise<AdminProject>
  }
  readonly featureFlags: {
    list(options?: ProjectOption): AdminList<AdminFeatureFlag>
    get(id: number, options?: ProjectOption): Promise<AdminFeatureFlag>
    create(flag: NewFeatureFlag, options?: ProjectOption): Promise<AdminFeatureFlag>
    /** `fields` in PostHog's names: `name`, `key`, `filters`, `active`, `ensure_experience_continuity`… */
    update(id: number, fields: Record<string, JsonType>, options?: ProjectOption): Promise<AdminFeatureFlag>
    setActive(id: number, active: boolean, options?: ProjectOption): Promise<AdminFeatureFlag>
    /** A soft delete, as PostHog does it. */
    delete(id: number, options?: ProjectOption): Promise<AdminFeatureFlag>
    activity(id: number, options?: ProjectOption): AdminList<Record<string, any>>
  }
  readonly persons: {
    list(options?: ProjectOption & { distinctId?: string }): AdminList<Record<string, any>>
    get(id: string, options?: ProjectOption): Promise<Record<string, any>>
    delete(id: string, options?: ProjectOption): Promise<void>
  }
  readonly cohorts: {
    list(options?: ProjectOption): AdminList<Record<string, any>>
    get(id: number, options?: ProjectOption): Promise<Record<string, any>>
    createStatic(name: string, personIds?: string[], options?: ProjectOption): Promise<Record<string, any>>
  }
  readonly insights: {
    list(options?: ProjectOption): AdminList<Record<string, any>>
    get(id: number, options?: ProjectOption): Promise<Record<string, any>>
  }
  readonly annotations: {
    list(options?: ProjectOption): AdminList<Record<string, any>>
    create(content: string, at?: Date | string, options?: ProjectOption): Promise<Record<string, any>>
  }
  readonly definitions: {
    events(options?: ProjectOption): AdminList<Record<string, any>>
    properties(options?: ProjectOption & { type?: 'event' | 'person' | 'group' | 'session' }): AdminList<Record<string, any>>
  }
  readonly batchExports: {
    list(options?: ProjectOption): AdminList<Record<string, any>>
    get(id: string, options?: ProjectOption): Promise<Record<string, any>>
    create(spec: Record<string, JsonType>, options?: ProjectOption): Promise<Record<string, any>>
    pause(id: string, options?: ProjectOption): Promise<Record<string, any>>
    unpause(id: string, options?: ProjectOption): Promise<Record<string, any>>
    backfill(id: string, start: Date | string, end: Date | string, options?: ProjectOption): Promise<Record<string, any>>
    /** Runs created in `[after, before)`; without `after` PostHog lists only the last 7 days. */
    runs(id: string, options?: ProjectOption & { after?: Date | string; before?: Date | string }): AdminList<Record<string, any>>
  }
  query(hogql: string, options?: QueryOptions): Promise<QueryResult>
  queryAsync(hogql: string, options?: QueryOptions): Promise<QueryStatus>
  queryStatus(id: string, options?: ProjectOption): Promise<QueryStatus>
  /** Polls until complete; rejects `timeout` after `timeoutMs` (default 60000). */
  waitForQuery(id: string, options?: ProjectOption & { timeoutMs?: number }): Promise<QueryResult>
  /** Resolves PostHog's message (or null). */
  cancelQuery(id: string, options?: ProjectOption): Promise<string | null>
  /** The smallest set of scopes for these operations (`'feature_flags.list'`, `'export'`…). */
  static requiredScopes(operations: string[]): string[]
  /** Every admin operation and the scopes it needs. */
  static operations(): Record<string, string[]>
  /** Checks once that the key has the scopes; rejects `forbidden` (with `scope`) naming a missing one. */
  preflight(operations: string[]): Promise<{ granted: string[] | null; required: string[] }>
  /** The client-side budget `[perMinute, perHour]`, lowered when a 429 shows lower limits. */
  rateBudget(rateClass?: 'general' | 'analytics' | 'query'): [number, number] | null
  /** The project's activity (audit) log, newest first (`activity_log:read`). */
  activityLog(options?: ProjectOption & { user?: string; scope?: string; itemId?: string }): AdminList<Record<string, any>>
  /** The key this client uses (`@current`). */
  currentKey(): Promise<PersonalApiKey>
  /** Every personal key of the user (current PostHog refuses this to a personal key). */
  listKeys(): Promise<PersonalApiKey[]>
  /** Creates a key with these scopes; its secret is in `value`, this once. */
  createKey(label: string, scopes: string[]): Promise<PersonalApiKey>
  /** Rolls a key: the new secret is in `value`. */
  rollKey(id: string): Promise<PersonalApiKey>
  /** Deletes (revokes) a key. */
  deleteKey(id: string): Promise<void>
  /** Streams to a file in constant memory; a stopped export rejects with `PostHogError.checkpoint`. */
  export(options: ExportOptions): Promise<ExportResult>
  toString(): string
  toJSON(): { host: string }
}
