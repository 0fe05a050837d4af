#!/usr/bin/env node
// `install`: makes sure the native addon exists, building it from source when no prebuilt
// binary fits this platform.
//
// Nothing to do when index.js (napi's loader) will find a binary that loads (checked in a child
// process): `posthog-sdk.<platform>.node` next to package.json, or the per-platform package
// (`posthog-sdk-<platform>`, an optional dependency npm installs on the matching platform only).
// Otherwise (none, or one that does not load here, e.g. built for a newer glibc) it runs
// `cargo build` on the Rust sources — the repository's when installed from a checkout
// (`npm install ./bindings/node`), else the self-contained copy in `rust/` that `npm pack` puts
// in the package — and copies the library to `posthog-sdk.<platform>.node`.
//
// It does nothing in the checkout's own `npm install`/`npm ci` (INIT_CWD is this folder): there
// `npm run build[:debug]` or test.sh build the addon.
//
// Environment:
//   POSTHOG_SDK_BUILD_PROFILE      cargo profile: release (default), debug, or another profile name
//   POSTHOG_SDK_BUILD_FROM_SOURCE  1: build even when a prebuilt binary is present
//   POSTHOG_SDK_SKIP_BUILD         1: never build (e.g. NAPI_RS_NATIVE_LIBRARY_PATH names the addon)
//   CARGO_TARGET_DIR               cargo's target directory (kept); without it the packaged
//                                  sources build in rust/target, removed after the build
//   CARGO                          the cargo binary (default: `cargo` on PATH)
'use strict'

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const pkgDir = path.resolve(__dirname, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'))
const binaryName = (pkg.napi && pkg.napi.binaryName) || pkg.name

// napi's platform names (what index.js looks for) and the Rust target each is built for.
const TRIPLES = {
  'linux-x64-gnu': 'x86_64-unknown-linux-gnu',
  'linux-x64-musl': 'x86_64-unknown-linux-musl',
  'linux-arm64-gnu': 'aarch64-unknown-linux-gnu',
  'linux-arm64-musl': 'aarch64-unknown-linux-musl',
  'linux-arm-gnueabihf': 'armv7-unknown-linux-gnueabihf',
  'linux-arm-musleabihf': 'armv7-unknown-linux-musleabihf',
  'linux-riscv64-gnu': 'riscv64gc-unknown-linux-gnu',
  'linux-ppc64-gnu': 'powerpc64le-unknown-linux-gnu',
  'linux-s390x-gnu': 's390x-unknown-linux-gnu',
  'linux-loong64-gnu': 'loongarch64-unknown-linux-gnu',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
  'win32-x64-msvc': 'x86_64-pc-windows-msvc',
  'win32-x64-gnu': 'x86_64-pc-windows-gnu',
  'win32-ia32-msvc': 'i686-pc-windows-msvc',
  'win32-arm64-msvc': 'aarch64-pc-windows-msvc',
  'freebsd-x64': 'x86_64-unknown-freebsd',
  'freebsd-arm64': 'aarch64-unknown-freebsd',
  'android-arm64': 'aarch64-linux-android',
  'android-arm-eabi': 'armv7-linux-androideabi',
}

function log(msg) {
  console.error(`posthog-sdk: ${msg}`)
}

function isMusl() {
  if (process.platform !== 'linux') return false
  try {
    return fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
  } catch {}
  const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null
  if (report && report.header && report.header.glibcVersionRuntime) return false
  if (report && Array.isArray(report.sharedObjects)) return report.sharedObjects.some((f) => f.includes('libc.musl-') || f.includes('ld-musl-'))
  return false
}

// The names index.js tries on this machine, most specific first (same rules as the loader).
function platformNames() {
  const { platform, arch } = process
  if (platform === 'linux') {
    const musl = isMusl()
    if (arch === 'arm') return [musl ? 'linux-arm-musleabihf' : 'linux-arm-gnueabihf']
    return [`linux-${arch}-${musl ? 'musl' : 'gnu'}`]
  }
  if (platform === 'darwin') return [`darwin-${arch}`, 'darwin-universal']
  if (platform === 'win32') {
    const v = (process.config && process.config.variables) || {}
    const gnu = arch === 'x64' && (v.shlib_suffix === 'dll.a' || v.node_target_type === 'shared_library')
    return [`win32-${arch}-${gnu ? 'gnu' : 'msvc'}`]
  }
  if (platform === 'android') return [arch === 'arm' ? 'android-arm-eabi' : `android-${arch}`]
  return [`${platform}-${arch}`]
}

// The first prebuilt addon index.js would load: { file, error } (error: why it does not load
// here, e.g. a newer glibc than this system's), or null when there is none.
function prebuilt(names) {
  for (const name of names) {
    let file = path.join(pkgDir, `${binaryName}.${name}.node`)
    if (!fs.existsSync(file)) {
      try {
        file = require.resolve(`${pkg.name}-${name}`, { paths: [pkgDir] })
      } catch {
        continue
      }
    }
    const r = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', file], { encoding: 'utf8' })
    if (r.status === 0) return { file, error: null }
    const lines = (r.stderr || '').split('\n').map((l) => l.trim())
    return { file, error: lines.find((l) => /^(Error|TypeError)\b|GLIBC|not found|invalid ELF/i.test(l)) || `exit ${r.status}` }
  }
  return null
}

function supported() {
  const targets = (pkg.napi && pkg.napi.targets) || []
  return targets.map((t) => Object.keys(TRIPLES).find((k) => TRIPLES[k] === t) || t)
}

function rustVersion(manifest) {
  try {
    const text = fs.readFileSync(manifest, 'utf8')
    const m = /^\s*rust-version\s*=\s*"([^"]+)"/m.exec(text)
    return m ? m[1] : null
  } catch {
    return null
  }
}

