package com.posthog.sdk

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.fail
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit

private const val KEY = "phc_kotlin_test_key_5f3a"
private const val TIMEOUT: ULong = 10_000u

/** Collects what the client reports, for bounded polling (no sleeps). */
class Recorder : ErrorListener {
    val errors = LinkedBlockingQueue<Pair<String, String>>()
    val infos = LinkedBlockingQueue<ErrorInfo>()
    override fun onError(error: ErrorInfo) {
        errors.add(error.kind to error.message)
        infos.add(error)
    }

    /** The next report of [kind], skipping others, within [ms]. */
    fun next(kind: String, ms: Long = 10_000): Pair<String, String>? {
        val deadline = System.nanoTime() + ms * 1_000_000
        while (true) {
            val left = deadline - System.nanoTime()
            if (left <= 0) return null
            val e = errors.poll(left, TimeUnit.NANOSECONDS) ?: return null
            if (e.first == kind) return e
        }
    }
}

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostHogClientTest {
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

    private fun client(
        listener: ErrorListener? = null,
        configure: ClientOptions.() -> Unit = {},
    ): PostHogClient {
        val opts = ClientOptions(host = server.url, maxRetries = 0u, errorListener = listener)
        opts.configure()
        return PostHogClient(KEY, opts)
    }

    private fun props(e: Map<String, Any?>) = e["properties"].obj()

    @Test
    fun captureIsDeliveredWithPropertiesUuidAndLib() {
        client().use { c ->
            val uuid = c.capture(
                CaptureEvent(
                    event = "signed_up",
                    distinctId = "user-1",
                    propertiesJson = """{"plan":"pro","seats":3,"nested":{"a":[1,2]}}""",
                    properties = mapOf("source" to "kotlin"),
                    groups = mapOf("company" to "acme"),
                ),
            )
            assertNotNull(uuid)
            val report = c.flush(TIMEOUT)
            assertEquals(1uL, report.sent)
            assertEquals(0uL, report.failed)
            val events = server.events()
            assertEquals(1, events.size)
            val e = events[0]
            assertEquals("signed_up", e["event"])
            assertEquals("user-1", e["distinct_id"])
            assertEquals(uuid, e["uuid"])
            assertEquals(KEY, e["token"])
            val p = props(e)
            assertEquals("pro", p["plan"])
            assertEquals(3.0, p["seats"])
            assertEquals(listOf(1.0, 2.0), p["nested"].obj()["a"])
            assertEquals("kotlin", p["source"])
            assertEquals("posthog-sdk-kotlin", p["\$lib"])
            assertEquals(sdkVersion(), p["\$lib_version"])
            assertEquals("acme", p["\$groups"].obj()["company"])
        }
    }

    @Test
    fun captureKeepsTheCallersUuidAndTimestamp() {
        client().use { c ->
            val given = "0190A5D2-7B3C-7DEF-8123-456789ABCDEF"
            val uuid = c.capture(
                CaptureEvent("imported", "user-2", timestamp = "2024-01-02T03:04:05+02:00", uuid = given),
            )
            assertEquals(given.lowercase(), uuid)
            c.flush(TIMEOUT)
            val e = server.events().single()
            assertEquals(given.lowercase(), e["uuid"])
            assertTrue((e["timestamp"] as String).startsWith("2024-01-02T01:04:05"), e["timestamp"].toString())
        }
    }

    @Test
    fun badInputNeverThrowsItIsCountedAndReported() {
        val rec = Recorder()
        client(rec).use { c ->
            assertNull(c.capture(CaptureEvent("e", "u", propertiesJson = """{"secret_payload": """)))
            assertNull(c.capture(CaptureEvent("e", "u", propertiesJson = "[1,2]")))
            assertNull(c.capture(CaptureEvent("e", "u", uuid = "not-a-uuid")))
            assertNull(c.capture(CaptureEvent("e", "u", timestamp = "yesterday")))
            assertNull(c.capture(CaptureEvent("", "u")))
            assertNull(c.identify("u", setJson = "nope"))
            assertEquals(6uL, c.stats().droppedInvalid)
            repeat(6) {
                val (_, message) = rec.next("invalid_input") ?: fail("no invalid_input report")
                assertFalse(message.contains("secret_payload"), message)
            }
            assertEquals(0uL, c.flush(TIMEOUT).sent)
        }
        assertTrue(server.events().isEmpty())
    }

    @Test
    fun identifyAliasGroupsAndPersonProperties() {
        client().use { c ->
            assertNotNull(c.identify("user-3", setJson = """{"email":"a@example.com"}""", setOnceJson = """{"first":"x"}"""))
            assertNotNull(c.alias("user-3", "anon-9"))
            assertNotNull(c.groupIdentify("company", "acme", propertiesJson = """{"name":"Acme"}"""))
            assertNotNull(c.set("user-3", """{"plan":"pro"}"""))
            assertNotNull(c.setOnce("user-3", """{"signup":"2024"}"""))
            assertEquals(5uL, c.flush(TIMEOUT).sent)
            val byName = server.events().associateBy { it["event"] as String }
            assertEquals(setOf("\$identify", "\$create_alias", "\$groupidentify", "\$set", "\$set_once"), byName.keys)
            assertEquals("a@example.com", props(byName.getValue("\$identify"))["\$set"].obj()["email"])
            assertEquals("x", props(byName.getValue("\$identify"))["\$set_once"].obj()["first"])
            assertEquals("anon-9", props(byName.getValue("\$create_alias"))["alias"])
            assertEquals("user-3", byName.getValue("\$create_alias")["distinct_id"])
            val group = props(byName.getValue("\$groupidentify"))
            assertEquals("company", group["\$group_type"])
            assertEquals("acme", group["\$group_key"])
            assertEquals("Acme", group["\$group_set"].obj()["name"])
            assertEquals("pro", props(byName.getValue("\$set"))["\$set"].obj()["plan"])
            assertEquals("2024", props(byName.getValue("\$set_once"))["\$set_once"].obj()["signup"])
        }
    }

    @Test
    fun shutdownDrainsAndReports() {
        val c = client()
        repeat(3) { assertNotNull(c.capture(CaptureEvent("e$it", "user-4"))) }
        val report = c.shutdown(TIMEOUT)
        assertEquals(3uL, report.sent)
        assertTrue(c.isShutDown())
        assertEquals(3, server.events().size)
        assertNull(c.capture(CaptureEvent("late", "user-4")))
        assertEquals(1uL, c.stats().droppedClosed)
        assertEquals(0uL, c.shutdown(TIMEOUT).sent)
        c.close()
    }

    @Test
    fun flushThrowsTimeoutWhenTheServerIsSlow() {
        server.faults("""[{"latency_ms": 3000}]""")
        client().use { c ->
            assertNotNull(c.capture(CaptureEvent("slow", "user-5")))
            val e = assertThrows<PostHogException.Timeout> { c.flush(100u) }
            assertTrue(e.message!!.contains("flush"), e.message)
            assertEquals(1uL, c.shutdown(TIMEOUT).sent)
        }
    }

    @Test
    fun everyQueueOptionOfTheCoreSchemaIsHere() {
        // drop-oldest keeps the newest two of three (the core's overflow policy).
        client { maxQueueSize = 2u; overflow = Overflow.DROP_OLDEST; maxInFlight = 1u; maxBatchBytes = 2_000_000u }.use { c ->
            for (name in listOf("first", "second", "third")) c.capture(CaptureEvent(name, "user-q"))
            c.flush(TIMEOUT)
            assertEquals(listOf("second", "third"), server.events().map { it["event"] })
            assertEquals(1uL, c.stats().droppedQueueFull)
        }
        // The core schema validates, as in every language.
        val e = assertThrows<PostHogException.Config> {
            client { overflow = Overflow.DROP_NEWEST; blockTimeoutMs = 10u }
        }
        assertTrue(e.info.message.contains("only applies to overflow"), e.info.message)
        assertThrows<PostHogException.Config> { client { maxEventBytes = 10u; maxQueueBytes = 5u } }
    }

    @Test
    fun errorListenerHearsA400() {
        val rec = Recorder()
        server.faults("""[{"status": 400, "headers": {"X-Request-Id": "req-kt-1"}, "body": "{\"type\":\"validation_error\",\"detail\":\"bad batch\",\"attr\":\"batch\"}"}]""")
        client(rec).use { c ->
            assertNotNull(c.capture(CaptureEvent("rejected", "user-6")))
            val report = c.flush(TIMEOUT)
            assertEquals(1uL, report.failed)
            val (_, message) = rec.next("invalid_request") ?: fail("no invalid_request report")
            assertTrue(message.contains("400"), message)
            assertFalse(message.contains(KEY), message)
            // Every attribute arrives as data, read from the core (no message parsing).
            val info = rec.infos.first { it.kind == "invalid_request" }
            assertEquals(400.toUShort(), info.status)
            assertEquals("req-kt-1", info.requestId)
            assertEquals("batch", info.attr)
        }
    }

    @Test
    fun eventsCapturedOfflineAreDeliveredAfterARestart() {
        val dir = java.nio.file.Files.createTempDirectory("posthog-durable").toString()
        // Offline: every attempt of the first client fails, so its events stay on disk.
        server.faults("""[{"status": 503}, {"status": 503}, {"status": 503}, {"status": 503}]""")
        val uuids = client { storageDir = dir }.use { c ->
            val ids = (1..5).map { i -> c.capture(CaptureEvent("offline-$i", "user-9"))!! }
            c.flush(TIMEOUT)
            assertEquals(0uL, c.stats().sent)
            ids
        }
        assertTrue(server.events().isEmpty())
        server.reset()
        // The app restarts on the same directory: everything accepted is delivered, once.
        client { storageDir = dir }.use { c ->
            c.flush(TIMEOUT)
            assertEquals(5uL, c.stats().sent)
        }
        val got = server.events().map { it["uuid"] }
        assertEquals(uuids.toSet(), got.toSet())
        assertEquals(5, got.size)
    }

    @Test
    fun errorListenerCanBeSetLaterAndRetriesRecover() {
        server.faults("""[{"status": 400}, {"status": 503}]""")
        client { maxRetries = 2u }.use { c ->
            val rec = Recorder()
            c.setErrorListener(rec)
            assertNotNull(c.capture(CaptureEvent("first", "user-7")))
            assertEquals(1uL, c.flush(TIMEOUT).failed)
            assertNotNull(rec.next("invalid_request"))
            assertNotNull(c.capture(CaptureEvent("second", "user-7")))
            val report = c.flush(TIMEOUT)
            assertEquals(1uL, report.sent)
            assertTrue(report.retried >= 1uL, report.toString())
            assertEquals(listOf("second"), server.events().map { it["event"] })
            c.setErrorListener(null)
        }
    }

    @Test
    fun personalKeyIsRefusedWithoutEchoingIt() {
        val secret = "phx_personal_secret_value_123"
        val e = assertThrows<PostHogException.InvalidKey> { PostHogClient(secret, ClientOptions(host = server.url)) }
        assertFalse(e.message!!.contains(secret), e.message)
        assertFalse(e.toString().contains(secret), e.toString())
        client().use { c ->
            val r = assertThrows<PostHogException.InvalidKey> { c.rotateKey(secret) }
            assertFalse(r.message!!.contains(secret), r.message)
        }
    }

    @Test
    fun badOptionsThrowConfig() {
        assertThrows<PostHogException.Config> { PostHogClient(KEY, ClientOptions(host = "http://example.com")) }
        assertThrows<PostHogException.Config> { PostHogClient(KEY, ClientOptions(flushAt = 0u)) }
        val e = assertThrows<PostHogException.Config> {
            PostHogClient(KEY, ClientOptions(superPropertiesJson = """{"oops": phc_leak"""))
        }
        assertFalse(e.message!!.contains("phc_leak"), e.message)
    }

    @Test
    fun toStringNeverContainsTheKey() {
        val rec = Recorder()
        val opts = ClientOptions(host = server.url, errorListener = rec, superPropertiesJson = "{}")
        assertFalse(opts.toString().contains(KEY), opts.toString())
        PostHogClient(KEY, opts).use { c ->
            val text = c.toString()
            assertTrue(text.contains("PostHogClient") || text.contains("Client"), text)
            assertFalse(text.contains(KEY), text)
            assertFalse(c.stats().toString().contains(KEY))
            assertFalse(c.flush(TIMEOUT).toString().contains(KEY))
        }
    }

    @Test
    fun rotateKeySuperPropertiesAndSwiftLib() {
        client {
            sdk = Sdk.SWIFT
            superPropertiesJson = """{"app":"demo","plan":"free"}"""
        }.use { c ->
            c.rotateKey("phc_rotated_key")
            assertNotNull(c.capture(CaptureEvent("after", "user-8", propertiesJson = """{"plan":"pro"}""")))
            c.flush(TIMEOUT)
            val e = server.events().single()
            assertEquals("phc_rotated_key", e["token"])
            val p = props(e)
            assertEquals("posthog-sdk-swift", p["\$lib"])
            assertEquals("demo", p["app"])
            assertEquals("pro", p["plan"])
        }
    }

    @Test
    fun statsCountWhatHappened() {
        client { flushAt = 2u }.use { c ->
            repeat(4) { c.capture(CaptureEvent("s", "user-9")) }
            assertTrue(server.waitEvents(4), "4 events arrive without an explicit flush (flushAt = 2)")
            c.flush(TIMEOUT)
            val s = c.stats()
            assertEquals(4uL, s.accepted)
            assertEquals(4uL, s.sent)
            assertEquals(0uL, s.dropped)
        }
    }
}
