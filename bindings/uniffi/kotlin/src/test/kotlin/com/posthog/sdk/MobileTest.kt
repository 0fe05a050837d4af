package com.posthog.sdk

import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.net.URI
import java.nio.file.Files
import java.util.concurrent.atomic.AtomicInteger

private const val MOBILE_KEY = "phc_mobile_test_key_8c1d"
private const val WAIT: ULong = 10_000u

/** `PostHogMobile` against the test server: the API an Android or iOS app uses. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MobileTest {
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

    private fun newDir(): String = Files.createTempDirectory("posthog-mobile").toString()

    private fun mobile(
        dir: String,
        preload: Boolean = false,
        listener: ErrorListener? = null,
        http: HttpClient? = null,
        cipher: RecordCipher? = null,
    ): PostHogMobile = PostHogMobile(
        MOBILE_KEY,
        dir,
        MobileOptions(
            host = server.url,
            context = DeviceContext(appName = "Demo", appVersion = "2.0", osName = "Android", osVersion = "15", deviceModel = "Pixel 9"),
            preloadFeatureFlags = preload,
            errorListener = listener,
            httpClient = http,
            cipher = cipher,
        ),
    )

    private fun named(name: String) = server.events().filter { it["event"] == name }

    @Suppress("UNCHECKED_CAST")
    private fun props(e: Map<String, Any?>) = e["properties"] as Map<String, Any?>

    @Test
    fun anonymousIdPersistsIdentifyLinksItAndResetForgetsIt(): Unit = runBlocking {
        val dir = newDir()
        val anon = mobile(dir).use { m ->
            val id = m.distinctId()
            assertFalse(m.isIdentified())
            assertNotNull(m.capture("opened"))
            m.shutdown(WAIT)
            id
        }
        mobile(dir).use { m ->
            assertEquals(anon, m.distinctId(), "the anonymous id survives a restart")
            assertNotNull(m.identify("user-42", setJson = """{"email": "a@b.c"}"""))
            assertEquals("user-42", m.distinctId())
            m.capture("bought", """{"price": 9.5}""")
            m.flush(WAIT)
            val ident = named("\$identify").single()
            assertEquals("user-42", ident["distinct_id"])
            assertEquals(anon, props(ident)["\$anon_distinct_id"])
            val bought = named("bought").single()
            assertEquals("user-42", bought["distinct_id"])
            assertEquals("Pixel 9", props(bought)["\$device_model"])
            assertEquals("Android", props(bought)["\$os"])
            assertNotNull(props(bought)["\$session_id"])

            val session = m.sessionId()
            m.reset()
            assertNotEquals("user-42", m.distinctId())
            assertNotEquals(anon, m.distinctId())
            assertFalse(m.isIdentified())
            assertNotEquals(session, m.sessionId())
            m.shutdown(WAIT)
        }
    }

    @Test
    fun superPropertiesGroupsAndOptOutPersist(): Unit = runBlocking {
        val dir = newDir()
        mobile(dir).use { m ->
            m.register("plan", "pro")
            m.registerJson("seats", "3")
            m.group("company", "acme")
            m.optOut()
            assertNull(m.capture("hidden"))
            m.shutdown(WAIT)
        }
        mobile(dir).use { m ->
            assertTrue(m.isOptedOut())
            assertEquals(mapOf("company" to "acme"), m.groups())
            assertEquals(Json.parse(m.superPropertiesJson()).obj(), mapOf("plan" to "pro", "seats" to 3.0))
            m.optIn()
            m.capture("visible")
            m.flush(WAIT)
            val e = named("visible").single()
            assertEquals("pro", props(e)["plan"])
            assertEquals(mapOf("company" to "acme"), props(e)["\$groups"])
            assertTrue(named("hidden").isEmpty())
            m.shutdown(WAIT)
        }
    }

    @Test
    fun flagsAreCachedOnDiskForAColdStart(): Unit = runBlocking {
        server.flagOverrides("""{"beta": {"value": "variant-b", "payload": {"color": "blue"}}, "dark": {"value": true}}""")
        val dir = newDir()
        mobile(dir).use { m ->
            assertNull(m.getFeatureFlag("beta"))
            m.reloadFeatureFlags()
            assertEquals(FlagValue.Variant("variant-b"), m.getFeatureFlag("beta"))
            assertTrue(m.isFeatureEnabled("dark"))
            assertEquals(mapOf("color" to "blue"), Json.parse(m.getFeatureFlagPayloadJson("beta")!!).obj())
            val all = m.featureFlags()
            assertEquals(FlagValue.Bool(true), all["dark"])
            assertEquals(FlagValue.Variant("variant-b"), all["beta"])
            m.shutdown(WAIT)
        }
        // Cold start with /flags failing: the cached values answer at once, and a refresh
        // that fails throws the mapped error while the cache stays.
        server.flagOverrides("{}")
        server.faults("""[{"route": "flags", "status": 500}]""")
        val rec = Recorder()
        mobile(dir, listener = rec).use { m ->
            assertEquals(FlagValue.Variant("variant-b"), m.getFeatureFlag("beta"))
            assertThrows<PostHogException.Server> { runBlocking { m.reloadFeatureFlags() } }
            assertNotNull(rec.next("server"))
            assertTrue(m.isFeatureEnabled("beta"))
            m.shutdown(WAIT)
        }
    }

    @Test
    fun offlineEventsSurviveARestartAndAreDeliveredOnce(): Unit = runBlocking {
        val dir = newDir()
        val ids = mobile(dir).use { m ->
            m.onNetworkChange(false)
            val ids = (1..4).map { m.capture("offline-$it")!! }
            m.onBackground()
            assertThrows<PostHogException.Timeout> { runBlocking { m.flush(WAIT) } }
            // Shutting down offline says what was not delivered; the events stay on disk.
            assertThrows<PostHogException.Timeout> { m.shutdown(1_000u) }
            ids
        }
        assertTrue(server.events().isEmpty(), "nothing was sent offline")
        mobile(dir).use { m ->
            m.flush(WAIT)
            m.shutdown(WAIT)
        }
        val got = server.events().filter { (it["event"] as String).startsWith("offline-") }
        assertEquals(ids.toSet(), got.map { it["uuid"] }.toSet())
        assertEquals(4, got.size)
    }

    @Test
    fun backgroundSendsAtOnceAndForegroundOpens(): Unit = runBlocking {
        mobile(newDir()).use { m ->
            m.capture("tap")
            m.onBackground()
            assertTrue(server.waitEvents(2), "sent without flush")
            m.onForeground()
            m.flush(WAIT)
            assertEquals(
                listOf("tap", "Application Backgrounded", "Application Opened"),
                server.events().map { it["event"] },
            )
            m.shutdown(WAIT)
        }
    }

    /** Forwards to the test server with the JDK's client, counting calls. */
    class JdkHttp : HttpClient {
        val calls = AtomicInteger()
        val printed = java.util.concurrent.ConcurrentLinkedQueue<String>()
        private val http = java.net.http.HttpClient.newHttpClient()
        override fun send(request: HttpRequest): HttpResponse {
            calls.incrementAndGet()
            printed.add(request.toString())
            val b = java.net.http.HttpRequest.newBuilder(URI(request.url()))
                .method(request.method(), java.net.http.HttpRequest.BodyPublishers.ofByteArray(request.body()))
            request.headers().forEach { (k, v) -> if (k.lowercase() !in setOf("content-length", "host")) b.header(k, v) }
            val r = http.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray())
            return HttpResponse(r.statusCode().toUShort(), r.headers().map().mapValues { it.value.first() }, r.body())
        }
    }

    @Test
    fun requestsGoThroughTheAppsHttpStack(): Unit = runBlocking {
        server.flagOverrides("""{"beta": {"value": true}}""")
        val http = JdkHttp()
        mobile(newDir(), http = http).use { m ->
            m.capture("via-app-stack")
            m.flush(WAIT)
            m.reloadFeatureFlags()
            assertTrue(m.isFeatureEnabled("beta"))
            m.shutdown(WAIT)
        }
        assertTrue(http.calls.get() >= 2)
        assertEquals(1, named("via-app-stack").size)
        assertTrue(http.printed.all { !it.contains(MOBILE_KEY) && it.contains("body bytes") }, http.printed.toString())
    }

    @Test
    fun aFailingAppHttpStackIsATransportErrorAndKeepsTheEvents(): Unit = runBlocking {
        val failing = object : HttpClient {
            override fun send(request: HttpRequest): HttpResponse =
                throw HttpException.Connection("pinning failed")
        }
        val rec = Recorder()
        val dir = newDir()
        val m = PostHogMobile(MOBILE_KEY, dir, MobileOptions(host = server.url, maxRetries = 0u, preloadFeatureFlags = false, errorListener = rec, httpClient = failing))
        m.use {
            assertNotNull(it.capture("kept"))
            it.flush(WAIT)
            val (_, message) = rec.next("transport")!!
            assertTrue(message.contains("pinning failed"), message)
            assertThrows<PostHogException.Transport> { runBlocking { it.reloadFeatureFlags() } }
            it.shutdown(WAIT)
        }
        // Kept on disk after its retries ran out: the next start delivers it.
        mobile(dir).use {
            it.flush(WAIT)
            it.shutdown(WAIT)
        }
        assertEquals(1, named("kept").size)
    }

    @Test
    fun keysAreRefusedAndNeverPrinted() {
        val personal = "phx_mobile_personal_secret_99"
        val e = assertThrows<PostHogException.InvalidKey> { PostHogMobile(personal, newDir(), MobileOptions(host = server.url)) }
        assertFalse(e.message!!.contains(personal), e.message)
        assertThrows<PostHogException.Config> { PostHogMobile(MOBILE_KEY, newDir(), MobileOptions(host = "http://example.com")) }
        assertThrows<PostHogException.InvalidInput> {
            mobile(newDir()).use { it.registerJson("k", "{nope") }
        }
        mobile(newDir()).use { m ->
            val text = m.toString()
            assertFalse(text.contains(MOBILE_KEY), text)
            assertTrue(text.contains("MobileClient"), text)
            m.shutdown(WAIT)
        }
    }

    /**
     * A toy cipher (XOR, the key byte as a tag so a wrong key is detected); an app uses an
     * authenticated cipher (AES-GCM) with a Keystore/Keychain key.
     */
    class XorCipher(private val k: Int) : RecordCipher {
        override fun seal(plain: ByteArray): ByteArray = byteArrayOf(k.toByte()) + plain.map { (it.toInt() xor k).toByte() }
        override fun open(sealed: ByteArray): ByteArray {
            if (sealed.isEmpty() || sealed[0] != k.toByte()) throw CipherException.Failed("not sealed with this key")
            return sealed.drop(1).map { (it.toInt() xor k).toByte() }.toByteArray()
        }
    }

    private fun allBytes(dir: String): String =
        java.io.File(dir).walk().filter { it.isFile }.joinToString("") { String(it.readBytes(), Charsets.ISO_8859_1) }

    @Test
    fun theQueueCanBeEncryptedAtRest(): Unit = runBlocking {
        val dir = newDir()
        mobile(dir, cipher = XorCipher(0x5a)).use { m ->
            m.onNetworkChange(false)
            m.capture("secret_purchase", """{"card_last4": "4242"}""")
            assertThrows<PostHogException.Timeout> { m.shutdown(1_000u) }
        }
        val onDisk = allBytes("$dir/queue")
        assertFalse(onDisk.contains("secret_purchase") || onDisk.contains("4242"), "the queue is sealed")
        // A start whose cipher cannot open the records reports and counts them, never crashes.
        val rec = Recorder()
        val other = newDir()
        java.io.File("$dir/queue").copyRecursively(java.io.File("$other/queue"))
        mobile(other, listener = rec, cipher = XorCipher(0x11)).use { m ->
            assertTrue(rec.next("io")!!.second.contains("could not be opened"))
            assertEquals(1uL, m.stats().failed)
            m.shutdown(WAIT)
        }
        // The right key delivers it.
        mobile(dir, cipher = XorCipher(0x5a)).use { m ->
            m.flush(WAIT)
            m.shutdown(WAIT)
        }
        assertEquals("4242", props(named("secret_purchase").single())["card_last4"])
    }

    @Test
    fun badInputIsTypedAndLosesNothingAccepted(): Unit = runBlocking {
        val file = Files.createTempFile("posthog-not-a-dir", ".txt").toString()
        assertThrows<PostHogException.Io> { PostHogMobile(MOBILE_KEY, file, MobileOptions(host = server.url)) }
        val rec = Recorder()
        mobile(newDir(), listener = rec).use { m ->
            assertNotNull(m.capture("kept", """{"n": 1}"""))
            assertNull(m.capture("broken", "{not json"))
            assertNull(m.screen("Broken", "[1, 2]"))
            assertNull(m.identify(""))
            assertNotNull(rec.next("invalid_input"))
            val report = m.flush(WAIT)
            assertEquals(1uL, report.sent)
            assertEquals(3uL, m.stats().droppedInvalid)
            assertEquals(listOf("kept"), server.events().map { it["event"] })
            m.shutdown(WAIT)
        }
    }
}
