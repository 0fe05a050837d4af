// Error tracking: captureException / captureExceptionImmediate build `$exception` as
// posthog-node 5.x does (the core builds `$exception_list`), and enableExceptionAutocapture
// captures uncaught exceptions and unhandled rejections without changing how the process ends.

import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { pathToFileURL, fileURLToPath } from 'node:url'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import { startServer, opts, uid, KEY, native, pkgDir } from './helpers.mjs'

const require = createRequire(import.meta.url)
const { PostHog, PostHogError } = require('../posthog.js')

let server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})

const thisFile = fileURLToPath(import.meta.url)

/** Captures `thrown` for a fresh distinct id; resolves with the delivered event. */
async function captured(thrown, extra = {}) {
  const id = uid('exc')
  const client = new PostHog(KEY, opts(server.url, extra))
  client.captureException(thrown, id, { origin: 'test' })
  await client.flush()
  await client.shutdown(5000)
  const events = (await server.control.events()).filter((e) => e.distinct_id === id)
  assert.equal(events.length, 1, 'one $exception event')
  assert.equal(events[0].event, '$exception')
  return events[0]
}

function thrower(message, options) {
  throw new Error(message, options)
}

function caught(f) {
  try {
    f()
  } catch (e) {
    return e
  }
  throw new Error('did not throw')
}

test('a thrown Error: type, value, mechanism, in-app frames with module, relative filename and context', async () => {
  const err = caught(() => thrower('disk full'))
  const e = await captured(err)
  assert.equal(e.properties.origin, 'test')
  assert.equal(e.properties.$exception_level, 'error')
  const [entry] = e.properties.$exception_list
  assert.equal(entry.type, 'Error')
  assert.equal(entry.value, 'disk full')
  assert.deepEqual(entry.mechanism, { type: 'generic', handled: true, synthetic: false, exception_id: 0 })
  assert.equal(entry.stacktrace.type, 'raw')
  const frames = entry.stacktrace.frames
  const top = frames[frames.length - 1]
  assert.equal(top.function, 'thrower', 'the innermost frame is last')
  assert.equal(top.platform, 'node:javascript')
  assert.equal(top.in_app, true)
  assert.equal(top.filename, path.relative(process.cwd(), thisFile))
  const base = process.argv[1] ? path.dirname(process.argv[1]) : process.cwd()
  const expectedModule =
    path.dirname(thisFile) === base
      ? 'exceptions.test'
      : path.dirname(thisFile).startsWith(base)
        ? `${path.relative(base, path.dirname(thisFile)).replace(/\//g, '.')}:exceptions.test`
        : 'exceptions.test'
  assert.equal(top.module, expectedModule)
  const source = fs.readFileSync(thisFile, 'utf8').split('\n')
  assert.equal(top.context_line, source[top.lineno - 1])
  assert.match(top.context_line, /throw new Error\(message, options\)/)
  assert.equal(top.pre_context.length, 7)
  assert.equal(top.post_context.length, 7)
  const internal = frames.find((f) => f.filename?.startsWith('node:'))
  if (internal) {
    assert.equal(internal.in_app, false)
    assert.equal(internal.context_line, undefined, 'no context for node: modules')
  }
})

test('chained causes, cycles and a non-Error cause', async () => {
  const root = 'root text'
  const middle = new TypeError('middle', { cause: root })
  const outer = caught(() => thrower('outer', { cause: middle }))
  const list = (await captured(outer)).properties.$exception_list
  assert.deepEqual(
    list.map((x) => [x.type, x.value]),
    [
      ['Error', 'outer'],
      ['TypeError', 'middle'],
      ['Error', 'root text'],
    ],
  )
  assert.deepEqual(list[1].mechanism, { type: 'chained', source: 'cause', synthetic: false, exception_id: 1, parent_id: 0 })
  assert.deepEqual(list[2].mechanism, { type: 'chained', source: 'cause', synthetic: true, exception_id: 2, parent_id: 1 })
  assert.equal(list[2].stacktrace, undefined, 'a cause gets no synthetic stack')

  const a = new Error('a')
  const b = new Error('b', { cause: a })
  a.cause = b
  const cyc = (await captured(a)).properties.$exception_list
  assert.deepEqual(cyc.map((x) => x.value), ['a', 'b'], 'a cycle ends where it repeats')

  let deep = new Error('e0')
  for (let i = 1; i < 80; i++) deep = new Error(`e${i}`, { cause: deep })
  assert.equal((await captured(deep)).properties.$exception_list.length, 50, 'at most 50 entries')
})

