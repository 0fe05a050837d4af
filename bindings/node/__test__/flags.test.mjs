// Feature flags against the local test server: remote (/flags) and local (polled definitions)
// evaluation, the fallback between them, failures, $feature_flag_called and capture with flags.
// Each test resets the server (flag overrides, quota switch, counters).

import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { PostHog, PostHogError, FlagsSnapshot, LocalEvaluator } from '../posthog.mjs'
import { startServer, opts, uid, KEY, nextError } from './helpers.mjs'

const SECURE = 'phs_testsecurekey'

let server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})
beforeEach(async () => {
  await server.control.reset()
})

const flagsRequests = async () => (await server.control.requests()).filter((r) => r.path.startsWith('/flags') && !r.path.startsWith('/flags/definitions'))
const mine = async (distinctId) => (await server.control.events()).filter((e) => e.distinct_id === distinctId)

/** A client that evaluates remotely only (no personal key). */
function remote(extra = {}) {
  return new PostHog(KEY, opts(server.url, extra))
}

/** A client with local evaluation, definitions loaded. */
async function local(extra = {}) {
  const c = new PostHog(KEY, opts(server.url, { personalApiKey: SECURE, ...extra }))
  await c.reloadFeatureFlags()
  return c
}

test('remote: the value, the payload and the request body; no Authorization on /flags', async () => {
  await server.control.flagOverrides({ 'remote-only': { value: 'blue', payload: { color: 'blue', n: 2 } } })
  const c = remote({ sendFeatureFlagEvent: false })
  const id = uid()
  const options = {
    groups: { company: 'acme' },
    personProperties: { plan: 'pro' },
    groupProperties: { company: { size: 40 } },
    disableGeoip: true,
    deviceId: 'dev-1',
  }
  assert.equal(await c.getFeatureFlag('remote-only', id, options), 'blue')
  assert.equal(await c.isFeatureEnabled('remote-only', id, options), true)
  assert.deepEqual(await c.getFeatureFlagPayload('remote-only', id, undefined, options), { color: 'blue', n: 2 })
  assert.deepEqual(await c.getFeatureFlagPayload('remote-only', id, 'blue', options), { color: 'blue', n: 2 })
  assert.equal(await c.getFeatureFlagPayload('remote-only', id, 'red', options), undefined)
  assert.equal(await c.getFeatureFlag('not-a-flag-anywhere', id), undefined)
  const reqs = await flagsRequests()
  assert.ok(reqs.length >= 5)
  const r = reqs[0]
  assert.equal(r.method, 'POST')
  assert.ok(!Object.keys(r.headers).some((h) => h.toLowerCase() === 'authorization'), 'no Authorization on /flags')
  const body = JSON.parse(r.body)
  assert.equal(body.token ?? body.api_key, KEY)
  assert.equal(body.distinct_id, id)
  assert.deepEqual(body.groups, { company: 'acme' })
  assert.equal(body.person_properties.plan, 'pro')
  assert.equal(body.group_properties.company.size, 40)
  assert.equal(body.geoip_disable, true)
  assert.equal(body.device_id, 'dev-1')
  assert.deepEqual(body.flag_keys_to_evaluate, ['remote-only'])
  await c.shutdown(5000)
})

test('remote: getAllFlags, getAllFlagsAndPayloads and evaluateFlags', async () => {
  await server.control.flagOverrides({ 'remote-a': { value: true, payload: [1, 'x'] }, 'remote-b': { value: 'v2' } })
  const c = remote({ sendFeatureFlagEvent: false })
  const id = uid()
  const all = await c.getAllFlags(id)
  assert.equal(all['remote-a'], true)
  assert.equal(all['remote-b'], 'v2')
  assert.equal(all['rollout-100-pct'], true)
  const both = await c.getAllFlagsAndPayloads(id)
  assert.deepEqual(both.featureFlagPayloads['remote-a'], [1, 'x'])
  assert.equal(both.featureFlags['remote-b'], 'v2')
  const snap = await c.evaluateFlags(id, { flagKeys: ['remote-a', 'remote-b', 'missing-flag'] })
  assert.ok(snap instanceof FlagsSnapshot)
  assert.equal(snap.getFlag('remote-b'), 'v2')
  assert.equal(snap.isEnabled('remote-a'), true)
  assert.equal(snap.isEnabled('missing-flag'), false)
  assert.equal(snap.getFlag('missing-flag'), undefined)
  assert.deepEqual(snap.getPayload('remote-a'), [1, 'x'])
  assert.deepEqual(snap.keys, ['remote-a', 'remote-b'])
  assert.deepEqual(snap.unresolved, { 'missing-flag': 'not_in_answer' })
  assert.match(snap.requestId, /^[0-9a-f-]{36}$/)
  assert.equal(snap.distinctId, id)
  assert.equal(snap.getFlagResult('remote-b').locallyEvaluated, false)
  await c.shutdown(5000)
})

