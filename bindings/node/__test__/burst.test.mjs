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

test('a synchronous burst of 100 000 captures loses nothing at the defaults', async (t) => {
  // Nothing but the host: the default queue (100 000 events, 64 MiB) holds the whole burst.
  const client = new PostHog(KEY, { host: server.url })
  const id = uid()
  const N = 100_000
  let accepted = 0
  const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    if (client.capture({ distinctId: id, event: 'burst', properties: { i } })) accepted += 1
  }
  const t1 = performance.now()
  assert.equal(accepted, N)
  const report = await client.flush(120_000)
  assert.equal(report.failed, 0)
  assert.equal(report.dropped, 0)
  const t2 = performance.now()
  t.diagnostic(`burst of ${N}: capture loop ${(t1 - t0).toFixed(0)} ms, flush until delivered ${(t2 - t1).toFixed(0)} ms`)
  const s = await server.control.stats()
  assert.equal(s.events_stored, N)
  assert.equal(s.unique_uuids, N)
  const st = client.stats()
  assert.equal(st.sent, N)
  assert.equal(st.dropped, 0)
  await client.shutdown(5000)
})
