package com.posthog.sdk

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertSame
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.io.IOException
import java.nio.file.Files

private const val KEY = "phc_mobile_errors_key_51ab"
private const val WAIT_MS: ULong = 10_000u

/** `captureException` of a real JVM Throwable: the core builds `$exception`. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ErrorTrackingTest {
    private lateinit var server: TestServer

    @BeforeAll
    fun start() {
        server = TestServer()
    }

    @AfterAll
    fun stop() {
        server.close()
    }

    @BeforeEach
    fun reset() {
        server.reset()
    }

    private fun mobile(): PostHogMobile = PostHogMobile(
        KEY,
        Files.createTempDirectory("posthog-errors").toString(),
        MobileOptions(host = server.url, context = DeviceContext(osName = "Android")),
    )

    @Suppress("UNCHECKED_CAST")
    private fun exceptionList(): List<Map<String, Any?>> {
        val e = server.events().single { it["event"] == "\$exception" }
        val props = e["properties"] as Map<String, Any?>
        assertNotNull(props["\$session_id"], "linked to the session")
        return props["\$exception_list"] as List<Map<String, Any?>>
    }

    @Suppress("UNCHECKED_CAST")
    private fun frames(entry: Map<String, Any?>) =
        (entry["stacktrace"] as Map<String, Any?>)["frames"] as List<Map<String, Any?>>

    private fun parse(text: String): Int = try {
        text.toInt()
    } catch (e: NumberFormatException) {
        throw IllegalStateException("config is broken", IOException("disk said no", e))
    }

    @Test
    fun aThrowableAndItsCausesBecomeTheExceptionList(): Unit = runBlocking {
        mobile().use { m ->
            val thrown = try {
                parse("nope")
                null
            } catch (e: IllegalStateException) {
                e
            }
            assertNotNull(m.captureException(thrown!!, """{"screen": "settings"}""", listOf("com.posthog.sdk")))
            m.flush(WAIT_MS)
            val list = exceptionList()
            assertEquals(
                listOf("java.lang.IllegalStateException", "java.io.IOException", "java.lang.NumberFormatException"),
                list.map { it["type"] },
            )
            assertEquals("config is broken", list[0]["value"])
            @Suppress("UNCHECKED_CAST")
            val root = list[0]["mechanism"] as Map<String, Any?>
            assertEquals(true, root["handled"])
            assertEquals("generic", root["type"])
            @Suppress("UNCHECKED_CAST")
            val cause = list[1]["mechanism"] as Map<String, Any?>
            assertEquals("chained", cause["type"])
            assertEquals("cause", cause["source"])
            assertEquals(0.0, cause["parent_id"])
            // Outermost first: the frame that threw is last.
            val top = frames(list[0]).last()
            assertEquals("parse", top["function"])
            assertEquals("com.posthog.sdk.ErrorTrackingTest", top["module"])
            assertEquals("ErrorTrackingTest.kt", top["filename"])
            assertEquals("java", top["platform"])
            assertEquals(true, top["in_app"])
            val javaFrame = frames(list[2]).last()
            assertTrue((javaFrame["module"] as String).startsWith("java."))
            assertEquals(false, javaFrame["in_app"], "JVM frames are not the app's code")
            m.shutdown(WAIT_MS)
        }
    }

    @Test
    fun uncaughtExceptionsAreCapturedAndStillReachThePreviousHandler(): Unit = runBlocking {
        mobile().use { m ->
            val before = Thread.getDefaultUncaughtExceptionHandler()
            val seen = java.util.concurrent.atomic.AtomicReference<Throwable?>(null)
            Thread.setDefaultUncaughtExceptionHandler { _, e -> seen.set(e) }
            val app = Thread.getDefaultUncaughtExceptionHandler()
            try {
                assertSame(app, m.enableExceptionAutocapture())
                val worker = Thread { throw UnsupportedOperationException("crash") }
                worker.start()
                worker.join(WAIT_MS.toLong())
                assertFalse(worker.isAlive)
            } finally {
                Thread.setDefaultUncaughtExceptionHandler(before)
            }
            assertEquals("crash", seen.get()?.message, "the app's handler still runs")
            m.flush(WAIT_MS)
            val list = exceptionList()
            @Suppress("UNCHECKED_CAST")
            val mechanism = list[0]["mechanism"] as Map<String, Any?>
            assertEquals(false, mechanism["handled"])
            assertEquals("UncaughtExceptionHandler", mechanism["type"])
            m.shutdown(WAIT_MS)
        }
    }

    @Test
    fun aServerClientCapturesForADistinctId() {
        PostHogClient(KEY, ClientOptions(host = server.url)).use { c ->
            assertNotNull(c.captureException("user-9", IllegalArgumentException("bad id"), """{"route": "/x"}"""))
            c.flush(WAIT_MS)
            val e = server.events().single { it["event"] == "\$exception" }
            assertEquals("user-9", e["distinct_id"])
            @Suppress("UNCHECKED_CAST")
            val props = e["properties"] as Map<String, Any?>
            assertEquals("/x", props["route"])
            assertEquals("error", props["\$exception_level"])
            @Suppress("UNCHECKED_CAST")
            val list = props["\$exception_list"] as List<Map<String, Any?>>
            assertEquals("java.lang.IllegalArgumentException", list.single()["type"])
            c.shutdown(WAIT_MS)
        }
    }

    @Test
    fun anEmptyChainIsRefusedWithoutThrowing(): Unit = runBlocking {
        mobile().use { m ->
            assertNull(m.captureException(emptyList(), null, null))
            assertNull(m.captureException(IllegalStateException("x"), "not json"))
            m.shutdown(WAIT_MS)
        }
    }
}
