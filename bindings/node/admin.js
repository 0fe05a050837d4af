'use strict'
// The public `AdminClient`: a thin layer over the native admin client (PostHog's private API
// with a personal key, `phx_…`). It only does what needs JavaScript: `JSON.stringify` of
// bodies and query values, `JSON.parse` of the answers the native layer returns as JSON text,
// async iterators over the native pagers, and turning native errors into `PostHogError`.
// Paths, auth, paging, retries, 429 waits, rate budgets and the export are the Rust core's.

const util = require('node:util')
const native = require('./index.js')
const { PostHogError } = require('./errors.js')

function invalidInput(message) {
  return new PostHogError(message, 'invalid_input')
}

/** What a key provider threw, by name only: its message might quote a secret. */
function errorName(e) {
  return (e && typeof e === 'object' && typeof e.name === 'string' && e.name) || typeof e
}

/** A native error → PostHogError, with the checkpoint of a stopped export decoded. */
function adminError(e) {
  const err = PostHogError.from(e)
  if (e && typeof e.checkpoint === 'string') err.checkpoint = JSON.parse(e.checkpoint)
  return err
}

function rethrow(e) {
  throw adminError(e)
}

/** JSON text from the native layer → a value; nothing → `undefined`. */
function parse(text) {
  return text === null || text === undefined ? undefined : JSON.parse(text)
}

/** Runs a native call that returns a Promise of JSON text; every failure rejects as PostHogError. */
function call(fn) {
  try {
    return fn().then(parse, rethrow)
  } catch (e) {
    return Promise.reject(adminError(e))
  }
}

/** A lazy list over a native pager: one native `next()` (an AsyncTask) per item. */
async function* items(open) {
  let pager
  try {
    pager = open()
  } catch (e) {
    throw adminError(e)
  }
  for (;;) {
    let text
    try {
      text = await pager.next()
    } catch (e) {
      throw adminError(e)
    }
    if (text === null || text === undefined) return
    yield JSON.parse(text)
  }
}

/** `'@current'` (default), a number or its text → the text the native layer parses. */
function project(options) {
  const p = options && typeof options === 'object' ? options.project : undefined
  if (p === undefined || p === null) return undefined
  if (typeof p === 'number' || typeof p === 'string') return String(p)
  throw invalidInput('project must be a number or "@current"')
}

function num(v, name) {
  if (typeof v !== 'number') throw invalidInput(`${name} must be a number`)
  return v
}

function str(v, name) {
  if (typeof v !== 'string') throw invalidInput(`${name} must be a string`)
  return v
}

function optStr(v, name) {
  return v === undefined || v === null ? undefined : str(v, name)
}

/** JSON text of a body or of query values (`undefined` stays `undefined`). */
function optBool(v, name) {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'boolean') throw invalidInput(`${name} must be a boolean`)
  return v
}

function json(value, name) {
  if (value === undefined || value === null) return undefined
  try {
    return JSON.stringify(value)
  } catch {
    throw invalidInput(`${name} must be JSON-serialisable`)
  }
}

/** A `Date` or a time text → RFC 3339 text. */
function time(v, name) {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw invalidInput(`${name} is an invalid Date`)
    return v.toISOString()
  }
  return str(v, name)
}

/** A client of PostHog's private API, authenticated by a personal API key (`phx_…`). */
class AdminClient {
  #native

