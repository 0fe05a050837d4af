// The posthog-node 5.x methods and options this package adds over its own API behave as listed
// in the README's compatibility tables, against the local test server.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { PostHog, NotSupportedError } from '../posthog.mjs'
import { startServer, opts, uid, KEY, PERSONAL_KEY } from './helpers.mjs'

let server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})

const mine = async (distinctId) => (await server.control.events()).filter((e) => e.distinct_id === distinctId)

test('captureImmediate and the other *Immediate methods resolve after delivery', async () => {
  const client = new PostHog(KEY, opts(server.url))
  const id = uid()
  assert.equal(await client.captureImmediate({ distinctId: id, event: 'now' }), undefined)
  // No wait: the event is at the server once the promise resolves.
  assert.deepEqual((await mine(id)).map((e) => e.event), ['now'])
  await client.identifyImmediate({ distinctId: id, properties: { email: 'a@b.c' } })
  await client.aliasImmediate({ distinctId: id, alias: `${id}-alias` })
  await client.groupIdentifyImmediate({ groupType: 'company', groupKey: 'acme', properties: { size: 3 }, distinctId: id })
  assert.deepEqual((await mine(id)).map((e) => e.event), ['now', '$identify', '$create_alias', '$groupidentify'])
  await client.shutdown(5000)
})

test('register/unregister add super properties to captures; event properties win', async () => {
  const client = new PostHog(KEY, opts(server.url))
  const id = uid()
  await client.register({ tenant: 't1', plan: 'free' })
  client.capture({ distinctId: id, event: 'a', properties: { plan: 'pro' } })
  await client.unregister('tenant')
  client.capture({ distinctId: id, event: 'b' })
  await client.unregister('plan')
  client.capture({ distinctId: id, event: 'c' })
  await client.flush()
  const [a, b, c] = await mine(id)
  assert.equal(a.properties.tenant, 't1')
  assert.equal(a.properties.plan, 'pro')
  assert.ok(!('tenant' in b.properties))
  assert.equal(b.properties.plan, 'free')
  assert.ok(!('plan' in c.properties))
  await client.shutdown(5000)
})

test('optOut/disable drop events, optIn/enable resume; defaultOptIn: false starts opted out', async () => {
  const client = new PostHog(KEY, opts(server.url, { defaultOptIn: false }))
  const id = uid()
  assert.equal(client.optedOut, true)
  assert.equal(client.capture({ distinctId: id, event: 'dropped' }), undefined)
  assert.equal(client.identify({ distinctId: id }), undefined)
  await client.enable()
  assert.equal(client.optedOut, false)
  assert.ok(client.capture({ distinctId: id, event: 'kept' }))
  await client.disable()
  assert.equal(client.capture({ distinctId: id, event: 'dropped too' }), undefined)
  await client.optIn()
  await client.captureImmediate({ distinctId: id, event: 'kept too' })
  assert.deepEqual((await mine(id)).map((e) => e.event), ['kept', 'kept too'])
  await client.shutdown(5000)
})

test('$is_server is on every event unless isServer: false', async () => {
  const id = uid()
  const a = new PostHog(KEY, opts(server.url))
  const b = new PostHog(KEY, opts(server.url, { isServer: false, superProperties: { team: 'x' } }))
  a.capture({ distinctId: id, event: 'server' })
  b.capture({ distinctId: id, event: 'cli' })
  await Promise.all([a.flush(), b.flush()])
  const evs = await mine(id)
  assert.equal(evs.find((e) => e.event === 'server').properties.$is_server, true)
  const cli = evs.find((e) => e.event === 'cli')
  assert.ok(!('$is_server' in cli.properties))
  assert.equal(cli.properties.team, 'x')
  await Promise.all([a.shutdown(5000), b.shutdown(5000)])
})

test('setPersonProperties and unsetPersonProperties send $set events', async () => {
  const client = new PostHog(KEY, opts(server.url))
  const id = uid()
  client.setPersonProperties({ distinctId: id, properties: { plan: 'pro' }, propertiesOnce: { first: 'x' } })
  client.unsetPersonProperties({ distinctId: id, properties: ['old'] })
  assert.equal(client.setPersonProperties({ distinctId: id }), undefined, 'nothing to set: no event')
  await client.flush()
  const [set, unset] = await mine(id)
  assert.equal(set.event, '$set')
  assert.deepEqual(set.properties.$set, { plan: 'pro' })
  assert.deepEqual(set.properties.$set_once, { first: 'x' })
  assert.deepEqual(unset.properties.$unset, ['old'])
  await client.shutdown(5000)
})

