// A short mobile session with PostHogMobile, as an Android or iOS app would play it: cold start,
// screens, a tap, sign-in, a feature flag, the app going to the background, the network
// dropping and coming back. On the JVM it runs against any PostHog host:
//
//   MobileSession.main(arrayOf("<host>", "<state dir>"))
//
// with the project key in POSTHOG_PROJECT_API_KEY (the test server accepts any phc_ key).
// bindings/uniffi/kotlin's MobileSessionExampleTest runs it against the local test server.
package com.posthog.sdk.examples

import com.posthog.sdk.DeviceContext
import com.posthog.sdk.FlagValue
import com.posthog.sdk.ErrorInfo
import com.posthog.sdk.ErrorListener
import com.posthog.sdk.MobileOptions
import com.posthog.sdk.PostHogException
import com.posthog.sdk.PostHogMobile
import kotlinx.coroutines.runBlocking

object MobileSession {
    /** What the session did, for the caller (and the test) to check. */
    data class Summary(val distinctId: String, val accepted: ULong, val sent: ULong, val checkout: FlagValue?)

    @JvmStatic
    fun main(args: Array<String>) {
        val summary = run(args.getOrElse(0) { "https://us.i.posthog.com" }, args.getOrElse(1) { "posthog-state" })
        println("session done: $summary")
    }

    fun run(host: String, stateDir: String): Summary = runBlocking {
        val key = System.getenv("POSTHOG_PROJECT_API_KEY") ?: "phc_example_project_key"
        val errors = object : ErrorListener {
            override fun onError(error: ErrorInfo) = println("posthog: ${error.kind}: ${error.message}")
        }
        val posthog = PostHogMobile(
            key,
            stateDir,
            MobileOptions(
                host = host,
                context = DeviceContext(
                    appName = "Example Shop", appVersion = "3.1.0", appBuild = "310",
                    osName = "Android", osVersion = "15", deviceModel = "Pixel 9", deviceManufacturer = "Google",
                ),
                errorListener = errors,
            ),
        )
        posthog.use { ph ->
            // Cold start: the app is in the foreground, the user is anonymous.
            ph.onForeground()
            ph.screen("Home")
            ph.capture("product_viewed", """{"sku": "tee-42", "price": 25}""")

            // Sign-in links the anonymous id; the flags are refreshed for the user.
            ph.identify("customer-1001", setJson = """{"plan": "pro"}""")
            ph.register("store", "eu")
            ph.reloadFeatureFlags()
            val checkout = ph.getFeatureFlag("new-checkout")
            ph.screen(if (ph.isFeatureEnabled("new-checkout")) "Checkout (new)" else "Checkout")

            // The app goes to the background (sends now), the network drops on the train…
            ph.onBackground()
            ph.onNetworkChange(false)
            ph.capture("cart_saved_offline")
            // …and comes back: everything queued goes at once.
            ph.onNetworkChange(true)
            ph.onForeground()
            ph.capture("order_completed", """{"total": 25}""")

            try {
                ph.flush(10_000u)
            } catch (e: PostHogException) {
                println("flush: ${e.message}")
            }
            val stats = ph.stats()
            val summary = Summary(ph.distinctId(), stats.accepted, stats.sent, checkout)
            ph.shutdown(10_000u)
            summary
        }
    }
}
