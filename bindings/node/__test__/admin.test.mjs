import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import util from 'node:util'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { AdminClient, PostHogError } from '../posthog.mjs'
import { startServer, PERSONAL_KEY, uid } from './helpers.mjs'

let server
let tmp
before(async () => {
  server = await startServer()
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'posthog-admin-'))
})
after(async () => {
  await server?.stop()
  fs.rmSync(tmp, { recursive: true, force: true })
})
beforeEach(async () => {
  await server.control.reset()
})

function admin(extra = {}) {
  return new AdminClient({ personalApiKey: PERSONAL_KEY, host: server.url, ...extra })
}

async function all(iter) {
  const out = []
  for await (const x of iter) out.push(x)
  return out
}

async function rejectsWith(promise, code, status) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof PostHogError, String(e))
    assert.equal(e.code, code, e.message)
    if (status !== undefined) assert.equal(e.status, status)
    return true
  })
}

const START = '2024-03-01T00:00:00Z'
const END = '2024-03-02T00:00:00Z'

test('me, projects list (async iterator) and get', async () => {
  const a = admin()
  const me = await a.me()
  assert.equal(me.team.id, 1)
  assert.equal(typeof me.email, 'string')
  const projects = await all(a.projects.list())
  assert.deepEqual(projects.map((p) => p.id), [1])
  assert.equal((await a.projects.get(1)).id, 1)
  assert.equal((await a.projects.get()).id, 1)
})

test('flags: list follows pages lazily, over 100 flags', async () => {
  const a = admin()
  const seeded = (await all(a.featureFlags.list())).length
  const prefix = uid('f').replace(/[^a-zA-Z0-9]/g, '_')
  const created = []
  for (let i = 0; i < 120 - seeded + 5; i++) created.push(a.featureFlags.create({ key: `${prefix}_${i}`, rolloutPercentage: i % 100 }))
  await Promise.all(created)
  const before = (await server.control.requests()).length
  const iter = a.featureFlags.list({ project: '@current' })
  const first = await iter.next()
  assert.equal(first.done, false)
  const listRequests = async () => (await server.control.requests()).slice(before).filter((r) => r.path.endsWith('/feature_flags/')).length
  assert.equal(await listRequests(), 1, 'one page fetched for the first item')
  const rest = await all(iter)
  const flags = [first.value, ...rest]
  assert.equal(flags.length, seeded + created.length)
  assert.ok(flags.length > 100)
  assert.equal(new Set(flags.map((f) => f.id)).size, flags.length)
  assert.equal(await listRequests(), 2, 'the second page fetched when the first ran out')
})

test('flags: create, get, update, setActive, delete, activity', async () => {
  const a = admin()
  const key = uid('flag').replace(/[^a-zA-Z0-9]/g, '_')
  const flag = await a.featureFlags.create({ key, name: 'Checkout', rolloutPercentage: 30, ensure_experience_continuity: false })
  assert.equal(flag.key, key)
  assert.equal(flag.active, true)
  assert.equal(flag.filters.groups[0].rollout_percentage, 30)
  const got = await a.featureFlags.get(flag.id)
  assert.equal(got.name, 'Checkout')
  const updated = await a.featureFlags.update(flag.id, { name: 'Checkout v2', filters: { groups: [{ properties: [], rollout_percentage: 75 }] } })
  assert.equal(updated.name, 'Checkout v2')
  assert.equal(updated.filters.groups[0].rollout_percentage, 75)
  assert.equal((await a.featureFlags.setActive(flag.id, false)).active, false)
  assert.equal((await a.featureFlags.get(flag.id)).active, false)
  const activity = await all(a.featureFlags.activity(flag.id))
  assert.ok(activity.length >= 3, JSON.stringify(activity))
  await a.featureFlags.delete(flag.id)
  await rejectsWith(a.featureFlags.get(flag.id), 'not_found', 404)
  await rejectsWith(a.featureFlags.get('x'), 'invalid_input')
})

