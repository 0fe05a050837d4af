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

/** Every error of the client. Messages never contain keys or event payloads. */
export declare class PostHogError extends Error {
  readonly name: 'PostHogError'
  /** The core's error kind. */
  readonly code: ErrorCode
  /** The HTTP status behind the error, or `null`. */
  readonly status: number | null
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
}

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
