// Run inside the temporary project, after `npm install <tarball>`: the installed package loads
// through `import` and `require`, and an event reaches the local test server.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import fs from 'node:fs'
import path from 'node:path'

import PostHogDefault, { PostHog } from 'posthog-sdk'

const require = createRequire(import.meta.url)
const cjs = require('posthog-sdk')
const installed = path.join(process.cwd(), 'node_modules', 'posthog-sdk')
// SMOKE_LINKED: installed from a folder, which npm links (node resolves the link).
assert.equal(fs.lstatSync(installed).isSymbolicLink(), Boolean(process.env.SMOKE_LINKED))
const resolved = require.resolve('posthog-sdk')
assert.ok(resolved.startsWith(fs.realpathSync(installed) + path.sep), `posthog-sdk resolved to ${resolved}`)
assert.equal(typeof PostHog, 'function')
assert.equal(cjs.PostHog, PostHog, 'import and require give the same class')
assert.equal(PostHogDefault, PostHog)
// Which addon loaded: in the per-platform package (SMOKE_ADDON_PACKAGE) or next to package.json.
const addons = Object.keys(require.cache).filter((f) => f.endsWith('.node'))
assert.equal(addons.length, 1, addons.join(', '))
const addonDir = process.env.SMOKE_ADDON_PACKAGE
  ? fs.realpathSync(path.join(process.cwd(), 'node_modules', process.env.SMOKE_ADDON_PACKAGE))
  : fs.realpathSync(installed)
assert.equal(path.dirname(addons[0]), addonDir)

const server = spawn(process.env.POSTHOG_TESTSERVER_BIN, ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
try {
  const lines = createInterface({ input: server.stdout })
  const [first] = await once(lines, 'line')
  const host = first.trim()
  assert.match(host, /^http:\/\/127\.0\.0\.1:\d+$/)

  const esm = new PostHog('phc_test', { host })
  const viaRequire = new cjs.PostHog('phc_test', { host })
  esm.capture({ distinctId: 'user-1', event: 'npm_install_esm', properties: { via: 'import' } })
  viaRequire.capture({ distinctId: 'user-1', event: 'npm_install_cjs', properties: { via: 'require' } })
  await esm.shutdown()
  await viaRequire.shutdown()

  const stats = await (await fetch(`${host}/_test/stats`)).json()
  assert.equal(stats.unique_uuids, 2, JSON.stringify(stats))
  const events = await (await fetch(`${host}/_test/events`)).json()
  assert.deepEqual(events.map((e) => e.event).sort(), ['npm_install_cjs', 'npm_install_esm'])
  console.log(`smoke: ${resolved} with ${addons[0]} (import and require), 2 events received by ${host}`)
} finally {
  server.kill()
}