test('local: definitions are loaded with the personal key, ETag/304 on reload, no /flags request', async () => {
  const c = await local({ sendFeatureFlagEvent: false })
  const s0 = await server.control.stats()
  assert.ok(s0.definitions_requests >= 1)
  const id = uid()
  assert.equal(await c.getFeatureFlag('rollout-100-pct', id), true)
  assert.equal(await c.getFeatureFlag('rollout-000-pct', id), false)
  assert.equal(await c.getFeatureFlag('paid-plans', id, { personProperties: { plan: 'free' } }), false)
  const variant = await c.getFeatureFlag('exp-checkout-flow', id)
  assert.equal(typeof variant, 'string')
  const snap = await c.evaluateFlags(id, { personProperties: { email: 'a@posthog.com', plan: 'pro' }, onlyEvaluateLocally: true })
  assert.equal(snap.getFlagResult('rollout-100-pct').locallyEvaluated, true)
  assert.equal(snap.requestId, undefined)
  const all = await c.getAllFlags(id, { onlyEvaluateLocally: true })
  assert.equal(all['rollout-100-pct'], true)
  assert.ok(!('old-killswitch' in all) || all['old-killswitch'] === false)
  assert.equal((await flagsRequests()).length, 0, 'local evaluation makes no /flags request')
  const defs = (await server.control.requests()).filter((r) => r.path.startsWith('/flags/definitions') || r.path.startsWith('/api/feature_flag'))
  assert.ok(defs.every((r) => r.headers.authorization === `Bearer ${SECURE}` || r.headers.Authorization === `Bearer ${SECURE}`))
  await c.reloadFeatureFlags()
  const s1 = await server.control.stats()
  assert.equal(s1.definitions_not_modified, s0.definitions_not_modified + 1, 'reload sends If-None-Match and gets 304')
  await c.shutdown(5000)
})

test('local: inconclusive falls back to /flags; onlyEvaluateLocally gives undefined', async () => {
  await server.control.flagOverrides({ 'internal-users': { value: true } })
  const c = await local({ sendFeatureFlagEvent: false })
  const id = uid()
  // No `email` passed: internal-users cannot be decided locally (missing_context).
  assert.equal(await c.getFeatureFlag('internal-users', id, { onlyEvaluateLocally: true }), undefined)
  assert.equal(await c.isFeatureEnabled('internal-users', id, { onlyEvaluateLocally: true }), undefined)
  assert.equal((await flagsRequests()).length, 0)
  const snap = await c.evaluateFlags(id, { onlyEvaluateLocally: true, flagKeys: ['internal-users', 'rollout-100-pct'] })
  assert.deepEqual(snap.unresolved, { 'internal-users': 'missing_context' })
  assert.equal(snap.getFlag('rollout-100-pct'), true)
  assert.equal(await c.getFeatureFlag('internal-users', id), true, 'the server decides')
  const reqs = await flagsRequests()
  assert.equal(reqs.length, 1)
  assert.deepEqual(JSON.parse(reqs[0].body).flag_keys_to_evaluate, ['internal-users'])
  // With the property, local evaluation decides and no request is made.
  assert.equal(await c.getFeatureFlag('internal-users', id, { personProperties: { email: 'x@example.org' } }), false)
  assert.equal((await flagsRequests()).length, 1)
  // forceRemote asks the server even though the flag is decidable locally.
  assert.equal(await c.getFeatureFlag('rollout-000-pct', id, { forceRemote: true }), false)
  assert.equal((await flagsRequests()).length, 2)
  await c.shutdown(5000)
})

test('quota limited: an answer without flags (posthog-node): getters resolve undefined, nothing reported', async () => {
  await server.control.flagsQuotaLimited(true)
  const c = remote({ sendFeatureFlagEvent: false })
  const errors = []
  c.on('error', (e) => errors.push(e))
  const id = uid()
  assert.equal(await c.getFeatureFlag('rollout-100-pct', id), undefined)
  assert.equal(await c.isFeatureEnabled('rollout-100-pct', id), undefined)
  assert.equal(await c.getFeatureFlagPayload('exp-checkout-flow', id), undefined)
  assert.deepEqual(await c.getAllFlags(id), {})
  const snap = await c.evaluateFlags(id)
  assert.deepEqual(snap.keys, [])
  await c.shutdown(5000)
  assert.deepEqual(errors, [])
})

