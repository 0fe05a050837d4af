package com.posthog.sdk

// Hand-written companion of the generated binding (ships next to posthog_sdk_uniffi.kt):
// a JVM Throwable converted into the frames the core builds `$exception` from. Conversion
// only: the event's shape, in-app rules and levels are the core's.

/** Most exceptions of one chain the core keeps. */
private const val MAX_CHAIN = 50

/** This throwable and its causes (first the throwable itself), each with its stack trace. */
fun Throwable.toThrownExceptions(): List<ThrownException> {
    val chain = ArrayList<ThrownException>()
    val seen = java.util.Collections.newSetFromMap(java.util.IdentityHashMap<Throwable, Boolean>())
    var current: Throwable? = this
    while (current != null && chain.size < MAX_CHAIN && seen.add(current)) {
        chain.add(
            ThrownException(
                typeName = current.javaClass.name,
                message = current.message,
                frames = current.stackTrace.map { el ->
                    ExceptionFrame(
                        function = el.methodName,
                        module = el.className,
                        filename = el.fileName,
                        lineno = if (el.lineNumber > 0) el.lineNumber.toUInt() else null,
                        colno = null,
                        inApp = null,
                        platform = "java",
                    )
                },
            ),
        )
        current = current.cause
    }
    return chain
}

/**
 * Captures `$exception` for [throwable] and its causes; returns the event's uuid, or null
 * when it was not accepted. Never throws. [inAppIncludes]: class prefixes of the app's own
 * code (`com.example.`).
 */
fun PostHogMobile.captureException(
    throwable: Throwable,
    propertiesJson: String? = null,
    inAppIncludes: List<String> = emptyList(),
): String? = captureException(
    throwable.toThrownExceptions(),
    ExceptionCapture(handled = true, mechanism = null, level = null, inAppIncludes = inAppIncludes),
    propertiesJson,
)

/**
 * Captures `$exception` for [distinctId] (a server-side client): [throwable] and its causes.
 * Returns the event's uuid, or null when it was not accepted. Never throws.
 */
fun PostHogClient.captureException(
    distinctId: String,
    throwable: Throwable,
    propertiesJson: String? = null,
    inAppIncludes: List<String> = emptyList(),
): String? = captureException(
    distinctId,
    throwable.toThrownExceptions(),
    ExceptionCapture(handled = true, mechanism = null, level = null, inAppIncludes = inAppIncludes),
    propertiesJson,
)

/**
 * Captures every uncaught exception (`handled: false`, level `fatal`) before handing it to
 * the handler that was installed before, so the app crashes exactly as it would without the
 * SDK. The event is on the crash-safe queue and is delivered by this run or the next. Returns
 * the previous default handler (reinstall it to stop).
 */
fun PostHogMobile.enableExceptionAutocapture(
    inAppIncludes: List<String> = emptyList(),
): Thread.UncaughtExceptionHandler? {
    val previous = Thread.getDefaultUncaughtExceptionHandler()
    Thread.setDefaultUncaughtExceptionHandler { thread, error ->
        try {
            captureException(
                error.toThrownExceptions(),
                ExceptionCapture(
                    handled = false,
                    mechanism = "UncaughtExceptionHandler",
                    level = "fatal",
                    inAppIncludes = inAppIncludes,
                ),
                null,
            )
        } catch (_: Throwable) {
            // Capturing never changes what the crash does.
        }
        if (previous != null) {
            previous.uncaughtException(thread, error)
        } else {
            System.err.print("Exception in thread \"${thread.name}\" ")
            error.printStackTrace()
        }
    }
    return previous
}