test('before_send (an array) runs on capture, identify, alias and groupIdentify', async () => {
  const seen = []
  const client = new PostHog(KEY, opts(server.url, {
    before_send: [
      (m) => (seen.push(m.event), m),
      (m) => (m.event === '$create_alias' ? null : { ...m, properties: { ...m.properties, tagged: true } }),
    ],
  }))
  const id = uid()
  client.capture({ distinctId: id, event: 'a' })
  client.identify({ distinctId: id, properties: { $set: { x: 1 } } })
  assert.equal(client.alias({ distinctId: id, alias: 'other' }), undefined)
  client.groupIdentify({ groupType: 'company', groupKey: 'acme', distinctId: id })
  await client.flush()
  assert.deepEqual(seen, ['a', '$identify', '$create_alias', '$groupidentify'])
  const evs = await mine(id)
  assert.deepEqual(evs.map((e) => e.event), ['a', '$identify', '$groupidentify'])
  assert.equal(evs[0].properties.tagged, true)
  assert.equal(client.stats().droppedBeforeSend, 1)
  await client.shutdown(5000)
})

test("on('error') returns an unsubscribe function; other events throw not_supported", async () => {
  const client = new PostHog(KEY, opts(server.url))
  const off = client.on('error', () => {})
  assert.equal(typeof off, 'function')
  assert.equal(client.listenerCount('error'), 1)
  off()
  assert.equal(client.listenerCount('error'), 0)
  assert.throws(() => client.on('capture', () => {}), NotSupportedError)
  client.debug()
  assert.equal(client.isDebug, true)
  client.debug(false)
  assert.equal(client.isDebug, false)
  await client.shutdown(2000)
})

test('sendFeatureFlags adds the flags to the event; getFeatureFlagResult', async () => {
  await server.control.flagOverrides({ 'compat-flag': { value: 'blue', payload: { n: 1 } } })
  const client = new PostHog(KEY, opts(server.url))
  const id = uid()
  assert.equal(client.capture({ distinctId: id, event: 'with flags', sendFeatureFlags: true }), undefined)
  await client.flush() // waits for the flags, then for delivery
  const [ev] = await mine(id)
  assert.equal(ev.properties['$feature/compat-flag'], 'blue')
  assert.deepEqual(await client.getFeatureFlagResult('compat-flag', id), {
    key: 'compat-flag',
    enabled: true,
    variant: 'blue',
    payload: { n: 1 },
    reason: 'Matched condition set 1',
    reasonCode: 'condition_match',
  })
  assert.equal(await client.getFeatureFlagResult('no-such-flag', id), undefined)
  await assert.rejects(client.getAllFlags({ groups: {} }), { code: 'not_supported' })
  await client.shutdown(5000)
  await server.control.flagOverrides({})
})

test('waitForLocalEvaluationReady: false without a key, true once definitions load', async () => {
  const plain = new PostHog(KEY, opts(server.url))
  assert.equal(await plain.waitForLocalEvaluationReady(1000), false)
  const local = new PostHog(KEY, opts(server.url, { secretKey: PERSONAL_KEY }))
  assert.equal(await local.waitForLocalEvaluationReady(10_000), true)
  assert.equal(local.options.secretKey, '[redacted]')
  await Promise.all([plain.shutdown(2000), local.shutdown(2000)])
})

