import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { pathToFileURL } from 'node:url'
import path from 'node:path'
import { startServer, uid, KEY, pkgDir } from './helpers.mjs'

let server
before(async () => {
  server = await startServer()
})
after(async () => {
  await server?.stop()
})

const entry = pathToFileURL(path.join(pkgDir, 'posthog.mjs')).href

/** Runs `body` in a child `node`; resolves with its exit code, or rejects if it outlives `ms`. */
async function runChild(body, ms = 15_000) {
  const script = `import { PostHog } from ${JSON.stringify(entry)}\n${body}`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  const [code, signal] = await once(child, 'exit')
  clearTimeout(timer)
  assert.equal(signal, null, `the child did not exit by itself within ${ms} ms`)
  return { code, out }
}

test('after shutdown the process exits by itself (error listener registered)', async () => {
  const id = uid('child')
  const { code, out } = await runChild(`
    const client = new PostHog(${JSON.stringify(KEY)}, { host: ${JSON.stringify(server.url)}, flushInterval: 60000 })
    client.on('error', (e) => console.error('error', e.code))
    client.capture({ distinctId: ${JSON.stringify(id)}, event: 'from child' })
    const report = await client.shutdown(5000)
    console.log(JSON.stringify(report))
  `)
  assert.equal(code, 0)
  assert.equal(JSON.parse(out).sent, 1)
  const evs = (await server.control.events()).filter((e) => e.distinct_id === id)
  assert.equal(evs.length, 1)
})

test('a client with an onError option and no shutdown does not keep the process alive', async () => {
  const { code } = await runChild(`
    const client = new PostHog(${JSON.stringify(KEY)}, { host: ${JSON.stringify(server.url)}, onError: () => {} })
    client.capture({ distinctId: 'idle', event: 'never flushed explicitly' })
  `)
  assert.equal(code, 0)
})

test('shutdown is idempotent and a second call resolves with an empty report', async () => {
  const { code, out } = await runChild(`
    const client = new PostHog(${JSON.stringify(KEY)}, { host: ${JSON.stringify(server.url)} })
    await client.shutdown(2000)
    console.log(JSON.stringify(await client.shutdown(2000)))
  `)
  assert.equal(code, 0)
  assert.deepEqual(JSON.parse(out), { sent: 0, failed: 0, dropped: 0, retried: 0, undelivered: 0 })
})
