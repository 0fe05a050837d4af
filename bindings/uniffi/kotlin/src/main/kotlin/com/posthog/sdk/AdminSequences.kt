package com.posthog.sdk

// Hand-written companions of the generated binding (ship this file next to
// posthog_sdk_uniffi.kt). The pagers fetch one page per nextPage() call; these wrap them as
// lazy Sequences: a page is requested only when the sequence reaches it. Every fetch blocks:
// iterate on Dispatchers.IO, never the main thread.

/** Every flag of the pager, page by page, lazily. Throws `PostHogException` where a page fails. */
fun FlagPager.asSequence(): Sequence<FeatureFlagRecord> = generateSequence { nextPage() }.flatten()

/** Every item (JSON text) of the pager, page by page, lazily. */
fun JsonPager.asSequence(): Sequence<String> = generateSequence { nextPage() }.flatten()

/** Every feature flag of [project], lazily: `admin.featureFlags().filter { it.active }`. */
fun PostHogAdminClient.featureFlags(project: String = "@current"): Sequence<FeatureFlagRecord> =
    listFeatureFlags(project).asSequence()

/** The checkpoint JSON of an interrupted export (pass it back as `checkpointJson`), or null. */
val PostHogException.exportCheckpoint: String?
    get() = attributes().checkpoint