  /**
   * Throws `PostHogError` (`invalid_key` for a missing or project key, `config` for a bad
   * option). `personalApiKey` defaults to `POSTHOG_PERSONAL_API_KEY`.
   */
  constructor(options) {
    const { keyProvider, ...rest } = options && typeof options === 'object' ? options : {}
    let opts = options
    let askKey
    if (keyProvider !== undefined && keyProvider !== null) {
      if (typeof keyProvider !== 'function') throw invalidInput('keyProvider must be a function')
      opts = { ...rest }
      if (opts.personalApiKey === undefined || opts.personalApiKey === null) {
        let first
        try {
          first = keyProvider()
        } catch (e) {
          throw new PostHogError(`invalid key: the key provider raised ${errorName(e)}`, 'invalid_key')
        }
        if (first && typeof first.then === 'function') {
          first.catch(() => {}) // AdminClient.create awaits it; here it is refused
          throw new PostHogError(
            'invalid configuration: the key provider returned a Promise; use `await AdminClient.create({ keyProvider })`',
            'config',
          )
        }
        opts.personalApiKey = first
      }
      // Asked again after a 401, off the JS thread: the request waits for provideKey.
      askKey = (ticket) => {
        Promise.resolve()
          .then(() => keyProvider())
          .then(
            (key) =>
              typeof key === 'string'
                ? this.#native.provideKey(ticket, key, null)
                : this.#native.provideKey(ticket, null, 'a value that is not a string'),
            (e) => this.#native.provideKey(ticket, null, errorName(e)),
          )
      }
    }
    try {
      this.#native = new native.NativeAdmin(opts, askKey)
    } catch (e) {
      throw PostHogError.from(e)
    }
    const n = this.#native
    const list = (open) => items(open)
    Object.defineProperties(this, {
      projects: {
        value: Object.freeze({
          list: () => list(() => n.projectsList()),
          get: (id = '@current') => call(() => n.projectsGet(String(id))),
        }),
      },
      featureFlags: {
        value: Object.freeze({
          list: (o) => list(() => n.featureFlagsList(project(o))),
          get: (id, o) => call(() => n.featureFlagsGet(project(o), num(id, 'id'))),
          create: (flag, o) =>
            call(() => {
              if (!flag || typeof flag !== 'object') throw invalidInput('the flag must be an object')
              const { key, name, active, filters, rolloutPercentage, ...fields } = flag
              return n.featureFlagsCreate(
                project(o),
                str(key, 'key'),
                optStr(name, 'name'),
                active === undefined || active === null ? undefined : Boolean(active),
                json(filters, 'filters'),
                rolloutPercentage === undefined || rolloutPercentage === null ? undefined : num(rolloutPercentage, 'rolloutPercentage'),
                Object.keys(fields).length ? json(fields, 'fields') : undefined,
              )
            }),
          update: (id, fields, o) => call(() => n.featureFlagsUpdate(project(o), num(id, 'id'), json(fields ?? {}, 'fields'))),
          setActive: (id, active, o) => call(() => n.featureFlagsSetActive(project(o), num(id, 'id'), Boolean(active))),
          delete: (id, o) => call(() => n.featureFlagsDelete(project(o), num(id, 'id'))),
          activity: (id, o) => list(() => n.featureFlagsActivity(project(o), num(id, 'id'))),
        }),
      },
      persons: {
        value: Object.freeze({
          list: (o) => list(() => n.personsList(project(o), optStr(o?.distinctId, 'distinctId'))),
          get: (id, o) => call(() => n.personsGet(project(o), str(id, 'id'))),
          delete: (id, o) => call(() => n.personsDelete(project(o), str(id, 'id'))),
        }),
      },
      cohorts: {
        value: Object.freeze({
          list: (o) => list(() => n.cohortsList(project(o))),
          get: (id, o) => call(() => n.cohortsGet(project(o), num(id, 'id'))),
          createStatic: (name, personIds = [], o) =>
            call(() => n.cohortsCreateStatic(project(o), str(name, 'name'), personIds.map((p) => str(p, 'personIds[]')))),
        }),
      },
      insights: {
        value: Object.freeze({
          list: (o) => list(() => n.insightsList(project(o))),
          get: (id, o) => call(() => n.insightsGet(project(o), num(id, 'id'))),
        }),
      },
      annotations: {
        value: Object.freeze({
          list: (o) => list(() => n.annotationsList(project(o))),
          create: (content, at = new Date(), o) => call(() => n.annotationsCreate(project(o), str(content, 'content'), time(at, 'at'))),
        }),
      },
      definitions: {
        value: Object.freeze({
          events: (o) => list(() => n.definitionsEvents(project(o))),
          properties: (o) => list(() => n.definitionsProperties(project(o), optStr(o?.type, 'type'))),
        }),
      },
      batchExports: {
        value: Object.freeze({
          list: (o) => list(() => n.batchExportsList(project(o))),
          get: (id, o) => call(() => n.batchExportsGet(project(o), str(id, 'id'))),
          create: (spec, o) => call(() => n.batchExportsCreate(project(o), json(spec, 'spec') ?? str(spec, 'spec'))),
          pause: (id, o) => call(() => n.batchExportsPause(project(o), str(id, 'id'))),
          unpause: (id, o) => call(() => n.batchExportsUnpause(project(o), str(id, 'id'))),
          backfill: (id, start, end, o) => call(() => n.batchExportsBackfill(project(o), str(id, 'id'), time(start, 'start'), time(end, 'end'))),
          /** Runs created in `[after, before)` (`o.after`/`o.before`: Date or RFC 3339); without `after` PostHog lists the last 7 days. */
          runs: (id, o) =>
            list(() => n.batchExportsRuns(project(o), str(id, 'id'), o?.after === undefined ? undefined : time(o.after, 'after'), o?.before === undefined ? undefined : time(o.before, 'before'))),
        }),
      },
    })
  }

