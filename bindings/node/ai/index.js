'use strict'
// posthog-sdk/ai: LLM analytics like @posthog/ai. The provider wrappers load their SDK on
// first use, so installing only one of `openai` / `@anthropic-ai/sdk` is enough.

const { captureManual } = require('./capture.js')

module.exports = {
  get OpenAI() {
    return require('./openai.js').OpenAI
  },
  get PostHogOpenAI() {
    return require('./openai.js').OpenAI
  },
  get Anthropic() {
    return require('./anthropic.js').Anthropic
  },
  get PostHogAnthropic() {
    return require('./anthropic.js').Anthropic
  },
  /** Captures a `$ai_trace`: `{ traceId, name?, inputState?, outputState?, latency?, error?, distinctId?, properties?, privacyMode?, groups? }`. */
  captureTrace: (client, parts) => captureManual(client, 'trace', parts),
  /** Captures a `$ai_span`: as `captureTrace` plus `spanId` and `parentId` (default: the trace). */
  captureSpan: (client, parts) => captureManual(client, 'span', parts),
}
