package com.posthog.sdk

import com.posthog.sdk.examples.MobileSession
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files

/** Runs examples/kotlin/MobileSession.kt against the test server and checks what arrived. */
class MobileSessionExampleTest {
    @Test
    fun theExampleSessionArrivesInOrderWithItsUserAndFlag() {
        TestServer().use { server ->
            server.flagOverrides("""{"new-checkout": {"value": "treatment"}}""")
            val dir = Files.createTempDirectory("posthog-example").toString()
            val summary = MobileSession.run(server.url, dir)
            assertEquals("customer-1001", summary.distinctId)
            assertEquals(FlagValue.Variant("treatment"), summary.checkout)
            assertEquals(summary.accepted, summary.sent, summary.toString())

            val events = server.events()
            val names = events.map { it["event"] }.filter { it != "\$feature_flag_called" }
            assertEquals(
                listOf(
                    "Application Opened", "\$screen", "product_viewed", "\$identify", "\$screen",
                    "Application Backgrounded", "cart_saved_offline", "Application Opened", "order_completed",
                ),
                names,
            )
            @Suppress("UNCHECKED_CAST")
            val last = events.last { it["event"] == "order_completed" }["properties"] as Map<String, Any?>
            assertEquals("Example Shop", last["\$app_name"])
            assertEquals("eu", last["store"])
            assertEquals("treatment", last["\$feature/new-checkout"])
            val afterSignIn = events.dropWhile { it["event"] != "\$identify" }
            assertTrue(afterSignIn.size > 5 && afterSignIn.all { it["distinct_id"] == "customer-1001" })
            val opened = events.filter { it["event"] == "Application Opened" }
            @Suppress("UNCHECKED_CAST")
            val fromBackground = opened.map { (it["properties"] as Map<String, Any?>)["from_background"] }
            assertEquals(listOf(false, true), fromBackground)
        }
    }
}
