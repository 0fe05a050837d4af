// scripts/install.js of the packed package (POSTHOG_SDK_PACKAGE_DIR: the tarball's `package/`
// folder, extracted by test.sh; POSTHOG_SDK_ADDON: an addon built for this machine) without Rust
// on PATH: the message when it would have to build, and every case where it must not build.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const packageDir = process.env.POSTHOG_SDK_PACKAGE_DIR
assert.ok(packageDir && fs.existsSync(path.join(packageDir, 'package.json')), 'POSTHOG_SDK_PACKAGE_DIR names the extracted package')
const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const rustVersion = /^rust-version\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(path.join(repoDir, 'Cargo.toml'), 'utf8'))[1]
const addon = process.env.POSTHOG_SDK_ADDON
assert.ok(addon && fs.existsSync(addon), 'POSTHOG_SDK_ADDON names a built addon')
const { platformNames } = createRequire(import.meta.url)(path.join(packageDir, 'scripts', 'install.js'))
const platform = platformNames()[0]

// A PATH with node and nothing else: no cargo, no rustup.
const binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'posthog-npm-install-bin-'))
fs.symlinkSync(process.execPath, path.join(binDir, path.basename(process.execPath)))
process.on('exit', () => fs.rmSync(binDir, { recursive: true, force: true }))

/** A fresh copy of the package at <tmp>/node_modules/posthog-sdk, without any addon. */
function freshPackage() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'posthog-npm-install-'))
  const dir = path.join(root, 'node_modules', 'posthog-sdk')
  fs.cpSync(packageDir, dir, { recursive: true, filter: (src) => !src.endsWith('.node') })
  return { root, dir, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) }
}

function runInstall(dir, extraEnv = {}) {
  const env = { PATH: binDir, HOME: os.tmpdir(), INIT_CWD: path.resolve(dir, '..', '..'), ...extraEnv }
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'install.js')], { cwd: dir, env, encoding: 'utf8' })
  return { status: r.status, stderr: r.stderr, stdout: r.stdout }
}

test('no prebuilt binary and no cargo: non-zero exit, and the message says what to do', () => {
  const pkg = freshPackage()
  try {
    const r = runInstall(pkg.dir)
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, new RegExp(`no prebuilt binary for ${platform} \\(${process.platform}/${process.arch}\\)`))
    assert.match(r.stderr, /cargo was not found/)
    assert.ok(r.stderr.includes('https://rustup.rs'), r.stderr)
    assert.ok(r.stderr.includes(`Rust ${rustVersion} or newer`), r.stderr)
    assert.match(r.stderr, /supported platform: .*linux-x64-gnu.*darwin-arm64.*win32-x64-msvc/)
    assert.equal(fs.readdirSync(pkg.dir).filter((f) => f.endsWith('.node')).length, 0)
  } finally {
    pkg.cleanup()
  }
})

test('a prebuilt posthog-sdk.<platform>.node next to package.json: nothing to build', () => {
  const pkg = freshPackage()
  try {
    fs.copyFileSync(addon, path.join(pkg.dir, `posthog-sdk.${platform}.node`))
    const r = runInstall(pkg.dir)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stderr, '')
  } finally {
    pkg.cleanup()
  }
})

test('the per-platform package installed beside it: nothing to build', () => {
  const pkg = freshPackage()
  try {
    const opt = path.join(pkg.root, 'node_modules', `posthog-sdk-${platform}`)
    fs.mkdirSync(opt, { recursive: true })
    const main = `posthog-sdk.${platform}.node`
    fs.copyFileSync(addon, path.join(opt, main))
    fs.writeFileSync(path.join(opt, 'package.json'), JSON.stringify({ name: `posthog-sdk-${platform}`, version: '0.1.0', main }))
    const r = runInstall(pkg.dir)
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stderr, '')
  } finally {
    pkg.cleanup()
  }
})

test('a prebuilt binary that does not load here is rebuilt from source (here: fails for want of cargo)', () => {
  const pkg = freshPackage()
  try {
    fs.writeFileSync(path.join(pkg.dir, `posthog-sdk.${platform}.node`), 'not an addon')
    const r = runInstall(pkg.dir)
    assert.notEqual(r.status, 0)
    assert.match(r.stderr, new RegExp(`the prebuilt posthog-sdk\\.${platform}\\.node does not load here: `))
    assert.match(r.stderr, new RegExp(`the prebuilt binary for ${platform} \\(${process.platform}/${process.arch}\\) does not load here, and cargo was not found`))
    assert.ok(r.stderr.includes('https://rustup.rs'), r.stderr)
  } finally {
    pkg.cleanup()
  }
})

test('POSTHOG_SDK_BUILD_FROM_SOURCE=1 builds even over a working prebuilt binary (here: fails for want of cargo)', () => {
  const pkg = freshPackage()
  try {
    fs.copyFileSync(addon, path.join(pkg.dir, `posthog-sdk.${platform}.node`))
    const r = runInstall(pkg.dir, { POSTHOG_SDK_BUILD_FROM_SOURCE: '1' })
    assert.notEqual(r.status, 0)
    assert.ok(r.stderr.includes('https://rustup.rs'), r.stderr)
  } finally {
    pkg.cleanup()
  }
})

test('POSTHOG_SDK_SKIP_BUILD=1 never builds', () => {
  const pkg = freshPackage()
  try {
    const r = runInstall(pkg.dir, { POSTHOG_SDK_SKIP_BUILD: '1' })
    assert.equal(r.status, 0, r.stderr)
    assert.match(r.stderr, /POSTHOG_SDK_SKIP_BUILD/)
  } finally {
    pkg.cleanup()
  }
})

test("the package's own npm install (INIT_CWD is the package folder, as in a checkout) builds nothing", () => {
  const pkg = freshPackage()
  try {
    const r = runInstall(pkg.dir, { INIT_CWD: pkg.dir })
    assert.equal(r.status, 0, r.stderr)
    assert.equal(r.stderr, '')
  } finally {
    pkg.cleanup()
  }
})
