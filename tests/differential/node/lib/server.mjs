// The local test server (crates/posthog-testserver), started as bindings/node/__test__/helpers.mjs
// does, and its control API. 127.0.0.1 only; waits are the server's long-polls, never sleeps.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

export const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const repoDir = path.resolve(here, '..', '..', '..')
const exe = process.platform === 'win32' ? '.exe' : ''
export const serverBin =
  process.env.POSTHOG_TESTSERVER_BIN || path.join(repoDir, 'target', 'debug', `posthog-testserver${exe}`)

export const KEY = 'phc_testkey_0123456789'
export const PERSONAL_KEY = 'phx_testpersonalkey'

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
  return {
    url,
    control: new Control(url),
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
  async get(p) {
    const r = await fetch(this.url + p)
    if (!r.ok) throw new Error(`GET ${p}: ${r.status}`)
    return r.json()
  }
  async post(p, body) {
    const r = await fetch(this.url + p, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!r.ok) throw new Error(`POST ${p}: ${r.status} ${await r.text()}`)
    return r.json()
  }
  events() {
    return this.get('/_test/events')
  }
  requests() {
    return this.get('/_test/requests')
  }
  reset() {
    return this.post('/_test/reset')
  }
  /** Faults: `[{status: 500}]`, each with an optional `route` (capture | flags | definitions). */
  faults(list) {
    return this.post('/_test/faults', list)
  }
  flagOverrides(overrides) {
    return this.post('/_test/flags/overrides', overrides)
  }
  flagsQuotaLimited(on) {
    return this.post('/_test/flags/quota_limited', { on })
  }
  flagDefinitions(defs) {
    return this.post('/_test/flags/definitions', defs)
  }
  /** Long-polls until ≥ events and ≥ requests are recorded, or timeoutMs; `{ ok, events, requests }`. */
  wait({ events = 0, requests = 0, timeoutMs = 5000 } = {}) {
    return this.get(`/_test/wait?events=${events}&requests=${requests}&timeout_ms=${timeoutMs}`)
  }
}
