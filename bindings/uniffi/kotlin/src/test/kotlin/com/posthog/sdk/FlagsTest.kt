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
import java.io.File

private const val PROJECT_KEY = "phc_kotlin_flags_key_81c2"
private const val SECURE_KEY = "phs_testsecurekey"
private const val TIMEOUT_MS: ULong = 10_000u

/**
 * The flag API of `PostHogClient` against the local test server: its default definitions are
 * the 53 flags of `crates/posthog-flags/tests/data/flag_definitions.json`.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlagsTest {
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

    private fun options(listener: ErrorListener? = null) =
        ClientOptions(host = server.url, maxRetries = 0u, errorListener = listener)

    private fun local(listener: ErrorListener? = null, key: String = SECURE_KEY) =
        PostHogClient.withLocalEvaluation(PROJECT_KEY, key, options(listener))

    private fun remote(listener: ErrorListener? = null) = PostHogClient(PROJECT_KEY, options(listener))

    private fun flagsCalled() = server.events().filter { it["event"] == "\$feature_flag_called" }

    @Test
    fun localEvaluationMakesNoFlagsRequest() {
        local().use { c ->
            assertEquals(FlagValue.Bool(true), c.getFeatureFlag("rollout-100-pct", "user-1"))
            assertEquals(false, c.isFeatureEnabled("rollout-000-pct", "user-1"))
            val variant = c.getFeatureFlag("exp-checkout-flow", "user-1")
            assertTrue(variant is FlagValue.Variant, variant.toString())
            val payload = c.getFeatureFlagPayload("exp-checkout-flow", "user-1")
            val steps = if ((variant as FlagValue.Variant).key == "test") 1.0 else 3.0
            assertEquals(steps, Json.parse(payload!!).obj()["steps"])
            val pro = FlagOptions(personPropertiesJson = """{"plan": "pro"}""")
            assertEquals(true, c.isFeatureEnabled("paid-plans", "user-1", pro))
            val result = c.getFeatureFlagResult("paid-plans", "user-1", pro)!!
            assertTrue(result.locallyEvaluated)
            assertEquals(1015L, result.id)
            assertEquals("condition_match", result.reason)
            val all = c.getAllFlags("user-1", FlagOptions(onlyEvaluateLocally = true))
            assertEquals(FlagValue.Bool(true), all["rollout-100-pct"])
            assertFalse("paid-plans" in all, "undecidable without the plan property")
        }
        assertEquals(0, server.stat("flags_requests"))
        assertTrue(server.stat("definitions_requests") >= 1)
    }

    @Test
    fun undecidableFlagFallsBackToFlags() {
        server.flagOverrides("""{"paid-plans": {"value": true, "payload": {"tier": 2}}}""")
        local().use { c ->
            val r = c.getFeatureFlagResult("paid-plans", "user-2")!!
            assertEquals(FlagValue.Bool(true), r.value)
            assertFalse(r.locallyEvaluated)
            assertNotNull(r.requestId)
            assertEquals(2.0, Json.parse(r.payloadJson!!).obj()["tier"])
            assertEquals(1, server.stat("flags_requests"))
            val snap = c.evaluateFlags("user-2", keys = listOf("paid-plans", "rollout-100-pct"))
            assertFalse(snap.flags.getValue("paid-plans").locallyEvaluated)
            assertTrue(snap.flags.getValue("rollout-100-pct").locallyEvaluated)
            assertTrue(snap.unresolved.isEmpty(), snap.unresolved.toString())
            assertNotNull(snap.requestId)
        }
        assertEquals(2, server.stat("flags_requests"))
    }

    @Test
    fun onlyEvaluateLocallyGivesNullForAnUndecidableFlag() {
        server.flagOverrides("""{"paid-plans": true}""")
        local().use { c ->
            val localOnly = FlagOptions(onlyEvaluateLocally = true)
            assertNull(c.getFeatureFlag("paid-plans", "user-3", localOnly))
            assertNull(c.isFeatureEnabled("paid-plans", "user-3", localOnly))
            val snap = c.evaluateFlags("user-3", localOnly, listOf("paid-plans"))
            assertTrue(snap.flags.isEmpty())
            assertEquals("missing_context", snap.unresolved["paid-plans"])
        }
        assertEquals(0, server.stat("flags_requests"))
    }

    @Test
    fun quotaLimitedGivesNullAndIsReported() {
        server.flagsQuotaLimited(true)
        val rec = Recorder()
        remote(rec).use { c ->
            assertNull(c.getFeatureFlag("rollout-100-pct", "user-4"))
            assertNotNull(rec.next("quota_limited"), "the listener hears quota_limited")
            assertThrows<PostHogException.QuotaLimited> { c.evaluateFlags("user-4") }
            assertTrue(c.getAllFlags("user-4").isEmpty())
        }
    }

    @Test
    fun reloadFeatureFlagsUsesTheETag() {
        local().use { c ->
            c.reloadFeatureFlags()
            c.reloadFeatureFlags()
            assertTrue(server.stat("definitions_not_modified") >= 1, server.stats().toString())
            val defs = server.requests().filter { (it["path"] as String).contains("definitions") || (it["path"] as String).contains("local_evaluation") }
            assertTrue(defs.size >= 2, defs.toString())
            assertTrue(defs.any { it["headers"].obj()["if-none-match"] != null }, "a reload sends If-None-Match")
            assertTrue(defs.all { it["headers"].obj()["authorization"] == "Bearer $SECURE_KEY" })

            server.flagDefinitions(
                """{"flags": [{"id": 9, "key": "fresh-flag", "active": true,
                   "filters": {"groups": [{"properties": [], "rollout_percentage": 100}]}}],
                   "group_type_mapping": {}, "cohorts": {}}""",
            )
            c.reloadFeatureFlags()
            assertEquals(FlagValue.Bool(true), c.getFeatureFlag("fresh-flag", "user-5", FlagOptions(onlyEvaluateLocally = true)))
            assertNull(c.getFeatureFlag("rollout-100-pct", "user-5", FlagOptions(onlyEvaluateLocally = true)))
        }
        assertEquals(0, server.stat("flags_requests"))
    }

    @Test
    fun reloadWithoutAPersonalKeyIsAConfigError() {
        remote().use { c -> assertThrows<PostHogException.Config> { c.reloadFeatureFlags() } }
    }

    @Test
    fun featureFlagCalledIsCapturedOnce() {
        local().use { c ->
            repeat(3) { assertEquals(FlagValue.Bool(true), c.getFeatureFlag("rollout-100-pct", "user-6")) }
            assertEquals(true, c.isFeatureEnabled("rollout-100-pct", "user-6"))
            c.getFeatureFlagPayload("rollout-100-pct", "user-6") // captures nothing
            c.getFeatureFlag("rollout-100-pct", "user-7", FlagOptions(sendFeatureFlagEvents = false))
            c.flush(TIMEOUT_MS)
        }
        val called = flagsCalled()
        assertEquals(1, called.size, called.toString())
        val p = called[0]["properties"].obj()
        assertEquals("user-6", called[0]["distinct_id"])
        assertEquals("rollout-100-pct", p["\$feature_flag"])
        assertEquals(true, p["\$feature_flag_response"])
        assertEquals(true, p["locally_evaluated"])
    }

    @Test
    fun sendFeatureFlagEventsOffCapturesNothing() {
        val opts = options().apply { sendFeatureFlagEvents = false }
        PostHogClient(PROJECT_KEY, opts, SECURE_KEY).use { c ->
            assertEquals(FlagValue.Bool(true), c.getFeatureFlag("rollout-100-pct", "user-8"))
            c.flush(TIMEOUT_MS)
        }
        assertTrue(flagsCalled().isEmpty())
    }

    @Test
    fun captureAttachesASnapshot() {
        local().use { c ->
            val snap = c.evaluateFlags("user-9", FlagOptions(onlyEvaluateLocally = true))
            assertTrue(snap.flags.getValue("rollout-100-pct").locallyEvaluated)
            assertEquals("user-9", snap.distinctId)
            assertNotNull(c.capture(CaptureEvent("purchase", "user-9", propertiesJson = """{"${'$'}feature/rollout-000-pct": "mine"}""", flags = snap)))
            c.flush(TIMEOUT_MS)
        }
        val e = server.events().single { it["event"] == "purchase" }
        val p = e["properties"].obj()
        assertEquals(true, p["\$feature/rollout-100-pct"])
        assertEquals("mine", p["\$feature/rollout-000-pct"], "explicit properties win")
        assertTrue((p["\$active_feature_flags"] as List<*>).contains("rollout-100-pct"))
        assertFalse((p["\$active_feature_flags"] as List<*>).contains("rollout-000-pct"))
        assertEquals(0, server.stat("flags_requests"))
    }

    @Test
    fun badInputThrowsInvalidInput() {
        local().use { c ->
            assertThrows<PostHogException.InvalidInput> {
                c.getFeatureFlag("paid-plans", "u", FlagOptions(personPropertiesJson = "{\"plan\": phx_oops"))
            }.also { assertFalse(it.message!!.contains("phx_oops"), it.message) }
            assertThrows<PostHogException.InvalidInput> { c.getFeatureFlag("paid-plans", "") }
            assertThrows<PostHogException.InvalidInput> { c.evaluateFlags("u", FlagOptions(groupsJson = "[]")) }
        }
    }

    @Test
    fun aProjectKeyIsRefusedAsPersonalKey() {
        val wrong = "phc_another_project_key_value"
        val e = assertThrows<PostHogException.InvalidKey> { PostHogClient.withLocalEvaluation(PROJECT_KEY, wrong, options()) }
        assertFalse(e.message!!.contains(wrong), e.message)
        assertThrows<PostHogException.InvalidKey> { PostHogClient(PROJECT_KEY, options(), wrong) }
    }

    @Test
    fun personalKeyIsNeverPrinted() {
        val personal = "phx_kotlin_personal_secret_4711"
        server.registerKeys("""{"$personal": ["feature_flag:read"]}""")
        val rec = Recorder()
        val opts = options(rec)
        local(rec, personal).use { c ->
            c.reloadFeatureFlags()
            assertEquals(FlagValue.Bool(true), c.getFeatureFlag("rollout-100-pct", "user-10"))
            for (text in listOf(c.toString(), opts.toString(), c.stats().toString(), c.evaluateFlags("user-10").toString())) {
                assertFalse(text.contains(personal), text)
            }
            assertTrue(server.requests().any { it["headers"].obj()["authorization"] == "Bearer $personal" })
        }
        // A key the server does not know: the reload fails, and neither the exception nor the
        // listener repeats it.
        val unknown = "phx_unknown_personal_secret_0815"
        local(rec, unknown).use { c ->
            val e = assertThrows<PostHogException.Unauthorized> { c.reloadFeatureFlags() }
            assertFalse(e.toString().contains(unknown), e.toString())
            assertFalse(c.toString().contains(unknown), c.toString())
        }
        for ((_, message) in rec.errors) assertFalse(message.contains(unknown) || message.contains(personal), message)
    }

    @Test
    fun flagHashAndLocalEvaluatorWorkWithoutAClient() {
        assertEquals(0.33695721036248605, flagHash("simple-flag", "", "variant"))
        LocalEvaluator(File(System.getProperty("posthog.repo.root") ?: "../../..", "crates/posthog-flags/tests/data/flag_definitions.json").readText()).use { ev ->
            assertEquals(53, ev.flagKeys().size)
            assertEquals(FlagValue.Bool(true), ev.evaluate("rollout-100-pct", """{"distinct_id": "u"}""").value)
            val e = assertThrows<PostHogException.Inconclusive> { ev.evaluate("paid-plans", """{"distinct_id": "u"}""") }
            assertEquals("missing_context", e.attributes().reason)
            assertEquals("unknown_flag", assertThrows<PostHogException.Inconclusive> { ev.evaluate("nope", """{"distinct_id": "u"}""") }.attributes().reason)
            val all = ev.evaluateAll("""{"distinct_id": "u", "person_properties": {"plan": "pro"}}""")
            assertEquals(FlagValue.Bool(true), all.flags.getValue("paid-plans").value)
            assertThrows<PostHogException.InvalidInput> { ev.evaluate("x", """{"distinctId": "u"}""") }
        }
        assertThrows<PostHogException.InvalidInput> { LocalEvaluator("[1]") }
        assertTrue(matchProperty("""{"key": "n", "operator": "gt", "value": 5}""", """{"n": 6}"""))
        assertThrows<PostHogException.Inconclusive> { matchProperty("""{"key": "n", "operator": "gt", "value": 5}""", "{}") }
    }
}
