// A fake OpenAI / Anthropic endpoint on 127.0.0.1: canned answers, streamed as SSE when the
// request asks for a stream (the same answers as bindings/python/tests/ai_fake.py).
import http from 'node:http'

export const CHAT = {
  id: 'chatcmpl-1', object: 'chat.completion', created: 1700000000, model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_1', service_tier: 'default',
  choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content: 'Hello there', refusal: null } }],
  usage: {
    prompt_tokens: 12, completion_tokens: 3, total_tokens: 15,
    prompt_tokens_details: { cached_tokens: 4, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  },
}
const chunk = (choices, extra = {}) => ({
  id: 'chatcmpl-2', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o-mini-2024-07-18', choices, ...extra,
})
export const CHAT_CHUNKS = [
  chunk([{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }]),
  chunk([{ index: 0, delta: { content: 'lo' }, finish_reason: null }]),
  chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
  chunk([], { usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } }),
]
export const RESPONSE = {
  id: 'resp_1', object: 'response', created_at: 1700000000, model: 'gpt-4.1-mini', status: 'completed',
  output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant',
    content: [{ type: 'output_text', text: 'Hi from responses', annotations: [] }] }],
  parallel_tool_calls: true, tool_choice: 'auto', tools: [],
  usage: { input_tokens: 7, output_tokens: 4, total_tokens: 11,
    input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 1 } },
}
export const EMBEDDING = {
  object: 'list', model: 'text-embedding-3-small',
  data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
  usage: { prompt_tokens: 5, total_tokens: 5 },
}
export const MESSAGE = {
  id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-3-5-haiku-20241022',
  content: [{ type: 'text', text: 'Bonjour' }], stop_reason: 'end_turn', stop_sequence: null,
  usage: { input_tokens: 20, output_tokens: 6, cache_read_input_tokens: 8, cache_creation_input_tokens: 0 },
}
export const MESSAGE_EVENTS = [
  ['message_start', { type: 'message_start', message: {
    id: 'msg_2', type: 'message', role: 'assistant', model: 'claude-3-5-haiku-20241022', content: [],
    stop_reason: null, stop_sequence: null,
    usage: { input_tokens: 15, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } } }],
  ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Sal' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ut' } }],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  ['message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 4 } }],
  ['message_stop', { type: 'message_stop' }],
]
const RESPONSES_EVENTS = [
  ['response.created', { type: 'response.created', sequence_number: 0, response: { ...RESPONSE, status: 'in_progress', output: [], usage: null } }],
  ['response.output_text.delta', { type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'Hi from responses', logprobs: [] }],
  ['response.completed', { type: 'response.completed', sequence_number: 2, response: RESPONSE }],
]

/** Starts the fake provider; `fake.failWith = 400` makes every answer an error. */
export async function startFakeProvider() {
  const fake = { failWith: 0, bodies: [] }
  const server = http.createServer((req, res) => {
    let raw = ''
    req.on('data', (d) => (raw += d))
    req.on('end', () => {
      const body = raw ? JSON.parse(raw) : {}
      fake.bodies.push(body)
      const json = (status, obj) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': 'req_123' })
        res.end(JSON.stringify(obj))
      }
      const sse = (events, done) => {
        res.writeHead(200, { 'content-type': 'text/event-stream', connection: 'close' })
        for (const [name, obj] of events) {
          if (name) res.write(`event: ${name}\n`)
          res.write(`data: ${JSON.stringify(obj)}\n\n`)
        }
        if (done) res.write('data: [DONE]\n\n')
        res.end()
      }
      if (fake.failWith) return json(fake.failWith, { error: { message: 'boom', type: 'invalid_request_error', code: 'bad' } })
      const path = req.url.split('?')[0]
      if (path.endsWith('/chat/completions')) return body.stream ? sse(CHAT_CHUNKS.map((c) => [null, c]), true) : json(200, CHAT)
      if (path.endsWith('/responses')) return body.stream ? sse(RESPONSES_EVENTS, false) : json(200, RESPONSE)
      if (path.endsWith('/embeddings')) return json(200, EMBEDDING)
      if (path.endsWith('/messages')) return body.stream ? sse(MESSAGE_EVENTS, false) : json(200, MESSAGE)
      json(404, { error: { message: 'not found' } })
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${server.address().port}`
  fake.close = () => new Promise((resolve) => server.close(resolve))
  return fake
}