test('AggregateError members follow the error, with parent_id and source member', async () => {
  const agg = new AggregateError([new RangeError('one'), 'two', new Error('three', { cause: new Error('why') })], 'many')
  const list = (await captured(agg)).properties.$exception_list
  assert.deepEqual(
    list.map((x) => [x.type, x.value, x.mechanism.parent_id ?? null, x.mechanism.source ?? null]),
    [
      ['AggregateError', 'many', null, null],
      ['RangeError', 'one', 0, 'member'],
      ['Error', 'two', 0, 'member'],
      ['Error', 'three', 0, 'member'],
      ['Error', 'why', 3, 'cause'],
    ],
  )
  assert.equal(list[0].mechanism.is_exception_group, undefined, 'posthog-node writes no group flag')
})

/** Its own keys differ between Node versions (`isTrusted` is an own property in some). */
const EVENT = new Event('boom')

class Weird {
  constructor() {
    this.code = 7
  }
}

test('values that are not Errors are worded as posthog-node words them, with a synthetic stack', async () => {
  const cases = [
    ['TypeError: bad thing', 'TypeError', 'bad thing'],
    ['plain words', 'Error', 'plain words'],
    [42, 'Error', 'Primitive value captured as exception: 42'],
    [null, 'Error', 'Primitive value captured as exception: null'],
    [undefined, 'Error', 'Primitive value captured as exception: undefined'],
    [10n, 'Error', 'Primitive value captured as exception: 10'],
    [{ b: 1, a: 2 }, 'Error', 'Object captured as exception with keys: a, b'],
    [{}, 'Error', 'Object captured as exception with keys: [object has no keys]'],
    [new Weird(), 'Error', "'Weird' captured as exception with keys: code"],
    [{ name: 'Custom', message: 'went wrong' }, 'Custom', "'Custom' captured as exception with message: 'went wrong'"],
    [{ message: 'only a message' }, 'Error', 'only a message'],
    [{ wrapped: new RangeError('inside') }, 'RangeError', 'inside'],
    [EVENT, 'Event', `Event captured as exception with keys: ${Object.keys(EVENT).sort().join(', ') || '[object has no keys]'}`],
  ]
  for (const [value, type, text] of cases) {
    const [entry] = (await captured(value)).properties.$exception_list
    assert.equal(entry.type, type, String(text))
    assert.equal(entry.value, text)
    if (type === 'RangeError') continue
    assert.equal(entry.mechanism.synthetic, true, text)
    const frames = entry.stacktrace.frames
    const names = frames.map((f) => f.function)
    assert.ok(names.includes('PostHog.captureException'), `the capture call's frame: ${names}`)
    assert.ok(names.includes('captured'), `the caller's frame: ${names}`)
    assert.ok(!names.some((n) => n.includes('syntheticException')))
  }
})

test('the same error captured twice is sent once', async () => {
  const id = uid('twice')
  const client = new PostHog(KEY, opts(server.url))
  const err = new Error('once')
  client.captureException(err, id)
  client.captureException(err, id)
  client.captureException(new Error('once'), id)
  client.captureException({ __posthog_previously_captured_error: true }, id)
  await client.shutdown(5000)
  const events = (await server.control.events()).filter((e) => e.distinct_id === id)
  assert.equal(events.length, 2)
})

test('without a distinctId the event is personless; beforeSend sees it; uuid is kept', async () => {
  const seen = []
  const client = new PostHog(
    KEY,
    opts(server.url, {
      before_send: (m) => {
        seen.push(m.event)
        m.properties.hooked = true
        return m
      },
    }),
  )
  const marker = uid('personless')
  const uuid = '01890000-0000-7000-8000-000000000123'
  client.captureException(new Error(marker), undefined, undefined, uuid)
  await client.shutdown(5000)
  const e = (await server.control.events()).find((x) => x.properties.$exception_list?.[0]?.value === marker)
  assert.ok(e, 'delivered')
  assert.equal(e.uuid, uuid)
  assert.equal(e.properties.$process_person_profile, false)
  assert.equal(e.properties.hooked, true)
  assert.deepEqual(seen, ['$exception'])
})

test('captureExceptionImmediate resolves once the event is delivered', async () => {
  const id = uid('immediate')
  const client = new PostHog(KEY, opts(server.url))
  await client.captureExceptionImmediate(new Error('now'), id, { level: 'x' })
  const events = (await server.control.events()).filter((e) => e.distinct_id === id)
  assert.equal(events.length, 1)
  assert.equal(events[0].properties.$exception_list[0].value, 'now')
  await client.shutdown(5000)
})

