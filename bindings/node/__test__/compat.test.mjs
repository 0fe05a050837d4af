// The README's "Compatibility with posthog-node 5.x" tables are true: every listed method and
// property exists on both entry points, the supported ones work and the others throw
// `not_supported`; every listed option is accepted or rejected as listed. When the official
// package is installed (`npm install --prefix target/posthog-node-official posthog-node@5.70.0`),
// the tables list exactly its public methods, properties and options.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import * as esm from '../posthog.mjs'
import { startServer, KEY, PERSONAL_KEY, pkgDir, repoDir } from './helpers.mjs'

const cjs = createRequire(import.meta.url)('../posthog.js')

/** `{ name: status }` of the README table under `heading`. */
function table(heading) {
  const readme = fs.readFileSync(path.join(pkgDir, 'README.md'), 'utf8')
  const start = readme.indexOf(`\n${heading}\n`)
  assert.ok(start >= 0, `README has "${heading}"`)
  const rows = {}
  for (const line of readme.slice(start + heading.length + 2).split('\n')) {
    if (line.startsWith('#')) break
    const m = /^\| `([A-Za-z_$][\w$]*)[^`]*` \| ([a-z ]+) \|/.exec(line)
    if (m) rows[m[1]] = m[2]
  }
  assert.ok(Object.keys(rows).length > 10, `the table under "${heading}" has rows`)
  return rows
}

const METHODS = table('### Methods and properties')
const OPTIONS = table('### Constructor options')

let server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})

test('the tables use only the documented statuses', () => {
  for (const [name, status] of Object.entries(METHODS)) {
    assert.ok(['supported', 'not supported'].includes(status), `${name}: ${status}`)
  }
  for (const [name, status] of Object.entries(OPTIONS)) {
    assert.ok(['supported', 'no effect', 'not supported'].includes(status), `${name}: ${status}`)
  }
})

for (const [entry, mod] of [['CommonJS', cjs], ['ESM', esm]]) {
  test(`${entry}: every listed method and property exists; unsupported ones throw not_supported`, async () => {
    assert.equal(mod.PostHog, cjs.PostHog, 'one class for both entry points')
    assert.equal(mod.default, cjs.PostHog)
    const client = new mod.PostHog(KEY, { host: server.url, flushInterval: 60_000 })
    try {
      for (const [name, status] of Object.entries(METHODS)) {
        assert.ok(name in mod.PostHog.prototype, `${name} is on PostHog.prototype`)
        const d = descriptor(mod.PostHog.prototype, name)
        const use = () => (d.get ? client[name] : client[name]())
        if (status === 'supported') {
          if (d.get) assert.doesNotThrow(use, name)
          else assert.equal(typeof d.value, 'function', name)
        } else {
          assert.throws(use, (e) => {
            assert.ok(e instanceof mod.NotSupportedError, `${name}: ${e}`)
            assert.ok(e instanceof mod.PostHogError)
            assert.equal(e.code, 'not_supported')
            assert.match(e.message, /is not supported by posthog-sdk: \S/)
            return true
          }, name)
        }
      }
    } finally {
      await client.shutdown(2000)
    }
  })
}

function descriptor(proto, name) {
  for (let p = proto; p; p = Object.getPrototypeOf(p)) {
    const d = Object.getOwnPropertyDescriptor(p, name)
    if (d) return d
  }
  return undefined
}

/** A value each supported or no-effect option is set to (not its default where possible). */
const SAMPLE = {
  host: () => server.url,
  flushAt: 10,
  flushInterval: 1000,
  maxBatchSize: 50,
  maxQueueSize: 1000,
  requestTimeout: 5000,
  fetchRetryCount: 2,
  disableCompression: true,
  disableGeoip: true,
  historicalMigration: true,
  disabled: true,
  defaultOptIn: false,
  before_send: (m) => m,
  persistence: 'memory',
  personalApiKey: PERSONAL_KEY,
  secretKey: PERSONAL_KEY,
  enableLocalEvaluation: false,
  featureFlagsPollingInterval: 60_000,
  featureFlagsRequestTimeoutMs: 1000,
  sendFeatureFlagEvent: false,
  strictLocalEvaluation: true,
  flagDefinitionCacheProvider: { getFlagDefinitions() {}, shouldFetchFlagDefinitions: () => false, onFlagDefinitionsReceived() {}, shutdown() {} },
  privacyMode: true,
  isServer: false,
  preloadFeatureFlags: false,
  sessionExpirationTimeSeconds: 60,
  disable_capture_url_hashes: true,
  featureFlagsLogWarnings: false,
  enableExceptionAutocapture: true,
}

/** A value each unsupported option is rejected with (default: 1). */
const REJECTED = {
  disableRemoteConfig: false,
  disableRemoteFeatureFlags: true,
  disableSurveys: false,
  evaluationContexts: ['api'],
  evaluationEnvironments: ['api'],
  custom_blocked_useragents: ['bot'],
  __preview_capture_bot_pageviews: true,
  enableFullAiCapture: true,
  readPostHogCookie: true,
}

test('every listed option is accepted or rejected as the table says', async () => {
  const { PostHog, NotSupportedError } = cjs
  for (const [name, status] of Object.entries(OPTIONS)) {
    if (status === 'not supported') {
      const value = name in REJECTED ? REJECTED[name] : 1
      assert.throws(() => new PostHog(KEY, { host: server.url, [name]: value }), (e) => {
        assert.ok(e instanceof NotSupportedError, `${name}: ${e}`)
        assert.equal(e.code, 'not_supported')
        assert.ok(e.message.includes(`option ${name}`), e.message)
        return true
      })
    } else {
      assert.ok(name in SAMPLE, `compat.test.mjs has a sample value for ${name}`)
      const value = typeof SAMPLE[name] === 'function' && name === 'host' ? SAMPLE[name]() : SAMPLE[name]
      const client = new PostHog(KEY, { host: server.url, [name]: value })
      await client.shutdown(2000)
    }
  }
})

test('the tables list exactly the official posthog-node public API (when installed)', (t) => {
  const root = path.join(repoDir, 'target', 'posthog-node-official', 'node_modules')
  const pn = path.join(root, 'posthog-node', 'dist')
  const pc = path.join(root, '@posthog', 'core', 'dist')
  if (!fs.existsSync(path.join(pn, 'client.d.ts')) || !fs.existsSync(path.join(pc, 'types.d.ts'))) {
    t.skip('posthog-node is not installed under target/posthog-node-official')
    return
  }
  const version = JSON.parse(fs.readFileSync(path.join(root, 'posthog-node', 'package.json'), 'utf8')).version
  t.diagnostic(`comparing with posthog-node ${version}`)
  const methods = new Set([
    ...members(path.join(pc, 'posthog-core-stateless.d.ts'), 'PostHogCoreStateless'),
    ...members(path.join(pn, 'client.d.ts'), 'PostHogBackendClient'),
    ...members(path.join(pn, 'entrypoints', 'index.node.d.ts'), 'PostHog'),
  ])
  const options = new Set([
    ...fields(path.join(pc, 'types.d.ts'), /export type PostHogCoreOptions = \{/),
    ...fields(path.join(pn, 'types.d.ts'), /export type PostHogOptions = /),
  ])
  assert.deepEqual(Object.keys(METHODS).sort(), [...methods].sort(), 'methods and properties')
  assert.deepEqual(Object.keys(OPTIONS).sort(), [...options].sort(), 'options')
})

/** Public member names of `class cls` in a `.d.ts` (not private/protected, not `_…`). */
function members(file, cls) {
  const text = fs.readFileSync(file, 'utf8')
  const start = text.search(new RegExp(`class ${cls}\\b`))
  assert.ok(start >= 0, `${cls} in ${file}`)
  const out = new Set()
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (/^\}/.test(line)) break
    if (/^ {4}(private|protected)\b/.test(line)) continue
    const m = /^ {4}(?:(?:readonly|get|set|abstract|static)\s+)?([A-Za-z_$][\w$]*)\??(\(|:|<)/.exec(line)
    if (m && !m[1].startsWith('_') && m[1] !== 'constructor') out.add(m[1])
  }
  return out
}

/** Top-level field names of the object type that starts at `startRe`. */
function fields(file, startRe) {
  const text = fs.readFileSync(file, 'utf8')
  const start = text.search(startRe)
  assert.ok(start >= 0, `${startRe} in ${file}`)
  const out = new Set()
  for (const line of text.slice(start).split('\n').slice(1)) {
    if (/^\}/.test(line)) break
    const m = /^ {4}([A-Za-z_$][\w$]*)\??:/.exec(line)
    if (m) out.add(m[1])
  }
  return out
}

test('posthog.d.ts declares every listed method, property and accepted option', () => {
  const dts = fs.readFileSync(path.join(pkgDir, 'posthog.d.ts'), 'utf8')
  const body = (start) => {
    const from = dts.indexOf(start)
    assert.ok(from >= 0, start)
    return dts.slice(from, dts.indexOf('\n}\n', from))
  }
  const cls = body('export declare class PostHog {')
  for (const name of Object.keys(METHODS)) {
    assert.match(cls, new RegExp(`(^|\\s)(readonly )?${name.replace('$', '\\$')}[(:]`, 'm'), `PostHog.${name} in posthog.d.ts`)
  }
  const opts = body('export interface PostHogOptions {')
  for (const [name, status] of Object.entries(OPTIONS)) {
    if (status !== 'not supported') assert.match(opts, new RegExp(`^  ${name}\\?:`, 'm'), `PostHogOptions.${name}`)
  }
})