test('a server failure on /flags: getters resolve undefined and report; evaluateFlags rejects', async () => {
  const c = remote({ sendFeatureFlagEvent: false, maxRetries: 0 })
  c.on('error', () => {})
  await server.control.faults([{ route: 'flags', status: 500 }, { route: 'flags', status: 500 }])
  const id = uid()
  assert.equal(await c.getFeatureFlag('rollout-100-pct', id), undefined)
  await assert.rejects(c.evaluateFlags(id), (e) => e instanceof PostHogError && e.code === 'server' && e.status === 500)
  await c.shutdown(5000)
})

test('$feature_flag_called is captured once per (distinct id, flag, response)', async () => {
  await server.control.flagOverrides({ 'called-flag': { value: 'a' } })
  const c = remote()
  const id = uid()
  assert.equal(await c.getFeatureFlag('called-flag', id), 'a')
  assert.equal(await c.getFeatureFlag('called-flag', id), 'a')
  assert.equal(await c.isFeatureEnabled('called-flag', id), true)
  assert.equal(await c.getFeatureFlag('called-flag', id, { sendFeatureFlagEvents: false }), 'a')
  await server.control.flagOverrides({ 'called-flag': { value: 'b' } })
  assert.equal(await c.getFeatureFlag('called-flag', id), 'b')
  await c.getFeatureFlagPayload('called-flag', id) // captures nothing
  await c.flush()
  const called = (await mine(id)).filter((e) => e.event === '$feature_flag_called')
  assert.deepEqual(called.map((e) => e.properties.$feature_flag_response).sort(), ['a', 'b'])
  for (const e of called) {
    assert.equal(e.properties.$feature_flag, 'called-flag')
    assert.equal(e.properties.locally_evaluated, false)
    assert.match(e.properties.$feature_flag_request_id, /^[0-9a-f-]{36}$/)
  }
  // sendFeatureFlagEvent: false on the client turns them off.
  const quiet = remote({ sendFeatureFlagEvent: false })
  const other = uid()
  await quiet.getFeatureFlag('called-flag', other)
  await quiet.flush()
  assert.equal((await mine(other)).length, 0)
  await quiet.shutdown(5000)
  await c.shutdown(5000)
})

test('capture with flags adds $feature/<key> and $active_feature_flags', async () => {
  const c = await local({ sendFeatureFlagEvent: false })
  const id = uid()
  const snap = await c.evaluateFlags(id, { flagKeys: ['rollout-100-pct', 'rollout-000-pct', 'exp-checkout-flow'] })
  const variant = snap.getFlag('exp-checkout-flow')
  assert.ok(c.capture({ distinctId: id, event: 'purchase', properties: { '$feature/rollout-000-pct': 'mine' }, flags: snap }))
  assert.equal(c.capture({ distinctId: id, event: 'bad', flags: { 'rollout-100-pct': true } }), undefined, 'flags must be a FlagsSnapshot')
  await c.flush()
  const [ev] = (await mine(id)).filter((e) => e.event === 'purchase')
  assert.equal(ev.properties['$feature/rollout-100-pct'], true)
  assert.equal(ev.properties['$feature/exp-checkout-flow'], variant)
  assert.equal(ev.properties['$feature/rollout-000-pct'], 'mine', "the event's own properties win")
  assert.deepEqual(ev.properties.$active_feature_flags, ['exp-checkout-flow', 'rollout-100-pct'])
  assert.equal(c.stats().droppedInvalid, 1)
  await c.shutdown(5000)
})

test('bad input rejects with invalid_input; options and keys are checked', async () => {
  const c = remote({ sendFeatureFlagEvent: false })
  const id = uid()
  const bad = [
    () => c.getFeatureFlag(42, id),
    () => c.getFeatureFlag('k', ''),
    () => c.getFeatureFlag('', id),
    () => c.getFeatureFlag('k', undefined),
    () => c.isFeatureEnabled('k', id, { personProperties: { n: 1n } }),
    () => c.getFeatureFlag('k', id, { onlyEvaluateLocally: 'yes' }),
    () => c.getFeatureFlag('k', id, 'options'),
    () => c.getFeatureFlagPayload('k', id, 42),
    () => c.getAllFlags(null),
    () => c.evaluateFlags(id, { flagKeys: 'k' }),
    () => c.evaluateFlags(''),
  ]
  for (const f of bad) {
    await assert.rejects(f(), (e) => e instanceof PostHogError && e.code === 'invalid_input', String(f))
  }
  assert.equal((await flagsRequests()).length, 0)
  await assert.rejects(c.reloadFeatureFlags(), (e) => e.code === 'config', 'reload needs personalApiKey')
  assert.throws(() => new PostHog(KEY, { host: server.url, personalApiKey: 'phc_project_key_1234' }), (e) => e instanceof PostHogError && e.code === 'invalid_key' && !e.message.includes('project_key_1234'))
  assert.throws(() => new PostHog(KEY, { host: server.url, personalApiKey: 42 }), { code: 'config' })
  assert.throws(() => new PostHog(KEY, { host: server.url, featureFlagsPollingInterval: 'often' }), { code: 'config' })
  const ok = new PostHog(KEY, {
    host: server.url,
    personalApiKey: 'phx_testpersonalkey',
    featureFlagsPollingInterval: 60_000,
    featureFlagsRequestTimeoutMs: 1000,
    sendFeatureFlagEvent: false,
  })
  await ok.reloadFeatureFlags()
  assert.equal(await ok.getFeatureFlag('rollout-100-pct', id, { onlyEvaluateLocally: true }), true)
  await ok.shutdown(5000)
  await c.shutdown(5000)
})

