package com.posthog.sdk

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.BeforeAll
import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.io.File
import java.nio.file.Files
import java.time.Instant
import java.time.temporal.ChronoUnit
import java.util.concurrent.atomic.AtomicInteger

private const val KEY = "phx_testpersonalkey"

/** The key practices on the JVM: scopes, preflight, a key provider re-read after a 401, key
 *  management, the activity log and batch export runs by window, against the test server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminKeysTest {
    private lateinit var server: TestServer

    @BeforeAll
    fun start() {
        server = TestServer()
    }

    @AfterAll
    fun stop() = server.close()

    @BeforeEach
    fun reset() = server.reset()

    private fun options() = AdminOptions(host = server.url, timeoutMs = 10_000u, maxRetries = 0u)

    @Test
    fun scopesAndPreflight() {
        assertEquals(
            listOf("activity_log:read", "feature_flag:read", "query:read"),
            adminRequiredScopes(listOf("feature_flags.list", "feature_flags.activity", "export")),
        )
        assertEquals(listOf("activity_log:read"), adminOperations()["activity_log.list"])
        assertThrows<PostHogException.InvalidInput> { adminRequiredScopes(listOf("no.such")) }
        val narrow = "phx_kotlin_flags_only_5e21"
        server.registerKeys("""{"$narrow": ["feature_flag:read"]}""")
        PostHogAdminClient(narrow, options()).use { a ->
            assertEquals(listOf("feature_flag:read"), a.preflight(listOf("feature_flags.list")).granted)
            val e = assertThrows<PostHogException.Forbidden> { a.preflight(listOf("feature_flags.list", "export")) }
            assertEquals("query:read", e.attributes().scope)
            assertFalse(e.message!!.contains(narrow))
            val flag = a.featureFlags().first()
            val refused = assertThrows<PostHogException.Forbidden> { a.featureFlagActivity(flag.id).nextPage() }
            assertEquals("activity_log:read", refused.attributes().scope)
            assertEquals(240u, a.rateBudget("query")!!.perMinute)
            assertThrows<PostHogException.InvalidInput> { a.rateBudget("bulk") }
        }
    }

    @Test
    fun aKeyProviderIsAskedAgainAfterA401() {
        server.personalApiKeys("legacy")
        val secret = Files.createTempFile("posthog-key", ".txt").toFile()
        secret.writeText(KEY)
        val reads = AtomicInteger()
        val provider = object : KeyProvider {
            override fun personalApiKey(): String {
                reads.incrementAndGet()
                return secret.readText().trim()
            }
        }
        PostHogAdminClient.withKeyProvider(provider, options()).use { a ->
            assertEquals(1, reads.get(), "asked once at start")
            a.me()
            val rolled = PostHogAdminClient(KEY, options()).use { job ->
                val id = Json.parse(job.currentKey()).obj()["id"] as String
                Json.parse(job.rollKey(id)).obj()["value"] as String
            }
            assertNotEquals(KEY, rolled)
            secret.writeText(rolled)
            a.me() // 401 with the old key, provider read again, sent once more
            assertEquals(2, reads.get())
            assertFalse(a.toString().contains(rolled))
        }
        secret.delete()
        val failing = object : KeyProvider {
            override fun personalApiKey(): String = throw KeyProviderException.Failed("vault sealed")
        }
        val e = assertThrows<PostHogException.InvalidKey> { PostHogAdminClient.withKeyProvider(failing, options()) }
        assertTrue(e.message!!.contains("vault sealed"), e.message)
        val throwing = object : KeyProvider {
            override fun personalApiKey(): String = throw IllegalStateException("token phx_leaked_1234")
        }
        val t = assertThrows<PostHogException.InvalidKey> { PostHogAdminClient.withKeyProvider(throwing, options()) }
        assertFalse(t.message!!.contains("leaked"), t.message)
    }

    @Test
    fun keyManagementInBothGenerations() {
        PostHogAdminClient(KEY, options()).use { a ->
            assertThrows<PostHogException.Forbidden> { a.listKeys() }
            server.personalApiKeys("legacy")
            val made = Json.parse(a.createKey("nightly export", listOf("query:read"))).obj()
            val value = made["value"] as String
            assertTrue(value.startsWith("phx_"))
            assertEquals(listOf("query:read"), made["scopes"])
            val listed = Json.parse(a.listKeys()).list().map { it.obj() }
            assertTrue(listed.any { it["label"] == "nightly export" })
            assertTrue(listed.all { it["value"] == null })
            assertThrows<PostHogException.InvalidInput> { a.createKey("too wide", emptyList()) }
            a.deleteKey(made["id"] as String)
            PostHogAdminClient(value, options()).use { revoked ->
                assertThrows<PostHogException.Unauthorized> { revoked.me() }
            }
        }
    }

    @Test
    fun activityLogAndRunsByWindow() {
        PostHogAdminClient(KEY, options()).use { a ->
            val flag = a.createFeatureFlag("audited", rolloutPercentage = 5.0)
            a.updateFeatureFlag(flag.id, """{"name": "Audited"}""")
            val entries = a.activityLog(scope = "FeatureFlag", itemId = flag.id.toString()).asSequence()
                .map { Json.parse(it).obj() }.toList()
            assertEquals(listOf("updated", "created"), entries.take(2).map { it["activity"] })

            val be = Json.parse(
                a.createBatchExportJson("""{"name": "s3", "interval": "day", "destination": {"type": "S3", "config": {}}}"""),
            ).obj()
            val id = be["id"] as String
            a.backfillBatchExport(id, "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z")
            val now = Instant.now()
            assertEquals(2, a.listBatchExportRuns(id).asSequence().count())
            assertEquals(0, a.listBatchExportRuns(id, after = now.plus(1, ChronoUnit.HOURS).toString()).asSequence().count())
            assertThrows<PostHogException.InvalidInput> {
                a.listBatchExportRuns(id, after = now.toString(), before = now.minus(1, ChronoUnit.DAYS).toString())
            }

            val first = a.query("SELECT count() FROM events")
            val again = a.query("SELECT count() FROM events")
            val fresh = a.query("SELECT count() FROM events", fresh = true)
            assertEquals(false, first.isCached)
            assertEquals(true, again.isCached)
            assertEquals(false, fresh.isCached)
            assertEquals(first.rowsJson, again.rowsJson)
            assertTrue(Json.parse(again.extraJson).obj().containsKey("timezone"))
            assertNull(a.query("SELECT event FROM events LIMIT 3").hasMore)
        }
    }
}
