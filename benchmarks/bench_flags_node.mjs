// Local feature-flag evaluation: posthog-sdk (ours, a release build of bindings/node) beside the
// official posthog-node 5.70.0, both over the test server's flag definitions (53 flags).
// Each SDK runs in its own child process; every number is the best of ROUNDS rounds.
//   (cd bindings/node && npx napi build --platform --release)
//   npm install --prefix benchmarks/node
//   node benchmarks/bench_flags_node.mjs
import { spawn, execFileSync } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import path from 'node:path'
import { createRequire } from 'node:module'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.dirname(here)
const SECURE = 'phs_testsecurekey'
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const N = Number(process.env.BENCH_N ?? 2000)
const N_ALL = Number(process.env.BENCH_N_ALL ?? 300)

// A realistic context: what an app passes for a signed-in user of a company.
const CONTEXT = {
  personProperties: {
    email: 'jane.doe@posthog.com',
    age: 34,
    country: 'US',
    plan: 'pro',
    platform: 'web',
    app_version: '2.3.1',
    signup_date: '2024-03-01',
    sessions_30d: 12,
    company_name: 'Acme',
    is_beta: true,
  },
  groups: { company: 'acme', project: 'p-1' },
  groupProperties: { company: { plan: 'enterprise', employees: 250 }, project: { name: 'web' } },
}
const MULTIVARIATE = 'exp-checkout-flow'
const PROPERTY = 'complex-targeting'

/** Best-of-ROUNDS microseconds per call of `fn` (async), after a warm-up round. */
async function best(n, fn) {
  let bestUs = Infinity
  for (let r = 0; r <= ROUNDS; r++) {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) await fn(i)
    const us = ((performance.now() - t0) / n) * 1000
    if (r > 0) bestUs = Math.min(bestUs, us)
  }
  return bestUs
}

/** The same for a synchronous `fn`. */
function bestSync(n, fn) {
  let bestUs = Infinity
  for (let r = 0; r <= ROUNDS; r++) {
    const t0 = performance.now()
    for (let i = 0; i < n; i++) fn(i)
    const us = ((performance.now() - t0) / n) * 1000
    if (r > 0) bestUs = Math.min(bestUs, us)
  }
  return bestUs
}