test('per-message disableGeoip wins over the client option, on every event call', async () => {
  const id = uid()
  for (const hook of [undefined, (m) => m]) {
    const on = new PostHog(KEY, opts(server.url, { beforeSend: hook }))
    const off = new PostHog(KEY, opts(server.url, { disableGeoip: true, beforeSend: hook }))
    const tag = hook ? 'hooked' : 'direct'
    on.capture({ distinctId: id, event: `${tag} a`, disableGeoip: true })
    off.capture({ distinctId: id, event: `${tag} b`, disableGeoip: false })
    off.capture({ distinctId: id, event: `${tag} c` })
    off.identify({ distinctId: id, properties: { tag }, disableGeoip: false })
    off.alias({ distinctId: id, alias: `${id}-${tag}`, disableGeoip: false })
    off.groupIdentify({ groupType: 'company', groupKey: tag, distinctId: id, disableGeoip: false })
    on.identify({ distinctId: id, properties: { tag, on: true }, disableGeoip: true })
    await Promise.all([on.flush(), off.flush()])
    const evs = (await mine(id)).filter((e) => e.event.startsWith(tag) || e.properties.$set?.tag === tag || e.properties.alias === `${id}-${tag}` || e.properties.$group_key === tag)
    // Only `true` is sent (absent means geoip), as posthog-node does.
    const geo = (e) => e.properties.$geoip_disable === true
    const byName = Object.fromEntries(evs.filter((e) => e.event.startsWith(tag)).map((e) => [e.event, geo(e)]))
    assert.deepEqual(byName, { [`${tag} a`]: true, [`${tag} b`]: false, [`${tag} c`]: true })
    const identifies = evs.filter((e) => e.event === '$identify')
    assert.deepEqual(identifies.map((e) => [e.properties.$set.on === true, geo(e)]).sort(), [[false, false], [true, true]])
    assert.equal(geo(evs.find((e) => e.event === '$create_alias')), false)
    assert.equal(geo(evs.find((e) => e.event === '$groupidentify')), false)
    await Promise.all([on.shutdown(2000), off.shutdown(2000)])
  }
})

test('capture without distinctId is a personless event, with or without beforeSend', async () => {
  for (const hook of [undefined, (m) => m]) {
    const client = new PostHog(KEY, opts(server.url, { beforeSend: hook }))
    const name = `personless ${uid()}`
    const uuid = client.capture({ event: name, properties: { a: 1 } })
    assert.equal(typeof uuid, 'string')
    await client.flush()
    const [ev] = (await server.control.events()).filter((e) => e.event === name)
    assert.equal(ev.uuid, uuid)
    assert.equal(ev.properties.$process_person_profile, false)
    assert.equal(ev.properties.a, 1)
    assert.ok(typeof ev.distinct_id === 'string' && ev.distinct_id.length > 0)
    await client.shutdown(2000)
  }
})

test('beforeSend sees the $identify, $create_alias and $groupidentify messages the core built', async () => {
  const seen = []
  const client = new PostHog(KEY, opts(server.url, {
    superProperties: { app: 'test' },
    beforeSend: (m) => {
      seen.push(structuredClone(m))
      if (m.event === '$create_alias') return null
      // posthog-node hands $set out at the top level too, and the top-level one is what counts.
      if (m.event === '$identify') return { ...m, $set: { ...m.$set, rewritten: true } }
      if (m.event === '$groupidentify') return { properties: { ...m.properties, $group_set: { size: 99 } } } // other fields kept
      return m
    },
  }))
  const id = uid()
  client.identify({ distinctId: id, properties: { email: 'a@b.c', $set_once: { first: 'x' } } })
  assert.equal(client.alias({ distinctId: id, alias: `${id}-alias` }), undefined)
  const gid = client.groupIdentify({ groupType: 'company', groupKey: `${id}-co`, properties: { size: 3 }, distinctId: id })
  await client.flush()
  assert.deepEqual(seen.map((m) => m.event), ['$identify', '$create_alias', '$groupidentify'])
  for (const m of seen) {
    assert.equal(m.distinctId, id)
    assert.equal(m.properties.$lib, 'posthog-sdk-node')
    assert.equal(m.properties.app, 'test')
    assert.ok(m.timestamp instanceof Date && !Number.isNaN(m.timestamp.getTime()))
    assert.equal(typeof m.uuid, 'string')
  }
  assert.deepEqual(seen[0].properties.$set, { email: 'a@b.c' })
  assert.deepEqual(seen[0].properties.$set_once, { first: 'x' })
  assert.deepEqual([seen[1].properties.distinct_id, seen[1].properties.alias], [id, `${id}-alias`])
  assert.deepEqual([seen[2].properties.$group_type, seen[2].properties.$group_key, seen[2].properties.$group_set], ['company', `${id}-co`, { size: 3 }])
  const evs = await mine(id)
  assert.deepEqual(evs.map((e) => e.event), ['$identify', '$groupidentify'])
  assert.deepEqual(evs[0].properties.$set, { email: 'a@b.c', rewritten: true })
  assert.equal(evs[1].uuid, gid)
  assert.equal(evs[1].uuid, seen[2].uuid)
  assert.deepEqual(evs[1].properties.$group_set, { size: 99 })
  assert.equal(client.stats().droppedBeforeSend, 1)
  await client.shutdown(5000)
})
