'use strict'
// `OpenAI` (and `AzureOpenAI`-free) wrapper like @posthog/ai's: chat completions, the responses
// API and embeddings, streamed or not, captured as `$ai_generation` / `$ai_embedding`.

const { wrapCreate } = require('./capture.js')

let OpenAIBase
try {
  OpenAIBase = require('openai').OpenAI
} catch (e) {
  throw new Error("posthog-sdk/ai/openai needs the 'openai' package: npm install openai", { cause: e })
}

/**
 * `new OpenAI({ apiKey, posthog, ...openAIOptions })`: the `openai` client whose
 * `chat.completions.create`, `responses.create` and `embeddings.create` capture an event through
 * `posthog` (a `PostHog` client). Each call also takes `posthogDistinctId`, `posthogTraceId`,
 * `posthogProperties`, `posthogPrivacyMode`, `posthogGroups`, `posthogModelOverride`,
 * `posthogProviderOverride`, `posthogCostOverride` and `posthogCaptureImmediate`.
 */
class PostHogOpenAI extends OpenAIBase {
  constructor(config = {}) {
    const { posthog, ...openAIConfig } = config
    super(openAIConfig)
    if (!posthog) throw new Error('PostHogOpenAI needs the `posthog` option (a PostHog client)')
    this.phClient = posthog
    wrapCreate(this.chat.completions, posthog, 'chat', this.baseURL)
    wrapCreate(this.responses, posthog, 'responses', this.baseURL)
    wrapCreate(this.embeddings, posthog, 'embeddings', this.baseURL)
  }
}

module.exports = { OpenAI: PostHogOpenAI, PostHogOpenAI, default: PostHogOpenAI }
