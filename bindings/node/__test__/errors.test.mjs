import { test } from 'node:test'
import assert from 'node:assert/strict'
import util from 'node:util'
import { PostHog, PostHogError } from '../posthog.mjs'
import { native } from './helpers.mjs'

// Every core error kind, with the HTTP status its sample carries. A kind added to the core
// fails here (and fails to compile in src/errors.rs) until it is mapped and listed.
const EXPECTED = {
  config: null,
  invalid_key: null,
  invalid_input: null,
  transport: null,
  timeout: null,
  rate_limited: 429,
  unauthorized: 401,
  forbidden: 403,
  invalid_request: 400,
  too_large: null,
  quota_limited: 402,
  not_found: 404,
  conflict: 409,
  server: 503,
  queue_full: null,
  closed: null,
  unexpected: null,
  inconclusive: null,
  io: null,
}

test('every core error kind maps to a PostHogError with its code and status', () => {
  const codes = native._errorCodes()
  assert.deepEqual([...codes].sort(), Object.keys(EXPECTED).sort())
  assert.equal(new Set(codes).size, codes.length)
  for (const code of codes) {
    let thrown
    try {
      native._throwSample(code)
    } catch (e) {
      thrown = e
    }
    assert.ok(thrown instanceof Error, code)
    assert.equal(thrown.code, code)
    const err = PostHogError.from(thrown)
    assert.ok(err instanceof PostHogError && err instanceof Error)
    assert.equal(err.name, 'PostHogError')
    assert.equal(err.code, code)
    assert.equal(err.status, EXPECTED[code], `status of ${code}`)
    assert.ok(err.message.length > 0)
    if (code === 'inconclusive') assert.equal(typeof err.reason, 'string', 'inconclusive carries reason')
    else assert.equal(err.reason, undefined)
    if (code === 'server') {
      assert.equal(err.requestId, 'sample-request')
      assert.equal(err.retryAfter, 30)
    }
    if (code === 'rate_limited') assert.equal(err.retryAfter, 1)
    if (code === 'forbidden') assert.equal(err.scope, 'feature_flag:read')
    if (code === 'invalid_request') assert.equal(err.attr, 'key')
  }
})

test('a personal key throws invalid_key synchronously, without the key in the message', () => {
  const secret = 'phx_personal_secret_abcdef123456'
  let err
  try {
    new PostHog(secret, { host: 'http://127.0.0.1:9' })
  } catch (e) {
    err = e
  }
  assert.ok(err instanceof PostHogError)
  assert.equal(err.code, 'invalid_key')
  assert.ok(!err.message.includes('secret_abcdef123456'), err.message)
  assert.ok(!util.inspect(err).includes('secret_abcdef123456'))
  assert.throws(() => new PostHog(42), { name: 'PostHogError', code: 'invalid_key' })
})

test('an http:// host that is not loopback throws config', () => {
  assert.throws(() => new PostHog('phc_x', { host: 'http://example.com' }), (e) => {
    return e instanceof PostHogError && e.code === 'config' && e.status === null
  })
})

test('options of the wrong type or value throw config', () => {
  const bad = [
    { flushAt: 'ten' },
    { flushAt: -1 },
    { flushAt: 0 },
    { flushInterval: -1 },
    { gzip: 'yes' },
    { protocol: 'v2' },
    { overflow: 'sometimes' },
    { overflow: 'block' },
    { host: 12 },
    { beforeSend: 'nope' },
    { superProperties: { big: 1n } },
    'not an object',
  ]
  for (const o of bad) {
    assert.throws(() => new PostHog('phc_x', o), { name: 'PostHogError', code: 'config' }, util.inspect(o))
  }
})

test('all documented options are accepted', async () => {
  const client = new PostHog('phc_x', {
    host: 'http://127.0.0.1:9',
    flushAt: 10,
    flushInterval: 1000,
    maxQueueSize: 50,
    maxRetries: 1,
    requestTimeout: 500,
    gzip: false,
    disableGeoip: true,
    historicalMigration: false,
    disabled: true,
    maxBatchBytes: 2_000_000,
    maxInFlight: 2,
    overflow: 'block',
    blockTimeout: 10,
    protocol: 'v1',
    superProperties: { app: 'test' },
  })
  assert.equal(client.capture({ distinctId: 'u', event: 'e' }), undefined, 'disabled accepts nothing')
  await client.shutdown(1000)
})

test('inspect, JSON.stringify and toString never show the key', async () => {
  const client = new PostHog('phc_supersecret_value_42', { host: 'http://127.0.0.1:9' })
  client.on('error', () => {})
  for (const text of [
    util.inspect(client),
    util.inspect(client, { showHidden: true, depth: 10 }),
    JSON.stringify(client),
    String(client),
    `${client}`,
    util.format('%o', client),
  ]) {
    assert.ok(!text.includes('supersecret'), text)
  }
  assert.equal(String(client), 'PostHog(http://127.0.0.1:9)')
  assert.throws(() => client.rotateKey('phx_nope_secret'), (e) => e.code === 'invalid_key' && !e.message.includes('nope_secret'))
  client.rotateKey('phc_other')
  await client.shutdown(1000)
})
