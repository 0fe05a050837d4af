#!/usr/bin/env node
// `prepack`: puts a self-contained Rust source tree in `rust/`, so that the packed package can
// build its addon outside this repository (scripts/install.js). `postpack` (`--clean`) removes it.
//
// The addon crate depends on workspace crates by path and inherits workspace fields, neither of
// which survives outside the workspace. Like maturin's sdist, this copies what the build needs
// and writes standalone manifests:
//   rust/Cargo.toml            a workspace of the copied crates, with the repo's resolver and profiles
//   rust/Cargo.lock            the repo's lock file (pruned to these crates): the same versions
//   rust/<crate>/Cargo.toml    each path crate of the addon's (non-dev) dependency closure, from
//                              `cargo metadata`: inheritance resolved, path dependencies pointing
//                              at the copies, no dev-dependencies, tests, benches or examples
//   rust/<crate>/src/, build.rs  the library and build-script sources, nothing else
// The addon's library is renamed (`posthog_sdk_npm`): a cdylib's file name carries no hash, so a
// shared CARGO_TARGET_DIR would otherwise mix this build's output with the checkout's.
'use strict'

const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const pkgDir = path.resolve(__dirname, '..')
const outDir = path.join(pkgDir, 'rust')
const ADDON_PACKAGE = 'posthog-sdk-node'
const ADDON_LIB_NAME = 'posthog_sdk_npm'