test('other resources: persons, cohorts, insights, annotations, definitions, batch exports', async () => {
  const a = admin()
  await server.control.generateEvents(20, 'signed_up', START, END)
  const persons = await all(a.persons.list())
  assert.ok(persons.length > 0)
  const byId = await all(a.persons.list({ distinctId: 'user-3' }))
  assert.equal(byId.length, 1)
  assert.equal((await a.persons.get(byId[0].id)).id, byId[0].id)
  const cohort = await a.cohorts.createStatic('vips', [byId[0].id])
  assert.equal((await a.cohorts.get(cohort.id)).name, 'vips')
  assert.equal((await all(a.cohorts.list())).length, 1)
  const insights = await all(a.insights.list())
  assert.equal(insights.length, 2)
  assert.equal((await a.insights.get(insights[0].id)).id, insights[0].id)
  await a.annotations.create('deploy', new Date('2024-03-01T12:00:00Z'))
  const notes = await all(a.annotations.list())
  assert.deepEqual(notes.map((n) => n.content), ['deploy'])
  const events = await all(a.definitions.events())
  assert.ok(events.some((e) => e.name === 'signed_up'))
  const props = await all(a.definitions.properties({ type: 'event' }))
  assert.ok(props.some((p) => p.name === '$browser'))
  const be = await a.batchExports.create({ name: 's3', destination: { type: 'S3', config: {} }, interval: 'hour' })
  assert.equal((await a.batchExports.pause(be.id)).paused, true)
  await a.batchExports.unpause(be.id)
  await a.batchExports.backfill(be.id, START, '2024-03-01T03:00:00Z')
  assert.equal((await all(a.batchExports.runs(be.id))).length, 3)
  assert.equal((await a.batchExports.get(be.id)).id, be.id)
  assert.equal((await all(a.batchExports.list())).length, 1)
  await a.persons.delete(byId[0].id)
  await rejectsWith(a.persons.get(byId[0].id), 'not_found', 404)
})

test('query with placeholder values', async () => {
  const a = admin()
  await server.control.generateEvents(40, '$pageview', START, END)
  const r = await a.query('SELECT event, count() AS n FROM events WHERE event = {e} GROUP BY event', { values: { e: '$pageview' } })
  assert.deepEqual(r.columns, ['event', 'n'])
  assert.deepEqual(r.results, [['$pageview', 40]])
  assert.equal(r.hasMore, false)
  assert.equal(r.types.length, 2)
  await rejectsWith(a.query('SELECT nope( FROM events'), 'invalid_request', 400)
})

test('async query: queryAsync, queryStatus, waitForQuery, cancelQuery', async () => {
  const a = admin()
  await server.control.generateEvents(7, 'e', START, END)
  const status = await a.queryAsync('SELECT count() FROM events', { clientQueryId: 'q-1' })
  assert.equal(status.id, 'q-1')
  assert.equal(status.complete, false)
  const r = await a.waitForQuery(status.id, { timeoutMs: 10_000 })
  assert.deepEqual(r.results, [[7]])
  assert.equal((await a.queryStatus('q-1')).complete, true)
  assert.equal(await a.cancelQuery('q-1'), 'Query already complete')
  await rejectsWith(a.queryStatus('missing'), 'not_found', 404)
})

async function count(a) {
  const r = await a.query('SELECT count() FROM events WHERE timestamp >= {a} AND timestamp < {b}', { values: { a: START, b: END } })
  return r.results[0][0]
}

test('export events to JSONL and CSV; rows equal a count query', async () => {
  const a = admin()
  await server.control.generateEvents(250, '$pageview', START, END)
  const n = await count(a)
  assert.equal(n, 250)
  const progress = []
  const jsonl = path.join(tmp, 'events.jsonl')
  const r = await a.export({ path: jsonl, events: { after: new Date(START), before: END }, pageSize: 100, onProgress: (p) => progress.push(p.rows) })
  assert.equal(r.rows, n)
  assert.equal(r.pages, 3)
  assert.equal(r.checkpoint.rows, n)
  const lines = fs.readFileSync(jsonl, 'utf8').trimEnd().split('\n')
  assert.equal(lines.length, n)
  const rows = lines.map((l) => JSON.parse(l))
  assert.equal(new Set(rows.map((x) => x.uuid)).size, n)
  assert.deepEqual(Object.keys(rows[0]), ['uuid', 'event', 'timestamp', 'distinct_id', 'properties'])
  await new Promise((res) => setImmediate(res))
  assert.deepEqual(progress, [100, 200, 250])

  const csv = path.join(tmp, 'events.csv')
  const c = await a.export({ path: csv, events: { after: START, before: END, event: '$pageview' }, format: 'csv', pageSize: 100 })
  assert.equal(c.rows, n)
  const csvLines = fs.readFileSync(csv, 'utf8').trimEnd().split('\n')
  assert.equal(csvLines[0], 'uuid,event,timestamp,distinct_id,properties')
  assert.equal(csvLines.length, n + 1)

  const q = await a.export({ path: path.join(tmp, 'q.jsonl'), hogql: 'SELECT uuid FROM events WHERE event = {e} ORDER BY uuid', values: { e: '$pageview' }, pageSize: 1000 })
  assert.equal(q.rows, n)
})

