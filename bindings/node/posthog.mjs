// ESM entry: the same classes as the CommonJS entry (one module instance, one addon).
import cjs from './posthog.js'

export const { PostHog, PostHogError, NotSupportedError, FlagsSnapshot, LocalEvaluator, FileFlagDefinitionCache, matchProperty, flagHash, VERSION, AdminClient } = cjs
export default PostHog
