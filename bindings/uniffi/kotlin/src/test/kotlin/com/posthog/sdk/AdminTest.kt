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
import java.io.File
import java.nio.file.Files

private const val ADMIN_KEY = "phx_testpersonalkey"
private const val START = "2024-03-01T00:00:00Z"
private const val END = "2024-03-02T00:00:00Z"

/** `PostHogAdminClient` against the test server's private API (`/api/…`). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminTest {
    private lateinit var server: TestServer
    private val tmp: File = Files.createTempDirectory("posthog-admin-test").toFile()

    @BeforeAll
    fun start() {
        server = TestServer()
    }

    @AfterAll
    fun stop() {
        server.close()
        tmp.deleteRecursively()
    }

    @BeforeEach
    fun reset() {
        server.reset()
    }

    private fun options(maxRetries: UInt = 0u) = AdminOptions(host = server.url, timeoutMs = 10_000u, maxRetries = maxRetries)

    private fun admin(key: String = ADMIN_KEY, maxRetries: UInt = 0u) = PostHogAdminClient(key, options(maxRetries))

    private fun eventCount(a: PostHogAdminClient, event: String = "\$pageview"): Int {
        val r = a.query(
            "SELECT count() FROM events WHERE event = {e} AND timestamp >= toDateTime({a}) AND timestamp < toDateTime({b})",
            """{"e": "$event", "a": "$START", "b": "$END"}""",
        )
        assertEquals(1, r.rowsJson.size, r.toString())
        return (Json.parse(r.rowsJson[0]).list()[0] as Double).toInt()
    }

    @Test
    fun meAnswersTheKeysUser() {
        admin().use { a ->
            val me = Json.parse(a.me()).obj()
            assertNotNull(me["email"], me.toString())
            assertEquals(1.0, me["team"].obj()["id"])
            assertEquals(server.url, a.host())
            assertTrue(Json.parse(a.getProject()).obj()["id"] == 1.0)
            val projects = a.listProjects().asSequence().toList()
            assertEquals(1, projects.size)
        }
    }

    @Test
    fun flagsAreListedPageByPageLazily() {
        admin().use { a ->
            val seeded = a.featureFlags().count()
            assertTrue(seeded in 1..100, "seeded $seeded")
            // Enough through the API to need a second page (the server pages by 100).
            repeat(101 - seeded + 20) { a.createFeatureFlag("kt-page-$it", rolloutPercentage = 10.0) }
            val total = 121
            val pager = a.listFeatureFlags()
            val first = pager.nextPage()!!
            assertEquals(100, first.size)
            assertEquals(1uL, pager.pagesFetched(), "the second page is not fetched before it is asked for")
            assertEquals(total.toULong(), pager.total())
            val second = pager.nextPage()!!
            assertEquals(total - 100, second.size)
            assertNull(pager.nextPage())
            assertEquals(2uL, pager.pagesFetched())
            val keys = (first + second).map { it.key }
            assertEquals(keys.size, keys.toSet().size, "no flag twice")
            assertEquals(total, a.featureFlags().count())
            assertTrue(a.featureFlags().any { it.key == "kt-page-0" })
        }
    }

    @Test
    fun createToggleUpdateDelete() {
        admin().use { a ->
            val f = a.createFeatureFlag("kt-checkout", name = "Checkout", rolloutPercentage = 50.0)
            assertEquals("kt-checkout", f.key)
            assertEquals("Checkout", f.name)
            assertTrue(f.active)
            val group = Json.parse(f.filtersJson).obj()["groups"].list()[0].obj()
            assertEquals(50.0, group["rollout_percentage"])
            assertEquals(f.id, (Json.parse(f.json).obj()["id"] as Double).toULong())

            assertFalse(a.setFeatureFlagActive(f.id, false).active)
            assertFalse(a.getFeatureFlag(f.id).active)
            assertEquals("Renamed", a.updateFeatureFlag(f.id, """{"name": "Renamed"}""").name)
            assertTrue(a.setFeatureFlagActive(f.id, true).active)

            val j = a.createFeatureFlagJson(
                """{"key": "kt-json", "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}""",
            )
            assertTrue(j.active, "active defaults to true")

            val activity = a.featureFlagActivity(f.id).asSequence().toList()
            assertTrue(activity.size >= 3, activity.toString())

            a.deleteFeatureFlag(f.id)
            assertThrows<PostHogException.NotFound> { a.getFeatureFlag(f.id) }
            assertFalse(a.featureFlags().any { it.key == "kt-checkout" })

            assertThrows<PostHogException.InvalidInput> { a.updateFeatureFlag(j.id, "[1]") }
            assertThrows<PostHogException.InvalidRequest> { a.createFeatureFlag("kt-json") } // not unique
            assertThrows<PostHogException.InvalidInput> { a.getFeatureFlag(j.id, project = "1/2") }
        }
    }

    @Test
    fun queryReturnsRowsAndTypes() {
        server.generateEvents(250, "\$pageview", START, END)
        server.generateEvents(30, "signup", START, END)
        admin().use { a ->
            assertEquals(250, eventCount(a))
            assertEquals(30, eventCount(a, "signup"))
            val r = a.query(
                "SELECT event, count() AS n FROM events WHERE timestamp >= toDateTime({a}) GROUP BY event ORDER BY event",
                """{"a": "$START"}""",
            )
            assertEquals(listOf("event", "n"), r.columns)
            assertEquals(2, r.types.size)
            assertEquals("UInt64", r.types[1])
            assertEquals(listOf("[\"\$pageview\",250]", "[\"signup\",30]"), r.rowsJson)
            assertEquals(false, r.hasMore)
            val limited = a.query("SELECT uuid FROM events ORDER BY uuid LIMIT 10")
            assertEquals(10, limited.rowsJson.size)
            // PostHog answers hasMore: null for a query with a LIMIT of its own.
            assertNull(limited.hasMore)

            val started = a.queryAsync("SELECT count() FROM events")
            val done = a.waitForQuery(started.id, 10_000u)
            assertEquals("[280]", done.rowsJson[0])

            assertThrows<PostHogException.InvalidInput> { a.query("SELECT 1", "not json") }
            assertThrows<PostHogException.InvalidRequest> { a.query("DROP TABLE events") }
        }
    }

    @Test
    fun exportWritesEveryEventAsJsonLines() {
        server.generateEvents(250, "\$pageview", START, END)
        server.generateEvents(40, "other", START, END)
        admin().use { a ->
            val out = File(tmp, "events.jsonl")
            val pages = mutableListOf<Long>()
            val listener = object : ExportListener {
                override fun onPage(rows: ULong, checkpointJson: String) {
                    pages.add(rows.toLong())
                }
            }
            val report = a.export(
                out.path,
                ExportSource.Events(after = START, before = END, event = "\$pageview", propertiesJson = null),
                pageSize = 100u,
                listener = listener,
            )
            val lines = out.readLines()
            assertEquals(eventCount(a).toULong(), report.rows)
            assertEquals(250, lines.size)
            assertEquals(3uL, report.pages)
            assertEquals(listOf(100L, 200L, 250L), pages)
            val first = Json.parse(lines[0]).obj()
            assertEquals(setOf("uuid", "event", "timestamp", "distinct_id", "properties"), first.keys)
            assertEquals(250, lines.map { Json.parse(it).obj()["uuid"] }.toSet().size)
            val cp = Json.parse(report.checkpointJson).obj()
            assertEquals(250.0, cp["rows"])
            assertEquals(out.length().toDouble(), cp["bytes"])

            val csv = File(tmp, "count.csv")
            val r = a.export(
                csv.path,
                ExportSource.HogQl("SELECT event, count() AS n FROM events GROUP BY event ORDER BY event", null),
                format = ExportFormat.CSV,
            )
            assertEquals(2uL, r.rows)
            assertEquals(listOf("event,n", "\$pageview,250", "other,40"), csv.readLines())
        }
    }

    @Test
    fun anInterruptedExportResumesFromItsCheckpoint() {
        server.generateEvents(250, "\$pageview", START, END)
        val out = File(tmp, "resume.jsonl")
        val source = ExportSource.Events(after = START, before = END, event = null, propertiesJson = null)
        admin().use { a ->
            // The first page passes, the second gets a 500 (no retries).
            server.faults("""[{"latency_ms": 0, "route": "admin"}, {"status": 500, "route": "admin"}]""")
            val e = assertThrows<PostHogException.Server> { a.export(out.path, source, pageSize = 100u) }
            val cp = e.exportCheckpoint
            assertNotNull(cp, e.message)
            assertEquals(100.0, Json.parse(cp!!).obj()["rows"])
            assertEquals(cp, e.info.checkpoint)
            assertEquals(500.toUShort(), e.info.status)
            assertTrue(e.message!!.contains("500"), e.message)
            assertEquals(100, out.readLines().size)

            val rest = a.export(out.path, source, pageSize = 100u, checkpointJson = cp)
            assertEquals(150uL, rest.rows)
            val lines = out.readLines()
            assertEquals(250, lines.size)
            assertEquals(250, lines.map { Json.parse(it).obj()["uuid"] }.toSet().size, "no row twice")
            assertEquals(250.0, Json.parse(rest.checkpointJson).obj()["rows"])

            assertThrows<PostHogException.InvalidInput> { a.export(out.path, source, checkpointJson = "{") }
            // A file shorter than its checkpoint cannot be resumed.
            out.writeText("")
            assertThrows<PostHogException.Io> { a.export(out.path, source, checkpointJson = cp) }
        }
    }

    @Test
    fun anUnwritableExportIsIo() {
        admin().use { a ->
            val e = assertThrows<PostHogException.Io> {
                a.export(File(tmp, "missing/dir/x.jsonl").path, ExportSource.HogQl("SELECT event FROM events ORDER BY uuid", null))
            }
            assertTrue(e.message!!.contains("export output"), e.message)
            assertThrows<PostHogException.InvalidInput> {
                a.export(File(tmp, "bad.jsonl").path, ExportSource.Events("yesterday", END, null, null))
            }
        }
    }

    @Test
    fun otherResourcesListAndGetAsJson() {
        server.generateEvents(20, "\$pageview", START, END)
        admin().use { a ->
            val insights = a.listInsights().asSequence().toList()
            assertEquals(2, insights.size)
            val id = (Json.parse(insights[0]).obj()["id"] as Double).toULong()
            assertEquals(id.toDouble(), Json.parse(a.getInsight(id)).obj()["id"])

            val persons = a.listPersons().asSequence().toList()
            assertEquals(20, persons.size)
            val person = Json.parse(persons[0]).obj()
            assertEquals(person["id"], Json.parse(a.getPerson(person["id"] as String)).obj()["id"])
            val distinct = (person["distinct_ids"].list()[0]) as String
            assertEquals(1, a.listPersons(distinctId = distinct).asSequence().count())

            assertTrue(a.listEventDefinitions().asSequence().any { Json.parse(it).obj()["name"] == "\$pageview" })
            assertTrue(a.listPropertyDefinitions("event").asSequence().any { Json.parse(it).obj()["name"] == "\$browser" })
            assertEquals(0, a.listCohorts().asSequence().count())
            assertEquals(0, a.listAnnotations().asSequence().count())
            assertEquals(0, a.listBatchExports().asSequence().count())
            assertThrows<PostHogException.NotFound> { a.getCohort(12345u) }
            assertThrows<PostHogException.NotFound> { a.getBatchExport("0190a000-0000-4000-8000-000000000000") }
            assertThrows<PostHogException.InvalidInput> { a.getPerson("../x") }
        }
    }

    @Test
    fun statusesMapToTheirExceptions() {
        val limited = "phx_kotlin_limited_key_7f3a"
        server.registerKeys("""{"$limited": ["user:read"]}""")
        PostHogAdminClient("phx_kotlin_unknown_key_51c9", options()).use { a ->
            val e = assertThrows<PostHogException.Unauthorized> { a.me() }
            assertFalse(e.message!!.contains("phx_kotlin_unknown_key_51c9"), e.message)
        }
        PostHogAdminClient(limited, options()).use { a ->
            a.me()
            val e = assertThrows<PostHogException.Forbidden> { a.listFeatureFlags().nextPage() }
            assertTrue(e.message!!.contains("feature_flag:read"), e.message)
            assertThrows<PostHogException.Forbidden> { a.query("SELECT 1") }
            assertFalse(e.message!!.contains(limited), e.message)
            // Rotating to a key with every scope lifts the refusal.
            a.rotateKey(ADMIN_KEY)
            assertTrue(a.featureFlags().count() > 0)
        }
        admin().use { a ->
            assertThrows<PostHogException.NotFound> { a.getFeatureFlag(987654u) }
            assertThrows<PostHogException.NotFound> { a.getProject("42") }
        }
    }

    @Test
    fun projectKeysAreRefusedAndKeysNeverShow() {
        val phc = "phc_kotlin_project_key_0b1d"
        val e = assertThrows<PostHogException.InvalidKey> { PostHogAdminClient(phc, options()) }
        assertFalse(e.message!!.contains(phc), e.message)
        assertThrows<PostHogException.InvalidKey> { PostHogAdminClient("phs_testsecurekey", options()) }
        assertThrows<PostHogException.Config> {
            PostHogAdminClient(ADMIN_KEY, AdminOptions(host = "http://example.com"))
        }
        admin().use { a ->
            val r = assertThrows<PostHogException.InvalidKey> { a.rotateKey(phc) }
            assertFalse(r.message!!.contains(phc), r.message)
            a.me() // the refused rotation kept the key
            val shown = listOf(a.toString(), options().toString(), a.createFeatureFlag("kt-shown").toString())
            for (s in shown) {
                assertFalse(s.contains(ADMIN_KEY) || s.contains("testpersonalkey"), s)
            }
            assertTrue(a.toString().contains(server.url), a.toString())
        }
    }

    @Test
    fun rateLimitedRequestsAreWaitedOut() {
        server.adminRateLimit(2, retryAfter = 1)
        admin().use { a ->
            repeat(3) { a.me() } // the third gets a 429 with Retry-After: 1, then succeeds
        }
        assertEquals(1.0, server.stats()["statuses"].obj()["429"], server.stats().toString())
    }
}
