// Flag scenarios of issue #12 with posthog-node@5.70.0 and posthog-sdk: remote config payloads
// and a flag-definitions cache provider shared by two clients (a Redis stand-in in memory).
import { call } from './lib/encode.mjs'

const SECURE = 'phs_testsecurekey'
const base = (srv, extra = {}) => ({ host: srv.url, flushAt: 100, flushInterval: 60_000, fetchRetryCount: 0, ...extra })

const DEFS = {
  flags: [
    { id: 1, key: 'on', active: true, filters: { groups: [{ properties: [], rollout_percentage: 100 }] } },
    {
      id: 2, key: 'rc', active: true, is_remote_configuration: true,
      filters: { groups: [{ properties: [], rollout_percentage: 100 }], payloads: { true: '{"color": "blue", "n": 2}' } },
    },
    { id: 3, key: 'rc-text', active: true, is_remote_configuration: true, filters: { groups: [], payloads: { true: 'plain words' } } },
    { id: 4, key: 'rc-empty', active: true, is_remote_configuration: true, filters: { groups: [] } },
  ],
  group_type_mapping: {},
  cohorts: {},
}

/** A Redis stand-in: the lock and the data of posthog-node's documented provider. */
function sharedStore() {
  const store = { data: undefined, lock: undefined, calls: [] }
  store.provider = (name) => ({
    async getFlagDefinitions() {
      store.calls.push(`${name}.get`)
      return store.data
    },
    async shouldFetchFlagDefinitions() {
      store.calls.push(`${name}.shouldFetch`)
      if (store.lock === undefined) {
        store.lock = name
        return true
      }
      return false
    },
    async onFlagDefinitionsReceived(data) {
      store.calls.push(`${name}.received`)
      store.data = JSON.parse(JSON.stringify(data))
      if (store.lock === name) store.lock = undefined
    },
    async shutdown() {
      store.calls.push(`${name}.shutdown`)
    },
  })
  return store
}

const remoteConfigPaths = async (srv) =>
  (await srv.control.requests()).filter((r) => r.path.endsWith('/remote_config')).map((r) => `${r.path} ${r.status}`).sort()

export const flagsSharedScenarios = {
  capture_send_feature_flags_local: {
    async run(ph, srv) {
      await srv.control.flagDefinitions(DEFS)
      const client = new ph.PostHog(srv.key, base(srv, { secretKey: SECURE }))
      const ready = await call(() => client.waitForLocalEvaluationReady(5000))
      const plain = await call(() => client.capture({ distinctId: 'user-l', event: 'local flags', sendFeatureFlags: true }))
      const withOptions = await call(() =>
        client.capture({
          distinctId: 'user-m', event: 'local flags options',
          sendFeatureFlags: { onlyEvaluateLocally: true, personProperties: { plan: 'pro' } },
        }),
      )
      return { ready, plain: { threw: Boolean(plain.threw) }, withOptions: { threw: Boolean(withOptions.threw) }, flush: await call(() => client.flush()) }
    },
  },
  feature_flag_result_local: {
    async run(ph, srv) {
      await srv.control.flagDefinitions(DEFS)
      const client = new ph.PostHog(srv.key, base(srv, { secretKey: SECURE }))
      const ready = await call(() => client.waitForLocalEvaluationReady(5000))
      const on = await call(() => client.getFeatureFlagResult('on', 'user-r'))
      const rc = await call(() => client.getFeatureFlagResult('rc', 'user-r'))
      const missing = await call(() => client.getFeatureFlagResult('no-such-flag', 'user-r', { onlyEvaluateLocally: true }))
      return { ready, on, rc, missing, flush: await call(() => client.flush()) }
    },
  },
  remote_config_payloads: {
    async run(ph, srv) {
      await srv.control.flagDefinitions(DEFS)
      const client = new ph.PostHog(srv.key, base(srv, { secretKey: SECURE, enableLocalEvaluation: false }))
      const rc = await call(() => client.getRemoteConfigPayload('rc'))
      const text = await call(() => client.getRemoteConfigPayload('rc-text'))
      const empty = await call(() => client.getRemoteConfigPayload('rc-empty'))
      const nokey = new ph.PostHog(srv.key, base(srv))
      const withoutKey = await call(() => nokey.getRemoteConfigPayload('rc'))
      const paths = await remoteConfigPaths(srv)
      await client.shutdown()
      await nokey.shutdown()
      return { rc, text, empty, withoutKey: { threw: Boolean(withoutKey.threw) }, paths }
    },
  },
  shared_definitions_cache_provider: {
    async run(ph, srv) {
      await srv.control.flagDefinitions(DEFS)
      const store = sharedStore()
      const a = new ph.PostHog(srv.key, base(srv, { secretKey: SECURE, flagDefinitionCacheProvider: store.provider('a') }))
      const aReady = await call(() => a.waitForLocalEvaluationReady(5000))
      const aOn = await call(() => a.getFeatureFlag('on', 'u1', { onlyEvaluateLocally: true }))
      const b = new ph.PostHog(srv.key, base(srv, { secretKey: SECURE, flagDefinitionCacheProvider: store.provider('b') }))
      const bReady = await call(() => b.waitForLocalEvaluationReady(5000))
      const bOn = await call(() => b.getFeatureFlag('on', 'u2', { onlyEvaluateLocally: true }))
      const fetches = (await srv.control.requests()).filter((r) => r.path.startsWith('/flags/definitions')).length
      const storedKeys = Object.keys(store.data ?? {}).sort()
      await a.shutdown()
      await b.shutdown()
      return {
        aReady, aOn, bReady, bOn, fetches, storedKeys,
        firstCalls: store.calls.filter((c) => !c.endsWith('shutdown')).slice(0, 3),
        shutdowns: store.calls.filter((c) => c.endsWith('shutdown')).sort(),
      }
    },
  },
}
