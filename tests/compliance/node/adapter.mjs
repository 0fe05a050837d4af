#!/usr/bin/env node
// SDK compliance adapter of the Node binding (`posthog-sdk`, bindings/node).
//
// Implements the adapter interface of PostHog's SDK test harness
// (https://github.com/PostHog/posthog-sdk-test-harness: CONTRACT.yaml v1.1, ADAPTER_GUIDE.md)
// with `node:http`. Every endpoint is a thin call into the binding's public `PostHog` class.
//
//   node adapter.mjs [--port N] [--bind ADDR]      (or PORT / ADAPTER_BIND; port 0 = any)
//
// Prints one line, `http://ADDR:PORT`, then serves until killed. See tests/compliance/README.md.

import http from 'node:http'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { PostHog } from '../../../bindings/node/posthog.mjs'

const ADAPTER_VERSION = '1.0.0'
const FLUSH_TIMEOUT_MS = 30_000
const CAPTURE_V1 = process.env.POSTHOG_CAPTURE_MODE === 'v1'
const here = dirname(fileURLToPath(import.meta.url))
const SDK_VERSION = JSON.parse(readFileSync(join(here, '../../../bindings/node/package.json'), 'utf8')).version

/** The current client and what the adapter observed about it; null before /init. */
let session = null

const bad = (status, message) => [status, { success: false, error: message }]
const NOT_INITIALISED = () => bad(400, 'SDK not initialized: call /init first')
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

/** Drops the current client: shut down with no drain time, so queued events are abandoned. */
async function discard() {
  const old = session
  session = null
  if (!old) return
  try {
    await old.client.shutdown(0)
  } catch {
    // A reset must not fail on the old client.
  }
}

async function capture(body, ai) {
    if (!session) return NOT_INITIALISED()
    const { distinct_id: distinctId, event, properties, timestamp } = body
    if (typeof distinctId !== 'string' || typeof event !== 'string') {
      return bad(400, 'distinct_id and event are required strings')
    }
    if (properties != null && !isObject(properties)) return bad(400, 'properties must be an object')
    const message = { distinctId, event }
    if (properties != null) message.properties = properties
    if (timestamp != null) message.timestamp = String(timestamp)
    if (body.uuid != null) message.uuid = String(body.uuid)
    const uuid = ai ? session.client.captureAi(message) : session.client.capture(message)
    if (uuid === undefined) return bad(400, 'the SDK did not accept the event (see /state last_error)')
    return [200, { success: true, uuid }]
}

