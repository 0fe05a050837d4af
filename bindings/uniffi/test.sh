#!/usr/bin/env bash
# The uniffi binding's test command, from any directory:
#   builds the test server and the cdylib, generates Kotlin and Swift with the pinned
#   uniffi-bindgen (library mode), checks the Swift declares the public API, and runs the
#   JUnit tests on the JVM against the generated Kotlin (Maven, JNA).
# Env: CARGO_INCREMENTAL (default 0), MVN_ARGS (extra Maven arguments), POSTHOG_TESTSERVER_BIN.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])' 2>/dev/null || echo "$root/target")"
case "$(uname -s)" in
  Darwin) lib="$target_dir/debug/libposthog_sdk_uniffi.dylib" ;;
  *) lib="$target_dir/debug/libposthog_sdk_uniffi.so" ;;
esac

# The mobile library (Android, iOS, the Swift package): without the admin client, so a
# personal key has nothing to be used with in an app. Built first and copied aside, since the
# JVM build below writes the same file name.
echo "==> cargo build (mobile cdylib, --no-default-features: no admin client)"
cargo build -p posthog-sdk-uniffi --lib --no-default-features
mobile_dir="$target_dir/uniffi-mobile"
mkdir -p "$mobile_dir"
cp "$lib" "$mobile_dir/"
mobile_lib="$mobile_dir/$(basename "$lib")"

echo "==> cargo build (test server, uniffi cdylib for the JVM, pinned bindgen)"
cargo build -p posthog-testserver -p posthog-sdk-uniffi -p uniffi-bindgen
bindgen="$target_dir/debug/uniffi-bindgen"

kotlin_out="$target_dir/uniffi-kotlin"
swift_out="$target_dir/uniffi-swift"
rm -rf "$kotlin_out" "$swift_out"

echo "==> uniffi-bindgen: Kotlin -> $kotlin_out"
"$bindgen" generate --library "$lib" --language kotlin --no-format --out-dir "$kotlin_out"
kt="$kotlin_out/com/posthog/sdk/posthog_sdk_uniffi.kt"
[ -f "$kt" ] || { echo "generated Kotlin not found at $kt" >&2; exit 1; }

echo "==> uniffi-bindgen: Swift (mobile library) -> $swift_out"
"$bindgen" generate --library "$mobile_lib" --language swift --no-format --out-dir "$swift_out"
# The committed Swift package must match what this library generates, and declare the API.
bash "$here/swift-bindings.sh" --check "$swift_out"
check() { grep -Eq "$2" "$1" || { echo "$(basename "$1") does not declare: $2" >&2; exit 1; }; }
check "$kt" 'class PostHogClient'
check "$kt" 'class PostHogAdminClient'
check "$kt" 'sealed class PostHogException'
check "$kt" 'open class PostHogMobile'
check "$kt" 'suspend fun `reloadFeatureFlags`'
# The Android Kotlin (from the mobile library) has no admin client.
android_out="$target_dir/uniffi-kotlin-android"
rm -rf "$android_out"
"$bindgen" generate --library "$mobile_lib" --language kotlin --no-format --out-dir "$android_out"
android_kt="$android_out/com/posthog/sdk/posthog_sdk_uniffi.kt"
check "$android_kt" 'open class PostHogMobile'
if grep -Eq 'PostHogAdminClient|class AdminOptions|data class AdminOptions' "$android_kt"; then
  echo "the Android Kotlin declares the admin client: build the mobile library with --no-default-features" >&2
  exit 1
fi

echo "==> mvn test (bindings/uniffi/kotlin)"
export POSTHOG_TESTSERVER_BIN="${POSTHOG_TESTSERVER_BIN:-$target_dir/debug/posthog-testserver}"
cd "$here/kotlin"
# shellcheck disable=SC2086
mvn -B -ntp test \
  -Duniffi.generated="$kotlin_out" \
  -Dnative.dir="$target_dir/debug" \
  ${MVN_ARGS:-}
echo "uniffi binding tests passed"
