package com.posthog.sdk

/**
 * A tiny JSON reader for the tests (objects → Map, arrays → List, numbers → Double), over the
 * same scanner as [RawJson].
 */
object Json {
    fun parse(text: String): Any? = doubles(RawJson.tree(text))

    private fun doubles(v: Any?): Any? = when (v) {
        is RawNumber -> v.text.toDouble()
        is List<*> -> v.map { doubles(it) }
        is Map<*, *> -> v.entries.associateTo(LinkedHashMap<String, Any?>()) { (k, e) -> k as String to doubles(e) }
        else -> v
    }
}

@Suppress("UNCHECKED_CAST")
fun Any?.obj(): Map<String, Any?> = this as Map<String, Any?>

@Suppress("UNCHECKED_CAST")
fun Any?.list(): List<Any?> = this as List<Any?>

/** A number literal exactly as written, so integers and floats stay apart (`5` vs `5.0`). */
data class RawNumber(val text: String)

/**
 * Raw JSON text helpers for the conformance vectors: slices of the original line (number
 * literals untouched, so the binding's serde_json sees what the file says), and one canonical
 * form used on both sides of a payload comparison.
 */
object RawJson {
    /** Top-level fields of a JSON object → the raw text of each value, in order. */
    fun fields(text: String): LinkedHashMap<String, String> {
        val p = Scanner(text)
        val out = LinkedHashMap<String, String>()
        p.ws()
        require(p.s[p.i] == '{') { "not a JSON object" }
        p.i++
        p.ws()
        if (p.s[p.i] == '}') return out
        while (true) {
            p.ws()
            val k = p.str()
            p.ws()
            require(p.s[p.i++] == ':') { "expected : at ${p.i - 1}" }
            p.ws()
            val start = p.i
            p.value()
            out[k] = text.substring(start, p.i)
            p.ws()
            when (p.s[p.i++]) {
                ',' -> continue
                '}' -> return out
                else -> error("expected , or } at ${p.i - 1}")
            }
        }
    }

    /** The elements of a JSON array as raw text. */
    fun elements(text: String): List<String> {
        val p = Scanner(text)
        val out = mutableListOf<String>()
        p.ws()
        require(p.s[p.i] == '[') { "not a JSON array" }
        p.i++
        p.ws()
        if (p.s[p.i] == ']') return out
        while (true) {
            p.ws()
            val start = p.i
            p.value()
            out.add(text.substring(start, p.i))
            p.ws()
            when (p.s[p.i++]) {
                ',' -> continue
                ']' -> return out
                else -> error("expected , or ] at ${p.i - 1}")
            }
        }
    }

    /**
     * A canonical text: object keys sorted, strings re-escaped one way, integers as integers,
     * floats as the Double they denote (printed with a '.' or exponent, so `1` ≠ `1.0`).
     */
    fun canonical(text: String): String {
        val sb = StringBuilder()
        write(tree(text), sb)
        return sb.toString()
    }

    /** The whole text as Map / List / String / Boolean / null / [RawNumber]. */
    fun tree(text: String): Any? {
        val p = Scanner(text)
        val v = p.value()
        p.ws()
        require(p.i == text.length) { "trailing characters at ${p.i}" }
        return v
    }

    private fun write(v: Any?, sb: StringBuilder) {
        when (v) {
            null -> sb.append("null")
            is Boolean -> sb.append(v)
            is RawNumber ->
                if (v.text.any { it == '.' || it == 'e' || it == 'E' }) sb.append("f:").append(v.text.toDouble().toString())
                else sb.append(java.math.BigInteger(v.text).toString())
            is String -> quote(v, sb)
            is List<*> -> {
                sb.append('[')
                v.forEachIndexed { i, e -> if (i > 0) sb.append(','); write(e, sb) }
                sb.append(']')
            }
            is Map<*, *> -> {
                sb.append('{')
                v.entries.sortedBy { it.key as String }.forEachIndexed { i, (k, e) ->
                    if (i > 0) sb.append(',')
                    quote(k as String, sb)
                    sb.append(':')
                    write(e, sb)
                }
                sb.append('}')
            }
            else -> error("unexpected ${v::class}")
        }
    }

    private fun quote(s: String, sb: StringBuilder) {
        sb.append('"')
        for (c in s) {
            when {
                c == '"' -> sb.append("\\\"")
                c == '\\' -> sb.append("\\\\")
                c < ' ' -> sb.append(String.format("\\u%04x", c.code))
                else -> sb.append(c)
            }
        }
        sb.append('"')
    }

    /** A JSON reader that keeps number literals as [RawNumber] and tracks its position. */
    private class Scanner(val s: String) {
        var i = 0

        fun ws() {
            while (i < s.length && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++
        }

        fun value(): Any? {
            ws()
            return when (val c = s[i]) {
                '{' -> obj()
                '[' -> arr()
                '"' -> str()
                't' -> lit("true", true)
                'f' -> lit("false", false)
                'n' -> lit("null", null)
                else -> if (c == '-' || c.isDigit()) num() else error("unexpected '$c' at $i")
            }
        }

        fun lit(word: String, v: Any?): Any? {
            require(s.startsWith(word, i)) { "bad literal at $i" }
            i += word.length
            return v
        }

        fun num(): RawNumber {
            val start = i
            while (i < s.length && (s[i].isDigit() || s[i] in "+-.eE")) i++
            return RawNumber(s.substring(start, i))
        }

        fun str(): String {
            val out = StringBuilder()
            require(s[i] == '"') { "expected a string at $i" }
            i++
            while (true) {
                when (val c = s[i++]) {
                    '"' -> return out.toString()
                    '\\' -> when (val e = s[i++]) {
                        'n' -> out.append('\n')
                        't' -> out.append('\t')
                        'r' -> out.append('\r')
                        'b' -> out.append('\b')
                        'f' -> out.append('\u000c')
                        'u' -> {
                            out.append(s.substring(i, i + 4).toInt(16).toChar())
                            i += 4
                        }
                        else -> out.append(e)
                    }
                    else -> out.append(c)
                }
            }
        }

        fun arr(): List<Any?> {
            val out = mutableListOf<Any?>()
            i++
            ws()
            if (s[i] == ']') { i++; return out }
            while (true) {
                out.add(value())
                ws()
                when (s[i++]) {
                    ',' -> continue
                    ']' -> return out
                    else -> error("expected , or ] at ${i - 1}")
                }
            }
        }

        fun obj(): Map<String, Any?> {
            val out = LinkedHashMap<String, Any?>()
            i++
            ws()
            if (s[i] == '}') { i++; return out }
            while (true) {
                ws()
                val k = str()
                ws()
                require(s[i++] == ':') { "expected : at ${i - 1}" }
                out[k] = value()
                ws()
                when (s[i++]) {
                    ',' -> continue
                    '}' -> return out
                    else -> error("expected , or } at ${i - 1}")
                }
            }
        }
    }
}
