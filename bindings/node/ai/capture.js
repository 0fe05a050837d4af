'use strict'
// What every wrapper shares: the call description handed to the core (which builds the
// event: token counts, formatting, privacy mode) and the capture through the PostHog client.

const { randomUUID } = require('node:crypto')
const native = require('../index.js')

/** The `posthog*` fields of a request body, and the name each has in the call description. */
const POSTHOG_PARAMS = {
  posthogDistinctId: 'distinct_id',
  posthogTraceId: 'trace_id',
  posthogProperties: 'properties',
  posthogPrivacyMode: 'privacy_mode',
  posthogGroups: 'groups',
  posthogModelOverride: 'model_override',
  posthogProviderOverride: 'provider_override',
  posthogCostOverride: 'cost_override',
  posthogCaptureImmediate: 'capture_immediate',
}

/** Splits a request body into the provider's parameters and ours. */
function splitParams(body) {
  const provider = {}
  const ours = {}
  for (const [key, value] of Object.entries(body ?? {})) {
    if (key in POSTHOG_PARAMS) ours[POSTHOG_PARAMS[key]] = value
    else if (key.startsWith('posthog')) console.warn(`Unknown Posthog parameter ${key}`)
    else provider[key] = value
  }
  return { provider, ours }
}

/** A JSON copy (what the core reads); undefined when the value cannot be serialised. */
function plain(value) {
  if (value === undefined) return undefined
  try {
    return JSON.parse(JSON.stringify(value))
  } catch {
    return undefined
  }
}

/** The error part of a call description: its status and its fields, as @posthog/ai shows them. */
function errorOf(error) {
  const status =
    typeof error?.status === 'number' ? error.status : typeof error?.statusCode === 'number' ? error.statusCode : null
  const detail = {}
  if (error && typeof error === 'object') {
    if (error.stack !== undefined) detail.stack = error.stack
    for (const key of Object.keys(error)) detail[key] = error[key]
    if (error.cause !== undefined) detail.cause = error.cause
  }
  return {
    status,
    name: error?.name ?? 'Error',
    message: error?.message ?? String(error),
    detail: plain(detail) ?? null,
  }
}

/** One wrapped provider call: started at construction, captured by `finish`. */
class Call {
  constructor(client, api, request, ours, baseURL) {
    this.client = client
    this.api = api
    this.request = request
    this.ours = ours
    this.baseURL = baseURL
    this.traceId = ours.trace_id ?? randomUUID()
    this.start = Date.now()
    this.chunks = null
    this.chunkTimes = null
  }

  /** Marks the call as streamed. */
  streaming() {
    this.chunks = []
    this.chunkTimes = []
  }

  /** Records one streamed chunk and when it arrived. */
  chunk(chunk) {
    this.chunks.push(plain(chunk) ?? null)
    this.chunkTimes.push((Date.now() - this.start) / 1000)
  }

  /** Captures the event; never throws (telemetry must not change the caller's result). */
  async finish(response, error) {
    try {
      const client = this.client
      const call = {
        profile: 'posthog-node',
        api: this.api,
        request: plain(this.request) ?? {},
        response: response === undefined ? null : (plain(response) ?? null),
        chunks: this.chunks,
        chunk_times: this.chunkTimes,
        latency: (Date.now() - this.start) / 1000,
        base_url: this.baseURL == null ? '' : String(this.baseURL),
        distinct_id: this.ours.distinct_id ?? null,
        trace_id: this.traceId,
        properties: plain(this.ours.properties) ?? null,
        privacy_mode: this.ours.privacy_mode === true,
        client_privacy_mode: client?.privacy_mode === true || client?.privacyMode === true,
        groups: plain(this.ours.groups) ?? null,
        provider_override: this.ours.provider_override ?? null,
        model_override: this.ours.model_override ?? null,
        cost_override: plain(this.ours.cost_override) ?? null,
        lib_version: native.VERSION,
      }
      if (response && typeof response === 'object' && typeof response._request_id === 'string') {
        call.response._request_id = response._request_id
      }
      if (error !== undefined) call.error = errorOf(error)
      const event = JSON.parse(native._aiEvent(JSON.stringify(call)))
      const message = {
        distinctId: event.distinct_id,
        event: event.event,
        properties: event.properties,
        ...(event.groups ? { groups: event.groups } : {}),
      }
      if (this.ours.capture_immediate) await client.captureImmediate(message)
      else client.capture(message)
    } catch (e) {
      console.warn('[PostHog AI] Failed to capture generation telemetry:', e?.message ?? e)
    }
  }
}

