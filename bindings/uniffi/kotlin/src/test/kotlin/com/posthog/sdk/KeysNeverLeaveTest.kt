package com.posthog.sdk

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue

private const val ECHO_PROJECT = "phc_echo0project0key0never0leaves"
private const val ECHO_PERSONAL = "phx_echo0personal0key.never-leaves"
private val SECRETS = listOf(ECHO_PROJECT, ECHO_PERSONAL, "never0leaves", "never-leaves")

/**
 * Keys never leave: a server that echoes the request's keys into request ids, error details
 * and `attr` on every route gets them into no exception message, ErrorInfo or toString.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeysNeverLeaveTest {
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

    private fun echo(status: Int, secret: String, route: String) =
        """{"status": $status, "route": "$route", "headers": {"Content-Type": "application/json", "X-Request-Id": "$secret"},""" +
            """ "body": "{\"type\":\"validation_error\",\"detail\":\"bad key $secret\",\"attr\":\"$secret\"}"}"""

    private fun assertClean(texts: List<String?>) {
        for (t in texts.filterNotNull()) for (s in SECRETS) assertFalse(t.contains(s), t)
    }

    @Test
    fun noRouteReflectsAKey() {
        server.faults(
            "[" + listOf(
                echo(400, "{api_key}", "capture"),
                echo(401, "{authorization}", "definitions"),
                echo(500, "{api_key}", "flags"),
            ).joinToString(",") + "]",
        )
        val rec = Recorder()
        PostHogClient.withLocalEvaluation(
            ECHO_PROJECT,
            ECHO_PERSONAL,
            ClientOptions(host = server.url, maxRetries = 0u, errorListener = rec),
        ).use { c ->
            c.capture(CaptureEvent("echoed", "user-k"))
            c.flush(10_000u)
            assertNull(c.getFeatureFlag("beta", "user-k"))
            assertClean(listOf(c.toString()))
        }
        val infos = rec.infos.toList()
        assertTrue(infos.size >= 2, "$infos")
        assertTrue(infos.any { it.requestId != null }, "the request id arrived, scrubbed")
        assertClean(infos.flatMap { listOf(it.toString(), it.message, it.requestId, it.attr) })
    }

    @Test
    fun adminErrorsDoNotReflectThePersonalKey() {
        server.faults("[" + echo(403, "{authorization}", "admin") + "]")
        PostHogAdminClient(ECHO_PERSONAL, AdminOptions(host = server.url, maxRetries = 0u)).use { a ->
            val e = assertThrows<PostHogException.Forbidden> { a.getFeatureFlag(1uL) }
            assertNotNull(e.info.requestId)
            assertClean(listOf(e.message, e.toString(), e.info.toString(), e.stackTraceToString(), a.toString()))
        }
    }
}
