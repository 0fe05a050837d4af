// LLM analytics: posthog-sdk/ai's OpenAI and Anthropic wrappers (the real `openai` and
// `@anthropic-ai/sdk` packages) against a fake provider on 127.0.0.1, events asserted at the
// test server.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { PostHog } from '../posthog.mjs'
import { startServer, opts, uid, KEY } from './helpers.mjs'
import { startFakeProvider } from './ai-fake.mjs'

const require = createRequire(import.meta.url)
const { OpenAI, Anthropic, captureTrace, captureSpan } = require('../ai/index.js')
const RealOpenAI = require('openai').OpenAI

let server
let fake
before(async () => {
  server = await startServer()
  fake = await startFakeProvider()
})
after(async () => {
  await fake?.close()
  await server?.stop()
})

const MESSAGES = [
  { role: 'system', content: 'Be brief' },
  { role: 'user', content: 'Say hello' },
]

async function eventsOf(client, distinctId, n = 1) {
  await client.flush()
  const mine = (await server.control.events()).filter((e) => e.distinct_id === distinctId)
  assert.equal(mine.length, n, JSON.stringify(mine))
  return mine
}

const openai = (ph) => new OpenAI({ apiKey: 'sk-test', baseURL: fake.url + '/v1', posthog: ph, maxRetries: 0 })

test('chat completion: the event, and the caller gets openai\'s own result', async () => {
  const ph = new PostHog(KEY, opts(server.url))
  const id = uid()
  const client = openai(ph)
  assert.ok(client instanceof RealOpenAI)
  const result = await client.chat.completions.create({
    model: 'gpt-4o-mini', messages: MESSAGES, temperature: 0.2,
    posthogDistinctId: id, posthogTraceId: 'trace-1', posthogProperties: { team: 'ai' }, posthogGroups: { company: 'acme' },
  })
  assert.equal(result.choices[0].message.content, 'Hello there')
  assert.equal(fake.bodies.at(-1).posthogDistinctId, undefined)
  const [ev] = await eventsOf(ph, id)
  const p = ev.properties
  assert.equal(ev.event, '$ai_generation')
  assert.equal(p.$ai_trace_id, 'trace-1')
  assert.equal(p.$ai_provider, 'openai')
  assert.equal(p.$ai_model, 'gpt-4o-mini')
  assert.deepEqual(p.$ai_model_parameters, { temperature: 0.2, service_tier: 'default' })
  assert.deepEqual(p.$ai_input, MESSAGES)
  assert.deepEqual(p.$ai_output_choices, [{ role: 'assistant', content: [{ type: 'text', text: 'Hello there' }] }])
  assert.deepEqual([p.$ai_input_tokens, p.$ai_output_tokens, p.$ai_cache_read_input_tokens], [12, 3, 4])
  assert.equal(p.$ai_http_status, 200)
  assert.equal(p.$ai_base_url, fake.url + '/v1')
  assert.equal(p.$ai_stop_reason, 'stop')
  assert.equal(p.$ai_completion_id, 'chatcmpl-1')
  assert.equal(p.$ai_provider_metadata.system_fingerprint, 'fp_1')
  assert.equal(p.$ai_cache_reporting_exclusive, false)
  assert.equal(p.$ai_lib, 'posthog-ai')
  assert.equal(p.team, 'ai')
  assert.deepEqual(p.$groups, { company: 'acme' })
  assert.ok(p.$ai_latency >= 0)
  await ph.shutdown()
})

test('chat stream: chunks pass through, tokens and time to first token are captured', async () => {
  const ph = new PostHog(KEY, opts(server.url))
  const id = uid()
  const stream = await openai(ph).chat.completions.create({
    model: 'gpt-4o-mini', messages: MESSAGES, stream: true, stream_options: { include_usage: true }, posthogDistinctId: id,
  })
  let text = ''
  for await (const c of stream) text += c.choices[0]?.delta?.content ?? ''
  assert.equal(text, 'Hello')
  // captured once the stream has ended (a capture is synchronous; flush waits for it)
  const [ev] = await eventsOf(ph, id)
  const p = ev.properties
  assert.deepEqual([p.$ai_input_tokens, p.$ai_output_tokens], [9, 2])
  assert.deepEqual(p.$ai_output_choices, [{ role: 'assistant', content: [{ type: 'text', text: 'Hello' }] }])
  assert.equal(typeof p.$ai_time_to_first_token, 'number')
  assert.equal(p.$ai_model_parameters.stream, true)
  await ph.shutdown()
})

test('privacy mode per call and client-wide; errors are captured and rethrown', async () => {
  const ph = new PostHog(KEY, opts(server.url))
  const id = uid()
  await openai(ph).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, posthogDistinctId: id, posthogPrivacyMode: true })
  let [ev] = await eventsOf(ph, id)
  assert.equal(ev.properties.$ai_input, null)
  assert.equal(ev.properties.$ai_output_choices, null)
  assert.equal(ev.properties.$ai_input_tokens, 12)
  await ph.shutdown()

  const priv = new PostHog(KEY, opts(server.url, { privacyMode: true }))
  const id2 = uid()
  await openai(priv).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, posthogDistinctId: id2 })
  ;[ev] = await eventsOf(priv, id2)
  assert.equal(ev.properties.$ai_input, null)
  await priv.shutdown()

  const ph3 = new PostHog(KEY, opts(server.url))
  const id3 = uid()
  fake.failWith = 400
  try {
    await assert.rejects(
      openai(ph3).chat.completions.create({ model: 'gpt-4o-mini', messages: MESSAGES, posthogDistinctId: id3 }),
      (e) => e.status === 400,
    )
  } finally {
    fake.failWith = 0
  }
  ;[ev] = await eventsOf(ph3, id3)
  assert.equal(ev.properties.$ai_is_error, true)
  assert.equal(ev.properties.$ai_http_status, 400)
  assert.match(ev.properties.$ai_error, /boom/)
  await ph3.shutdown()
})