test('bad input: typed errors from the native call, invalid_input to the error listeners', async () => {
  const check = (f, re) =>
    assert.throws(f, (e) => {
      assert.equal(PostHogError.from(e).code, 'invalid_input')
      assert.match(e.message, re)
      return true
    })
  check(() => native.exceptionProperties('{', undefined, undefined), /exception/)
  check(() => native.exceptionProperties('{"bogus": 1}', undefined, undefined), /exception/)
  check(() => native.exceptionProperties('{}', '{"level": 3}', undefined), /exception options/)
  check(() => native.exceptionProperties('{"thrown": {"kind": "nope"}}', undefined, undefined), /exception/)
  check(() => native.exceptionProperties('{}', undefined, '[1]'), /additional properties/)
  const ok = JSON.parse(native.exceptionProperties('{"thrown": {"kind": "string", "value": "x"}}', '', '{"a": 1}'))
  assert.equal(ok.$exception_list[0].value, 'x')
  assert.equal(ok.a, 1)

  const client = new PostHog(KEY, opts(server.url))
  const errors = []
  client.on('error', (e) => errors.push(e))
  assert.equal(client.captureException(new Error('x'), 'id', { big: 1n }), undefined, 'never throws')
  const circular = {}
  circular.self = circular
  client.captureException(new Error('y'), 'id', circular)
  await client.shutdown(5000)
  await new Promise((resolve) => setImmediate(resolve))
  assert.ok(errors.length >= 2, `errors: ${errors.map((e) => e.message)}`)
  for (const e of errors) {
    assert.ok(e instanceof PostHogError)
    assert.equal(e.code, 'invalid_input')
    assert.match(e.message, /captureException: additionalProperties/)
  }
})

// Autocapture runs in a child process: the same script is run with and without the SDK; the
// exit code and stderr must be the same, and the event must reach the server.

const entry = pathToFileURL(path.join(pkgDir, 'posthog.mjs')).href
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'posthog-sdk-autocapture-'))
after(() => fs.rmSync(scratch, { recursive: true, force: true }))