test('an interrupted export rejects with a checkpoint and resumes from it', async () => {
  const a = admin({ maxRetries: 0 })
  await server.control.generateEvents(250, '$pageview', START, END)
  const file = path.join(tmp, 'resume.jsonl')
  const source = { path: file, events: { after: START, before: END }, pageSize: 50 }
  await server.control.adminFaults([{ latency_ms: 0 }, { latency_ms: 0 }, { status: 503 }])
  let err
  await a.export(source).catch((e) => (err = e))
  assert.ok(err instanceof PostHogError)
  assert.equal(err.code, 'server')
  assert.equal(err.status, 503)
  assert.equal(err.checkpoint.rows, 100)
  assert.equal(err.checkpoint.position.kind, 'keyset')
  fs.appendFileSync(file, '{"partial": ') // a torn tail is cut back to checkpoint.bytes
  const r = await a.export({ ...source, checkpoint: err.checkpoint })
  assert.equal(r.rows, 150)
  assert.equal(r.checkpoint.rows, 250)
  const uuids = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l).uuid)
  assert.equal(uuids.length, 250)
  assert.equal(new Set(uuids).size, 250)
})

test('HTTP answers map to codes: 401, 403 with the scope, 404, 400', async () => {
  await rejectsWith(admin({ personalApiKey: 'phx_unknown_key_123' }).me(), 'unauthorized', 401)
  await server.control.keys({ phx_readonlykey: ['feature_flag:read'] })
  const ro = admin({ personalApiKey: 'phx_readonlykey' })
  assert.ok((await all(ro.featureFlags.list())).length > 0)
  await assert.rejects(ro.featureFlags.create({ key: 'nope' }), (e) => {
    assert.equal(e.code, 'forbidden')
    assert.equal(e.status, 403)
    assert.equal(e.scope, 'feature_flag:write')
    assert.match(e.message, /feature_flag:write/)
    return true
  })
  const a = admin()
  await rejectsWith(a.featureFlags.get(987654), 'not_found', 404)
  await rejectsWith(a.projects.get(2), 'not_found', 404)
  await rejectsWith(a.featureFlags.create({ key: 'bad key!' }), 'invalid_request', 400)
})

test('429s are waited out (Retry-After 0 and 1)', async () => {
  const a = admin()
  await server.control.adminRateLimit(2, 0)
  for (let i = 0; i < 5; i++) await a.me()
  await server.control.adminRateLimit(1, 1)
  await a.me()
  await a.me()
  const s = await server.control.stats()
  assert.ok(s.statuses['429'] >= 3, JSON.stringify(s.statuses))
})

