'use strict'
// Conversions at the boundary with the native layer: maps to JSON text (so `Date`, `toJSON`
// and `undefined` behave as in posthog-node), JSON text back to values, times and flags.

/** JSON text of an optional map, or `undefined`. Throws on BigInt or cycles (caught by callers). */
function json(value) {
  return value === undefined || value === null ? undefined : JSON.stringify(value)
}

/** JSON text of a map for the local evaluator: a string is taken as JSON text already. */
function jsonText(value) {
  return typeof value === 'string' ? value : json(value)
}

/** JSON text from the native layer → a value; nothing → `undefined`. */
function parse(text) {
  return text === null || text === undefined ? undefined : JSON.parse(text)
}

/**
 * `getAllFlagsAndPayloads`' JSON text → the value; a `null` payload is `undefined` (JSON has
 * no `undefined`: the core writes `null` for a flag listed without a payload).
 */
function payloadsParse(text) {
  const r = parse(text)
  for (const k of Object.keys(r?.featureFlagPayloads ?? {})) {
    if (r.featureFlagPayloads[k] === null) r.featureFlagPayloads[k] = undefined
  }
  return r
}

/** A `Date` as RFC 3339; strings pass through (the core parses them). */
function time(value) {
  return value instanceof Date ? value.toISOString() : value
}

function ms(value) {
  return typeof value === 'number' ? value : undefined
}

function enabled(text) {
  return text === null || text === undefined ? undefined : text === 'true'
}

module.exports = { json, jsonText, parse, payloadsParse, time, ms, enabled }
