// JSON-safe, package-neutral forms of values, calls and errors.

/** An error in a neutral form: what a caller can branch on, not its message or class name. */
export function encodeError(e) {
  if (!(e instanceof Error)) return { error: true, thrownNonError: encode(e) }
  const status = typeof e.status === 'number' ? e.status : null
  return { error: true, status }
}

/** undefined → '<undefined>', functions, Dates, errors, Maps/Sets made explicit. */
export function encode(v, seen = new Set()) {
  if (v === undefined) return '<undefined>'
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v
  if (typeof v === 'number') return Number.isFinite(v) ? v : `<number:${v}>`
  if (typeof v === 'bigint') return `<bigint:${v}>`
  if (typeof v === 'function') return '<function>'
  if (typeof v === 'symbol') return '<symbol>'
  if (v instanceof Error) return encodeError(v)
  if (v instanceof Date) return { $date: Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString() }
  if (seen.has(v)) return '<cycle>'
  seen.add(v)
  try {
    if (typeof v.then === 'function') return '<promise>'
    if (Array.isArray(v)) return v.map((x) => encode(x, seen))
    if (v instanceof Map) return { $map: [...v.entries()].map(([k, x]) => [encode(k, seen), encode(x, seen)]) }
    if (v instanceof Set) return { $set: [...v].map((x) => encode(x, seen)) }
    const out = {}
    for (const k of Object.keys(v)) out[k] = encode(v[k], seen)
    return out
  } finally {
    seen.delete(v)
  }
}

/**
 * Calls `fn` and records what happened: `{ returned }` (a plain value), `{ resolved }` (a
 * Promise that resolved), `{ rejected }` or `{ threw }` (neutral errors).
 */
export async function call(fn) {
  let r
  try {
    r = fn()
  } catch (e) {
    return { threw: encodeError(e) }
  }
  if (r && typeof r.then === 'function') {
    try {
      return { resolved: encode(await r) }
    } catch (e) {
      return { rejected: encodeError(e) }
    }
  }
  return { returned: encode(r) }
}