test('the key is never visible; phc_ keys are refused; rotateKey; env default', async () => {
  const secret = 'phx_super_secret_personal_99'
  await server.control.keys({ [secret]: ['*'] })
  const a = admin({ personalApiKey: secret })
  for (const text of [util.inspect(a), util.inspect(a, { showHidden: true, depth: 10 }), JSON.stringify(a), String(a), `${a}`, util.format('%o', a)]) {
    assert.ok(!text.includes('super_secret'), text)
  }
  assert.equal(String(a), `AdminClient(${server.url})`)
  const bad = admin({ personalApiKey: 'phx_wrong_secret_77' })
  await assert.rejects(bad.me(), (e) => e.code === 'unauthorized' && !e.message.includes('wrong_secret') && !util.inspect(e).includes('wrong_secret'))
  assert.throws(() => new AdminClient({ personalApiKey: 'phc_project_secret_1', host: server.url }), (e) => {
    return e instanceof PostHogError && e.code === 'invalid_key' && !e.message.includes('project_secret')
  })
  assert.throws(() => a.rotateKey('phc_project_secret_2'), (e) => e.code === 'invalid_key' && !e.message.includes('project_secret'))
  bad.rotateKey(PERSONAL_KEY)
  assert.equal((await bad.me()).team.id, 1)
  assert.throws(() => admin({ host: 'http://example.com' }), { code: 'config' })

  const saved = process.env.POSTHOG_PERSONAL_API_KEY
  try {
    process.env.POSTHOG_PERSONAL_API_KEY = PERSONAL_KEY
    assert.equal((await new AdminClient({ host: server.url }).me()).team.id, 1)
    delete process.env.POSTHOG_PERSONAL_API_KEY
    assert.throws(() => new AdminClient({ host: server.url }), { code: 'invalid_key' })
  } finally {
    if (saved === undefined) delete process.env.POSTHOG_PERSONAL_API_KEY
    else process.env.POSTHOG_PERSONAL_API_KEY = saved
  }
})

test('an export that cannot open its file rejects with io; bad arguments with invalid_input', async () => {
  const a = admin()
  await rejectsWith(a.export({ path: path.join(tmp, 'no-such-dir', 'x.jsonl'), events: { after: START, before: END } }), 'io')
  await rejectsWith(a.export({ path: path.join(tmp, 'x.jsonl'), events: { after: END, before: START } }), 'invalid_input')
  await rejectsWith(a.export({ path: path.join(tmp, 'x.jsonl') }), 'invalid_input')
  await rejectsWith(a.export({ path: path.join(tmp, 'x.jsonl'), hogql: 'SELECT uuid FROM events LIMIT 5' }), 'invalid_input')
  await rejectsWith(a.query('SELECT 1', { values: { big: 1n } }), 'invalid_input')
})

test('least privilege: requiredScopes, preflight names the missing scope', async () => {
  assert.deepEqual(AdminClient.requiredScopes(['feature_flags.list', 'feature_flags.update', 'export']), ['feature_flag:write', 'query:read'])
  assert.deepEqual(AdminClient.operations()['feature_flags.activity'], ['activity_log:read'])
  assert.throws(() => AdminClient.requiredScopes(['no.such']), (e) => e instanceof PostHogError && e.code === 'invalid_input')
  const key = `phx_node_scoped_${uid()}`
  await server.control.post('/_test/keys', { [key]: ['feature_flag:read'] })
  const a = admin({ personalApiKey: key })
  const ok = await a.preflight(['feature_flags.list'])
  assert.deepEqual(ok.required, ['feature_flag:read'])
  await assert.rejects(a.preflight(['feature_flags.list', 'export']), (e) => {
    assert.equal(e.code, 'forbidden')
    assert.equal(e.scope, 'query:read')
    assert.ok(!e.message.includes(key))
    return true
  })
  assert.deepEqual(a.rateBudget('query'), [240, 2400])
})

test('queries: fresh, hasMore null with an own LIMIT, pair types', async () => {
  const a = admin()
  await server.control.generateEvents(5, 'e', START, END)
  const limited = await a.query('SELECT uuid FROM events ORDER BY uuid LIMIT 2', { fresh: true })
  assert.equal(limited.results.length, 2)
  assert.equal(limited.hasMore, null)
  assert.deepEqual(limited.types[0], ['uuid', 'UUID'])
})

