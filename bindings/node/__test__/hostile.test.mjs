// Hostile input. Keys never leave: a server that echoes the request's keys into request ids, error details
// and `attr` on every route (ingestion, /flags, definitions, admin) gets them into no error
// message, property, stack, console line or util.inspect output.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import util from 'node:util'
import { PostHog, AdminClient } from '../posthog.mjs'
import { startServer, opts, uid } from './helpers.mjs'

const PROJECT = 'phc_echo0project0key0never0leaves'
const PERSONAL = 'phx_echo0personal0key.never-leaves'
const SECRETS = [PROJECT, PERSONAL, 'never0leaves', 'never-leaves']

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

/** A fault that reflects `secret` (`{authorization}` or `{api_key}`) everywhere it can. */
function echo(status, secret, route) {
  return {
    status,
    route,
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': secret },
    body: `{"type":"validation_error","detail":"bad key ${secret}","attr":"${secret}"}`,
  }
}

function assertClean(values) {
  for (const v of values) {
    const text = typeof v === 'string' ? v : util.inspect(v, { depth: 5, showHidden: true })
    for (const s of SECRETS) assert.ok(!text.includes(s), text)
  }
}

/** Every console line written while `fn` runs. */
async function consoleOf(fn) {
  const lines = []
  const saved = {}
  for (const k of ['log', 'info', 'warn', 'error', 'debug']) {
    saved[k] = console[k]
    console[k] = (...args) => lines.push(util.format(...args))
  }
  try {
    await fn()
  } finally {
    Object.assign(console, saved)
  }
  return lines
}

test('no route reflects a key into an error, a property or a console line', async () => {
  await server.control.faults([
    echo(400, '{api_key}', 'capture'),
    echo(401, '{authorization}', 'definitions'),
    echo(500, '{api_key}', 'flags'),
  ])
  const errors = []
  const lines = await consoleOf(async () => {
    const client = new PostHog(PROJECT, opts(server.url, { personalApiKey: PERSONAL, maxRetries: 0 }))
    client.on('error', (e) => errors.push(e))
    client.capture({ distinctId: uid(), event: 'echoed' })
    await client.flush(10_000).catch((e) => errors.push(e))
    assert.equal(await client.getFeatureFlag('beta', uid()), undefined)
    await client.shutdown(5000)
    assertClean([util.inspect(client)])
  })
  assert.ok(errors.length >= 2, `reported: ${errors.map((e) => e.code)}`)
  assert.ok(errors.some((e) => typeof e.requestId === 'string'), 'the request id arrived, scrubbed')
  assertClean([...lines, ...errors, ...errors.map((e) => `${e.message} ${e.stack} ${e.requestId} ${e.attr}`)])
})

test('admin errors do not reflect the personal key', async () => {
  await server.control.faults([echo(403, '{authorization}', 'admin')])
  const a = new AdminClient({ personalApiKey: PERSONAL, host: server.url })
  const err = await a.featureFlags.get(1).then(
    () => assert.fail('the 403 was not raised'),
    (e) => e,
  )
  assert.equal(err.status, 403)
  assert.ok(err.requestId)
  assertClean([err, `${err.message} ${err.stack} ${err.requestId} ${err.attr}`, util.inspect(a), String(a)])
  await a.close?.()
})

test('a self-referencing cohort and a 3 000-deep chain are inconclusive, not a crash', async () => {
  // Both used to take the process down (a segmentation fault).
  const { LocalEvaluator } = await import('../posthog.mjs')
  const flags = [
    { id: 1, key: 'loop', active: true, filters: { groups: [{ properties: [{ key: 'id', type: 'cohort', value: '7' }], rollout_percentage: 100 }] } },
  ]
  for (let i = 2; i < 3000; i++) {
    flags.push({
      id: i,
      key: `f${i}`,
      active: true,
      filters: {
        groups: [{ properties: [{ key: `f${i - 1}`, type: 'flag', value: true, operator: 'flag_evaluates_to', dependency_chain: [`f${i - 1}`] }], rollout_percentage: 100 }],
      },
    })
  }
  const ev = new LocalEvaluator({ flags, cohorts: { 7: { type: 'OR', values: [{ key: 'id', type: 'cohort', value: '7' }] } } })
  for (const key of ['loop', 'f2999']) {
    assert.throws(() => ev.evaluate(key, { distinctId: 'u' }), (e) => e.code === 'inconclusive' && e.reason === 'unsupported_definition')
  }
})