/**
 * Runs `create(params, options)` of a provider resource and captures the call. The returned
 * value is the provider's own promise (its `withResponse()`, `asResponse()` kept); a stream
 * is handed back as the provider's own `Stream` class over the same chunks.
 */
function track(client, api, baseURL, create, body, options) {
  const { provider, ours } = splitParams(body)
  const call = new Call(client, api, provider, ours, baseURL)
  const promise = create(provider, options)
  const streamed = provider.stream === true && api !== 'embeddings'
  if (streamed) call.streaming()
  const transform = (result) => {
    if (streamed && result && typeof result[Symbol.asyncIterator] === 'function') {
      return wrapStream(result, call)
    }
    const done = call.finish(result)
    return ours.capture_immediate ? done.then(() => result) : result
  }
  if (!ours.capture_immediate && typeof promise?._thenUnwrap === 'function') {
    // One derived promise for everything (each one reads the response body once): the error
    // branch is observed on the side, the caller's promise still rejects as before.
    const wrapped = promise._thenUnwrap(transform)
    wrapped.catch((error) => call.finish(undefined, error))
    return wrapped
  }
  return Promise.resolve(promise).then(transform, async (error) => {
    await call.finish(undefined, error)
    throw error
  })
}

/** The provider's stream class over the same chunks, recording each one on the way. */
function wrapStream(stream, call) {
  const source = stream[Symbol.asyncIterator]()
  let ended = false
  const end = (error) => {
    if (ended) return
    ended = true
    call.finish(undefined, error)
  }
  async function* chunks() {
    try {
      while (true) {
        const { value, done } = await source.next()
        if (done) break
        call.chunk(value)
        yield value
      }
    } catch (error) {
      end(error)
      throw error
    } finally {
      if (!ended) {
        if (typeof source.return === 'function') await source.return()
        end(undefined)
      }
    }
  }
  const Ctor = stream.constructor
  try {
    return new Ctor(() => chunks(), stream.controller)
  } catch {
    return { [Symbol.asyncIterator]: () => chunks(), controller: stream.controller }
  }
}

/** Overrides `resource.create` with the tracked version (the resource is otherwise untouched). */
function wrapCreate(resource, client, api, baseURL) {
  const create = resource.create.bind(resource)
  resource.create = (body, options) => track(client, api, baseURL, create, body, options)
  return resource
}

/** Captures a `$ai_trace` (`kind` "trace") or `$ai_span` ("span") through `client`. */
function captureManual(client, kind, parts) {
  const { distinctId, groups, ...rest } = parts ?? {}
  const body = {
    trace_id: rest.traceId,
    span_id: rest.spanId,
    parent_id: rest.parentId ?? (kind === 'span' ? rest.traceId : undefined),
    name: rest.name,
    input_state: rest.inputState,
    output_state: rest.outputState,
    latency: rest.latency,
    error: rest.error,
    privacy_mode: rest.privacyMode === true || client?.privacy_mode === true || client?.privacyMode === true,
    properties: rest.properties,
  }
  const [event, properties] = JSON.parse(native._aiManualEvent(kind, JSON.stringify(body)))
  if (!distinctId) properties.$process_person_profile = false
  return client.capture({ distinctId: distinctId ?? rest.traceId, event, properties, ...(groups ? { groups } : {}) })
}

module.exports = { track, wrapCreate, captureManual, splitParams }