test('a keyProvider (async, like a secret manager) is asked again after a 401', async () => {
  await server.control.post('/_test/admin/personal_api_keys', { version: 'legacy' })
  let secret = PERSONAL_KEY
  let asked = 0
  const keyProvider = async () => {
    asked += 1
    await new Promise((r) => setImmediate(r))
    return secret
  }
  assert.throws(() => new AdminClient({ host: server.url, keyProvider }), (e) => e.code === 'config')
  assert.throws(() => new AdminClient({ host: server.url, keyProvider: 'phx_not_a_function' }), (e) => e.code === 'invalid_input')
  asked = 0
  const a = await AdminClient.create({ host: server.url, keyProvider })
  assert.equal(asked, 1, 'asked once at start')
  assert.ok((await a.me()).email)
  // a rotation job rolls the key elsewhere and stores the new secret
  const job = admin()
  const rolled = await job.rollKey((await job.currentKey()).id)
  assert.ok(rolled.value.startsWith('phx_') && rolled.value !== PERSONAL_KEY)
  secret = rolled.value
  assert.ok((await a.me()).email, 'the 401 was met by re-reading the provider')
  assert.equal(asked, 2)
  const auths = (await server.control.requests()).filter((r) => r.path === '/api/users/@me/').map((r) => r.headers.authorization)
  assert.deepEqual(auths.slice(-2), [`Bearer ${PERSONAL_KEY}`, `Bearer ${rolled.value}`])
  assert.ok(!util.inspect(a).includes(rolled.value))
  // a provider that still answers the revoked key: the 401 surfaces
  const stale = new AdminClient({ host: server.url, keyProvider: () => PERSONAL_KEY })
  await rejectsWith(stale.me(), 'unauthorized', 401)
  // a provider that throws: invalid_key naming only what it threw
  const broken = new AdminClient({
    host: server.url,
    personalApiKey: PERSONAL_KEY,
    keyProvider: () => {
      throw new TypeError('vault token phx_leaked')
    },
  })
  await assert.rejects(broken.me(), (e) => e.code === 'invalid_key' && e.message.includes('TypeError') && !e.message.includes('leaked'))
})

test('key management on older PostHog, refused by current PostHog', async () => {
  const a = admin()
  assert.ok((await a.currentKey()).id)
  await rejectsWith(a.listKeys(), 'forbidden', 403)
  await server.control.post('/_test/admin/personal_api_keys', { version: 'legacy' })
  const made = await a.createKey('nightly export', ['query:read'])
  assert.ok(made.value.startsWith('phx_'))
  assert.deepEqual(made.scopes, ['query:read'])
  const listed = await a.listKeys()
  assert.ok(listed.some((k) => k.label === 'nightly export') && listed.every((k) => k.value == null))
  await rejectsWith(a.createKey('too wide', []), 'invalid_input')
  await a.deleteKey(made.id)
  await rejectsWith(admin({ personalApiKey: made.value }).me(), 'unauthorized', 401)
})

test('activity log, flag activity with its own scope, runs by window, cached queries', async () => {
  const a = admin()
  const flag = await a.featureFlags.create({ key: 'audited', rolloutPercentage: 5 })
  await a.featureFlags.update(flag.id, { name: 'Audited' })
  const entries = await all(a.activityLog({ scope: 'FeatureFlag', itemId: String(flag.id) }))
  assert.deepEqual(entries.slice(0, 2).map((e) => e.activity), ['updated', 'created'])
  const key = `phx_node_flags_${uid()}`
  await server.control.post('/_test/keys', { [key]: ['feature_flag:read'] })
  await assert.rejects(all(admin({ personalApiKey: key }).featureFlags.activity(flag.id)), (e) => e.code === 'forbidden' && e.scope === 'activity_log:read')

  const be = await a.batchExports.create({ name: 's3', interval: 'day', destination: { type: 'S3', config: {} } })
  await a.batchExports.backfill(be.id, '2026-01-01T00:00:00Z', '2026-01-03T00:00:00Z')
  const now = Date.now()
  assert.equal((await all(a.batchExports.runs(be.id))).length, 2)
  assert.equal((await all(a.batchExports.runs(be.id, { after: new Date(now + 3600_000) }))).length, 0)
  assert.equal((await all(a.batchExports.runs(be.id, { after: new Date(now - 30 * 86400_000), before: new Date(now - 86400_000) }))).length, 0)

  const first = await a.query('SELECT count() FROM events')
  const again = await a.query('SELECT count() FROM events')
  assert.equal(first.is_cached, false)
  assert.equal(again.is_cached, true)
  assert.equal((await a.query('SELECT count() FROM events', { fresh: true })).is_cached, false)
})
