'use strict'
// `Anthropic` wrapper like @posthog/ai's: `messages.create`, streamed or not, captured as
// `$ai_generation`.

const { wrapCreate } = require('./capture.js')

let AnthropicBase
try {
  const sdk = require('@anthropic-ai/sdk')
  AnthropicBase = sdk.Anthropic ?? sdk.default
} catch (e) {
  throw new Error("posthog-sdk/ai/anthropic needs the '@anthropic-ai/sdk' package: npm install @anthropic-ai/sdk", {
    cause: e,
  })
}

/**
 * `new Anthropic({ apiKey, posthog, ...anthropicOptions })`: the Anthropic client whose
 * `messages.create` captures a `$ai_generation` through `posthog`, with the same `posthog*`
 * call parameters as the OpenAI wrapper.
 */
class PostHogAnthropic extends AnthropicBase {
  constructor(config = {}) {
    const { posthog, ...anthropicConfig } = config
    super(anthropicConfig)
    if (!posthog) throw new Error('PostHogAnthropic needs the `posthog` option (a PostHog client)')
    this.phClient = posthog
    wrapCreate(this.messages, posthog, 'anthropic_messages', this.baseURL)
  }
}

module.exports = { Anthropic: PostHogAnthropic, PostHogAnthropic, default: PostHogAnthropic }