function main() {
  const env = process.env
  const flag = (v) => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false'
  if (flag(env.POSTHOG_SDK_SKIP_BUILD)) return log('POSTHOG_SDK_SKIP_BUILD is set: not building the addon')

  const initCwd = env.INIT_CWD ? path.resolve(env.INIT_CWD) : null
  if (initCwd && fs.existsSync(initCwd) && fs.realpathSync(initCwd) === fs.realpathSync(pkgDir) && !flag(env.POSTHOG_SDK_BUILD_FROM_SOURCE)) {
    // The package's own `npm install`/`npm ci` in a checkout: the developer builds explicitly.
    return
  }

  const names = platformNames()
  const name = names[0]
  let missing = `no prebuilt binary for ${name} (${process.platform}/${process.arch})`
  if (!flag(env.POSTHOG_SDK_BUILD_FROM_SOURCE)) {
    const found = prebuilt(names)
    if (found && !found.error) return
    if (found) {
      log(`the prebuilt ${path.relative(pkgDir, found.file)} does not load here: ${found.error}`)
      missing = `the prebuilt binary for ${name} (${process.platform}/${process.arch}) does not load here`
    }
  }

  // The checkout's own crate when installed from the repository, else the packaged copy.
  let manifest, rootManifest, packaged
  if (fs.existsSync(path.join(pkgDir, 'Cargo.toml'))) {
    manifest = path.join(pkgDir, 'Cargo.toml')
    rootManifest = path.resolve(pkgDir, '..', '..', 'Cargo.toml')
    packaged = false
  } else if (fs.existsSync(path.join(pkgDir, 'rust', 'Cargo.toml'))) {
    manifest = path.join(pkgDir, 'rust', 'Cargo.toml')
    rootManifest = manifest
    packaged = true
  } else {
    throw new Fail(`${missing}, and ${pkgDir} holds no Rust sources to build one`)
  }
  const minRust = rustVersion(rootManifest) || rustVersion(manifest)

  const cargo = env.CARGO || 'cargo'
  const probe = spawnSync(cargo, ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    throw new Fail(
      `${missing}, and cargo was not found to build it from source.\n` +
        `Install Rust${minRust ? ` ${minRust} or newer` : ''} from https://rustup.rs and install again, ` +
        `or use a supported platform: ${supported().join(', ')}.`,
    )
  }

  const profile = env.POSTHOG_SDK_BUILD_PROFILE || 'release'
  const triple = TRIPLES[name]
  const args = ['build', '--manifest-path', manifest, '--package', 'posthog-sdk-node', '--message-format=json-render-diagnostics']
  if (profile === 'release') args.push('--release')
  else if (profile !== 'debug' && profile !== 'dev') args.push('--profile', profile)
  if (triple) args.push('--target', triple)
  if (packaged) args.push('--locked')
  const ownTarget = packaged && !env.CARGO_TARGET_DIR && !env.CARGO_BUILD_TARGET_DIR ? path.join(pkgDir, 'rust', 'target') : null
  if (ownTarget) args.push('--target-dir', ownTarget)
  const childEnv = { ...env }
  if (triple && triple.includes('musl')) {
    // As `napi build` does: a cdylib on musl must link the C runtime dynamically.
    const flags = env.RUSTFLAGS || env.CARGO_BUILD_RUSTFLAGS || ''
    if (!flags.includes('target-feature=-crt-static')) childEnv.RUSTFLAGS = `${flags} -C target-feature=-crt-static`.trim()
  }

  log(`building the addon for ${name} from source (${probe.stdout.trim()}, ${profile} profile)`)
  const started = Date.now()
  const res = spawnSync(cargo, args, { env: childEnv, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] })
  if (res.error) throw new Fail(`cargo failed to start: ${res.error.message}`)
  if (res.status !== 0) throw new Fail(`cargo build failed (exit ${res.status}), see above${minRust ? ` (the build needs Rust ${minRust} or newer)` : ''}`)

  let library = null
  for (const line of res.stdout.split('\n')) {
    if (!line.startsWith('{')) continue
    const msg = JSON.parse(line)
    if (msg.reason === 'compiler-artifact' && msg.target && msg.target.kind.includes('cdylib')) {
      library = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f)) || library
    }
  }
  if (!library) throw new Fail('cargo built no cdylib for posthog-sdk-node')

  // Copy then rename: a process that has the old file loaded keeps its mapping.
  const dest = path.join(pkgDir, `${binaryName}.${name}.node`)
  const tmp = `${dest}.${process.pid}.tmp`
  fs.copyFileSync(library, tmp)
  fs.renameSync(tmp, dest)
  if (ownTarget) fs.rmSync(ownTarget, { recursive: true, force: true })
  log(`built ${path.basename(dest)} in ${Math.round((Date.now() - started) / 1000)} s`)
}

class Fail extends Error {}

if (require.main === module) {
  try {
    main()
  } catch (err) {
    if (!(err instanceof Fail)) throw err
    log(err.message)
    process.exit(1)
  }
}

module.exports = { platformNames, TRIPLES }