test('responses (plain and streamed) and embeddings', async () => {
  const ph = new PostHog(KEY, opts(server.url))
  const id = uid()
  const client = openai(ph)
  const r = await client.responses.create({ model: 'gpt-4.1-mini', input: 'hi', instructions: 'Be nice', posthogDistinctId: id })
  assert.equal(r.output_text, 'Hi from responses')
  const e = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'abc', encoding_format: 'float', posthogDistinctId: id })
  assert.deepEqual(e.data[0].embedding, [0.1, 0.2])
  const s = await client.responses.create({ model: 'gpt-4.1-mini', input: 'hi', stream: true, posthogDistinctId: id })
  const kinds = []
  for await (const ev of s) kinds.push(ev.type)
  assert.equal(kinds.at(-1), 'response.completed')
  const events = await eventsOf(ph, id, 3)
  const gens = events.filter((x) => x.event === '$ai_generation')
  assert.equal(gens.length, 2)
  for (const g of gens) {
    assert.deepEqual([g.properties.$ai_input_tokens, g.properties.$ai_output_tokens, g.properties.$ai_reasoning_tokens], [7, 4, 1])
    assert.equal(g.properties.$ai_output_choices[0].content[0].text, 'Hi from responses')
  }
  const plainGen = gens.find((g) => g.properties.$ai_model_parameters.stream === undefined)
  assert.deepEqual(plainGen.properties.$ai_input, [{ role: 'system', content: 'Be nice' }, { role: 'user', content: 'hi' }])
  const emb = events.find((x) => x.event === '$ai_embedding').properties
  assert.equal(emb.$ai_input, 'abc')
  assert.equal(emb.$ai_input_tokens, 5)
  await ph.shutdown()
})

test('anthropic messages: plain and streamed', async () => {
  const ph = new PostHog(KEY, opts(server.url))
  const id = uid()
  const client = new Anthropic({ apiKey: 'sk-ant', baseURL: fake.url, posthog: ph, maxRetries: 0 })
  const msg = await client.messages.create({
    model: 'claude-3-5-haiku-latest', max_tokens: 50, system: 'Be brief', messages: [{ role: 'user', content: 'Hi' }], posthogDistinctId: id,
  })
  assert.equal(msg.content[0].text, 'Bonjour')
  const stream = await client.messages.create({
    model: 'claude-3-5-haiku-latest', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hi' }], posthogDistinctId: id,
  })
  const types = []
  for await (const ev of stream) types.push(ev.type)
  assert.equal(types.at(-1), 'message_stop')
  const [a, b] = await eventsOf(ph, id, 2)
  const plainEv = a.properties.$ai_model_parameters.stream ? b : a
  const streamed = plainEv === a ? b : a
  let p = plainEv.properties
  assert.equal(p.$ai_provider, 'anthropic')
  assert.deepEqual(p.$ai_input, [{ role: 'system', content: 'Be brief' }, { role: 'user', content: 'Hi' }])
  assert.deepEqual(p.$ai_output_choices, [{ role: 'assistant', content: [{ type: 'text', text: 'Bonjour' }] }])
  assert.deepEqual([p.$ai_input_tokens, p.$ai_output_tokens, p.$ai_cache_read_input_tokens], [20, 6, 8])
  assert.equal(p.$ai_stop_reason, 'end_turn')
  p = streamed.properties
  assert.deepEqual([p.$ai_input_tokens, p.$ai_output_tokens], [15, 4])
  assert.deepEqual(p.$ai_output_choices, [{ role: 'assistant', content: [{ type: 'text', text: 'Salut' }] }])
  assert.equal(typeof p.$ai_time_to_first_token, 'number')
  await ph.shutdown()
})

test('captureAi, captureTrace and captureSpan', async () => {
  const ph = new PostHog(KEY, opts(server.url))
  const id = uid()
  const uuid = ph.captureAi({ distinctId: id, event: '$ai_generation', properties: { $ai_model: 'm' } })
  assert.ok(uuid)
  captureTrace(ph, { traceId: 't-1', name: 'chain', inputState: { q: 'x' }, distinctId: id })
  captureSpan(ph, { traceId: 't-1', spanId: 's-1', name: 'step', latency: 0.5, distinctId: id })
  await ph.captureAiImmediate({ distinctId: id, event: '$ai_embedding', properties: {} })
  const events = await eventsOf(ph, id, 4)
  const by = Object.fromEntries(events.map((e) => [e.event, e]))
  assert.equal(by.$ai_generation.uuid, uuid)
  assert.deepEqual(by.$ai_trace.properties.$ai_input_state, { q: 'x' })
  assert.equal(by.$ai_span.properties.$ai_parent_id, 't-1')
  assert.equal(by.$ai_span.properties.$ai_span_name, 'step')
  await ph.shutdown()
})
