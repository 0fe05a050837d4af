// One scenario with one package, in its own process:
//   node lib/runner.mjs <posthog-node|posthog-sdk> <scenario> <server url>
// Prints one line `RECORD <json>` (the scenario's own record) on stdout, then exits.
import { createRequire } from 'node:module'
import { Control, KEY, PERSONAL_KEY } from './server.mjs'
import { scenarios } from '../scenarios.mjs'
import { encode } from './encode.mjs'

const [pkgName, scenarioName, url] = process.argv.slice(2)
const require = createRequire(import.meta.url)
const scenario = scenarios[scenarioName]
if (!scenario) {
  console.error(`unknown scenario ${scenarioName}`)
  process.exit(2)
}

// Both packages are loaded the same way (CommonJS entry: `require('posthog-node')`).
const pkg = require(pkgName)
const clients = []
// The scenario creates its clients through `ph.PostHog`; each is shut down at the end.
const ph = new Proxy(pkg, {
  get(target, prop) {
    if (prop !== 'PostHog') return target[prop]
    const Real = target.PostHog
    return new Proxy(Real, {
      construct(T, args) {
        const c = new T(...args)
        clients.push(c)
        return c
      },
    })
  },
})

const srv = { url, control: new Control(url), key: KEY, personalKey: PERSONAL_KEY }
let record
try {
  record = await scenario.run(ph, srv)
} catch (e) {
  record = { scenarioCrashed: encode(e) }
  console.error(e)
}
for (const c of clients) {
  try {
    await c.shutdown(2000)
  } catch {}
}
process.stdout.write(`RECORD ${JSON.stringify(encode(record))}\n`, () => process.exit(0))
