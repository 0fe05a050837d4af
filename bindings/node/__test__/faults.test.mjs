import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { PostHog, PostHogError } from '../posthog.mjs'
import { startServer, opts, uid, KEY, nextError } from './helpers.mjs'

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

test('nothing is lost under 503 and 429 faults at the default retry policy', async () => {
  await server.control.faults([
    { status: 503 },
    { status: 429, headers: { 'Retry-After': '1' } },
    { status: 503 },
    { status: 502 },
  ])
  // No maxRetries: a failing batch is retried until its deadline (10 minutes), not 3 times.
  const client = new PostHog(KEY, opts(server.url, { flushAt: 10 }))
  const errors = []
  client.on('error', (e) => errors.push(e))
  const id = uid()
  const uuids = new Set()
  for (let i = 0; i < 50; i++) uuids.add(client.capture({ distinctId: id, event: 'e', properties: { i } }))
  const report = await client.flush(20_000)
  assert.equal(report.failed, 0)
  // Batches may be sent (and retried) before flush() starts: count over the client's life.
  assert.ok(client.stats().retried >= 4, `retried ${client.stats().retried}`)
  const stored = new Set((await server.control.events()).filter((e) => e.distinct_id === id).map((e) => e.uuid))
  assert.deepEqual(stored, uuids)
  const s = await server.control.stats()
  assert.equal(s.faults_pending, 0)
  assert.equal(client.stats().failed, 0)
  await client.shutdown(5000)
})

