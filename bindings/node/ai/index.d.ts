// Types of posthog-sdk/ai (LLM analytics, like @posthog/ai).
import type { PostHog } from '../posthog'

/** The parameters every wrapped `create` takes besides the provider's own. */
export interface MonitoringParams {
  posthogDistinctId?: string
  posthogTraceId?: string
  posthogProperties?: Record<string, any>
  posthogPrivacyMode?: boolean
  posthogGroups?: Record<string, any>
  posthogModelOverride?: string
  posthogProviderOverride?: string
  posthogCostOverride?: { inputCost: number; outputCost: number }
  posthogCaptureImmediate?: boolean
}

/** The `posthog` option of the wrappers: a `PostHog` client (anything with `capture`). */
export type PostHogLike = Pick<PostHog, 'capture' | 'captureImmediate'> | PostHog

/** The parts of a `$ai_trace` / `$ai_span`. */
export interface ManualEventParts {
  traceId: string
  spanId?: string
  parentId?: string
  name?: string
  inputState?: unknown
  outputState?: unknown
  latency?: number
  error?: string
  distinctId?: string
  properties?: Record<string, any>
  privacyMode?: boolean
  groups?: Record<string, string | number>
}

// The classes extend the providers' clients (resolved from your installed packages).
export declare const OpenAI: new (config: Record<string, any> & { posthog: PostHogLike }) => import('openai').OpenAI
export declare const PostHogOpenAI: typeof OpenAI
export declare const Anthropic: new (
  config: Record<string, any> & { posthog: PostHogLike },
) => import('@anthropic-ai/sdk').Anthropic
export declare const PostHogAnthropic: typeof Anthropic
export declare function captureTrace(client: PostHogLike, parts: ManualEventParts): string | undefined
export declare function captureSpan(client: PostHogLike, parts: ManualEventParts): string | undefined