/** Runs `body` as a module file in a child `node`; with `sdk`, an autocapturing client first. */
async function runChild(name, body, sdk, ms = 20_000) {
  const file = path.join(scratch, `${name}.mjs`)
  fs.writeFileSync(
    file,
    `import { PostHog } from ${JSON.stringify(entry)}\n` +
      `if (process.env.WITH_SDK === '1') globalThis.client = new PostHog(${JSON.stringify(KEY)}, ` +
      `{ host: ${JSON.stringify(server.url)}, flushAt: 100, flushInterval: 60000, enableExceptionAutocapture: true })\n` +
      body,
  )
  const child = spawn(process.execPath, [file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WITH_SDK: sdk ? '1' : '0' },
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  const [code, signal] = await once(child, 'exit')
  clearTimeout(timer)
  assert.equal(signal, null, `the child did not exit by itself within ${ms} ms`)
  return { code, out, err }
}

/** The `$exception` events whose first value contains `marker`. */
async function exceptionEvents(marker) {
  return (await server.control.events()).filter(
    (e) => e.event === '$exception' && String(e.properties.$exception_list?.[0]?.value).includes(marker),
  )
}

async function sameAsWithout(name, body) {
  const without = await runChild(name, body, false)
  const withSdk = await runChild(name, body, true)
  assert.equal(withSdk.code, without.code, 'exit code as without the SDK')
  assert.equal(withSdk.err, without.err, 'stderr as without the SDK')
  assert.equal(withSdk.out, without.out, 'stdout as without the SDK')
  return withSdk
}

test('autocapture: an uncaught exception is captured (handled false); exit code 1 and stderr as without the SDK', async () => {
  const marker = uid('uncaught')
  const r = await sameAsWithout('uncaught', `setTimeout(() => { throw new Error(${JSON.stringify(marker)}) }, 1)\n`)
  assert.equal(r.code, 1)
  assert.match(r.err, new RegExp(marker))
  const events = await exceptionEvents(marker)
  assert.equal(events.length, 1)
  const [x] = events[0].properties.$exception_list
  assert.deepEqual(x.mechanism, { type: 'onuncaughtexception', handled: false, synthetic: false, exception_id: 0 })
  assert.equal(events[0].properties.$process_person_profile, false)
})

test('autocapture: an unhandled rejection is captured; exit code and stderr as without the SDK', async () => {
  const marker = uid('rejection')
  const r = await sameAsWithout('rejection', `Promise.reject(new TypeError(${JSON.stringify(marker)}))\n`)
  assert.equal(r.code, 1)
  const events = await exceptionEvents(marker)
  assert.equal(events.length, 1)
  const [x] = events[0].properties.$exception_list
  assert.equal(x.type, 'TypeError')
  assert.deepEqual(x.mechanism, { type: 'onunhandledrejection', handled: false, synthetic: false, exception_id: 0 })

  const text = uid('reason')
  const r2 = await sameAsWithout('rejection-text', `Promise.reject(${JSON.stringify(text)})\n`)
  assert.equal(r2.code, 1)
  const [e2] = await exceptionEvents(text)
  assert.ok(e2, 'a non-Error rejection is captured too')
  assert.equal(e2.properties.$exception_list[0].mechanism.type, 'onunhandledrejection')
})

test('autocapture: with the application handling errors the process lives on, and they are captured', async () => {
  const m1 = uid('handled-uncaught')
  const m2 = uid('handled-rejection')
  const body = `
process.on('uncaughtException', (e) => console.log('handled', e.message === ${JSON.stringify(m1)}))
process.on('unhandledRejection', (e) => console.log('rejected', e.message === ${JSON.stringify(m2)}))
setTimeout(() => { throw new Error(${JSON.stringify(m1)}) }, 1)
setTimeout(() => { Promise.reject(new Error(${JSON.stringify(m2)})) }, 5)
setTimeout(async () => { await globalThis.client?.shutdown(5000); console.log('done') }, 50)
`
  const r = await sameAsWithout('handled', body)
  assert.equal(r.code, 0)
  assert.equal(r.out, 'handled true\nrejected true\ndone\n')
  const [u] = await exceptionEvents(m1)
  const [p] = await exceptionEvents(m2)
  assert.equal(u.properties.$exception_list[0].mechanism.type, 'onuncaughtexception')
  assert.equal(p.properties.$exception_list[0].mechanism.type, 'onunhandledrejection')
})

test('autocapture: an error captured explicitly and then rethrown is sent once', async () => {
  const marker = uid('rethrown')
  const body = `const e = new Error(${JSON.stringify(marker)})\nglobalThis.client?.captureException(e, 'explicit-${marker}')\nsetTimeout(() => { throw e }, 1)\n`
  const r = await sameAsWithout('rethrown', body)
  assert.equal(r.code, 1)
  const events = await exceptionEvents(marker)
  assert.equal(events.length, 1)
  assert.equal(events[0].properties.$exception_list[0].mechanism.handled, true)
})

test('autocapture: shutdown removes the listeners', async () => {
  const body = `
const before = process.listenerCount('uncaughtExceptionMonitor')
await globalThis.client?.shutdown(5000)
console.log(process.listenerCount('uncaughtExceptionMonitor'), process.listenerCount('newListener'), process.listenerCount('removeListener'), before > 0 || process.env.WITH_SDK !== '1')
`
  const r = await sameAsWithout('stops', body)
  assert.equal(r.code, 0)
  assert.match(r.out, / true\n$/, 'the same listener counts as without the SDK (compared above)')
})

test('autocapture is rate limited per type as posthog-node (10 of a type, the 10th already limited); explicit captures are not', async () => {
  const marker = uid('limited')
  const body = `
process.on('uncaughtException', () => {})
for (let i = 0; i < 12; i++) setTimeout(() => { throw new TypeError(${JSON.stringify(marker)} + ' auto ' + i) }, 1)
setTimeout(() => { throw new RangeError(${JSON.stringify(marker)} + ' other') }, 2)
setTimeout(() => { for (let i = 0; i < 12; i++) globalThis.client?.captureException(new TypeError(${JSON.stringify(marker)} + ' explicit ' + i), 'limit-explicit') }, 3)
setTimeout(async () => { await globalThis.client?.shutdown(5000) }, 50)
`
  const r = await runChild('limited', body, true)
  assert.equal(r.code, 0, r.err)
  const events = await exceptionEvents(marker)
  const values = events.map((e) => e.properties.$exception_list[0].value)
  assert.equal(values.filter((v) => v.includes(' auto ')).length, 9)
  assert.equal(values.filter((v) => v.includes(' other')).length, 1, 'another type has its own bucket')
  assert.equal(values.filter((v) => v.includes(' explicit ')).length, 12)
})