test("on('error') receives a 400 fault's error on the JS thread", async () => {
  await server.control.faults([{ status: 400, body: '{"type":"validation_error","detail":"bad batch","attr":"batch"}', headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req-js-1' } }])
  const client = new PostHog(KEY, opts(server.url))
  const errorSeen = nextError(client)
  client.capture({ distinctId: uid(), event: 'refused' })
  // As posthog-node: a flush during which a batch failed rejects with that batch's error.
  await assert.rejects(client.flush(10_000), (e) => e instanceof PostHogError && e.status === 400)
  assert.equal(client.stats().failed, 1)
  const err = await errorSeen
  assert.ok(err instanceof PostHogError)
  assert.equal(err.code, 'invalid_request')
  assert.equal(err.status, 400)
  // Every attribute comes from the core's one accessor.
  assert.equal(err.requestId, 'req-js-1')
  assert.equal(err.attr, 'batch')
  assert.ok(!err.message.includes(KEY))
  await client.shutdown(5000)
})

test('the onError option is a listener too', async () => {
  await server.control.faults([{ status: 401 }])
  let resolveSeen
  const seen = new Promise((r) => (resolveSeen = r))
  const client = new PostHog(KEY, opts(server.url, { onError: resolveSeen }))
  client.capture({ distinctId: uid(), event: 'x' })
  await assert.rejects(client.flush(10_000), { code: 'unauthorized' })
  const err = await Promise.race([seen, new Promise((_, rej) => setTimeout(() => rej(new Error('no error')), 10_000).unref())])
  assert.equal(err.code, 'unauthorized')
  assert.equal(err.status, 401)
  await client.shutdown(5000)
})

test('flush rejects with code timeout when delivery takes too long', async () => {
  await server.control.faults([{ latency_ms: 3000 }])
  const client = new PostHog(KEY, opts(server.url))
  client.capture({ distinctId: uid(), event: 'slow' })
  await assert.rejects(client.flush(200), (e) => e instanceof PostHogError && e.code === 'timeout')
  const report = await client.shutdown(10_000)
  assert.equal(report.failed, 0)
  assert.equal((await server.control.events()).length, 1)
})

test('events captured offline are delivered after a restart (storageDir)', async () => {
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(`${tmpdir()}/posthog-durable-`)
  // Offline: every attempt of the first client fails, so its events stay on disk.
  await server.control.faults([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }])
  const first = new PostHog(KEY, opts(server.url, { storageDir: dir, maxRetries: 0 }))
  const id = uid()
  const uuids = new Set()
  for (let i = 0; i < 5; i++) uuids.add(first.capture({ distinctId: id, event: 'offline' }))
  await first.flush(10_000)
  assert.equal(first.stats().sent, 0)
  await first.shutdown(2000)
  await server.control.reset()
  // The process restarts on the same directory: everything accepted arrives, once.
  const second = new PostHog(KEY, opts(server.url, { storageDir: dir }))
  await second.flush(10_000)
  const stored = (await server.control.events()).filter((e) => e.distinct_id === id).map((e) => e.uuid)
  assert.equal(stored.length, 5)
  assert.deepEqual(new Set(stored), uuids)
  await second.shutdown(5000)
})

test('a second client on a locked storageDir reports io and delivers from memory', async () => {
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(`${tmpdir()}/posthog-locked-`)
  const first = new PostHog(KEY, opts(server.url, { storageDir: dir }))
  const errors = []
  const second = new PostHog(KEY, opts(server.url, { storageDir: dir, onError: (e) => errors.push(e) }))
  const id = uid()
  second.capture({ distinctId: id, event: 'from-second' })
  await second.flush(10_000)
  assert.equal(second.stats().sent, 1, 'delivered from memory')
  await second.shutdown(5000)
  assert.ok(
    errors.some((e) => e.code === 'io' && e.message.includes('another client')),
    JSON.stringify(errors.map((e) => e.message)),
  )
  // Free again after the first's shutdown: a third client takes the directory over.
  await first.shutdown(5000)
  const third = new PostHog(KEY, opts(server.url, { storageDir: dir, onError: (e) => errors.push(e) }))
  const before = errors.length
  third.capture({ distinctId: id, event: 'from-third' })
  await third.flush(10_000)
  await third.shutdown(5000)
  assert.equal(errors.length, before, 'no lock error for the third')
  const names = (await server.control.events()).filter((e) => e.distinct_id === id).map((e) => e.event)
  assert.deepEqual(names, ['from-second', 'from-third'])
})

test('with storageDir the memory queue is a window over the disk: an outage burst waits there', async () => {
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(`${tmpdir()}/posthog-window-`)
  await server.control.faults(Array.from({ length: 5 }, () => ({ status: 503 })))
  const client = new PostHog(KEY, opts(server.url, { storageDir: dir, maxQueueSize: 50, flushAt: 20, fsync: 'never' }))
  const id = uid()
  const uuids = new Set()
  for (let i = 0; i < 2000; i++) uuids.add(client.capture({ distinctId: id, event: 'e', properties: { i } }))
  let s = client.stats()
  assert.equal(s.accepted, 2000)
  assert.equal(s.droppedQueueFull, 0)
  // Past the memory window (50) the burst waits on disk; how much of it the worker already
  // delivered by now depends on the machine's load, so only that some waits is asserted.
  assert.ok(s.spilled > 0 || s.queued > 50, JSON.stringify(s))
  const report = await client.flush(60_000)
  assert.deepEqual([report.failed, report.dropped, report.undelivered], [0, 0, 0])
  s = client.stats()
  assert.deepEqual([s.sent, s.spilled, s.queued], [2000, 0, 0])
  await client.shutdown(10_000)
  const stored = (await server.control.events()).filter((e) => e.distinct_id === id).map((e) => e.uuid)
  assert.equal(stored.length, 2000, 'each once')
  assert.deepEqual(new Set(stored), uuids)
})

test('a shutdown out of time leaves the rest on disk, says how many, and the next start sends them', async () => {
  const { mkdtemp } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const dir = await mkdtemp(`${tmpdir()}/posthog-left-`)
  await server.control.faults(Array.from({ length: 1000 }, () => ({ status: 503 })))
  let leftOnDisk
  const reported = new Promise((resolve) => {
    leftOnDisk = resolve
  })
  const onError = (e) => {
    if (e.message.includes('stay in the on-disk queue')) leftOnDisk(e.message)
  }
  const first = new PostHog(KEY, opts(server.url, { storageDir: dir, maxQueueSize: 10, flushAt: 20, onError }))
  const id = uid()
  const uuids = new Set()
  for (let i = 0; i < 300; i++) uuids.add(first.capture({ distinctId: id, event: 'e' }))
  await assert.rejects(first.shutdown(500), (e) => e instanceof PostHogError && e.code === 'timeout')
  // Reported through 'error', which reaches the JS thread on its own turn.
  let timer
  const message = await Promise.race([
    reported,
    new Promise((resolve) => {
      timer = setTimeout(() => resolve('no report'), 10_000)
    }),
  ])
  clearTimeout(timer)
  assert.match(message, /300 event\(s\) stay in the on-disk queue/)
  const s = first.stats()
  assert.deepEqual([s.failed, s.failedBatches], [0, 0], 'not failed: kept for the next start')
  await server.control.reset()
  const second = new PostHog(KEY, opts(server.url, { storageDir: dir, maxQueueSize: 10 }))
  assert.deepEqual([second.stats().queued, second.stats().spilled], [300, 290])
  assert.equal((await second.flush(30_000)).sent, 300)
  await second.shutdown(5000)
  const stored = (await server.control.events()).filter((e) => e.distinct_id === id).map((e) => e.uuid)
  assert.deepEqual(new Set(stored), uuids)
})
