// A small backend: every request captures an event with the ingestion client and answers the
// rollout percentage of a feature flag, read from PostHog's private API with the admin client.
//
//   POSTHOG_PROJECT_API_KEY=phc_… POSTHOG_PERSONAL_API_KEY=phx_… FLAG_KEY=new-checkout \
//   POSTHOG_HOST=https://us.i.posthog.com POSTHOG_ADMIN_HOST=https://us.posthog.com \
//   node examples/node/flag-rollout-backend.mjs
//   curl 'http://127.0.0.1:PORT/?user=u1'   # → {"flag":"new-checkout","rolloutPercentage":30,…}
//
// It listens on 127.0.0.1, on PORT or a free port, and prints its URL as the first line.
// In an application, import from 'posthog-sdk'; this example runs from the repository.
import http from 'node:http'
import { PostHog, AdminClient } from '../../bindings/node/posthog.mjs'

const env = process.env
const flagKey = env.FLAG_KEY ?? 'new-checkout'
const posthog = new PostHog(env.POSTHOG_PROJECT_API_KEY, { host: env.POSTHOG_HOST, flushAt: 1 })
posthog.on('error', (err) => console.error('posthog:', err.code, err.message))
// personalApiKey defaults to POSTHOG_PERSONAL_API_KEY.
const admin = new AdminClient({ host: env.POSTHOG_ADMIN_HOST ?? env.POSTHOG_HOST })

/** The flag's rollout: the first release condition's percentage (null: everyone matching). */
async function rollout(key) {
  for await (const flag of admin.featureFlags.list()) {
    if (flag.key === key) {
      const group = flag.filters?.groups?.[0]
      return { flag: key, id: flag.id, active: flag.active, rolloutPercentage: group ? (group.rollout_percentage ?? null) : null }
    }
  }
  return undefined
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://localhost')
  const user = url.searchParams.get('user') ?? 'anonymous'
  posthog.capture({ distinctId: user, event: 'rollout_checked', properties: { path: url.pathname, flag: flagKey } })
  try {
    const answer = await rollout(flagKey)
    res.writeHead(answer ? 200 : 404, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer ?? { error: `no flag ${flagKey}` }))
  } catch (err) {
    // A PostHogError: `code` is stable (unauthorized, forbidden, rate_limited…), never the key.
    res.writeHead(502, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: err.code }))
  }
})

server.listen(Number(env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}`)
})

async function stop() {
  server.close()
  await posthog.shutdown(5000)
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
