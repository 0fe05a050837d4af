import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { PostHog } from '../posthog.mjs'
import { startServer, opts, uid, KEY, pkg, nextError } from './helpers.mjs'

let server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})

const mine = async (distinctId) =>
  (await server.control.events()).filter((e) => e.distinct_id === distinctId)

test('capture is delivered with properties, uuid, UTC timestamp and $lib', async () => {
  const client = new PostHog(KEY, opts(server.url))
  const id = uid()
  const when = new Date('2026-01-02T03:04:05.678+02:00')
  const uuid = client.capture({
    distinctId: id,
    event: 'signed_up',
    properties: { plan: 'pro', n: 3, nested: { a: [1, 'x'] }, at: new Date(0), gone: undefined },
    groups: { company: 'acme' },
    timestamp: when,
  })
  assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  const report = await client.flush()
  assert.equal(report.sent, 1)
  assert.equal(report.failed, 0)
  const [ev] = await mine(id)
  assert.ok(ev, 'the event reached the server')
  assert.equal(ev.event, 'signed_up')
  assert.equal(ev.uuid, uuid)
  assert.equal(ev.token, KEY)
  assert.match(ev.timestamp, /Z$/)
  assert.equal(Date.parse(ev.timestamp), when.getTime())
  assert.equal(ev.properties.plan, 'pro')
  assert.equal(ev.properties.n, 3)
  assert.deepEqual(ev.properties.nested, { a: [1, 'x'] })
  assert.equal(ev.properties.at, '1970-01-01T00:00:00.000Z', 'Date properties are sent as JSON.stringify does')
  assert.ok(!('gone' in ev.properties), 'undefined properties are left out')
  assert.deepEqual(ev.properties.$groups, { company: 'acme' })
  assert.equal(ev.properties.$lib, 'posthog-sdk-node')
  assert.equal(ev.properties.$lib_version, pkg.version)
  await client.shutdown(5000)
})

test('a caller uuid and string timestamp are kept; default timestamp is now, in UTC', async () => {
  const client = new PostHog(KEY, opts(server.url))
  const id = uid()
  const given = '0190a0a0-0000-7000-8000-000000000001'
  const before = Date.now()
  assert.equal(client.capture({ distinctId: id, event: 'a', uuid: given, timestamp: '2025-06-01T12:00:00+05:30' }), given)
  client.capture({ distinctId: id, event: 'b' })
  await client.flush()
  const evs = await mine(id)
  const a = evs.find((e) => e.event === 'a')
  const b = evs.find((e) => e.event === 'b')
  assert.equal(a.uuid, given)
  assert.equal(Date.parse(a.timestamp), Date.parse('2025-06-01T06:30:00Z'))
  assert.match(b.timestamp, /Z$/)
  assert.ok(Math.abs(Date.parse(b.timestamp) - before) < 60_000)
  await client.shutdown(5000)
})

test('flush resolves only after delivery', async () => {
  const client = new PostHog(KEY, opts(server.url))
  const id = uid()
  for (let i = 0; i < 25; i++) client.capture({ distinctId: id, event: 'e', properties: { i } })
  assert.equal(client.stats().queued, 25)
  const report = await client.flush()
  // No waiting after flush: everything must already be stored.
  const evs = await mine(id)
  assert.equal(evs.length, 25)
  assert.equal(report.sent, 25)
  assert.equal(client.stats().pending, 0)
  await client.shutdown(5000)
})