async function child(sdk, url) {
  const id = (i) => `user-${i % 1000}`
  const one = { ...CONTEXT, onlyEvaluateLocally: true, sendFeatureFlagEvents: false }
  const all = { ...CONTEXT, onlyEvaluateLocally: true }
  let client
  if (sdk === 'posthog-sdk') {
    const { PostHog } = createRequire(import.meta.url)(path.join(root, 'bindings', 'node'))
    client = new PostHog('phc_bench', { host: url, personalApiKey: SECURE, sendFeatureFlagEvent: false, flushAt: 1000 })
  } else {
    const { PostHog } = createRequire(path.join(here, 'node', 'package.json'))('posthog-node')
    client = new PostHog('phc_bench', { host: url, personalApiKey: SECURE, flushAt: 1000 })
  }
  await client.reloadFeatureFlags()
  const out = {
    values: {
      [MULTIVARIATE]: await client.getFeatureFlag(MULTIVARIATE, id(1), one),
      [PROPERTY]: await client.getFeatureFlag(PROPERTY, id(1), one),
      all: Object.keys(await client.getAllFlags(id(1), all)).length,
    },
  }
  out.multivariate = await best(N, (i) => client.getFeatureFlag(MULTIVARIATE, id(i), one))
  out.property = await best(N, (i) => client.getFeatureFlag(PROPERTY, id(i), one))
  out.all = await best(N_ALL, (i) => client.getAllFlags(id(i), all))
  if (sdk === 'posthog-sdk') {
    // The core's own get_all_flags in this process (no crossing), beside getAllFlags.
    const req = createRequire(import.meta.url)
    const dir = path.join(root, 'bindings', 'node')
    const { NativeClient } = req(path.join(dir, 'index.js'))
    const { resolveOptions } = req(path.join(dir, 'compat.js'))
    const { flagOptions } = req(path.join(dir, 'flags.js'))
    const nc = new NativeClient('phc_bench', resolveOptions({ host: url, personalApiKey: SECURE, sendFeatureFlagEvent: false }).native)
    await nc.reloadFeatureFlags()
    let core = Infinity
    for (let r = 0; r <= ROUNDS; r++) {
      const us = nc._coreAllFlagsUs(flagOptions(all), N_ALL)
      if (r > 0) core = Math.min(core, us)
    }
    out.coreAll = core
    out.syncGetAll = bestSync(N_ALL, (i) => client.getAllFlags(id(i), all))
    await nc.shutdown()
  }
  if (sdk === 'posthog-sdk') {
    const { LocalEvaluator } = createRequire(import.meta.url)(path.join(root, 'bindings', 'node'))
    const r = await fetch(`${url}/flags/definitions?token=phc_bench`, { headers: { authorization: `Bearer ${SECURE}` } })
    const ev = LocalEvaluator.fromJson(await r.text())
    const ctx = (i) => ({ distinctId: id(i), ...CONTEXT })
    const evalAll = (i) => ev.evaluateAll(ctx(i)).flags
    out.values.syncAll = Object.keys(evalAll(1)).length
    out.syncMultivariate = bestSync(N, (i) => ev.evaluate(MULTIVARIATE, ctx(i)))
    out.syncProperty = bestSync(N, (i) => ev.evaluate(PROPERTY, ctx(i)))
    out.syncAll = bestSync(N_ALL, evalAll)
  }
  await client.shutdown()
  console.log(JSON.stringify(out))
}

async function main() {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4])
  const bin = process.env.POSTHOG_TESTSERVER_BIN ?? path.join(root, 'target', 'debug', 'posthog-testserver')
  const server = spawn(bin, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve))
  try {
    const run = (sdk) => JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', sdk, url.trim()], { encoding: 'utf8' }))
    const official = run('posthog-node')
    const ours = run('posthog-sdk')
    const fmt = (us) => (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2))
    const x = (a, b) => `${(a / b).toFixed(1)}×`
    console.log(`values (official / ours): ${JSON.stringify(official.values)} / ${JSON.stringify(ours.values)}`)
    console.log(`\nLocal evaluation, µs per call (best of ${ROUNDS}; ${N} calls per round, ${N_ALL} for all flags)\n`)
    console.log('| case | posthog-node 5.70.0 | posthog-sdk (Promise) | speed-up | posthog-sdk `LocalEvaluator` (sync) | speed-up |')
    console.log('|---|---:|---:|---:|---:|---:|')
    const rows = [
      [`one multivariate flag (\`${MULTIVARIATE}\`)`, 'multivariate', 'syncMultivariate'],
      [`one property-filter flag (\`${PROPERTY}\`)`, 'property', 'syncProperty'],
      ['all 53 flags (`getAllFlags` / `evaluateAll`)', 'all', 'syncAll'],
    ]
    for (const [name, k, s] of rows) {
      console.log(`| ${name} | ${fmt(official[k])} | ${fmt(ours[k])} | ${x(official[k], ours[k])} | ${fmt(ours[s])} | ${x(official[k], ours[s])} |`)
    }
    console.log(`\n\`getAllFlags\` beside the core's own \`get_all_flags\` (same process, same context, ${N_ALL} calls, best of ${ROUNDS}): core ${fmt(ours.coreAll)} µs; \`getAllFlags\` called ${fmt(ours.syncGetAll)} µs (${(ours.syncGetAll / ours.coreAll).toFixed(2)}× the core), awaited ${fmt(ours.all)} µs (${(ours.all / ours.coreAll).toFixed(2)}×)`)
  } finally {
    server.kill()
  }
}

await main()
