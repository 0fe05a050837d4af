#!/usr/bin/env bash
# The committed Swift bindings of the Swift package (bindings/uniffi/swift), from any directory:
#
#   swift-bindings.sh --write [<generated-dir>]   copy the generated files into the package
#                                                 (without a dir: generate from the library first)
#   swift-bindings.sh --check [<generated-dir>]   fail when the committed copies differ from the
#                                                 generated ones (without a dir: generate first),
#                                                 or the Swift does not declare the public API
#
# <generated-dir> is what `uniffi-bindgen generate --library <lib> --language swift --no-format`
# writes (test.sh: target/uniffi-swift). It maps onto the package as
#   PostHogSDK.swift         -> swift/Sources/PostHogSDK/PostHogSDK.swift
#   PostHogSDKFFI.h          -> swift/xcframework-headers/PostHogSDKFFI.h
#   PostHogSDKFFI.modulemap  -> swift/xcframework-headers/module.modulemap
# (an XCFramework's headers directory must name its module map module.modulemap).
#
# Options (or env): --bindgen PATH (UNIFFI_BINDGEN), --lib PATH (UNIFFI_LIB); defaults are the
# cargo target dir's debug/uniffi-bindgen and uniffi-mobile/libposthog_sdk_uniffi.so (.dylib on
# macOS): the mobile library, built without the admin client (`cargo build -p
# posthog-sdk-uniffi --lib --no-default-features`, copied there; test.sh does both).
# Nothing is built here.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
pkg="$here/swift"
write_cmd="bash bindings/uniffi/swift-bindings.sh --write"

die() { echo "swift-bindings.sh: $*" >&2; exit 1; }
usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

mode=""
gen_dir=""
bindgen="${UNIFFI_BINDGEN:-}"
lib="${UNIFFI_LIB:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --write | --check)
      [ -z "$mode" ] || usage
      mode="${1#--}"
      if [ $# -gt 1 ] && [ "${2#--}" = "$2" ]; then gen_dir="$2"; shift; fi
      ;;
    --bindgen) [ $# -gt 1 ] || usage; bindgen="$2"; shift ;;
    --lib) [ $# -gt 1 ] || usage; lib="$2"; shift ;;
    -h | --help) usage ;;
    *) usage ;;
  esac
  shift
done
[ -n "$mode" ] || usage

# generated file name -> committed path (relative to the package)
names=(PostHogSDK.swift PostHogSDKFFI.h PostHogSDKFFI.modulemap)
committed_path() {
  case "$1" in
    PostHogSDK.swift) echo "Sources/PostHogSDK/PostHogSDK.swift" ;;
    PostHogSDKFFI.h) echo "xcframework-headers/PostHogSDKFFI.h" ;;
    PostHogSDKFFI.modulemap) echo "xcframework-headers/module.modulemap" ;;
  esac
}

# The public API the Swift must declare: the one list (test.sh calls --check).
api_patterns=(
  'open class PostHogClient'
  'func capture\(event: CaptureEvent\) *-> String\?'
  'func flush\(timeoutMs: UInt64\) *throws'
  '^enum PostHogError: Swift.Error'
  'public protocol ErrorListener'
  'public struct ClientOptions'
  'public func errorKinds\(\)'
  'open class LocalEvaluator'
  'func getFeatureFlag\(key: String, distinctId: String, options: FlagOptions\? *= *nil\) *throws *-> FlagValue\?'
  'func isFeatureEnabled\(key: String'
  'func evaluateFlags\(distinctId: String'
  'func reloadFeatureFlags\(\) *throws'
  'public enum FlagValue'
  'public struct FlagOptions'
  'public struct FlagsSnapshot'
  'public func matchProperty\('
  'public func flagHash\('
  'public struct ErrorInfo'
  'func attributes\(\) *-> *ErrorInfo'
  'open class PostHogMobile'
  'public convenience init\(apiKey: String, stateDir: String, options: MobileOptions\) *throws'
  'func reloadFeatureFlags\(\) *async *throws'
  'func flush\(timeoutMs: UInt64\) *async *throws *-> FlushReport'
  'func onBackground\(\)'
  'func onNetworkChange\(online: Bool\)'
  'public struct MobileOptions'
  'public struct DeviceContext'
  'public protocol HttpClient'
  'public protocol RecordCipher'
)

# What the Swift must not declare: the admin client (a personal key must never ship in an
# app), left out of the mobile library by building it without the `admin` feature.
forbidden_patterns=(
  'PostHogAdminClient'
  'struct AdminOptions'
  'func listFeatureFlags'
)

