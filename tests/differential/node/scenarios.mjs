// The scenarios: real usage code (PostHog's Node docs and posthog-node's README/examples), run
// once per package with only the import changed. Each `run(ph, srv)` gets the package's exports
// and the server handle `{ url, control, key, personalKey }` and returns a JSON-able record of
// what every call returned, resolved to, or threw. The harness adds what the server received.
import { call, encodeError } from './lib/encode.mjs'
import { exceptionScenarios } from './scenarios-exceptions.mjs'
import { flagsSharedScenarios } from './scenarios-flags-shared.mjs'
import { aiScenarios } from './scenarios-ai.mjs'

/** The options every scenario starts from: only explicit flushes send, no retry waits. */
const base = (srv, extra = {}) => ({ host: srv.url, flushAt: 100, flushInterval: 60_000, fetchRetryCount: 0, ...extra })

/** The errors the client emits (neutral form); `await errors.atLeast(n)` waits for them. */
function errorsOf(client) {
  const errors = []
  const waiters = []
  client.on('error', (e) => {
    errors.push(encodeError(e))
    for (const w of waiters.splice(0)) w()
  })
  Object.defineProperty(errors, 'atLeast', { value: (n, ms = 3000) => atLeast(errors, waiters, n, ms) })
  return errors
}

/**
 * Resolves once `list` holds `n` entries, or after `ms` (posthog-sdk delivers background errors
 * to the JS thread asynchronously, possibly after the flush that caused them resolved).
 */
function atLeast(list, waiters, n, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    const check = () => {
      if (list.length >= n) {
        clearTimeout(timer)
        resolve()
      } else waiters.push(check)
    }
    check()
  })
}

const FIXED_TS = '2024-01-02T03:04:05.678Z'
const FIXED_UUID = '01890000-0000-7000-8000-000000000001'

/** Flag definitions served at /flags/definitions and evaluated by the server's /flags. */
export const FLAG_DEFS = {
  flags: [
    {
      id: 1, key: 'beta-feature', name: 'Beta', active: true, deleted: false, version: 3,
      ensure_experience_continuity: false,
      filters: { groups: [{ properties: [], rollout_percentage: 100 }], payloads: { true: '{"color":"blue"}' } },
    },
    {
      id: 2, key: 'multi-variant', name: 'Multi', active: true, deleted: false, version: 1,
      ensure_experience_continuity: false,
      filters: {
        groups: [{ properties: [], rollout_percentage: 100 }],
        multivariate: { variants: [{ key: 'control', rollout_percentage: 50 }, { key: 'test', rollout_percentage: 50 }] },
        payloads: { control: '"control-payload"', test: '{"n":2}' },
      },
    },
    {
      id: 3, key: 'pro-only', name: 'Pro', active: true, deleted: false, version: 1,
      ensure_experience_continuity: false,
      filters: {
        groups: [{ properties: [{ key: 'plan', operator: 'exact', value: ['pro'], type: 'person' }], rollout_percentage: 100 }],
      },
    },
    {
      id: 4, key: 'company-flag', name: 'Company', active: true, deleted: false, version: 1,
      ensure_experience_continuity: false,
      filters: {
        aggregation_group_type_index: 0,
        groups: [{ properties: [{ key: 'tier', operator: 'exact', value: ['gold'], type: 'group', group_type_index: 0 }], rollout_percentage: 100 }],
      },
    },
    {
      id: 5, key: 'disabled-flag', name: 'Off', active: false, deleted: false, version: 1,
      ensure_experience_continuity: false,
      filters: { groups: [{ properties: [], rollout_percentage: 100 }] },
    },
    {
      id: 6, key: 'zero-rollout', name: 'Zero', active: true, deleted: false, version: 1,
      ensure_experience_continuity: false,
      filters: { groups: [{ properties: [], rollout_percentage: 0 }] },
    },
  ],
  group_type_mapping: { 0: 'company' },
  cohorts: {},
}

/** A client for flag scenarios: the definitions above served, remote evaluation. */
async function flagsClient(ph, srv, extra = {}) {
  await srv.control.flagDefinitions(FLAG_DEFS)
  const client = new ph.PostHog(srv.key, base(srv, extra))
  return client
}

