// Runs every line of the shared conformance vectors (crates/posthog-flags/tests/data/*.jsonl)
// through the binding's public local evaluator: LocalEvaluator, matchProperty, flagHash.
// Definitions and property maps go to the native layer as the line's own JSON text (cut out
// on the Rust side by `_jsonFields`), so `5` and `5.0` stay apart.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { LocalEvaluator, matchProperty, flagHash } from '../posthog.mjs'
import { native, repoDir } from './helpers.mjs'

const dataDir = path.join(repoDir, 'crates', 'posthog-flags', 'tests', 'data')

/** The lines of a JSON Lines file, split on LF only (strings hold U+2028, U+0085…). */
function lines(name) {
  return readFileSync(path.join(dataDir, name), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((text) => ({ text, line: JSON.parse(text) }))
}

/** Checks every line, then fails with each failing line's id, note, expected and got. */
function run(t, name, check) {
  const all = lines(name)
  const failures = []
  for (const { text, line } of all) {
    let r
    try {
      r = check(line, text)
    } catch (e) {
      r = { ok: false, got: `threw ${e && e.code} ${e && e.message}` }
    }
    if (!r.ok) failures.push(`${line.id} (${line.note}): expected ${JSON.stringify(line.expected ?? line.hash)}${line.reason ? ` ${line.reason}` : ''} got ${r.got}`)
  }
  t.diagnostic(`${name}: ${all.length - failures.length} of ${all.length} lines pass`)
  assert.ok(all.length > 0, `${name} has no lines`)
  assert.equal(failures.length, 0, `${failures.length} of ${all.length} lines of ${name} failed:\n${failures.slice(0, 50).join('\n')}`)
}

function inconclusive(e, line, reason) {
  if (!(e && e.code === 'inconclusive')) throw e
  const ok = reason === undefined || reason === e.reason
  return { ok, got: `inconclusive ${e.reason}` }
}

test('hash.jsonl', (t) => {
  run(t, 'hash.jsonl', (line) => {
    const got = flagHash(line.key, line.bucketing_value, line.salt, line.separator ?? '.')
    return { ok: got === line.hash, got: String(got) }
  })
})

test('properties.jsonl', (t) => {
  run(t, 'properties.jsonl', (line, text) => {
    const f = native._jsonFields(text, ['property', 'values'])
    let got
    try {
      got = matchProperty(f.property, f.values, line.property_matching_version ?? 1)
    } catch (e) {
      const r = inconclusive(e, line, line.reason)
      return { ok: line.expected === 'inconclusive' && r.ok, got: r.got }
    }
    return { ok: got === line.expected, got: String(got) }
  })
})

const FLAG_FIELDS = [
  'flag',
  'flags',
  'group_type_mapping',
  'cohorts',
  'property_matching_version',
  'person_properties',
  'groups',
  'group_properties',
]

/** One line of flags.jsonl / consistency.jsonl, evaluated locally with a fresh evaluator. */
function checkFlag(line, text) {
  const f = native._jsonFields(text, FLAG_FIELDS)
  const others = f.flags && f.flags !== '[]' ? `,${f.flags.slice(1, -1)}` : ''
  let defs = `{"flags":[${f.flag}${others}]`
  for (const k of ['group_type_mapping', 'cohorts', 'property_matching_version']) {
    if (f[k] !== undefined) defs += `,"${k}":${f[k]}`
  }
  defs += '}'
  const evaluator = LocalEvaluator.fromJson(defs)
  const expected = line.expected
  let got
  try {
    got = evaluator.evaluate(line.flag.key, {
      distinctId: line.distinct_id,
      deviceId: line.device_id,
      personProperties: f.person_properties,
      groups: f.groups,
      groupProperties: f.group_properties,
    })
  } catch (e) {
    const r = inconclusive(e, line, expected.reason)
    return { ok: expected.inconclusive === true && r.ok, got: r.got }
  }
  const shown = JSON.stringify(got)
  if (expected.inconclusive) return { ok: false, got: shown }
  if (got.value !== expected.value) return { ok: false, got: shown }
  if ('payload' in expected && !isDeepStrictEqual(got.payload, expected.payload)) return { ok: false, got: shown }
  return { ok: true }
}

test('consistency.jsonl', (t) => {
  run(t, 'consistency.jsonl', checkFlag)
})

test('flags.jsonl', (t) => {
  run(t, 'flags.jsonl', checkFlag)
})
