// Capture cost, throughput, CPU and memory: posthog-sdk (ours, the addon built in bindings/node)
// beside the official posthog-node, each SDK in its own child process against the local test
// server (the throughput figures: the better of two alternating rounds), then the local flag benchmark (bench_flags_node.mjs). One run prints every figure.
//   scripts/bench.sh node      (builds nothing: build the release addon first,
//                               `cd bindings/node && npm run build`)
// Batch settings are each SDK's defaults (posthog-node: flushAt 20, maxBatchSize 100, one
// request at a time; ours: flushAt 20, maxBatchSize 100, 4 requests in flight); only
// maxQueueSize is raised so that posthog-node (default 1 000, oldest dropped) keeps the burst.
import { spawn, execFileSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import os from 'node:os'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.dirname(here)
const PROPS = { plan: 'pro', seats: 12, trial: false, $current_url: 'https://example.com/pricing', tags: ['a', 'b'], nested: { k: 1.5 } }
const N = Number(process.env.BENCH_N ?? 100_000)
const N_LATENCY = Number(process.env.BENCH_N_LATENCY ?? 100_000)

function load(sdk, url) {
  const opts = { host: url, maxQueueSize: Math.max(N, N_LATENCY) }
  if (sdk === 'posthog-sdk') {
    const { PostHog } = createRequire(import.meta.url)(path.join(root, 'bindings', 'node'))
    return new PostHog('phc_bench', opts)
  }
  const { PostHog } = createRequire(path.join(here, 'node', 'package.json'))('posthog-node')
  return new PostHog('phc_bench', opts)
}

const msg = (i) => ({ distinctId: `user-${i % 100}`, event: 'pageview', properties: PROPS })

/** Every capture timed alone: p50 / p99 / p99.9 of the time `capture()` holds the caller. */
async function latency(sdk, url) {
  const client = load(sdk, url)
  for (let i = 0; i < 2000; i++) client.capture(msg(i)) // warm-up
  await client.flush()
  const ns = new Float64Array(N_LATENCY)
  for (let i = 0; i < N_LATENCY; i++) {
    const m = msg(i)
    const t0 = process.hrtime.bigint()
    client.capture(m)
    ns[i] = Number(process.hrtime.bigint() - t0)
  }
  await client.flush()
  await client.shutdown()
  ns.sort()
  const q = (p) => ns[Math.min(ns.length - 1, Math.floor(p * ns.length))] / 1000
  return { p50: q(0.5), p99: q(0.99), p999: q(0.999) }
}

/** A burst of N captures until all are delivered: events/s, CPU per event (every thread), RSS. */
async function throughput(sdk, url) {
  const client = load(sdk, url)
  const rss0 = process.memoryUsage().rss
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < N; i++) client.capture(msg(i))
  const t1 = performance.now()
  await client.flush()
  const t2 = performance.now()
  const cpu = process.cpuUsage(cpu0)
  const rss1 = process.memoryUsage().rss
  await client.shutdown()
  return {
    capture_us: ((t1 - t0) / N) * 1000,
    delivered_per_s: N / ((t2 - t0) / 1000),
    cpu_us: (cpu.user + cpu.system) / N,
    rss_mb: (rss1 - rss0) / 1048576,
  }
}

async function child(kind, sdk, url) {
  const r = kind === 'latency' ? await latency(sdk, url) : await throughput(sdk, url)
  console.log(JSON.stringify(r))
}

async function main() {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4], process.argv[5])
  const bin = process.env.POSTHOG_TESTSERVER_BIN ?? path.join(root, 'target', 'debug', 'posthog-testserver')
  const server = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = (await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve))).trim()
  const stats = async () => (await (await fetch(url + '/_test/stats')).json()).unique_uuids
  try {
    const run = async (kind, sdk) => {
      await fetch(url + '/_test/reset', { method: 'POST' })
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', kind, sdk, url], { encoding: 'utf8' })
      return { ...JSON.parse(out.trim().split('\n').pop()), delivered: await stats() }
    }
    const sdks = ['posthog-sdk', 'posthog-node']
    const lat = {}
    const thr = {}
    // Two alternating rounds (the first also warms the server up); the better of each SDK's two.
    for (let round = 0; round < 2; round++) {
      for (const s of sdks) {
        const r = await run('throughput', s)
        if (!thr[s] || r.delivered_per_s > thr[s].delivered_per_s) thr[s] = r
      }
    }
    for (const s of sdks) lat[s] = await run('latency', s)
    const official = JSON.parse(readFileSync(path.join(here, 'node', 'node_modules', 'posthog-node', 'package.json'), 'utf8')).version
    console.log(`Node ${process.version}, posthog-node ${official}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${new Date().toISOString().slice(0, 10)}`)
    console.log(`${N} events with 6 properties (burst), ${N_LATENCY} timed captures, local test server, default batch settings\n`)
    const a = thr['posthog-sdk']
    const b = thr['posthog-node']
    const la = lat['posthog-sdk']
    const lb = lat['posthog-node']
    const f1 = (x) => x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2)
    const n0 = (x) => Math.round(x).toLocaleString('en-US')
    console.log('| | posthog-sdk | posthog-node | |')
    console.log('|---|---:|---:|---:|')
    console.log(`| delivered events/s (burst until all delivered) | ${n0(a.delivered_per_s)} | ${n0(b.delivered_per_s)} | ${(a.delivered_per_s / b.delivered_per_s).toFixed(1)}× |`)
    console.log(`| CPU per delivered event (all threads) | ${f1(a.cpu_us)} µs | ${f1(b.cpu_us)} µs | 1/${(b.cpu_us / a.cpu_us).toFixed(1)} |`)
    console.log(`| \`capture()\` p50 | ${f1(la.p50)} µs | ${f1(lb.p50)} µs | ${(lb.p50 / la.p50).toFixed(1)}× |`)
    console.log(`| \`capture()\` p99 | ${f1(la.p99)} µs | ${f1(lb.p99)} µs | ${(lb.p99 / la.p99).toFixed(1)}× |`)
    console.log(`| \`capture()\` p99.9 | ${f1(la.p999)} µs | ${f1(lb.p999)} µs | ${(lb.p999 / la.p999).toFixed(1)}× |`)
    console.log(`| \`capture()\` mean in the burst | ${f1(a.capture_us)} µs | ${f1(b.capture_us)} µs | ${(b.capture_us / a.capture_us).toFixed(1)}× |`)
    console.log(`| RSS growth for the burst | ${f1(a.rss_mb)} MB | ${f1(b.rss_mb)} MB | |`)
    console.log(`| events the server received (burst / timed) | ${a.delivered} / ${la.delivered} | ${b.delivered} / ${lb.delivered} | |`)
  } finally {
    server.kill()
  }
  if (process.env.BENCH_FLAGS !== '0') {
    console.log()
    execFileSync(process.execPath, [path.join(here, 'bench_flags_node.mjs')], { stdio: 'inherit', env: process.env })
  }
}
main()