function main() {
  fs.rmSync(outDir, { recursive: true, force: true })
  if (process.argv.includes('--clean')) return

  const cargo = process.env.CARGO || 'cargo'
  const metadata = JSON.parse(
    execFileSync(cargo, ['metadata', '--format-version', '1', '--manifest-path', path.join(pkgDir, 'Cargo.toml')], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  )
  const byId = new Map(metadata.packages.map((p) => [p.id, p]))
  const addon = metadata.packages.find((p) => p.name === ADDON_PACKAGE && p.source === null)
  if (!addon) throw new Error(`${ADDON_PACKAGE} is not in the workspace at ${metadata.workspace_root}`)

  // Every package the addon needs to build (normal and build dependencies, all platforms).
  const nodes = new Map(metadata.resolve.nodes.map((n) => [n.id, n]))
  const closure = new Set()
  const stack = [addon.id]
  while (stack.length) {
    const id = stack.pop()
    if (closure.has(id)) continue
    closure.add(id)
    for (const dep of nodes.get(id).deps) {
      if (dep.dep_kinds.some((k) => k.kind !== 'dev')) stack.push(dep.pkg)
    }
  }
  const closureNames = new Set([...closure].map((id) => byId.get(id).name))
  const local = [...closure].map((id) => byId.get(id)).filter((p) => p.source === null)
  const localDirs = new Map(local.map((p) => [path.dirname(p.manifest_path), p.name]))

  fs.mkdirSync(outDir, { recursive: true })
  for (const pkg of local) writeCrate(pkg, localDirs)

  const rootManifest = fs.readFileSync(path.join(metadata.workspace_root, 'Cargo.toml'), 'utf8')
  const tables = splitTables(rootManifest)
  const resolver = /^\s*resolver\s*=\s*"([^"]+)"/m.exec((tables.find((t) => t.name === 'workspace') || {}).text || '')
  const profiles = tables.filter((t) => {
    if (!t.name.startsWith('profile.')) return false
    const m = /^profile\.[^.]+\.package\.(?:"([^"]+)"|([^."]+))$/.exec(t.name)
    return !m || (m[1] || m[2]) === '*' || closureNames.has(m[1] || m[2])
  })
  const members = local.map((p) => p.name).sort()
  const root = [
    header(),
    '[workspace]',
    `resolver = ${str(resolver ? resolver[1] : '3')}`,
    `members = [${members.map(str).join(', ')}]`,
    '',
    // Read by scripts/install.js for its "install Rust ≥ …" message.
    '[workspace.package]',
    `rust-version = ${str(addon.rust_version || '')}`,
    '',
    ...profiles.map((t) => t.text.trim() + '\n'),
  ]
  fs.writeFileSync(path.join(outDir, 'Cargo.toml'), root.join('\n'))
  fs.copyFileSync(path.join(metadata.workspace_root, 'Cargo.lock'), path.join(outDir, 'Cargo.lock'))

  // Check that the tree resolves on its own with the locked versions (this prunes the lock file
  // to these crates; no build, no network when the crates are in cargo's cache).
  execFileSync(cargo, ['metadata', '--format-version', '1', '--manifest-path', path.join(outDir, 'Cargo.toml')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const count = countFiles(outDir)
  console.error(`posthog-sdk: rust/ holds ${members.join(', ')} (${count} files)`)
}

function writeCrate(pkg, localDirs) {
  const srcDir = path.dirname(pkg.manifest_path)
  const dest = path.join(outDir, pkg.name)
  const isAddon = pkg.name === ADDON_PACKAGE
  const lines = [header(), '[package]']
  lines.push(`name = ${str(pkg.name)}`, `version = ${str(pkg.version)}`, `edition = ${str(pkg.edition)}`)
  if (pkg.rust_version) lines.push(`rust-version = ${str(pkg.rust_version)}`)
  if (pkg.description) lines.push(`description = ${str(pkg.description)}`)
  if (pkg.license) lines.push(`license = ${str(pkg.license)}`)
  if (pkg.repository) lines.push(`repository = ${str(pkg.repository)}`)
  if (pkg.links) lines.push(`links = ${str(pkg.links)}`)
  lines.push('publish = false', 'autobins = false', 'autoexamples = false', 'autotests = false', 'autobenches = false')

  const copied = new Set()
  const copy = (file) => {
    // The file itself when it sits next to the manifest, else its top-level directory.
    const rel = path.relative(srcDir, file)
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${pkg.name}: ${file} is outside its crate`)
    const top = rel.split(path.sep)[0]
    if (!copied.has(top)) {
      fs.cpSync(path.join(srcDir, top), path.join(dest, top), { recursive: true })
      copied.add(top)
    }
    return rel.split(path.sep).join('/')
  }

  const build = pkg.targets.find((t) => t.kind.includes('custom-build'))
  lines.push(build ? `build = ${str(copy(build.src_path))}` : 'build = false')

  const lib = pkg.targets.find((t) => t.kind.some((k) => k.endsWith('lib') || k === 'proc-macro'))
  if (!lib) throw new Error(`${pkg.name} has no library target`)
  lines.push('', '[lib]', `name = ${str(isAddon ? ADDON_LIB_NAME : lib.name)}`, `path = ${str(copy(lib.src_path))}`)
  if (lib.kind.includes('proc-macro')) lines.push('proc-macro = true')
  else lines.push(`crate-type = [${lib.crate_types.map(str).join(', ')}]`)

  const features = Object.entries(pkg.features)
  if (features.length) {
    lines.push('', '[features]')
    for (const [name, list] of features) lines.push(`${key(name)} = [${list.map(str).join(', ')}]`)
  }

  const sections = new Map()
  for (const dep of pkg.dependencies) {
    if (dep.kind === 'dev') continue
    if (dep.registry) throw new Error(`${pkg.name}: dependency ${dep.name} uses another registry (not supported)`)
    if (dep.source && !dep.source.startsWith('registry+')) throw new Error(`${pkg.name}: dependency ${dep.name} from ${dep.source} (not supported)`)
    const table = dep.kind === 'build' ? 'build-dependencies' : 'dependencies'
    const section = dep.target ? `target.${str(dep.target)}.${table}` : table
    const fields = []
    if (dep.rename) fields.push(`package = ${str(dep.name)}`)
    fields.push(`version = ${str(dep.req)}`)
    if (dep.path) {
      const name = localDirs.get(dep.path)
      if (!name) throw new Error(`${pkg.name}: path dependency ${dep.path} is not in the closure`)
      fields.push(`path = ${str(`../${name}`)}`)
    }
    if (!dep.uses_default_features) fields.push('default-features = false')
    if (dep.features.length) fields.push(`features = [${dep.features.map(str).join(', ')}]`)
    if (dep.optional) fields.push('optional = true')
    if (!sections.has(section)) sections.set(section, [])
    sections.get(section).push(`${key(dep.rename || dep.name)} = { ${fields.join(', ')} }`)
  }
  for (const [section, deps] of sections) lines.push('', `[${section}]`, ...deps)

  fs.mkdirSync(dest, { recursive: true })
  fs.writeFileSync(path.join(dest, 'Cargo.toml'), lines.join('\n') + '\n')
}

// Top-level `[table]` headers and their text (comments just above a header go with it).
function splitTables(text) {
  const tables = []
  let current = { name: '', text: '' }
  let pending = ''
  for (const line of text.split('\n')) {
    const m = /^\s*\[([^\[\]]+)\]\s*(#.*)?$/.exec(line)
    if (m) {
      tables.push(current)
      current = { name: m[1].trim().replace(/\s*\.\s*/g, '.'), text: pending + line + '\n' }
      pending = ''
    } else if (/^\s*#/.test(line) || line.trim() === '') {
      pending += line + '\n'
    } else {
      current.text += pending + line + '\n'
      pending = ''
    }
  }
  tables.push(current)
  return tables
}

function header() {
  return '# Generated by bindings/node/scripts/pack-rust.js from the posthog-sdk repository; do not edit.\n'
}

// A TOML basic string (JSON's escapes are valid TOML).
function str(s) {
  return JSON.stringify(String(s))
}

function key(k) {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : str(k)
}

function countFiles(dir) {
  let n = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1
  return n
}

main()
