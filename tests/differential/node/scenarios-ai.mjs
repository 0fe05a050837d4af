// LLM-analytics scenarios: the same OpenAI / Anthropic calls through @posthog/ai 8.13.1 (with
// posthog-node) and through posthog-sdk/ai, both wrapping the real `openai` and
// `@anthropic-ai/sdk` packages pointed at a fake provider on 127.0.0.1 (the one of
// bindings/node/__test__/ai-fake.mjs); the harness compares the `$ai_generation` /
// `$ai_embedding` events the server received.
import { createRequire } from 'node:module'
import { call } from './lib/encode.mjs'
import { startFakeProvider } from '../../../bindings/node/__test__/ai-fake.mjs'

const require = createRequire(import.meta.url)
/**
 * `$ai_error` is the JSON of the provider's error, stack included: its frames name the
 * `openai` install each package resolves and differ by nature, so `beforeSend` drops the
 * stack in both packages (everything else in it is compared).
 */
function withoutErrorStack(event) {
  const text = event?.properties?.$ai_error
  if (typeof text === 'string' && text.startsWith('{')) {
    const error = JSON.parse(text)
    delete error.stack
    event.properties.$ai_error = JSON.stringify(error)
  }
  return event
}

const base = (srv, extra = {}) => ({
  host: srv.url,
  flushAt: 100,
  flushInterval: 60_000,
  fetchRetryCount: 0,
  before_send: withoutErrorStack,
  ...extra,
})

/** The wrapper classes of the package under test (the runner's first argument). */
function wrappers() {
  if (process.argv[2] === 'posthog-node') {
    return { OpenAI: require('@posthog/ai/openai').OpenAI, Anthropic: require('@posthog/ai/anthropic').Anthropic }
  }
  const ai = require('posthog-sdk/ai')
  return { OpenAI: ai.OpenAI, Anthropic: ai.Anthropic }
}

const MESSAGES = [
  { role: 'system', content: 'Be brief' },
  { role: 'user', content: 'Say hello' },
]
const TOOLS = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }]

async function drain(stream) {
  const out = []
  for await (const chunk of stream) out.push(chunk)
  return out
}

export const aiScenarios = {
  ai_openai_chat: {
    async run(ph, srv) {
      const { OpenAI } = wrappers()
      const client = new ph.PostHog(srv.key, base(srv))
      const fake = await startFakeProvider()
      try {
        const oa = new OpenAI({ apiKey: 'sk-test', baseURL: fake.url + '/v1', posthog: client, maxRetries: 0 })
        const r = {}
        r.plain = await call(async () => (await oa.chat.completions.create({
          model: 'gpt-4o-mini', messages: MESSAGES, temperature: 0.2, max_tokens: 50, tools: TOOLS,
          posthogDistinctId: 'ai-user', posthogTraceId: 'trace-chat', posthogProperties: { team: 'ai' }, posthogGroups: { company: 'acme' },
        })).choices[0].message.content)
        r.streamed = await call(async () => (await drain(await oa.chat.completions.create({
          model: 'gpt-4o-mini', messages: MESSAGES, stream: true, stream_options: { include_usage: true },
          posthogDistinctId: 'ai-user', posthogTraceId: 'trace-stream',
        }))).length)
        r.private = await call(async () => (await oa.chat.completions.create({
          model: 'gpt-4o-mini', messages: MESSAGES, posthogDistinctId: 'ai-user', posthogTraceId: 'trace-private', posthogPrivacyMode: true,
        })).id)
        r.personless = await call(async () => (await oa.chat.completions.create({
          model: 'gpt-4o-mini', messages: MESSAGES, posthogTraceId: 'trace-personless',
        })).id)
        r.cost = await call(async () => (await oa.chat.completions.create({
          model: 'gpt-4o-mini', messages: MESSAGES, posthogDistinctId: 'ai-user', posthogTraceId: 'trace-cost',
          posthogCostOverride: { inputCost: 0.5, outputCost: 2 }, posthogModelOverride: 'my-model', posthogProviderOverride: 'my-provider',
        })).id)
        fake.failWith = 400
        r.error = await call(async () => (await oa.chat.completions.create({
          model: 'gpt-4o-mini', messages: MESSAGES, posthogDistinctId: 'ai-user', posthogTraceId: 'trace-error',
        })).id)
        fake.failWith = 0
        r.flush = await call(() => client.flush())
        return r
      } finally {
        await fake.close()
      }
    },
  },
  ai_openai_responses_embeddings: {
    async run(ph, srv) {
      const { OpenAI } = wrappers()
      const client = new ph.PostHog(srv.key, base(srv))
      const fake = await startFakeProvider()
      try {
        const oa = new OpenAI({ apiKey: 'sk-test', baseURL: fake.url + '/v1', posthog: client, maxRetries: 0 })
        const r = {}
        r.plain = await call(async () => (await oa.responses.create({
          model: 'gpt-4.1-mini', input: 'hi', instructions: 'Be nice', posthogDistinctId: 'ai-user', posthogTraceId: 'trace-resp',
        })).output_text)
        r.streamed = await call(async () => (await drain(await oa.responses.create({
          model: 'gpt-4.1-mini', input: [{ role: 'user', content: 'hi' }], stream: true,
          posthogDistinctId: 'ai-user', posthogTraceId: 'trace-resp-stream',
        }))).length)
        r.embedding = await call(async () => (await oa.embeddings.create({
          model: 'text-embedding-3-small', input: 'abc', encoding_format: 'float', posthogDistinctId: 'ai-user', posthogTraceId: 'trace-emb',
        })).data[0].embedding.length)
        r.flush = await call(() => client.flush())
        return r
      } finally {
        await fake.close()
      }
    },
  },
  ai_anthropic_messages: {
    async run(ph, srv) {
      const { Anthropic } = wrappers()
      const client = new ph.PostHog(srv.key, base(srv))
      const fake = await startFakeProvider()
      try {
        const an = new Anthropic({ apiKey: 'sk-ant', baseURL: fake.url, posthog: client, maxRetries: 0 })
        const r = {}
        r.plain = await call(async () => (await an.messages.create({
          model: 'claude-3-5-haiku-latest', max_tokens: 50, system: 'Be brief', messages: [{ role: 'user', content: 'Hi' }],
          posthogDistinctId: 'ai-user', posthogTraceId: 'trace-claude',
        })).content[0].text)
        r.streamed = await call(async () => (await drain(await an.messages.create({
          model: 'claude-3-5-haiku-latest', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hi' }],
          posthogDistinctId: 'ai-user', posthogTraceId: 'trace-claude-stream',
        }))).length)
        r.flush = await call(() => client.flush())
        return r
      } finally {
        await fake.close()
      }
    },
  },
}
