// Capture throughput and memory: posthog-sdk (ours) beside the official posthog-node.
// Each SDK runs in its own child process against the local test server.
//   scripts/bench.sh node
import { spawn, execFileSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { createRequire } from 'node:module'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.dirname(here)
const PROPS = { plan: 'pro', seats: 12, trial: false, $current_url: 'https://example.com/pricing', tags: ['a', 'b'], nested: { k: 1.5 } }
const n = Number(process.env.BENCH_N ?? 20000)

async function child(sdk, url) {
  const rss0 = process.memoryUsage().rss
  let client
  if (sdk === 'posthog-sdk') {
    const { PostHog } = createRequire(import.meta.url)(path.join(root, 'bindings', 'node'))
    client = new PostHog('phc_bench', { host: url, flushAt: 100, maxQueueSize: n })
  } else {
    const { PostHog } = createRequire(path.join(here, 'node', 'package.json'))('posthog-node')
    client = new PostHog('phc_bench', { host: url, flushAt: 100, maxQueueSize: n })
  }
  const t0 = performance.now()
  for (let i = 0; i < n; i++) client.capture({ distinctId: `user-${i % 100}`, event: 'pageview', properties: PROPS })
  const t1 = performance.now()
  await client.flush()
  const t2 = performance.now()
  const rss1 = process.memoryUsage().rss
  await client.shutdown()
  console.log(JSON.stringify({ capture_us: ((t1 - t0) / n) * 1000, delivered_ms: t2 - t0, rss_mb: (rss1 - rss0) / 1048576 }))
}

async function main() {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4])
  const bin = process.env.POSTHOG_TESTSERVER_BIN ?? path.join(root, 'target', 'debug', 'posthog-testserver')
  const server = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve))
  try {
    const rows = []
    for (const sdk of ['posthog-sdk', 'posthog-node']) {
      await fetch(url + '/_test/reset', { method: 'POST' })
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', sdk, url], { env: { ...process.env, BENCH_N: String(n) } }).toString()
      const r = JSON.parse(out.trim().split('\n').pop())
      const stats = await (await fetch(url + '/_test/stats')).json()
      rows.push([sdk, r, stats.unique_uuids])
    }
    console.log(`Node ${process.version}, ${n} events with 6 properties, local test server`)
    console.log('| SDK | capture() per event | capture + flush, all delivered | RSS growth | events delivered |')
    console.log('|---|---|---|---|---|')
    for (const [sdk, r, got] of rows) console.log(`| ${sdk} | ${r.capture_us.toFixed(1)} µs | ${r.delivered_ms.toFixed(0)} ms | ${r.rss_mb.toFixed(1)} MB | ${got} |`)
  } finally {
    server.kill()
  }
}
main()
