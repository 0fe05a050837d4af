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

test('a synchronous burst of 10 000 captures loses nothing', async () => {
  const client = new PostHog(KEY, opts(server.url, { flushAt: 100 }))
  const id = uid()
  let accepted = 0
  for (let i = 0; i < 10_000; i++) {
    if (client.capture({ distinctId: id, event: 'burst', properties: { i } })) accepted += 1
  }
  assert.equal(accepted, 10_000)
  const report = await client.flush(60_000)
  assert.equal(report.failed, 0)
  assert.equal(report.dropped, 0)
  const s = await server.control.stats()
  assert.equal(s.events_stored, 10_000)
  assert.equal(s.unique_uuids, 10_000)
  const st = client.stats()
  assert.equal(st.sent, 10_000)
  assert.equal(st.dropped, 0)
  await client.shutdown(5000)
})
