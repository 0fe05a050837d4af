package com.posthog.sdk

import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.fail
import java.io.File

/**
 * Every line of the shared conformance vectors (`crates/posthog-flags/tests/data/{hash,consistency,properties,flags}.jsonl`, see
 * `/work/shared/conformance/README.md`) through the public Kotlin API: `flagHash`,
 * `matchProperty` and a fresh `LocalEvaluator` per line. The JSON handed to the binding is raw
 * text sliced from the line (number literals as written); expected and got are compared here.
 */
class FlagsConformanceTest {
    private val dataDir = File(System.getProperty("posthog.repo.root") ?: "../../..", "crates/posthog-flags/tests/data")

    /** The file's lines, split on LF only (strings inside hold U+2028, U+0085, CR, …). */
    private fun lines(name: String): List<String> {
        val text = File(dataDir, name).readBytes().toString(Charsets.UTF_8)
        return text.split('\n').filter { it.isNotEmpty() }
    }

    private class Report(val file: String) {
        var total = 0
        val failures = mutableListOf<String>()

        fun check(f: Map<String, String>, ok: Boolean, expected: String, got: String) {
            total++
            if (!ok) failures.add("${str(f["id"])} (${str(f["note"])}): expected $expected got $got")
        }

        fun finish() {
            failures.take(40).forEach { println("FAIL $it") }
            println("$file: ${total - failures.size} of $total lines pass")
            assertTrue(total > 0, "$file has no lines")
            if (failures.isNotEmpty()) fail("${failures.size} of $total lines of $file failed; first: ${failures.first()}")
        }
    }

    companion object {
        fun str(raw: String?): String = if (raw == null) "" else Json.parse(raw) as String
    }

    @Test
    fun hashVectors() {
        val r = Report("hash.jsonl")
        for (line in lines("hash.jsonl")) {
            val f = RawJson.fields(line)
            val want = f.getValue("hash").toDouble()
            val got = flagHash(
                str(f["key"]),
                str(f["bucketing_value"]),
                str(f["salt"]),
                f["separator"]?.let { str(it) } ?: ".",
            )
            r.check(f, got == want, f.getValue("hash"), got.toString())
        }
        r.finish()
    }

    @Test
    fun propertyVectors() {
        val r = Report("properties.jsonl")
        for (line in lines("properties.jsonl")) {
            val f = RawJson.fields(line)
            val version = f["property_matching_version"]?.toUInt() ?: 1u
            val expected = Json.parse(f.getValue("expected"))
            val reason = f["reason"]?.let { str(it) }
            val (ok, got) = try {
                val b = matchProperty(f.getValue("property"), f.getValue("values"), version)
                (expected is Boolean && expected == b) to b.toString()
            } catch (e: PostHogException.Inconclusive) {
                val code = e.attributes().reason
                (expected == "inconclusive" && (reason == null || reason == code)) to "inconclusive $code"
            } catch (e: PostHogException) {
                false to "${e::class.simpleName}: ${e.message}"
            }
            r.check(f, ok, f.getValue("expected") + (reason?.let { " $it" } ?: ""), got)
        }
        r.finish()
    }

    /** The definitions response of one line: `{"flags": [flag, ...flags], mapping, cohorts, version}`. */
    private fun definitions(f: Map<String, String>): String {
        val flags = listOf(f.getValue("flag")) + (f["flags"]?.let { RawJson.elements(it) } ?: emptyList())
        val sb = StringBuilder("{\"flags\":[").append(flags.joinToString(",")).append(']')
        for (k in listOf("group_type_mapping", "cohorts", "property_matching_version")) {
            f[k]?.let { sb.append(",\"").append(k).append("\":").append(it) }
        }
        return sb.append('}').toString()
    }

    /** The evaluation context of one line, as `LocalEvaluator.evaluate` reads it. */
    private fun context(f: Map<String, String>): String =
        listOf("distinct_id", "device_id", "person_properties", "groups", "group_properties")
            .mapNotNull { k -> f[k]?.let { "\"$k\":$it" } }
            .joinToString(",", "{", "}")

    private fun show(v: FlagValue): String = when (v) {
        is FlagValue.Bool -> v.value.toString()
        is FlagValue.Variant -> "\"${v.key}\""
    }

    private fun runFlagFile(name: String) {
        val r = Report(name)
        for (line in lines(name)) {
            val f = RawJson.fields(line)
            val key = str(RawJson.fields(f.getValue("flag"))["key"])
            val expected = RawJson.fields(f.getValue("expected"))
            val (ok, got) = try {
                LocalEvaluator(definitions(f)).use { ev ->
                    val res = ev.evaluate(key, context(f))
                    val want = expected["value"]?.let { Json.parse(it) }
                    val valueOk = when (val v = res.value) {
                        is FlagValue.Bool -> want is Boolean && want == v.value
                        is FlagValue.Variant -> want is String && want == v.key
                    }
                    val payloadOk = when (val p = expected["payload"]) {
                        null -> true
                        "null" -> res.payloadJson == null
                        else -> res.payloadJson != null && RawJson.canonical(p) == RawJson.canonical(res.payloadJson!!)
                    }
                    (valueOk && payloadOk && "inconclusive" !in expected) to
                        "${show(res.value)} payload ${res.payloadJson} (${res.reason})"
                }
            } catch (e: PostHogException.Inconclusive) {
                val code = e.attributes().reason
                val reason = expected["reason"]?.let { str(it) }
                ("inconclusive" in expected && (reason == null || reason == code)) to "inconclusive $code (${e.message})"
            } catch (e: PostHogException) {
                false to "${e::class.simpleName}: ${e.message}"
            }
            r.check(f, ok, f.getValue("expected"), got)
        }
        r.finish()
    }

    @Test
    fun consistencyVectors() = runFlagFile("consistency.jsonl")

    @Test
    fun flagVectors() = runFlagFile("flags.jsonl")
}