test('LocalEvaluator: values, payloads, inconclusive with reason, bad input', async () => {
  const defs = {
    flags: [
      { id: 1, key: 'on', active: true, filters: { groups: [{ properties: [], rollout_percentage: 100 }], payloads: { true: '{"a": 1}' } } },
      { id: 2, key: 'needs-plan', active: true, filters: { groups: [{ properties: [{ key: 'plan', operator: 'exact', value: ['pro'], type: 'person' }], rollout_percentage: 100 }] } },
    ],
  }
  const ev = new LocalEvaluator(defs)
  assert.equal(ev.size, 2)
  assert.deepEqual(ev.evaluate('on', { distinctId: 'u' }), { value: true, payload: { a: 1 } })
  assert.deepEqual(ev.evaluate('needs-plan', { distinctId: 'u', personProperties: { plan: 'pro' } }), { value: true, payload: null })
  assert.deepEqual(LocalEvaluator.fromJson(JSON.stringify(defs)).evaluate('needs-plan', { distinctId: 'u', personProperties: '{"plan": "free"}' }).value, false)
  assert.throws(() => ev.evaluate('needs-plan', { distinctId: 'u' }), (e) => e instanceof PostHogError && e.code === 'inconclusive' && e.reason === 'missing_context')
  assert.throws(() => ev.evaluate('nope', { distinctId: 'u' }), (e) => e.code === 'inconclusive' && e.reason === 'unknown_flag')
  assert.throws(() => ev.evaluate('on', {}), { code: 'invalid_input' })
  assert.throws(() => ev.evaluate('on', { distinctId: 'u', personProperties: '[1]' }), { code: 'invalid_input' })
  assert.throws(() => new LocalEvaluator('not json'), { code: 'invalid_input' })
  assert.throws(() => LocalEvaluator.fromJson({}), { code: 'invalid_input' })
  assert.deepEqual(ev.evaluateAll({ distinctId: 'u' }), { flags: { on: true }, payloads: { on: { a: 1 } }, unresolved: { 'needs-plan': 'missing_context' } })
  assert.deepEqual(ev.evaluateAll({ distinctId: 'u', personProperties: { plan: 'pro' } }, ['needs-plan', 'nope']), { flags: { 'needs-plan': true }, payloads: {}, unresolved: { nope: 'unknown_flag' } })
  assert.throws(() => ev.evaluateAll({ distinctId: 'u' }, 'on'), { code: 'invalid_input' })
  assert.equal(LocalEvaluator.matchProperty({ key: 'n', operator: 'gt', value: 5, type: 'person' }, { n: 6 }), true)
  assert.throws(() => LocalEvaluator.matchProperty({ key: 'n', operator: 'gt', value: 5, type: 'person' }, {}), (e) => e.code === 'inconclusive' && e.reason === 'missing_context')
  assert.equal(LocalEvaluator.flagHash('simple-flag', '', 'variant'), 0.33695721036248605)
  assert.throws(() => LocalEvaluator.flagHash(1, ''), { code: 'invalid_input' })
})

test("'localEvaluationFlagsLoaded' follows the background load too, with the flag count", async () => {
  const c = new PostHog(KEY, opts(server.url, { personalApiKey: SECURE }))
  // No reload asked for: the core's own first load emits it (as posthog-node's poller does).
  const [count] = await once(c, 'localEvaluationFlagsLoaded', { signal: AbortSignal.timeout(10_000) })
  assert.equal(typeof count, 'number')
  assert.ok(count > 0, `count ${count}`)
  await c.shutdown(5000)
})
