// Remote config payloads and the flag-definitions cache provider (#12) against the test server.

import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PostHog, PostHogError, FileFlagDefinitionCache } from '../posthog.mjs'
import { startServer, opts, KEY } from './helpers.mjs'

const SECURE = 'phs_testsecurekey'
const DEFINITIONS = {
  flags: [
    { id: 1, key: 'on', active: true, filters: { groups: [{ properties: [], rollout_percentage: 100 }] } },
    {
      id: 2, key: 'rc', active: true, is_remote_configuration: true,
      filters: { groups: [{ properties: [], rollout_percentage: 100 }], payloads: { true: '{"color": "blue"}' } },
    },
  ],
  group_type_mapping: {},
  cohorts: {},
}

let server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})
beforeEach(async () => {
  await server.control.reset()
  await server.control.flagDefinitions(DEFINITIONS)
})

const requests = async (pred) => (await server.control.requests()).filter((r) => pred(r.path))
const definitionFetches = async () => (await requests((p) => p.startsWith('/flags/definitions'))).length

test('getRemoteConfigPayload: the decoded payload, with the secret key as a bearer', async () => {
  const c = new PostHog(KEY, opts(server.url, { secretKey: SECURE, enableLocalEvaluation: false }))
  assert.deepEqual(await c.getRemoteConfigPayload('rc'), { color: 'blue' })
  assert.equal(await c.getRemoteConfigPayload('on'), undefined, 'not a remote-config flag')
  const [req] = await requests((p) => p.endsWith('/remote_config'))
  assert.equal(req.path, '/api/projects/@current/feature_flags/rc/remote_config')
  assert.equal(req.query, `token=${KEY}`)
  assert.equal(req.headers.authorization, `Bearer ${SECURE}`)
  assert.equal(await definitionFetches(), 0)
  await c.shutdown()
})

test('getRemoteConfigPayload: rejects without a secret key; undefined when disabled', async () => {
  const c = new PostHog(KEY, opts(server.url))
  await assert.rejects(c.getRemoteConfigPayload('rc'), (e) => e instanceof PostHogError && e.code === 'config')
  const d = new PostHog(KEY, opts(server.url, { secretKey: SECURE, disabled: true }))
  assert.equal(await d.getRemoteConfigPayload('rc'), undefined)
  await c.shutdown()
  await d.shutdown()
})

test('two clients sharing a FileFlagDefinitionCache fetch the definitions once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ph-cache-'))
  const file = path.join(dir, 'flags.json')
  const a = new PostHog(KEY, opts(server.url, { secretKey: SECURE, flagDefinitionCacheProvider: new FileFlagDefinitionCache(file) }))
  await a.reloadFeatureFlags()
  assert.equal(await a.getFeatureFlag('on', 'u1'), true)
  // The start-up poll and the reload are one fetch or two, by timing; the second client adds none.
  const fetched = await definitionFetches()
  assert.ok(fetched >= 1 && fetched <= 2, String(fetched))
  const stored = JSON.parse(fs.readFileSync(file, 'utf8'))
  assert.deepEqual(stored.flags.map((f) => f.key), ['on', 'rc'])
  assert.deepEqual(stored.groupTypeMapping, {}, "posthog-node's camelCase alias")
  const b = new PostHog(KEY, opts(server.url, { secretKey: SECURE, flagDefinitionCacheProvider: new FileFlagDefinitionCache(file) }))
  await b.reloadFeatureFlags()
  assert.equal(await b.getFeatureFlag('on', 'u2'), true)
  assert.equal(await definitionFetches(), fetched, 'the second client read the file')
  assert.equal((await requests((p) => p === '/flags/')).length, 0)
  await a.shutdown()
  await b.shutdown()
  fs.rmSync(dir, { recursive: true, force: true })
})

test('a provider object with async methods follows the protocol', async () => {
  const calls = []
  let stored
  const provider = {
    async getFlagDefinitions() { calls.push('get'); return undefined },
    async shouldFetchFlagDefinitions() { calls.push('shouldFetch'); return true },
    async onFlagDefinitionsReceived(data) { calls.push('received'); stored = data },
    shutdown() { calls.push('shutdown') },
  }
  const c = new PostHog(KEY, opts(server.url, { secretKey: SECURE, flagDefinitionCacheProvider: provider }))
  await c.reloadFeatureFlags()
  assert.equal(await c.getFeatureFlag('on', 'u1'), true)
  await c.shutdown()
  // The first poll and the reload share one load: one question, one hand-over.
  assert.deepEqual(calls, ['shouldFetch', 'received', 'shutdown'])
  assert.equal(await definitionFetches(), 1)
  assert.deepEqual(stored.groupTypeMapping, {})
  assert.equal(stored.minimal_flag_called_events, false)
})

test('a cache-only reader (no secret key) evaluates from the provider and never fetches', async () => {
  const calls = []
  const cached = {
    flags: [{ id: 9, key: 'cached', active: true, filters: { groups: [{ properties: [], rollout_percentage: 100 }] } }],
    groupTypeMapping: {},
    cohorts: {},
  }
  const provider = {
    getFlagDefinitions() { calls.push('get'); return cached },
    shouldFetchFlagDefinitions() { calls.push('shouldFetch'); return true },
    onFlagDefinitionsReceived() { calls.push('received') },
    shutdown() {},
  }
  const c = new PostHog(KEY, opts(server.url, { flagDefinitionCacheProvider: provider }))
  assert.equal(await c.waitForLocalEvaluationReady(10_000), true)
  assert.equal(await c.getFeatureFlag('cached', 'u1', { onlyEvaluateLocally: true }), true)
  assert.ok(!calls.includes('shouldFetch'))
  assert.equal(await definitionFetches(), 0)
  await c.shutdown()
})

test('a provider that throws never breaks evaluation; a bad provider is refused', async () => {
  const boom = () => { throw new Error('redis is down') }
  const provider = { getFlagDefinitions: boom, shouldFetchFlagDefinitions: boom, onFlagDefinitionsReceived: boom, shutdown: boom }
  const c = new PostHog(KEY, opts(server.url, { secretKey: SECURE, flagDefinitionCacheProvider: provider }))
  c.on('error', () => {})
  await c.reloadFeatureFlags()
  assert.equal(await c.getFeatureFlag('on', 'u1'), true)
  await c.shutdown()
  assert.throws(() => new PostHog(KEY, opts(server.url, { flagDefinitionCacheProvider: {} })), /must be an object with/)
})
