// The fast capture path (intake.js → the core's Intake): recorded captures keep their order,
// their capture-time uuid and timestamp, and every other call sees them first.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { PostHog } from '../posthog.mjs'
import { startServer, opts, uid, KEY } from './helpers.mjs'

let server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})

const mine = async (distinctId) =>
  (await server.control.events()).filter((e) => e.distinct_id === distinctId)

test('stats() right after a burst counts every capture; the server gets them in order', async () => {
  const client = new PostHog(KEY, opts(server.url, { flushAt: 1000, flushInterval: 0 }))
  const id = uid()
  const n = 1000 // several chunks of 256, the last one partial
  const uuids = []
  for (let i = 0; i < n; i++) uuids.push(client.capture({ distinctId: id, event: 'e', properties: { i } }))
  const s = client.stats()
  assert.equal(s.accepted, n)
  assert.equal(s.pending + s.sent, n, "waiting, in flight or sent")
  await client.flush()
  const evs = await mine(id)
  assert.deepEqual(evs.map((e) => e.properties.i), [...Array(n).keys()])
  assert.deepEqual(evs.map((e) => e.uuid), uuids)
  await client.shutdown(5000)
})

test('the uuid and timestamp are fixed at the call, not when the core builds the event', async () => {
  const client = new PostHog(KEY, opts(server.url))
  const id = uid()
  const before = Date.now()
  const uuid = client.capture({ distinctId: id, event: 'timed' })
  const after = Date.now()
  assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  // uuid v7: the first 48 bits are the capture's milliseconds.
  const ms = parseInt(uuid.replace(/-/g, '').slice(0, 12), 16)
  assert.ok(ms >= before && ms <= after)
  // Hold the hand-over back past the capture: the timestamp must still be the call's.
  await new Promise((resolve) => setTimeout(resolve, 30))
  await client.flush()
  const [ev] = await mine(id)
  assert.equal(ev.uuid, uuid)
  const t = Date.parse(ev.timestamp)
  assert.ok(t >= before && t <= after, `${ev.timestamp} within the call`)
  await client.shutdown(5000)
})

test('optOut, register and identify see the captures recorded before them', async () => {
  const client = new PostHog(KEY, opts(server.url))
  const id = uid()
  client.capture({ distinctId: id, event: 'first' })
  await client.register({ tenant: 't1' })
  client.capture({ distinctId: id, event: 'second' })
  client.identify({ distinctId: id, properties: { email: 'a@b.c' } })
  client.capture({ distinctId: id, event: 'third' })
  await client.optOut()
  assert.equal(client.capture({ distinctId: id, event: 'dropped' }), undefined)
  await client.optIn()
  client.capture({ distinctId: id, event: 'fourth' })
  await client.flush()
  const evs = await mine(id)
  assert.deepEqual(evs.map((e) => e.event), ['first', 'second', '$identify', 'third', 'fourth'])
  assert.ok(!('tenant' in evs[0].properties), 'registered after the first capture')
  assert.equal(evs[1].properties.tenant, 't1')
  await client.shutdown(5000)
})

test('a recorded capture the core refuses later is counted, and the rest still arrive', async () => {
  const client = new PostHog(KEY, opts(server.url, { maxEventBytes: 2000, maxBatchBytes: 2_000_000 }))
  const errors = []
  client.on('error', (e) => errors.push(e))
  const id = uid()
  client.capture({ distinctId: id, event: 'small' })
  client.capture({ distinctId: id, event: 'too big', properties: { blob: 'x'.repeat(5000) } })
  client.capture({ distinctId: id, event: 'small too' })
  assert.equal(client.stats().droppedTooLarge, 1)
  await client.flush()
  assert.deepEqual((await mine(id)).map((e) => e.event), ['small', 'small too'])
  await client.shutdown(5000)
})

test('without flush, shutdown delivers what was recorded in the same task', async () => {
  const client = new PostHog(KEY, opts(server.url, { flushAt: 1000, flushInterval: 0 }))
  const id = uid()
  for (let i = 0; i < 10; i++) client.capture({ distinctId: id, event: 'e' })
  const report = await client.shutdown(5000)
  assert.equal(report.sent, 10)
  assert.equal((await mine(id)).length, 10)
})
