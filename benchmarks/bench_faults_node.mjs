// The Node children of benchmarks/bench_faults.py: one SDK run at its defaults (only the host
// set), printing {captured, drain_s} as a JSON line.
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { createRequire } from 'node:module'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.dirname(here)
const PROPS = { plan: 'pro', seats: 12, $current_url: 'https://example.com/pricing' }

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function captureAll(client, spec) {
  const event = (i) => ({ distinctId: `user-${i % 100}`, event: 'pageview', properties: PROPS })
  if (spec.rate) {
    const total = Math.floor(spec.rate * spec.run)
    const t0 = performance.now()
    for (let i = 0; i < total; i++) {
      if (i % 10 === 0) {
        const ahead = t0 + (i / spec.rate) * 1000 - performance.now()
        // Yields to the event loop as an app would between requests.
        await sleep(Math.max(0, ahead))
      }
      client.capture(event(i))
    }
    return total
  }
  for (let i = 0; i < spec.n; i++) client.capture(event(i))
  return spec.n
}

async function child(spec) {
  const req = createRequire(import.meta.url)
  const { PostHog } =
    spec.sdk === 'posthog-sdk' ? req(path.join(root, 'bindings', 'node')) : req(req.resolve('posthog-node', { paths: [path.join(here, 'node')] }))
  const extra = spec.dir ? { storageDir: spec.dir } : {}
  const client = new PostHog('phc_bench_faults', { host: spec.url, ...extra })
  client.on?.('error', () => {})
  let captured = 0
  const start = performance.now()
  if (!spec.restart) captured = await captureAll(client, spec)
  if (spec.until) await sleep(Math.max(0, start + spec.until * 1000 - performance.now()))
  const t0 = performance.now()
  try {
    await client.shutdown()
  } catch {
    // What did not arrive is counted by the server.
  }
  console.log(JSON.stringify({ captured, drain_s: (performance.now() - t0) / 1000 }))
}

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3]))
