// Shared test helpers: the local test server (crates/posthog-testserver) and its control API.
// Everything talks to 127.0.0.1 only; waits are long-polls or events, never sleeps.

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { createRequire } from 'node:module'

export const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const repoDir = path.resolve(pkgDir, '..', '..')
const exe = process.platform === 'win32' ? '.exe' : ''
export const serverBin =
  process.env.POSTHOG_TESTSERVER_BIN || path.join(repoDir, 'target', 'debug', `posthog-testserver${exe}`)

const require = createRequire(import.meta.url)
/** The native module (private helpers such as `_errorCodes`). */
export const native = require('../index.js')
export const pkg = require('../package.json')

export const KEY = 'phc_testkey_0123456789'
/** The test server's default personal key (scope `*`). */
export const PERSONAL_KEY = 'phx_testpersonalkey'

/** Starts a test server; resolves with `{ url, control, stop }`. */
export async function startServer() {
  const child = spawn(serverBin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout })
  const first = await Promise.race([
    once(lines, 'line').then(([l]) => l),
    once(child, 'exit').then(([code]) => {
      throw new Error(`posthog-testserver exited early (${code}); is ${serverBin} built?`)
    }),
    once(child, 'error').then(([e]) => {
      throw new Error(`cannot start ${serverBin}: ${e.message}`)
    }),
  ])
  const url = first.trim()
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`unexpected first line: ${url}`)
  const control = new Control(url)
  return {
    url,
    control,
    async stop() {
      lines.close()
      if (child.exitCode === null) {
        const exited = once(child, 'exit')
        child.kill()
        await exited
      }
    },
  }
}

export class Control {
  constructor(url) {
    this.url = url
  }
  async #get(p) {
    const r = await fetch(this.url + p)
    if (!r.ok) throw new Error(`GET ${p}: ${r.status}`)
    return r.json()
  }
  async #post(p, body) {
    const r = await fetch(this.url + p, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!r.ok) throw new Error(`POST ${p}: ${r.status} ${await r.text()}`)
    return r.json()
  }
  /** Any control endpoint: `post('/_test/keys', { phx_…: ['query:read'] })`. */
  post(p, body) {
    return this.#post(p, body)
  }
  events() {
    return this.#get('/_test/events')
  }
  requests() {
    return this.#get('/_test/requests')
  }
  stats() {
    return this.#get('/_test/stats')
  }
  faults(list) {
    return this.#post('/_test/faults', list)
  }
  reset() {
    return this.#post('/_test/reset')
  }
  /** `/flags` answers these `{ key: { value, payload } }` whatever evaluation says. */
  flagOverrides(overrides) {
    return this.#post('/_test/flags/overrides', overrides)
  }
  /** `/flags` answers the quota-limited form while `on`. */
  flagsQuotaLimited(on) {
    return this.#post('/_test/flags/quota_limited', { on })
  }
  /** Serves these flag definitions. */
  flagDefinitions(defs) {
    return this.#post('/_test/flags/definitions', defs)
  }
  /** Queues private-API faults (`route: 'admin'`). */
  adminFaults(list) {
    return this.#post('/_test/faults', list.map((f) => ({ route: 'admin', ...f })))
  }
  /** The private API answers 429 after every `limit` requests (`null`: unlimited). */
  adminRateLimit(limit, retryAfter = 0) {
    return this.#post('/_test/admin/rate_limit', { limit, retry_after: retryAfter })
  }
  /** Registers personal keys with scopes: `{ "phx_…": ["feature_flag:read"] }`. */
  keys(map) {
    return this.#post('/_test/keys', map)
  }
  /** Bulk-inserts `count` synthetic events in [start, end) into the private API's database. */
  generateEvents(count, event, start, end) {
    return this.#post('/_test/events/generate', { count, event, start, end })
  }
  /** Long-polls until at least `n` events are stored; returns `{ ok, events }`. */
  waitEvents(n, timeoutMs = 10_000) {
    return this.#get(`/_test/wait?events=${n}&timeout_ms=${timeoutMs}`)
  }
}

/** Options for a client of this server that only sends on flush (or a full batch). */
export function opts(url, extra = {}) {
  return { host: url, flushAt: 100, flushInterval: 60_000, gzip: true, ...extra }
}

/** A unique distinct id per test, so tests sharing a server never see each other's events. */
let counter = 0
export function uid(prefix = 'user') {
  counter += 1
  return `${prefix}-${process.pid}-${counter}-${Date.now()}`
}

/** Resolves with the first `'error'` the emitter emits, or rejects after `ms`. */
export async function nextError(emitter, ms = 10_000) {
  const [err] = await once(emitter, 'error', { signal: AbortSignal.timeout(ms) })
  return err
}
