// The public API of the `posthog-sdk` package (hand-written; the native layer's generated
// types are in index.d.ts). Option names follow posthog-node 5.x.

import { EventEmitter } from 'node:events'
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

/** Why local evaluation could not decide a flag (`PostHogError.reason` of `inconclusive`). */
export type InconclusiveReason =
  | 'experience_continuity'
  | 'unsupported_definition'
  | 'unresolved_dependency'
  | 'missing_context'
  | 'unknown_flag'

/** Every error of the client. Messages never contain keys or event payloads. */
export declare class PostHogError extends Error {
  readonly name: 'PostHogError'
  /** The core's error kind. */
  readonly code: ErrorCode
  /** The HTTP status behind the error, or `null`. */
  readonly status: number | null
  /** Only on `inconclusive` errors: why local evaluation could not decide. */
  readonly reason?: InconclusiveReason
  /** Only on `forbidden` errors of the admin API: the missing scope, when the server named it. */
  readonly scope?: string
  /** Only on a stopped `AdminClient.export`: the checkpoint to resume from. */
  readonly checkpoint?: ExportCheckpoint
  constructor(message: string, code: ErrorCode, status?: number | null)
  /** A PostHogError from a native error or an `{ code, message, status }` payload. */
  static from(e: unknown): PostHogError
}

export interface EventMessage {
  distinctId: string
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
}

export interface AliasMessage {
  distinctId: string
  alias: string
}

export interface GroupIdentifyMessage {
  groupType: string
  groupKey: string
  properties?: Record<string, any>
  /** Default: `$<groupType>_<groupKey>`. */
  distinctId?: string
}

export interface PostHogOptions {
  /** Default `https://us.i.posthog.com`; `http://` only for loopback. */
  host?: string
  /** Send a batch once this many events are queued (default 100). */
  flushAt?: number
  /** Send what is queued at least this often, in ms (default 5000). */
  flushInterval?: number
  /** The most events queued (default 10 000). */
  maxQueueSize?: number
  /** The most serialised bytes queued (default 32 MiB). */
  maxQueueBytes?: number
  /** The most serialised bytes in one request (default 5 MiB). */
  maxBatchBytes?: number
  /** The largest single event (default 1 000 000 bytes). */
  maxEventBytes?: number
  /** Resends after the first attempt (default 3). */
  maxRetries?: number
  /** Timeout of one HTTP request, in ms (default 15 000). */
  requestTimeout?: number
  /** Gzip request bodies (default true). */
  gzip?: boolean
  /** Requests in flight at once (default 4). */
  maxInFlight?: number
  /** What `capture` does when the queue is full (default `'drop_newest'`). */
  overflow?: 'drop_newest' | 'drop_oldest' | 'block'
  /** With `overflow: 'block'`: the longest `capture` waits for room, in ms (required). */
  blockTimeout?: number
  /** The ingestion protocol (default `'v0'`, `POST /batch/`). */
  protocol?: 'v0' | 'v1'
  /** Ask PostHog not to resolve locations from the sender's IP. */
  disableGeoip?: boolean
  /** Send every batch to the import pipeline (back-fills). */
  historicalMigration?: boolean
  /** Accept calls but send nothing. */
  disabled?: boolean
  /** Properties added to every event (the event's own win). */
  superProperties?: Record<string, any>
  /** A flags secure key (`phs_…`) or personal key (`phx_…`): turns on local flag evaluation. */
  personalApiKey?: string
  /** How often flag definitions are polled, in ms (default 30 000, at least 1000). */
  featureFlagsPollingInterval?: number
  /** Timeout of one `/flags` request, in ms (default 3000). */
  featureFlagsRequestTimeoutMs?: number
  /** Capture `$feature_flag_called` on flag lookups (default true). */
  sendFeatureFlagEvent?: boolean
  /**
   * Called with each `capture` message before it is queued; return it (changed or not) or
   * `null` to drop it. Runs in the JS layer on the caller's message, for `capture` only.
   */
  beforeSend?: (message: EventMessage) => EventMessage | null | undefined
  /** Same as `client.on('error', fn)`. */
  onError?: (error: PostHogError) => void
}

export declare class PostHog extends EventEmitter {
  /** Throws `PostHogError` (`invalid_key`, `config`) synchronously. */
  constructor(apiKey: string, options?: PostHogOptions)
  /** Queues an event; returns its uuid, or `undefined` when it was not accepted. Never throws. */
  capture(message: EventMessage): string | undefined
  identify(message: IdentifyMessage): string | undefined
  alias(message: AliasMessage): string | undefined
  groupIdentify(message: GroupIdentifyMessage): string | undefined
  /** Resolves once everything queued is delivered or has definitively failed (default bound 30 s). */
  flush(timeoutMs?: number): Promise<FlushReport>
  /** Stops accepting events and drains the queue (default bound 30 s). */
  shutdown(shutdownTimeoutMs?: number): Promise<FlushReport>
  /** Swaps the project key for every later request. */
  rotateKey(apiKey: string): void
  // Feature flags: the getters resolve `undefined` when the value is unknown or unavailable
  // (reported to 'error' listeners) and reject only with `invalid_input`.
  getFeatureFlag(key: string, distinctId: string, options?: FlagOptions): Promise<FeatureFlagValue | undefined>
  isFeatureEnabled(key: string, distinctId: string, options?: FlagOptions): Promise<boolean | undefined>
  /** With `matchValue`: the payload only when the flag evaluates to that value. */
  getFeatureFlagPayload(key: string, distinctId: string, matchValue?: FeatureFlagValue, options?: FlagOptions): Promise<JsonType | undefined>
  getAllFlags(distinctId: string, options?: FlagOptions): Promise<Record<string, FeatureFlagValue>>
  getAllFlagsAndPayloads(distinctId: string, options?: FlagOptions): Promise<{
    featureFlags: Record<string, FeatureFlagValue>
    featureFlagPayloads: Record<string, JsonType>
  }>
  /** Rejects with every error (quota limits, server and network failures included). */
  evaluateFlags(distinctId: string, options?: EvaluateFlagsOptions): Promise<FlagsSnapshot>
  /** Fetches the definitions now (needs `personalApiKey`); rejects with every error. */
  reloadFeatureFlags(): Promise<void>
  stats(): Stats
  /** The resolved ingestion host. */
  readonly host: string
  /** Whether `shutdown` has run. */
  readonly isShutDown: boolean
  on(event: 'error', listener: (error: PostHogError) => void): this
  once(event: 'error', listener: (error: PostHogError) => void): this
  off(event: 'error', listener: (error: PostHogError) => void): this
  toJSON(): { host: string }
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
}

export interface QueryResult {
  columns: string[]
  types: JsonType[]
  results: JsonType[][]
  hasMore: boolean
  /** Other fields (`limit`, `offset`, `timings`…), as answered. */
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
    runs(id: string, options?: ProjectOption): AdminList<Record<string, any>>
  }
  query(hogql: string, options?: QueryOptions): Promise<QueryResult>
  queryAsync(hogql: string, options?: QueryOptions): Promise<QueryStatus>
  queryStatus(id: string, options?: ProjectOption): Promise<QueryStatus>
  /** Polls until complete; rejects `timeout` after `timeoutMs` (default 60000). */
  waitForQuery(id: string, options?: ProjectOption & { timeoutMs?: number }): Promise<QueryResult>
  cancelQuery(id: string, options?: ProjectOption): Promise<void>
  /** Streams to a file in constant memory; a stopped export rejects with `PostHogError.checkpoint`. */
  export(options: ExportOptions): Promise<ExportResult>
  toString(): string
  toJSON(): { host: string }
}
