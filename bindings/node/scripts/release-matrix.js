#!/usr/bin/env node
// The build matrix of .github/workflows/node-release.yml, from `napi.targets` in package.json:
// one entry per target with its runner, napi's platform name and, for glibc Linux, the
// manylinux2014 image it builds in (glibc 2.17, as the Python wheels). A target without a runner
// here fails the release rather than being skipped.
'use strict'

const path = require('node:path')
const pkg = require(path.join(__dirname, '..', 'package.json'))
const { TRIPLES } = require('./install.js')

const RUNNERS = {
  'x86_64-unknown-linux-gnu': { os: 'ubuntu-latest', manylinux: 'quay.io/pypa/manylinux2014_x86_64' },
  'aarch64-unknown-linux-gnu': { os: 'ubuntu-24.04-arm', manylinux: 'quay.io/pypa/manylinux2014_aarch64' },
  'x86_64-apple-darwin': { os: 'macos-latest' },
  'aarch64-apple-darwin': { os: 'macos-latest' },
  'x86_64-pc-windows-msvc': { os: 'windows-latest' },
  'aarch64-pc-windows-msvc': { os: 'windows-11-arm' },
}

const matrix = pkg.napi.targets.map((target) => {
  const runner = RUNNERS[target]
  const name = Object.keys(TRIPLES).find((k) => TRIPLES[k] === target)
  if (!runner || !name) throw new Error(`no release runner for napi target ${target}: add it to scripts/release-matrix.js`)
  return { target, name, manylinux: '', ...runner }
})
process.stdout.write(JSON.stringify(matrix) + '\n')