async function shutdown(client) {
  return call(() => client.shutdown(5000))
}

export const scenarios = {
  // --- capture -------------------------------------------------------------------------------
  capture_properties: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const capture = await call(() =>
        client.capture({ distinctId: 'user-1', event: 'movie_played', properties: { movie_id: 123, category: 'romcom', tags: ['a', 'b'], nested: { x: 1 } } }),
      )
      const flush = await call(() => client.flush())
      return { capture, flush, shutdown: await shutdown(client) }
    },
  },
  capture_groups: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const capture = await call(() =>
        client.capture({ distinctId: 'user-1', event: 'some event', groups: { company: 'acme', project: 'p1' }, properties: { a: 1 } }),
      )
      return { capture, flush: await call(() => client.flush()) }
    },
  },
  capture_timestamp: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const asDate = await call(() => client.capture({ distinctId: 'user-1', event: 'with date', timestamp: new Date(FIXED_TS) }))
      const asString = await call(() =>
        client.capture({ distinctId: 'user-1', event: 'with string', timestamp: '2024-01-02T04:05:06.123+01:00' }),
      )
      return { asDate, asString, flush: await call(() => client.flush()) }
    },
  },
  capture_uuid: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const capture = await call(() => client.capture({ distinctId: 'user-1', event: 'with uuid', uuid: FIXED_UUID }))
      return { capture, flush: await call(() => client.flush()) }
    },
  },
  capture_numeric_distinct_id: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const capture = await call(() => client.capture({ distinctId: 12345, event: 'numeric id' }))
      return { capture, flush: await call(() => client.flush()) }
    },
  },
  capture_set_and_set_once: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const capture = await call(() =>
        client.capture({ distinctId: 'user-1', event: 'user signed up', properties: { $set: { name: 'Max' }, $set_once: { initial_url: '/blog' } } }),
      )
      return { capture, flush: await call(() => client.flush()) }
    },
  },
  capture_without_distinct_id: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const capture = await call(() => client.capture({ event: 'anonymous event', properties: { a: 1 } }))
      return { capture, flush: await call(() => client.flush()) }
    },
  },
  capture_historical_migration: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv, { historicalMigration: true }))
      const capture = await call(() => client.capture({ distinctId: 'user-1', event: 'imported', timestamp: new Date(FIXED_TS) }))
      return { capture, flush: await call(() => client.flush()) }
    },
  },
  // --- person and group calls ------------------------------------------------------------------
  identify: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const identify = await call(() =>
        client.identify({ distinctId: 'user-1', properties: { email: 'max@hedgehogmail.com', $set_once: { first_seen: 'today' } } }),
      )
      const identifyWithSet = await call(() =>
        client.identify({ distinctId: 'user-2', properties: { $set: { plan: 'pro' }, $anon_distinct_id: 'anon-2' } }),
      )
      return { identify, identifyWithSet, flush: await call(() => client.flush()) }
    },
  },
  alias: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const alias = await call(() => client.alias({ distinctId: 'user-1', alias: 'anon-42' }))
      return { alias, flush: await call(() => client.flush()) }
    },
  },
  group_identify: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const plain = await call(() =>
        client.groupIdentify({ groupType: 'company', groupKey: 'company_id_in_your_db', properties: { name: 'Awesome Inc.', employees: 11 } }),
      )
      const withDistinctId = await call(() =>
        client.groupIdentify({ groupType: 'company', groupKey: 'acme', properties: { size: 10 }, distinctId: 'user-1' }),
      )
      return { plain, withDistinctId, flush: await call(() => client.flush()) }
    },
  },
  set_unset_person_properties: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const set = await call(() => client.setPersonProperties({ distinctId: 'user-1', properties: { plan: 'pro' }, propertiesOnce: { first: 'x' } }))
      const unset = await call(() => client.unsetPersonProperties({ distinctId: 'user-1', properties: ['old_prop'] }))
      return { set, unset, flush: await call(() => client.flush()) }
    },
  },
  immediate_methods: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const captureImmediate = await call(() => client.captureImmediate({ distinctId: 'user-1', event: 'immediate', properties: { a: 1 } }))
      const afterCapture = await srv.control.wait({ events: 1, timeoutMs: 2000 })
      const identifyImmediate = await call(() => client.identifyImmediate({ distinctId: 'user-1', properties: { email: 'a@b.c' } }))
      const aliasImmediate = await call(() => client.aliasImmediate({ distinctId: 'user-1', alias: 'anon-1' }))
      const groupIdentifyImmediate = await call(() =>
        client.groupIdentifyImmediate({ groupType: 'company', groupKey: 'acme', properties: { size: 3 } }),
      )
      const afterAll = await srv.control.wait({ events: 4, timeoutMs: 2000 })
      return {
        captureImmediate, identifyImmediate, aliasImmediate, groupIdentifyImmediate,
        deliveredWhenResolved: { afterCapture: afterCapture.ok, afterAll: afterAll.ok },
      }
    },
  },
  // --- super properties, opt-out ---------------------------------------------------------------
  register_unregister: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const register = await call(() => client.register({ app: 'web', tier: 'free' }))
      const c1 = await call(() => client.capture({ distinctId: 'user-1', event: 'first', properties: { tier: 'paid' } }))
      const unregister = await call(() => client.unregister('app'))
      const c2 = await call(() => client.capture({ distinctId: 'user-1', event: 'second' }))
      return { register, c1, unregister, c2, flush: await call(() => client.flush()) }
    },
  },
  opt_out_opt_in: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const before = client.optedOut
      const optOut = await call(() => client.optOut())
      const during = client.optedOut
      const c1 = await call(() => client.capture({ distinctId: 'user-1', event: 'while opted out' }))
      const flag = await call(() => client.getFeatureFlag('beta-feature', 'user-1'))
      // posthog-node queues asynchronously: flush so that what was called while opted out is
      // decided while opted out.
      const flushWhileOptedOut = await call(() => client.flush())
      const optIn = await call(() => client.optIn())
      const after = client.optedOut
      const c2 = await call(() => client.capture({ distinctId: 'user-1', event: 'after opt in' }))
      return { before, optOut, during, c1, flag, flushWhileOptedOut, optIn, after, c2, flush: await call(() => client.flush()) }
    },
  },
  default_opt_in_false: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv, { defaultOptIn: false }))
      const optedOut = client.optedOut
      const c1 = await call(() => client.capture({ distinctId: 'user-1', event: 'dropped' }))
      const flushWhileOptedOut = await call(() => client.flush())
      const enable = await call(() => client.enable())
      const c2 = await call(() => client.capture({ distinctId: 'user-1', event: 'kept' }))
      return { optedOut, c1, flushWhileOptedOut, enable, optedOutAfter: client.optedOut, c2, flush: await call(() => client.flush()) }
    },
  },
  // --- before_send -----------------------------------------------------------------------------
  before_send_rewrite: {
    async run(ph, srv) {
      const seen = []
      const client = new ph.PostHog(srv.key, base(srv, {
        before_send: (event) => {
          seen.push({ event: event.event, hasProperties: typeof event.properties === 'object' })
          if (event.properties) event.properties.rewritten = true
          if (event.event === 'rename me') event.event = 'renamed'
          return event
        },
      }))
      const c1 = await call(() => client.capture({ distinctId: 'user-1', event: 'rename me', properties: { a: 1 } }))
      const c2 = await call(() => client.identify({ distinctId: 'user-1', properties: { email: 'a@b.c' } }))
      return { c1, c2, flush: await call(() => client.flush()), seen }
    },
  },
  before_send_drop_null: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv, {
        before_send: (event) => (event.event === 'drop me' ? null : event),
      }))
      const dropped = await call(() => client.capture({ distinctId: 'user-1', event: 'drop me' }))
      const kept = await call(() => client.capture({ distinctId: 'user-1', event: 'keep me' }))
      return { dropped, kept, flush: await call(() => client.flush()) }
    },
  },
  before_send_throws: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv, {
        before_send: (event) => {
          if (event.event === 'boom') throw new Error('before_send failed')
          return event
        },
      }))
      const errors = errorsOf(client)
      const boom = await call(() => client.capture({ distinctId: 'user-1', event: 'boom' }))
      const fine = await call(() => client.capture({ distinctId: 'user-1', event: 'fine' }))
      const flush = await call(() => client.flush())
      await errors.atLeast(1, 1000)
      return { boom, fine, flush, errors }
    },
  },
  before_send_array: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv, {
        before_send: [
          (e) => ({ ...e, properties: { ...e.properties, step1: true } }),
          (e) => ({ ...e, properties: { ...e.properties, step2: e.properties.step1 === true } }),
        ],
      }))
      const c = await call(() => client.capture({ distinctId: 'user-1', event: 'chained' }))
      return { c, flush: await call(() => client.flush()) }
    },
  },
  // --- disabled, geoip, flushInterval ----------------------------------------------------------
  disabled_capture: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv, { disabled: true }))
      return {
        isDisabled: client.isDisabled,
        capture: await call(() => client.capture({ distinctId: 'user-1', event: 'x' })),
        identify: await call(() => client.identify({ distinctId: 'user-1', properties: { a: 1 } })),
        captureImmediate: await call(() => client.captureImmediate({ distinctId: 'user-1', event: 'y' })),
        flush: await call(() => client.flush()),
        shutdown: await shutdown(client),
      }
    },
  },
  disabled_flags: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv, { disabled: true })
      return {
        getFeatureFlag: await call(() => client.getFeatureFlag('beta-feature', 'user-1')),
        isFeatureEnabled: await call(() => client.isFeatureEnabled('beta-feature', 'user-1')),
        getFeatureFlagPayload: await call(() => client.getFeatureFlagPayload('beta-feature', 'user-1')),
        getFeatureFlagResult: await call(() => client.getFeatureFlagResult('beta-feature', 'user-1')),
        getAllFlags: await call(() => client.getAllFlags('user-1')),
        getAllFlagsAndPayloads: await call(() => client.getAllFlagsAndPayloads('user-1')),
        flush: await call(() => client.flush()),
      }
    },
  },
  geoip_default: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv)
      const c = await call(() => client.capture({ distinctId: 'user-1', event: 'geo' }))
      const flag = await call(() => client.getFeatureFlag('beta-feature', 'user-1', { sendFeatureFlagEvents: false }))
      return { c, flag, flush: await call(() => client.flush()) }
    },
  },
  geoip_enabled: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv, { disableGeoip: false })
      const c = await call(() => client.capture({ distinctId: 'user-1', event: 'geo on' }))
      const perMessage = await call(() => client.capture({ distinctId: 'user-1', event: 'geo off per message', disableGeoip: true }))
      const flag = await call(() => client.getFeatureFlag('beta-feature', 'user-1', { sendFeatureFlagEvents: false }))
      const flagPerCall = await call(() =>
        client.getFeatureFlag('beta-feature', 'user-2', { sendFeatureFlagEvents: false, disableGeoip: true }),
      )
      return { c, perMessage, flag, flagPerCall, flush: await call(() => client.flush()) }
    },
  },
  flush_interval_zero: {
    async run(ph, srv) {
      let client
      const construct = await call(() => {
        client = new ph.PostHog(srv.key, base(srv, { flushInterval: 0 }))
      })
      if (!client) return { construct }
      const c = await call(() => client.capture({ distinctId: 'user-1', event: 'interval zero' }))
      // Bounded long-poll: did anything arrive without a flush?
      const beforeFlush = await srv.control.wait({ events: 1, timeoutMs: 1000 })
      const flush = await call(() => client.flush())
      return { construct, c, arrivedBeforeFlush: beforeFlush.ok, flush }
    },
  },
  flush_at_one: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv, { flushAt: 1 }))
      const c = await call(() => client.capture({ distinctId: 'user-1', event: 'flushAt one' }))
      const arrived = await srv.control.wait({ events: 1, timeoutMs: 5000 })
      return { c, arrivedWithoutFlush: arrived.ok }
    },
  },
  // --- feature flags (remote, /flags) ----------------------------------------------------------
  flag_get_feature_flag: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv)
      return {
        boolean: await call(() => client.getFeatureFlag('beta-feature', 'user-1')),
        variant: await call(() => client.getFeatureFlag('multi-variant', 'user-1')),
        off: await call(() => client.getFeatureFlag('zero-rollout', 'user-1')),
        inactive: await call(() => client.getFeatureFlag('disabled-flag', 'user-1')),
        unknown: await call(() => client.getFeatureFlag('no-such-flag', 'user-1')),
        flush: await call(() => client.flush()),
      }
    },
  },
  flag_is_feature_enabled: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv)
      return {
        on: await call(() => client.isFeatureEnabled('beta-feature', 'user-1')),
        variant: await call(() => client.isFeatureEnabled('multi-variant', 'user-1')),
        off: await call(() => client.isFeatureEnabled('zero-rollout', 'user-1')),
        unknown: await call(() => client.isFeatureEnabled('no-such-flag', 'user-1')),
        flush: await call(() => client.flush()),
      }
    },
  },
  flag_payloads: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv)
      return {
        json: await call(() => client.getFeatureFlagPayload('beta-feature', 'user-1')),
        variant: await call(() => client.getFeatureFlagPayload('multi-variant', 'user-1')),
        noPayload: await call(() => client.getFeatureFlagPayload('pro-only', 'user-1')),
        unknown: await call(() => client.getFeatureFlagPayload('no-such-flag', 'user-1')),
        flush: await call(() => client.flush()),
      }
    },
  },
  flag_get_all_flags: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv)
      return {
        all: await call(() => client.getAllFlags('user-1')),
        withPayloads: await call(() => client.getAllFlagsAndPayloads('user-1', { personProperties: { plan: 'pro' } })),
        flush: await call(() => client.flush()),
      }
    },
  },
  flag_result_reason: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv)
      return {
        match: await call(() => client.getFeatureFlagResult('beta-feature', 'user-1')),
        variant: await call(() => client.getFeatureFlagResult('multi-variant', 'user-1')),
        noMatch: await call(() => client.getFeatureFlagResult('pro-only', 'user-1', { personProperties: { plan: 'free' } })),
        unknown: await call(() => client.getFeatureFlagResult('no-such-flag', 'user-1')),
        flush: await call(() => client.flush()),
      }
    },
  },
  flag_person_and_group_properties: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv)
      const pro = await call(() => client.getFeatureFlag('pro-only', 'user-1', { personProperties: { plan: 'pro' } }))
      const company = await call(() =>
        client.getFeatureFlag('company-flag', 'user-1', { groups: { company: 'acme' }, groupProperties: { company: { tier: 'gold' } } }),
      )
      return { pro, company, flush: await call(() => client.flush()) }
    },
  },
  flag_called_events_dedup: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv)
      const first = await call(() => client.getFeatureFlag('beta-feature', 'user-1'))
      const second = await call(() => client.getFeatureFlag('beta-feature', 'user-1'))
      const otherUser = await call(() => client.isFeatureEnabled('beta-feature', 'user-2'))
      const noEvent = await call(() => client.getFeatureFlag('multi-variant', 'user-1', { sendFeatureFlagEvents: false }))
      return { first, second, otherUser, noEvent, flush: await call(() => client.flush()) }
    },
  },
  flag_send_feature_flag_event_false: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv, { sendFeatureFlagEvent: false })
      const flag = await call(() => client.getFeatureFlag('beta-feature', 'user-1'))
      return { flag, flush: await call(() => client.flush()) }
    },
  },
  flag_overrides_payload: {
    async run(ph, srv) {
      await srv.control.flagOverrides({ 'server-flag': { value: 'variant-b', payload: { discount: 20 } } })
      const client = await flagsClient(ph, srv)
      return {
        flag: await call(() => client.getFeatureFlag('server-flag', 'user-1')),
        payload: await call(() => client.getFeatureFlagPayload('server-flag', 'user-1')),
        result: await call(() => client.getFeatureFlagResult('server-flag', 'user-2')),
        flush: await call(() => client.flush()),
      }
    },
  },
  flags_server_error_500: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv)
      const errors = errorsOf(client)
      await srv.control.faults([{ route: 'flags', status: 500 }, { route: 'flags', status: 500 }, { route: 'flags', status: 500 }])
      const flag = await call(() => client.getFeatureFlag('beta-feature', 'user-1'))
      const enabled = await call(() => client.isFeatureEnabled('multi-variant', 'user-1'))
      const all = await call(() => client.getAllFlags('user-1'))
      const flush = await call(() => client.flush())
      await errors.atLeast(3)
      return { flag, enabled, all, flush, errors }
    },
  },
  flags_quota_limited: {
    async run(ph, srv) {
      await srv.control.flagsQuotaLimited(true)
      const client = await flagsClient(ph, srv)
      const errors = errorsOf(client)
      const flag = await call(() => client.getFeatureFlag('beta-feature', 'user-1'))
      const all = await call(() => client.getAllFlags('user-1'))
      const flush = await call(() => client.flush())
      await errors.atLeast(2, 1000)
      return { flag, all, flush, errors }
    },
  },
  capture_send_feature_flags: {
    async run(ph, srv) {
      const client = await flagsClient(ph, srv)
      const c = await call(() => client.capture({ distinctId: 'user-1', event: 'with flags', sendFeatureFlags: true }))
      // posthog-node evaluates the flags asynchronously before queueing; flush waits for it.
      return { c, flush: await call(() => client.flush()) }
    },
  },
  // --- local evaluation ------------------------------------------------------------------------
  local_evaluation: {
    async run(ph, srv) {
      await srv.control.flagDefinitions(FLAG_DEFS)
      const client = new ph.PostHog(srv.key, base(srv, { personalApiKey: srv.personalKey }))
      const errors = errorsOf(client)
      const ready = await call(() => client.waitForLocalEvaluationReady(5000))
      const boolean = await call(() => client.getFeatureFlag('beta-feature', 'user-1'))
      const variant = await call(() => client.getFeatureFlag('multi-variant', 'user-1'))
      const payload = await call(() => client.getFeatureFlagPayload('beta-feature', 'user-1'))
      const result = await call(() => client.getFeatureFlagResult('multi-variant', 'user-2'))
      const pro = await call(() => client.getFeatureFlag('pro-only', 'user-1', { personProperties: { plan: 'pro' } }))
      const all = await call(() => client.getAllFlags('user-1', { personProperties: { plan: 'pro' }, groups: { company: 'acme' }, groupProperties: { company: { tier: 'gold' } } }))
      return { ready, boolean, variant, payload, result, pro, all, flush: await call(() => client.flush()), errors }
    },
  },
  local_evaluation_fallback_to_remote: {
    async run(ph, srv) {
      await srv.control.flagDefinitions(FLAG_DEFS)
      const client = new ph.PostHog(srv.key, base(srv, { personalApiKey: srv.personalKey }))
      await client.waitForLocalEvaluationReady(5000)
      // `plan` is missing: local evaluation is inconclusive, so /flags decides.
      const missing = await call(() => client.getFeatureFlag('pro-only', 'user-1'))
      const onlyLocal = await call(() => client.getFeatureFlag('pro-only', 'user-2', { onlyEvaluateLocally: true }))
      return { missing, onlyLocal, flush: await call(() => client.flush()) }
    },
  },
  local_evaluation_loaded_event: {
    async run(ph, srv) {
      await srv.control.flagDefinitions(FLAG_DEFS)
      const client = new ph.PostHog(srv.key, base(srv, { personalApiKey: srv.personalKey }))
      let resolveLoaded
      const loaded = new Promise((r) => (resolveLoaded = r))
      const on = await call(() => client.on('localEvaluationFlagsLoaded', (count) => resolveLoaded({ count })))
      const timeout = new Promise((r) => setTimeout(() => r('<not emitted within 5s>'), 5000).unref())
      const reload = await call(() => client.reloadFeatureFlags())
      const emitted = on.threw ? '<on threw>' : await Promise.race([loaded, timeout])
      return { on, reload, emitted }
    },
  },
  local_evaluation_bad_key: {
    async run(ph, srv) {
      await srv.control.flagDefinitions(FLAG_DEFS)
      const client = new ph.PostHog(srv.key, base(srv, { personalApiKey: 'phx_unknown_key' }))
      const errors = errorsOf(client)
      const ready = await call(() => client.waitForLocalEvaluationReady(3000))
      const flag = await call(() => client.getFeatureFlag('beta-feature', 'user-1'))
      const flush = await call(() => client.flush())
      await errors.atLeast(1)
      return { ready, flag, flush, errors }
    },
  },
  // --- server errors on /batch -----------------------------------------------------------------
  ...Object.fromEntries(
    [400, 401, 500, 503].map((status) => [
      `batch_error_${status}`,
      {
        async run(ph, srv) {
          await srv.control.faults([{ status }])
          const client = new ph.PostHog(srv.key, base(srv))
          const errors = errorsOf(client)
          const c = await call(() => client.capture({ distinctId: 'user-1', event: 'will fail' }))
          const flush = await call(() => client.flush())
          // The batch that failed: is it kept for the next flush?
          const c2 = await call(() => client.capture({ distinctId: 'user-1', event: 'after failure' }))
          const flush2 = await call(() => client.flush())
          await errors.atLeast(1)
          return { c, flush, c2, flush2, errors }
        },
      },
    ]),
  ),
  batch_error_503_then_retry: {
    async run(ph, srv) {
      await srv.control.faults([{ status: 503 }])
      const client = new ph.PostHog(srv.key, base(srv, { fetchRetryCount: 1 }))
      const errors = errorsOf(client)
      const c = await call(() => client.capture({ distinctId: 'user-1', event: 'retried' }))
      const flush = await call(() => client.flush())
      await errors.atLeast(1, 500)
      return { c, flush, errors }
    },
  },
  captureImmediate_error_500: {
    async run(ph, srv) {
      await srv.control.faults([{ status: 500 }])
      const client = new ph.PostHog(srv.key, base(srv))
      const errors = errorsOf(client)
      const c = await call(() => client.captureImmediate({ distinctId: 'user-1', event: 'immediate fail' }))
      await errors.atLeast(1)
      return { c, errors }
    },
  },
  // --- lifecycle -------------------------------------------------------------------------------
  after_shutdown: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv))
      const c1 = await call(() => client.capture({ distinctId: 'user-1', event: 'before shutdown' }))
      const shutdown1 = await shutdown(client)
      const c2 = await call(() => client.capture({ distinctId: 'user-1', event: 'after shutdown' }))
      const flush = await call(() => client.flush())
      const flag = await call(() => client.getFeatureFlag('beta-feature', 'user-1', { sendFeatureFlagEvents: false }))
      const shutdown2 = await shutdown(client)
      return { c1, shutdown1, c2, flush, flag, shutdown2 }
    },
  },
  on_error_listener: {
    async run(ph, srv) {
      await srv.control.faults([{ status: 400 }])
      const client = new ph.PostHog(srv.key, base(srv))
      const errors = []
      const waiters = []
      const off = client.on('error', (e) => {
        errors.push(encodeError(e))
        for (const w of waiters.splice(0)) w()
      })
      const c = await call(() => client.capture({ distinctId: 'user-1', event: 'rejected' }))
      const flush = await call(() => client.flush())
      await atLeast(errors, waiters, 1, 3000)
      const offType = typeof off
      if (typeof off === 'function') off()
      await srv.control.faults([{ status: 400 }])
      client.capture({ distinctId: 'user-1', event: 'rejected again' })
      const errorsBeforeOff = errors.length
      const flush2 = await call(() => client.flush())
      // Bounded: no further error may arrive once the listener is removed.
      await atLeast(errors, waiters, errorsBeforeOff + 1, 500)
      return { c, flush, offType, errorsBeforeOff, errors, flush2 }
    },
  },
  properties_of_the_client: {
    async run(ph, srv) {
      const client = new ph.PostHog(srv.key, base(srv, { flushAt: 7 }))
      return {
        flushAt: client.flushAt,
        host: client.host,
        optedOut: client.optedOut,
        isDisabled: client.isDisabled,
        isDebug: client.isDebug,
      }
    },
  },
  // --- error tracking (scenarios-exceptions.mjs) ------------------------------------------
  ...exceptionScenarios,
  ...flagsSharedScenarios,
  // --- LLM analytics (scenarios-ai.mjs): @posthog/ai against posthog-sdk/ai -------------
  ...aiScenarios,
}
