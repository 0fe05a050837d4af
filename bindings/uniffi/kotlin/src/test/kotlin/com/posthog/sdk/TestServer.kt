package com.posthog.sdk

import java.io.BufferedReader
import java.io.File
import java.io.InputStreamReader
import java.net.URI
import java.net.URLEncoder
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * The workspace's `posthog-testserver` binary, started on a free port, driven through its
 * `/_test/` control API.
 */
class TestServer : AutoCloseable {
    private val process: Process
    val url: String
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()

    init {
        val bin = System.getenv("POSTHOG_TESTSERVER_BIN")
            ?: File(System.getProperty("posthog.repo.root") ?: "../../..", "target/debug/posthog-testserver").path
        require(File(bin).canExecute()) { "test server binary not found at $bin (build it with cargo build -p posthog-testserver)" }
        process = ProcessBuilder(bin, "--port", "0")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start()
        // Read the first line on another thread so a server that never prints cannot hang us.
        val reader = BufferedReader(InputStreamReader(process.inputStream))
        val pool = Executors.newSingleThreadExecutor()
        try {
            val line = pool.submit<String?> { reader.readLine() }.get(30, TimeUnit.SECONDS)
            check(line != null && line.startsWith("http://")) { "unexpected first line from the test server: $line" }
            url = line.trim()
        } catch (e: Exception) {
            process.destroyForcibly()
            throw e
        } finally {
            pool.shutdownNow()
        }
    }

    /**
     * Sends one control request. An idempotent one is sent again once when a pooled
     * connection turns out to be closed by the server (a keep-alive race, not a test failure).
     */
    private fun send(req: HttpRequest, idempotent: Boolean = true): String {
        val res = try {
            http.send(req, HttpResponse.BodyHandlers.ofString())
        } catch (e: java.io.IOException) {
            if (!idempotent) throw e
            http.send(req, HttpResponse.BodyHandlers.ofString())
        }
        check(res.statusCode() == 200) { "${req.method()} ${req.uri()} answered ${res.statusCode()}: ${res.body()}" }
        return res.body()
    }

    private fun get(path: String): String =
        send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60)).GET().build())

    private fun post(path: String, body: String?, idempotent: Boolean): String =
        send(
            HttpRequest.newBuilder(URI.create(url + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(if (body == null) HttpRequest.BodyPublishers.noBody() else HttpRequest.BodyPublishers.ofString(body))
                .build(),
            idempotent,
        )

    /** Every stored event. */
    fun events(): List<Map<String, Any?>> = Json.parse(get("/_test/events")).list().map { it.obj() }

    /** Every recorded request (ingestion, flags, definitions). */
    fun requests(): List<Map<String, Any?>> = Json.parse(get("/_test/requests")).list().map { it.obj() }

    /** Queues faults, e.g. `[{"status":503}]`. */
    fun faults(json: String) {
        post("/_test/faults", json, idempotent = false)
    }

    /** The server's counters (`flags_requests`, `definitions_requests`, `definitions_not_modified`, …). */
    fun stats(): Map<String, Any?> = Json.parse(get("/_test/stats")).obj()

    /** A counter of [stats] as an Int. */
    fun stat(name: String): Int = (stats()[name] as Double).toInt()

    /** `/flags` answers these values whatever evaluation says: `{"key": {"value": …, "payload": …}}`. */
    fun flagOverrides(json: String) {
        post("/_test/flags/overrides", json, idempotent = true)
    }

    /** `/flags` answers the quota-limited form while [on]. */
    fun flagsQuotaLimited(on: Boolean) {
        post("/_test/flags/quota_limited", """{"on": $on}""", idempotent = true)
    }

    /** Serves [json] as the flag definitions; returns the new ETag (quotes included). */
    fun flagDefinitions(json: String): String =
        Json.parse(post("/_test/flags/definitions", json, idempotent = true)).obj()["etag"] as String

    /** Registers keys for the definitions routes: `{"phx_…": ["feature_flag:read"]}`. */
    fun registerKeys(json: String) {
        post("/_test/keys", json, idempotent = true)
    }

    /** Bulk-inserts [count] synthetic events into the private API's database, in `[start, end)`. */
    fun generateEvents(count: Int, event: String, start: String, end: String) {
        post("/_test/events/generate", """{"count": $count, "event": "$event", "start": "$start", "end": "$end"}""", idempotent = false)
    }

    /** The private API's request budget (`null` = unlimited). */
    fun adminRateLimit(limit: Int?, retryAfter: Int = 1) {
        post("/_test/admin/rate_limit", """{"limit": ${limit ?: "null"}, "retry_after": $retryAfter}""", idempotent = true)
    }

    /** Which `/api/personal_api_keys/` generation the server imitates: `"current"` or `"legacy"`. */
    fun personalApiKeys(version: String) {
        post("/_test/admin/personal_api_keys", """{"version": "$version"}""", idempotent = true)
    }

    fun reset() {
        // No body: the server does not read one, and an unread body can make it close the
        // connection the client pools.
        post("/_test/reset", null, idempotent = true)
    }

    /** Long-polls until at least [n] events are stored; true when they were. */
    fun waitEvents(n: Int, timeoutMs: Long = 10_000): Boolean {
        val q = "events=" + URLEncoder.encode(n.toString(), "UTF-8") + "&timeout_ms=$timeoutMs"
        return Json.parse(get("/_test/wait?$q")).obj()["ok"] == true
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
    }
}