test('identify, alias and groupIdentify have the posthog-node shapes', async () => {
  const client = new PostHog(KEY, opts(server.url))
  const id = uid()
  client.identify({ distinctId: id, properties: { email: 'a@b.c', $set_once: { first: 'yes' } } })
  client.identify({ distinctId: id, properties: { $set: { plan: 'pro' }, ignored: 1 } })
  client.alias({ distinctId: id, alias: `${id}-alias` })
  client.groupIdentify({ groupType: 'company', groupKey: `${id}-co`, properties: { size: 10 }, distinctId: id })
  client.groupIdentify({ groupType: 'company', groupKey: `${id}-co2`, properties: { size: 2 } })
  await client.flush()
  const evs = await mine(id)
  const identifies = evs.filter((e) => e.event === '$identify')
  assert.equal(identifies.length, 2)
  assert.deepEqual(identifies[0].properties.$set, { email: 'a@b.c' })
  assert.deepEqual(identifies[0].properties.$set_once, { first: 'yes' })
  assert.deepEqual(identifies[1].properties.$set, { plan: 'pro' })
  const alias = evs.find((e) => e.event === '$create_alias')
  assert.equal(alias.properties.alias, `${id}-alias`)
  assert.equal(alias.properties.distinct_id, id)
  const group = evs.find((e) => e.event === '$groupidentify')
  assert.equal(group.properties.$group_type, 'company')
  assert.equal(group.properties.$group_key, `${id}-co`)
  assert.deepEqual(group.properties.$group_set, { size: 10 })
  const all = await server.control.events()
  const anon = all.find((e) => e.event === '$groupidentify' && e.properties.$group_key === `${id}-co2`)
  assert.equal(anon.distinct_id, `$company_${id}-co2`)
  await client.shutdown(5000)
})

test('capture never throws: unconvertible arguments are counted and reported', async () => {
  const client = new PostHog(KEY, opts(server.url))
  const errors = []
  client.on('error', (e) => errors.push(e))
  const cyclic = {}
  cyclic.self = cyclic
  const bad = [
    undefined,
    null,
    42,
    {},
    { distinctId: 'u', event: 'x', properties: { big: 10n } },
    { distinctId: 'u', event: 'x', properties: cyclic },
    { distinctId: 'u', event: 'x', timestamp: new Date(NaN) },
    { distinctId: 'u', event: 'x', timestamp: 'yesterday' },
    { distinctId: 'u', event: 'x', uuid: 'nope' },
    { distinctId: '', event: 'x' },
    { distinctId: 'u', event: '' },
  ]
  for (const msg of bad) assert.equal(client.capture(msg), undefined)
  // A numeric distinctId is sent as its text, as posthog-node does (not a bad argument).
  assert.equal(typeof client.capture({ distinctId: 7, event: 'numeric' }), 'string')
  assert.equal(client.identify(null), undefined)
  assert.equal(client.alias({ distinctId: 'x' }), undefined)
  assert.equal(client.groupIdentify({ groupType: 'g' }), undefined)
  assert.equal(client.stats().droppedInvalid, bad.length + 3)
  assert.equal(client.stats().accepted, 1)
  // Reports arrive on the JS thread, after this synchronous code.
  while (errors.length < bad.length + 3) await nextError(client)
  assert.ok(errors.every((e) => e.code === 'invalid_input' && e.name === 'PostHogError'))
  await client.shutdown(5000)
})

test('beforeSend can rewrite or drop an event the core prepared', async () => {
  const client = new PostHog(
    KEY,
    opts(server.url, {
      beforeSend: (m) => (m.event === 'drop me' ? null : { ...m, properties: { ...m.properties, seen: true } }),
    }),
  )
  const id = uid()
  assert.equal(client.capture({ distinctId: id, event: 'drop me' }), undefined)
  assert.ok(client.capture({ distinctId: id, event: 'keep me' }))
  await client.flush()
  const evs = await mine(id)
  assert.deepEqual(evs.map((e) => e.event), ['keep me'])
  assert.equal(evs[0].properties.seen, true)
  assert.equal(client.stats().droppedBeforeSend, 1)
  await client.shutdown(5000)
})

test('capture after shutdown is still delivered, as posthog-node does (shutdown only flushes)', async () => {
  const client = new PostHog(KEY, opts(server.url))
  await client.shutdown(5000)
  const id = uid()
  assert.ok(client.capture({ distinctId: id, event: 'late' }))
  await client.shutdown(5000)
  assert.equal(client.stats().droppedClosed, 0)
  const names = (await server.control.events()).filter((e) => e.distinct_id === id).map((e) => e.event)
  assert.deepEqual(names, ['late'])
})
