// Normalisation of a scenario's record and the comparison of two records.
import { KEY, PERSONAL_KEY } from './server.mjs'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i
const ANY_UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/
const DAY = 86_400_000
/** uuids a scenario chose itself start with this and are kept verbatim. */
export const FIXED_UUID_PREFIX = '01890000-'

let serverUrl = null

function normValue(v, now) {
  if (typeof v === 'string') {
    if (serverUrl && v === serverUrl) return '<server-url>'
    if (v === KEY) return '<project-key>'
    if (v === PERSONAL_KEY) return '<personal-key>'
    if (ANY_UUID_SHAPE.test(v) && !v.startsWith(FIXED_UUID_PREFIX)) {
      const m = UUID.exec(v)
      return m ? `<uuid:v${m[1]}>` : '<invalid-uuid>'
    }
    if (ISO.test(v)) {
      const t = Date.parse(v)
      if (!Number.isNaN(t) && Math.abs(t - now) < DAY) return '<ts>'
      // A timestamp the scenario chose: `.678000Z` and `.678Z` are the same instant; more
      // precision than milliseconds is kept.
      if (!Number.isNaN(t) && /\.\d{3}0*(Z|[+-]\d{2}:?\d{2})?$/.test(v)) return new Date(t).toISOString()
    }
    return v
  }
  if (typeof v === 'number' && v > 1e12 && Math.abs(v - now) < DAY) return '<now-ms>'
  if (Array.isArray(v)) return v.map((x) => normValue(x, now))
  if (v && typeof v === 'object') {
    const out = {}
    for (const k of Object.keys(v).sort()) out[k] = normValue(v[k], now)
    return out
  }
  return v
}

const INGEST = /^\/(batch|e|capture|track|engage|i\/v0\/e|i\/v1\/analytics\/events)\/?$/
const DEFINITIONS = /^\/(flags\/definitions|api\/feature_flag\/local_evaluation)\/?$/
const FLAGS = /^\/flags\/?$/

function tryJson(text) {
  try {
    return JSON.parse(text)
  } catch {
    return text === '' ? null : '<not-json>'
  }
}

/** The events the server stored, keyed `event#n` (n-th of that name, in a stable order). */
function normEvents(events, now) {
  const list = events.map((e) => {
    const raw = e.raw && typeof e.raw === 'object' ? e.raw : {}
    const out = {
      event: e.event,
      distinct_id: e.distinct_id,
      uuid: e.uuid ?? null,
      timestamp: e.timestamp ?? null,
      properties: e.properties ?? {},
      $set: e.$set ?? null,
      $set_once: e.$set_once ?? null,
      historical: e.historical ?? null,
      // The top-level members of the event as sent (their values are compared above).
      rawKeys: Object.keys(raw).sort(),
    }
    return normValue(out, now)
  })
  list.sort((a, b) => {
    const ka = `${a.event}\u0000${a.distinct_id}\u0000${JSON.stringify(a)}`
    const kb = `${b.event}\u0000${b.distinct_id}\u0000${JSON.stringify(b)}`
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })
  // Keyed by what identifies an event to a reader (name, distinct id, the flag of a
  // `$feature_flag_called`), so one extra or missing event does not shift the others.
  const keyed = {}
  const counts = {}
  for (const e of list) {
    let id = `${e.event}|${e.distinct_id}`
    if (e.properties && typeof e.properties.$feature_flag === 'string') id += `|${e.properties.$feature_flag}`
    const n = (counts[id] = (counts[id] ?? 0) + 1) - 1
    keyed[`${id}#${n}`] = e
  }
  return keyed
}

/** What was asked of the server, per route, with the body fields that matter. */
function normRequests(requests, now) {
  const capture = []
  const flags = []
  const definitions = {}
  const other = []
  for (const r of requests) {
    const p = r.path
    if (INGEST.test(p)) {
      const body = tryJson(r.body)
      const fields = {}
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        for (const [k, v] of Object.entries(body)) {
          if (k === 'batch' || k === 'sent_at') continue
          // `historical_migration: false` is the default: PostHog reads it as absent.
          if (k === 'historical_migration' && v === false) continue
          fields[k] = v
        }
      }
      capture.push({ status: r.status, events: Array.isArray(body?.batch) ? body.batch.length : null, fields })
    } else if (FLAGS.test(p)) {
      const v = new URLSearchParams(r.query ?? '').get('v')
      const body = tryJson(r.body)
      if (body && typeof body === 'object') {
        // PostHog reads the project key from `token` or `api_key` alike: one field here.
        const { token, api_key, ...rest } = body
        flags.push({ method: r.method, v, status: r.status, body: { projectKey: token ?? api_key ?? null, ...rest } })
      } else flags.push({ method: r.method, v, status: r.status, body })
    } else if (DEFINITIONS.test(p)) {
      const route = p.replace(/\/$/, '')
      const q = new URLSearchParams(r.query ?? '')
      const auth = r.headers?.authorization ?? null
      // How often the definitions are polled (and answered 304) is timing: only whether they were
      // asked for, how, and whether one answer was a 200.
      definitions[route] ??= { method: r.method, token: q.get('token'), authorization: auth, loaded: false }
      if (r.status === 200) definitions[route].loaded = true
    } else {
      other.push(`${r.method} ${p}`)
    }
  }
  return normValue(
    {
      capture: {
        requests: capture.length,
        statuses: capture.map((c) => c.status),
        events: capture.reduce((n, c) => n + (c.events ?? 0), 0),
        fields: dedupe(capture.map((c) => c.fields)),
      },
      flags: keyFlags(flags),
      definitions,
      other: [...new Set(other)].sort(),
    },
    now,
  )
}

/** /flags requests keyed by distinct id and the keys asked for, n-th of those. */
function keyFlags(flags) {
  const out = {}
  const counts = {}
  for (const f of flags) {
    const b = f.body && typeof f.body === 'object' ? f.body : {}
    const keys = Array.isArray(b.flag_keys_to_evaluate) ? b.flag_keys_to_evaluate.join(',') : '*'
    const id = `${b.distinct_id}|${keys}`
    const n = (counts[id] = (counts[id] ?? 0) + 1) - 1
    out[`${id}#${n}`] = f
  }
  return out
}

function dedupe(list) {
  const seen = new Map()
  for (const x of list) seen.set(JSON.stringify(x), x)
  return [...seen.values()]
}

export function normalise({ result, events, requests, url = null, now = Date.now() }) {
  serverUrl = url
  return {
    result: normValue(result, now),
    events: normEvents(events, now),
    requests: normRequests(requests, now),
  }
}

export const MISSING = '<missing>'

/** Leaf-level differences: `[{ path, official, ours }]`. */
export function diff(a, b, path = '', out = []) {
  const isObj = (x) => x && typeof x === 'object'
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a)) {
      const n = Math.max(a.length, b.length)
      for (let i = 0; i < n; i++)
        diff(i < a.length ? a[i] : MISSING, i < b.length ? b[i] : MISSING, `${path}[${i}]`, out)
    } else {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
      for (const k of keys) {
        const seg = path === 'events' || path === 'requests.flags' ? `[${k}]` : path ? `.${k}` : k
        diff(k in a ? a[k] : MISSING, k in b ? b[k] : MISSING, path + seg, out)
      }
    }
    return out
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, official: a, ours: b })
  return out
}

/** `events[*].properties.$lib` → a RegExp over diff paths (`*` is one path segment). */
export function patternToRegExp(pattern) {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (pattern.startsWith('[*]', i)) {
      re += '\\[[^\\]]*\\]'
      i += 2
    } else if (c === '*') re += '[^.\\[]*'
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}
