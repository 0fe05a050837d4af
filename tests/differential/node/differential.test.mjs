// Differential test: every scenario of scenarios.mjs runs once with posthog-node@5.70.0 and once
// with posthog-sdk (bindings/node), each in a fresh child process against its own freshly reset
// test server; the normalised records (what the calls returned, what the server received) must
// be equal, except for the paths of ../intentional.json ("node") and, for bugs not fixed yet,
// exactly the differences listed in known-differences.json (which turns red once they go away).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { here, startServer } from './lib/server.mjs'
import { normalise, diff, patternToRegExp } from './lib/compare.mjs'
import { scenarios } from './scenarios.mjs'

const PACKAGES = { official: 'posthog-node', ours: 'posthog-sdk' }
const CHILD_TIMEOUT_MS = 30_000
const intentional = JSON.parse(readFileSync(path.join(here, '..', 'intentional.json'), 'utf8')).node ?? []
const intentionalRes = intentional.map((e) => ({ ...e, re: patternToRegExp(e.path) }))
const knownPath = path.join(here, 'known-differences.json')
const known = JSON.parse(readFileSync(knownPath, 'utf8'))
const writeKnown = process.env.DIFF_WRITE_KNOWN === '1'
const dumpDir = process.env.DIFF_DUMP ? path.resolve(process.env.DIFF_DUMP) : null
const only = process.env.DIFF_ONLY ? new Set(process.env.DIFF_ONLY.split(',')) : null
const written = {}

// A pool of server pairs, so scenarios can run two at a time.
const CONCURRENCY = Number(process.env.DIFF_CONCURRENCY || 2)
const pool = []
const waiting = []
let servers = []

before(async () => {
  servers = await Promise.all(Array.from({ length: CONCURRENCY * 2 }, () => startServer()))
  for (let i = 0; i < CONCURRENCY; i++) pool.push({ official: servers[2 * i], ours: servers[2 * i + 1] })
})
after(async () => {
  await Promise.all(servers.map((s) => s.stop()))
  if (writeKnown) {
    const merged = only ? { ...known, ...written } : written
    for (const k of Object.keys(merged)) if (!merged[k].length) delete merged[k]
    const sorted = Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]]))
    writeFileSync(knownPath, JSON.stringify(sorted, null, 2) + '\n')
  }
})

async function acquire() {
  if (pool.length) return pool.pop()
  return new Promise((r) => waiting.push(r))
}
function release(pair) {
  const w = waiting.shift()
  if (w) w(pair)
  else pool.push(pair)
}

function runChild(pkg, scenario, url) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, 'lib', 'runner.mjs'), pkg, scenario, url], {
      cwd: here,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (err += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      const line = out.split('\n').find((l) => l.startsWith('RECORD '))
      if (!line) return reject(new Error(`${pkg} ${scenario}: no record (exit ${code ?? signal})\n${err.slice(-3000)}`))
      resolve({ result: JSON.parse(line.slice(7)), stderr: err })
    })
  })
}

async function runOne(pkg, scenario, server) {
  await server.control.reset()
  const { result, stderr } = await runChild(pkg, scenario, server.url)
  const [events, requests] = await Promise.all([server.control.events(), server.control.requests()])
  return { record: normalise({ result, events, requests, url: server.url }), stderr }
}

function isIntentional(d) {
  // An entry may also name the official value it applies to (`official`), so it cannot hide
  // any other difference at the same path.
  return intentionalRes.some(
    (e) => e.re.test(d.path) && (e.official === undefined || JSON.stringify(e.official) === JSON.stringify(d.official)),
  )
}

for (const name of Object.keys(scenarios)) {
  if (only && !only.has(name)) continue
  test(name, async () => {
    const pair = await acquire()
    let official, ours
    try {
      ;[official, ours] = await Promise.all([
        runOne(PACKAGES.official, name, pair.official),
        runOne(PACKAGES.ours, name, pair.ours),
      ])
    } finally {
      release(pair)
    }
    if (dumpDir) {
      mkdirSync(dumpDir, { recursive: true })
      writeFileSync(path.join(dumpDir, `${name}.json`), JSON.stringify({ official: official.record, ours: ours.record }, null, 2))
    }
    for (const [who, r] of [['official', official], ['ours', ours]]) {
      assert.equal(r.record.result?.scenarioCrashed, undefined, `${who} scenario crashed:\n${r.stderr.slice(-2000)}`)
    }
    const diffs = diff(official.record, ours.record).filter((d) => !isIntentional(d))
    if (writeKnown) written[name] = diffs
    const expected = known[name] ?? []
    if (expected.length === 0) {
      assert.deepEqual(diffs, [], `${name}: posthog-sdk differs from posthog-node:\n${JSON.stringify(diffs, null, 2)}`)
    } else {
      // A known bug: the records must still differ in exactly these ways. When this fails because a
      // difference went away, the bug is fixed: remove the entry from known-differences.json and
      // FINDINGS.md.
      assert.deepEqual(
        diffs,
        expected,
        `${name}: the differences are no longer exactly the known ones (fixed? remove the entry from known-differences.json):\n${JSON.stringify(diffs, null, 2)}`,
      )
    }
  })
}