  /**
   * A client whose key comes from `options.keyProvider`, which may be async (a secret
   * manager): it is awaited for the first key, then asked again whenever PostHog answers 401.
   */
  static async create(options) {
    const o = options && typeof options === 'object' ? { ...options } : {}
    if (typeof o.keyProvider === 'function' && (o.personalApiKey === undefined || o.personalApiKey === null)) {
      try {
        o.personalApiKey = await o.keyProvider()
      } catch (e) {
        throw new PostHogError(`invalid key: the key provider raised ${errorName(e)}`, 'invalid_key')
      }
    }
    return new AdminClient(o)
  }

  /** The user the key belongs to (`/api/users/@me/`). */
  me() {
    return call(() => this.#native.me())
  }

  /**
   * Runs a HogQL query: `{ columns, types, results, hasMore, … }` (`hasMore` is null when the
   * query has its own LIMIT). Pass outside values in `values`; `fresh: true` asks PostHog to
   * compute again instead of answering from its cache.
   */
  query(hogql, options) {
    return call(() => this.#native.query(project(options), str(hogql, 'hogql'), json(options?.values, 'values'), optStr(options?.clientQueryId, 'clientQueryId'), optStr(options?.name, 'name'), optBool(options?.fresh, 'fresh')))
  }

  /** Starts a query in the background: its status `{ id, complete, error, … }` (complete at once when PostHog had it cached). */
  queryAsync(hogql, options) {
    return call(() => this.#native.queryAsync(project(options), str(hogql, 'hogql'), json(options?.values, 'values'), optStr(options?.clientQueryId, 'clientQueryId'), optStr(options?.name, 'name'), optBool(options?.fresh, 'fresh')))
  }

  /** The smallest set of scopes for these operation names (`'featureFlags.list'` is spelled `'feature_flags.list'`, as in every binding). */
  static requiredScopes(operations) {
    try {
      return native.NativeAdmin.requiredScopes(operations)
    } catch (e) {
      throw PostHogError.from(e)
    }
  }

  /** Every admin operation and the scopes it needs. */
  static operations() {
    return JSON.parse(native.NativeAdmin.operations())
  }

  /** Checks once that the key has every scope `operations` need; rejects with `forbidden` (and `scope`) naming a missing one. Resolves `{ granted, required }` (`granted` null when the server cannot tell). */
  preflight(operations) {
    return call(() => this.#native.preflight(operations))
  }

  /** The client-side budget `[perMinute, perHour]` of `'general'`, `'analytics'` or `'query'`, lowered when a 429 shows lower limits. */
  rateBudget(rateClass = 'query') {
    try {
      return this.#native.rateBudget(rateClass) ?? null
    } catch (e) {
      throw PostHogError.from(e)
    }
  }

  /** The project's activity (audit) log, newest first (`activity_log:read`); filters `user`, `scope`, `itemId`. */
  activityLog(options) {
    return items(() => this.#native.activityLog(project(options), optStr(options?.user, 'user'), optStr(options?.scope, 'scope'), optStr(options?.itemId, 'itemId')))
  }

  /** The key this client uses (`@current`): label, scopes, `last_rolled_at`. */
  currentKey() {
    return call(() => this.#native.keysCurrent())
  }

  /** Every personal key of the user (current PostHog refuses this to a personal key: `forbidden`). */
  listKeys() {
    return call(() => this.#native.keysList())
  }

  /** Creates a key with `scopes`; its secret is in `value`, this once. */
  createKey(label, scopes) {
    return call(() => this.#native.keysCreate(str(label, 'label'), scopes))
  }

  /** Rolls a key: the new secret is in `value`; the old one stops working now. */
  rollKey(id) {
    return call(() => this.#native.keysRoll(str(id, 'id')))
  }

  /** Deletes (revokes) a key. */
  deleteKey(id) {
    return call(() => this.#native.keysDelete(str(id, 'id')))
  }

  /** The status of an async query. */
  queryStatus(id, options) {
    return call(() => this.#native.queryStatus(project(options), str(id, 'id')))
  }

  /** Polls an async query until it completes (its result), fails, or `timeoutMs` (default 60000) passes (`timeout`). */
  waitForQuery(id, options) {
    return call(() => this.#native.waitForQuery(project(options), str(id, 'id'), options?.timeoutMs ?? 60_000))
  }

  /** Cancels an async query; resolves PostHog's message (or null). */
  cancelQuery(id, options) {
    return call(() => this.#native.cancelQuery(project(options), str(id, 'id')))
  }

  /**
   * Streams `events` (`{ after, before, event?, properties? }`) or a `hogql` query (with
   * `values`) to the file at `path`, page by page, in constant memory. Resolves with
   * `{ rows, pages, checkpoint }`; a stopped export rejects with a `PostHogError` carrying
   * `checkpoint` — pass it back as `checkpoint` to resume (the file is cut back to it).
   */
  export(options) {
    return new Promise((resolve, reject) => {
      const o = options && typeof options === 'object' ? options : {}
      let source
      if (o.hogql !== undefined) {
        source = { hogql: str(o.hogql, 'hogql'), values: o.values ?? null }
      } else if (o.events && typeof o.events === 'object') {
        const e = o.events
        source = {
          events: {
            after: time(e.after, 'events.after'),
            before: time(e.before, 'events.before'),
            event: optStr(e.event, 'events.event'),
            properties: e.properties ?? null,
          },
        }
      } else {
        throw invalidInput('export needs events: { after, before } or hogql')
      }
      const onProgress = o.onProgress
      if (onProgress !== undefined && typeof onProgress !== 'function') throw invalidInput('onProgress must be a function')
      const progress = onProgress && ((p) => onProgress({ rows: p.rows, checkpoint: JSON.parse(p.checkpoint) }))
      const task = this.#native.export(
        project(o),
        str(o.path, 'path'),
        json(source, 'source'),
        o.format ?? 'jsonl',
        o.pageSize,
        json(o.checkpoint, 'checkpoint'),
        progress,
      )
      task.then((r) => resolve({ rows: r.rows, pages: r.pages, checkpoint: JSON.parse(r.checkpoint) }), (e) => reject(adminError(e)))
    }).catch(rethrow)
  }

  /** Swaps the personal key for every later request. Throws `PostHogError` (`invalid_key`). */
  rotateKey(personalApiKey) {
    try {
      this.#native.rotateKey(personalApiKey)
    } catch (e) {
      throw PostHogError.from(e)
    }
  }

  /** The app host this client talks to. */
  get host() {
    return this.#native.host
  }

  toString() {
    return `AdminClient(${this.host})`
  }

  toJSON() {
    return { host: this.host }
  }

  [util.inspect.custom]() {
    return `AdminClient { host: ${util.inspect(this.host)} }`
  }
}

module.exports = { AdminClient }
