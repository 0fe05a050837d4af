#!/usr/bin/env bash
# The npm package as users get it, from any directory:
#  1. `npm pack` bindings/node (prepack puts the self-contained Rust tree in rust/);
#  2. `npm install <tarball>` into an empty project, offline: the install script builds the addon
#     from rust/ (debug profile, the repo's target/ as CARGO_TARGET_DIR so dependencies built by
#     the other suites are reused); then smoke.mjs: `import` and `require` it, an event to the
#     local test server and back;
#  3. a release as npm publishes it: the tarball with `optionalDependencies` on the per-platform
#     packages (as `napi pre-publish` writes them) and this platform's package holding the addon
#     just built; installed together, nothing is built (cargo made unusable), smoke.mjs again;
#  4. `npm install <repo>/bindings/node` (a path install: npm links the folder) and smoke.mjs;
#  5. scripts/install.js without cargo on PATH (install-script.test.mjs).
# Network: 127.0.0.1 only (npm runs with --offline; the tarball has no dependencies).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export POSTHOG_SDK_BUILD_PROFILE="${POSTHOG_SDK_BUILD_PROFILE:-debug}"

(cd "$repo" && cargo build --quiet -p posthog-testserver)
export POSTHOG_TESTSERVER_BIN="${POSTHOG_TESTSERVER_BIN:-$CARGO_TARGET_DIR/debug/posthog-testserver}"

version="$(node -p "require('$repo/bindings/node/package.json').version")"
work="$(mktemp -d "${TMPDIR:-/tmp}/posthog-npm-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
npm_flags=(--no-audit --no-fund --offline --loglevel=error)
step() { echo "--- $* ($SECONDS s)"; }

step "npm pack"
(cd "$repo/bindings/node" && npm pack --pack-destination "$work" "${npm_flags[@]}" >/dev/null)
tarball="$work/posthog-sdk-$version.tgz"
[ -f "$tarball" ] || { echo "npm pack wrote no tarball" >&2; exit 1; }
[ ! -e "$repo/bindings/node/rust" ] || { echo "postpack left bindings/node/rust behind" >&2; exit 1; }
echo "$(basename "$tarball"): $(du -k "$tarball" | cut -f1) KiB"

step "tarball contents"
tar -tzf "$tarball" >"$work/list"
for f in package/package.json package/index.js package/posthog.js package/posthog.mjs package/scripts/install.js \
  package/rust/Cargo.toml package/rust/Cargo.lock \
  package/rust/posthog-sdk-node/Cargo.toml package/rust/posthog-sdk-node/build.rs package/rust/posthog-sdk-node/src/lib.rs \
  package/rust/posthog-core/Cargo.toml package/rust/posthog-core/src/lib.rs \
  package/rust/posthog-flags/Cargo.toml package/rust/posthog-flags/src/lib.rs; do
  grep -qx "$f" "$work/list" || { echo "missing from the tarball: $f" >&2; exit 1; }
done
if grep -E '^package/rust/[^/]+/(tests|benches|examples)/|^package/rust/target/|^package/Cargo.toml$|^package/__test__/|^package/scripts/pack-rust.js$' "$work/list"; then
  echo "the tarball holds files it should not (above)" >&2
  exit 1
fi

step "npm install <tarball> (builds the addon from rust/, $POSTHOG_SDK_BUILD_PROFILE)"
app="$work/app"
mkdir -p "$app"
echo '{ "name": "npm-install-test", "version": "1.0.0", "private": true }' >"$app/package.json"
cp "$here/smoke.mjs" "$app/"
# A checkout's tarball may carry its own posthog-sdk.<platform>.node ("*.node" is in `files`):
# build anyway, as a release tarball without addons would.
(cd "$app" && POSTHOG_SDK_BUILD_FROM_SOURCE=1 npm install "${npm_flags[@]}" --foreground-scripts "$tarball")
platform="$(node -p "require('$app/node_modules/posthog-sdk/scripts/install.js').platformNames()[0]")"
addon="$app/node_modules/posthog-sdk/posthog-sdk.$platform.node"
[ -f "$addon" ] || { echo "the install built no $addon" >&2; exit 1; }
[ ! -e "$app/node_modules/posthog-sdk/rust/target" ] || { echo "rust/target left in the package" >&2; exit 1; }
(cd "$app" && node smoke.mjs)

step "npm install <release tarball> + posthog-sdk-$platform (prebuilt: nothing built)"
rel="$work/release"
mkdir -p "$rel/main" "$rel/platform"
tar -xzf "$tarball" -C "$rel/main" --strip-components=1
rm -f "$rel"/main/*.node
cp "$addon" "$rel/platform/"
node - "$rel" "$platform" <<'JS'
const fs = require('fs')
const [rel, platform] = process.argv.slice(2)
const main = JSON.parse(fs.readFileSync(`${rel}/main/package.json`, 'utf8'))
const { TRIPLES } = require(`${rel}/main/scripts/install.js`)
const nameOf = (triple) => Object.keys(TRIPLES).find((k) => TRIPLES[k] === triple)
main.optionalDependencies = Object.fromEntries(main.napi.targets.map((t) => [`${main.name}-${nameOf(t)}`, main.version]))
fs.writeFileSync(`${rel}/main/package.json`, JSON.stringify(main, null, 2))
const [os, cpu, abi] = platform.split('-')
const file = `${main.napi.binaryName}.${platform}.node`
const plat = { name: `${main.name}-${platform}`, version: main.version, os: [os], cpu: [cpu], main: file, files: [file], license: main.license }
if (abi === 'gnu') plat.libc = ['glibc']
if (abi === 'musl') plat.libc = ['musl']
fs.writeFileSync(`${rel}/platform/package.json`, JSON.stringify(plat, null, 2))
JS
(cd "$rel/main" && npm pack --ignore-scripts --pack-destination "$rel" "${npm_flags[@]}" >/dev/null)
(cd "$rel/platform" && npm pack --pack-destination "$rel" "${npm_flags[@]}" >/dev/null)
prebuilt_app="$work/prebuilt"
mkdir -p "$prebuilt_app"
echo '{ "name": "npm-install-prebuilt-test", "version": "1.0.0", "private": true }' >"$prebuilt_app/package.json"
cp "$here/smoke.mjs" "$prebuilt_app/"
(cd "$prebuilt_app" && CARGO=false npm install "${npm_flags[@]}" --foreground-scripts \
  "$rel/posthog-sdk-$platform-$version.tgz" "$rel/posthog-sdk-$version.tgz")
if ls "$prebuilt_app"/node_modules/posthog-sdk/*.node >/dev/null 2>&1; then
  echo "the install built an addon although posthog-sdk-$platform was installed" >&2
  exit 1
fi
(cd "$prebuilt_app" && SMOKE_ADDON_PACKAGE="posthog-sdk-$platform" node smoke.mjs)

step "npm install <repo>/bindings/node (path install)"
linked="$work/linked"
mkdir -p "$linked"
echo '{ "name": "npm-install-link-test", "version": "1.0.0", "private": true }' >"$linked/package.json"
cp "$here/smoke.mjs" "$linked/"
(cd "$linked" && npm install "${npm_flags[@]}" --foreground-scripts "$repo/bindings/node")
(cd "$linked" && SMOKE_LINKED=1 node smoke.mjs)

step "install script without Rust"
mkdir -p "$work/extracted"
tar -xzf "$tarball" -C "$work/extracted"
POSTHOG_SDK_PACKAGE_DIR="$work/extracted/package" POSTHOG_SDK_ADDON="$addon" node --test "$here/install-script.test.mjs"

step "done"