check_api() {
  local swift="$1" missing=0 p
  for p in "${api_patterns[@]}"; do
    if ! grep -Eq -- "$p" "$swift"; then
      echo "$(basename "$swift") does not declare: $p" >&2
      missing=1
    fi
  done
  for p in "${forbidden_patterns[@]}"; do
    if grep -Eq -- "$p" "$swift"; then
      echo "$(basename "$swift") declares $p: the mobile library must be built with --no-default-features" >&2
      missing=1
    fi
  done
  [ "$missing" = 0 ] || die "the Swift bindings miss part of the public API (patterns above, in bindings/uniffi/swift-bindings.sh)"
}

abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }

# Generates into $1 with the pinned bindgen, library mode, unformatted (as test.sh does).
generate() {
  local out="$1" target_dir
  if [ -z "$bindgen" ] || [ -z "$lib" ]; then
    target_dir="${CARGO_TARGET_DIR:-}"
    if [ -z "$target_dir" ]; then
      target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null ||
        echo "$root/target")"
    fi
    [ -n "$bindgen" ] || bindgen="$target_dir/debug/uniffi-bindgen"
    if [ -z "$lib" ]; then
      case "$(uname -s)" in
        Darwin) lib="$target_dir/uniffi-mobile/libposthog_sdk_uniffi.dylib" ;;
        *) lib="$target_dir/uniffi-mobile/libposthog_sdk_uniffi.so" ;;
      esac
    fi
  fi
  [ -x "$bindgen" ] || die "no uniffi-bindgen at $bindgen (cargo build -p uniffi-bindgen, or --bindgen/UNIFFI_BINDGEN)"
  [ -f "$lib" ] || die "no library at $lib (cargo build -p posthog-sdk-uniffi, or --lib/UNIFFI_LIB)"
  bindgen="$(abspath "$bindgen")"
  lib="$(abspath "$lib")"
  echo "==> $bindgen generate --library $lib --language swift --no-format --out-dir $out"
  # From the workspace: library mode finds uniffi.toml (module names) through cargo metadata.
  (cd "$root" && "$bindgen" generate --library "$lib" --language swift --no-format --out-dir "$out" >/dev/null)
}

tmp=""
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT
if [ -z "$gen_dir" ]; then
  tmp="$(mktemp -d)"
  gen_dir="$tmp"
  generate "$gen_dir"
fi
[ -d "$gen_dir" ] || die "no generated directory $gen_dir"
gen_dir="$(cd "$gen_dir" && pwd)"
for n in "${names[@]}"; do
  [ -s "$gen_dir/$n" ] || die "missing generated file $gen_dir/$n"
done

case "$mode" in
  write)
    for n in "${names[@]}"; do
      dest="$pkg/$(committed_path "$n")"
      mkdir -p "$(dirname "$dest")"
      cp "$gen_dir/$n" "$dest"
      echo "wrote ${dest#"$root"/}"
    done
    check_api "$pkg/Sources/PostHogSDK/PostHogSDK.swift"
    echo "Swift bindings written; they declare the public API"
    ;;
  check)
    stale=0
    for n in "${names[@]}"; do
      rel="$(committed_path "$n")"
      dest="$pkg/$rel"
      if [ ! -f "$dest" ]; then
        echo "missing committed file bindings/uniffi/swift/$rel" >&2
        stale=1
      elif ! cmp -s "$gen_dir/$n" "$dest"; then
        removed="$(diff "$dest" "$gen_dir/$n" | grep -c '^<' || true)"
        added="$(diff "$dest" "$gen_dir/$n" | grep -c '^>' || true)"
        echo "bindings/uniffi/swift/$rel differs from the generated $n" \
          "(-$removed +$added lines; first 40 lines of the diff):" >&2
        diff -u --label "committed/$rel" --label "generated/$n" "$dest" "$gen_dir/$n" |
          head -n 40 >&2 || true
        stale=1
      fi
    done
    if [ "$stale" != 0 ]; then
      echo >&2
      die "the committed Swift bindings are stale: regenerate them with
    cargo build -p posthog-sdk-uniffi -p uniffi-bindgen && $write_cmd
and commit bindings/uniffi/swift/"
    fi
    check_api "$pkg/Sources/PostHogSDK/PostHogSDK.swift"
    echo "Swift bindings: the committed copies match $gen_dir and declare the public API"
    ;;
esac
