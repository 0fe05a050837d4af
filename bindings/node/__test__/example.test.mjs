// Runs examples/node/flag-rollout-backend.mjs as a child process against the test server.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { once } from 'node:events'
import path from 'node:path'
import { AdminClient } from '../posthog.mjs'
import { startServer, repoDir, KEY, PERSONAL_KEY } from './helpers.mjs'

let server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})

test('flag-rollout-backend answers the rollout and captures an event per request', async () => {
  await server.control.reset()
  const admin = new AdminClient({ personalApiKey: PERSONAL_KEY, host: server.url })
  const flag = await admin.featureFlags.create({ key: 'example-rollout', rolloutPercentage: 30 })
  const child = spawn(process.execPath, [path.join(repoDir, 'examples', 'node', 'flag-rollout-backend.mjs')], {
    env: {
      ...process.env,
      POSTHOG_HOST: server.url,
      POSTHOG_PROJECT_API_KEY: KEY,
      POSTHOG_PERSONAL_API_KEY: PERSONAL_KEY,
      FLAG_KEY: 'example-rollout',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  try {
    const lines = createInterface({ input: child.stdout })
    const [url] = await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`the example exited early (${code})`)
      }),
    ])
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
    const first = await (await fetch(`${url}/checkout?user=alice`)).json()
    assert.deepEqual(first, { flag: 'example-rollout', id: flag.id, active: true, rolloutPercentage: 30 })
    await admin.featureFlags.update(flag.id, { filters: { groups: [{ properties: [], rollout_percentage: 80 }] } })
    const second = await (await fetch(`${url}/checkout?user=bob`)).json()
    assert.equal(second.rolloutPercentage, 80)
    const waited = await server.control.waitEvents(2)
    assert.ok(waited.ok, JSON.stringify(waited))
    const events = (await server.control.events()).filter((e) => e.event === 'rollout_checked')
    assert.deepEqual(events.map((e) => e.distinct_id).sort(), ['alice', 'bob'])
    assert.equal(events[0].properties.flag, 'example-rollout')
  } finally {
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const [code] = await exited
    assert.equal(code, 0)
  }
})
