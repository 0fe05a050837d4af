package com.posthog.sdk

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * Every error kind of the core maps to its own `PostHogException` subclass. A kind added to
 * the core appears in `errorKinds()`; without its own variant it cannot map to an exception
 * whose [kindOf] is that kind, so this test fails.
 */
class ErrorKindsTest {
    /** The one place the tests name each exception class; `when` is exhaustive on purpose. */
    private fun kindOf(e: PostHogException): String = when (e) {
        is PostHogException.Config -> "config"
        is PostHogException.InvalidKey -> "invalid_key"
        is PostHogException.InvalidInput -> "invalid_input"
        is PostHogException.Transport -> "transport"
        is PostHogException.Timeout -> "timeout"
        is PostHogException.RateLimited -> "rate_limited"
        is PostHogException.Unauthorized -> "unauthorized"
        is PostHogException.Forbidden -> "forbidden"
        is PostHogException.InvalidRequest -> "invalid_request"
        is PostHogException.TooLarge -> "too_large"
        is PostHogException.QuotaLimited -> "quota_limited"
        is PostHogException.NotFound -> "not_found"
        is PostHogException.Conflict -> "conflict"
        is PostHogException.Server -> "server"
        is PostHogException.QueueFull -> "queue_full"
        is PostHogException.Closed -> "closed"
        is PostHogException.Unexpected -> "unexpected"
        is PostHogException.Io -> "io"
        is PostHogException.Inconclusive -> "inconclusive"
    }

    @Test
    fun everyKindMapsToItsOwnException() {
        val kinds = errorKinds()
        assertTrue(kinds.isNotEmpty())
        assertEquals(kinds.size, kinds.toSet().size, "kinds are unique: $kinds")
        val classes = mutableSetOf<Class<*>>()
        for (kind in kinds) {
            val e = assertThrows<PostHogException>("kind $kind") { raiseErrorSample(kind) }
            assertEquals(kind, kindOf(e), "kind $kind maps to ${e::class.simpleName}")
            assertTrue(!e.message.isNullOrBlank(), "kind $kind has a message")
            assertEquals(kind, e.attributes().kind, "kind $kind carries its kind")
            assertTrue(e.attributes().message.isNotBlank(), "kind $kind has a message")
            classes.add(e.javaClass)
        }
        assertEquals(kinds.size, classes.size, "one exception class per kind")
    }

    @Test
    fun statusIsInTheMessage() {
        val e = assertThrows<PostHogException.Server> { raiseErrorSample("server") }
        assertTrue(e.message!!.contains("503"), e.message)
        val r = assertThrows<PostHogException.InvalidRequest> { raiseErrorSample("invalid_request") }
        assertTrue(r.message!!.contains("400"), r.message)
    }

    @Test
    fun inconclusiveCarriesItsReasonCode() {
        val e = assertThrows<PostHogException.Inconclusive> { raiseErrorSample("inconclusive") }
        assertEquals("missing_context", e.attributes().reason)
        val other = assertThrows<PostHogException.Server> { raiseErrorSample("server") }
        assertEquals(null, other.attributes().reason)
    }

    @Test
    fun everyAttributeComesFromTheCore() {
        val s = assertThrows<PostHogException.Server> { raiseErrorSample("server") }
        assertEquals(503.toUShort(), s.info.status)
        assertEquals("sample-request", s.info.requestId)
        assertEquals(30.toULong(), s.info.retryAfterSecs)
        val f = assertThrows<PostHogException.Forbidden> { raiseErrorSample("forbidden") }
        assertEquals("feature_flag:read", f.attributes().scope)
        assertEquals(403.toUShort(), f.attributes().status)
        val r = assertThrows<PostHogException.InvalidRequest> { raiseErrorSample("invalid_request") }
        assertEquals("key", r.attributes().attr)
        val l = assertThrows<PostHogException.RateLimited> { raiseErrorSample("rate_limited") }
        assertEquals(1.toULong(), l.attributes().retryAfterSecs)
    }

    @Test
    fun unknownKindIsInvalidInput() {
        assertThrows<PostHogException.InvalidInput> { raiseErrorSample("no_such_kind") }
    }
}