const handlers = {
  'GET /health': async () => [
    200,
    {
      sdk_name: 'posthog-sdk-node',
      sdk_version: SDK_VERSION,
      adapter_version: ADAPTER_VERSION,
      capabilities: [CAPTURE_V1 ? 'capture_v1' : 'capture_v0', 'encoding_gzip', ...(CAPTURE_V1 ? [] : ['capture_ai_v0'])],
    },
  ],

  'POST /init': async (body) => {
    const { api_key: apiKey, host } = body
    if (typeof apiKey !== 'string' || typeof host !== 'string') {
      return bad(400, 'api_key and host are required strings')
    }
    await discard()
    const options = { host }
    if (body.flush_at != null) options.flushAt = body.flush_at
    if (body.flush_interval_ms != null) options.flushInterval = body.flush_interval_ms
    if (body.max_retries != null) options.maxRetries = body.max_retries
    if (body.enable_compression != null) options.gzip = Boolean(body.enable_compression)
    if (body.disable_geoip != null) options.disableGeoip = Boolean(body.disable_geoip)
    if (body.historical_migration != null) options.historicalMigration = Boolean(body.historical_migration)
    if (CAPTURE_V1) options.protocol = 'v1'
    let client
    try {
      client = new PostHog(apiKey, options)
    } catch (e) {
      return bad(400, String(e?.message ?? e))
    }
    const s = { client, lastError: null, flushes: 0 }
    client.on('error', (e) => {
      s.lastError = String(e?.message ?? e)
    })
    session = s
    return [200, { success: true }]
  },

  'POST /capture': async (body) => capture(body, false),
  'POST /capture_ai': async (body) => capture(body, true),

  'POST /flush': async () => {
    if (!session) return NOT_INITIALISED()
    const s = session
    try {
      const report = await s.client.flush(FLUSH_TIMEOUT_MS)
      s.flushes += 1
      return [200, { success: true, events_flushed: report?.sent ?? 0, report }]
    } catch (e) {
      s.flushes += 1
      s.lastError = String(e?.message ?? e)
      return [200, { success: false, events_flushed: 0, error: s.lastError }]
    }
  },

  'POST /get_feature_flag': async (body) => {
    if (!session) return NOT_INITIALISED()
    const { key, distinct_id: distinctId } = body
    if (typeof key !== 'string' || typeof distinctId !== 'string') {
      return bad(400, 'key and distinct_id are required strings')
    }
    const options = {}
    for (const [from, to] of [
      ['groups', 'groups'],
      ['person_properties', 'personProperties'],
      ['group_properties', 'groupProperties'],
    ]) {
      if (body[from] == null) continue
      if (!isObject(body[from])) return bad(400, `${from} must be an object`)
      options[to] = body[from]
    }
    if (body.disable_geoip != null) options.disableGeoip = Boolean(body.disable_geoip)
    if (body.force_remote != null) options.forceRemote = Boolean(body.force_remote)
    try {
      const value = await session.client.getFeatureFlag(key, distinctId, options)
      return [200, { success: true, value: value ?? null }]
    } catch (e) {
      session.lastError = String(e?.message ?? e)
      return bad(400, session.lastError)
    }
  },

  'GET /state': async () => {
    if (!session) {
      return [
        200,
        {
          pending_events: 0,
          total_events_captured: 0,
          total_events_sent: 0,
          total_retries: 0,
          last_error: null,
          requests_made: [],
          total_flushes: 0,
          initialized: false,
        },
      ]
    }
    const stats = session.client.stats()
    return [
      200,
      {
        pending_events: stats.pending,
        total_events_captured: stats.accepted,
        total_events_sent: stats.sent,
        total_retries: stats.retried,
        last_error: session.lastError,
        // The binding has no hook on its HTTP layer: see README, "Assumptions".
        requests_made: [],
        total_flushes: session.flushes,
        initialized: true,
        sdk_stats: stats,
      },
    ]
  },

  'POST /reset': async () => {
    await discard()
    return [200, { success: true }]
  },
}

const knownPaths = new Set(Object.keys(handlers).map((k) => k.split(' ')[1]))

async function route(method, path, raw) {
  let body = {}
  if (raw.trim() !== '') {
    try {
      body = JSON.parse(raw)
    } catch {
      return bad(400, 'the body is not JSON')
    }
  }
  if (method === 'POST' && !isObject(body)) return bad(400, 'the body must be a JSON object')
  const handler = handlers[`${method} ${path}`]
  if (handler) return handler(body)
  if (knownPaths.has(path)) return bad(405, 'method not allowed')
  return bad(404, `no endpoint ${path}`)
}

function main() {
  const args = process.argv.slice(2)
  let port = process.env.PORT ?? '8080'
  let bind = process.env.ADAPTER_BIND ?? '127.0.0.1'
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--port') port = args[++i]
    else if (args[i] === '--bind') bind = args[++i]
    else {
      console.error('usage: node adapter.mjs [--port N] [--bind ADDR]')
      process.exit(2)
    }
  }
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', async () => {
      // The harness's parallel mode appends `?test_id=`; this adapter is sequential.
      const path = (req.url ?? '/').split('?')[0]
      let status, reply
      try {
        ;[status, reply] = await route(req.method, path, Buffer.concat(chunks).toString('utf8'))
      } catch (e) {
        ;[status, reply] = bad(500, String(e?.message ?? e))
      }
      const data = JSON.stringify(reply)
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(data),
        Connection: 'close',
      })
      res.end(data)
    })
  })
  server.listen(Number(port), bind, () => {
    console.log(`http://${bind}:${server.address().port}`)
  })
  const stop = () => {
    server.close()
    discard().finally(() => process.exit(0))
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main()
