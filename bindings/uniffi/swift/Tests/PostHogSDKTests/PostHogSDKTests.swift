import Foundation
import PostHogSDK
import XCTest

// Host tests of the Swift package (macOS slice of the XCFramework), offline: the clients point
// at a loopback port where nothing listens and never have an event to send. The binding's
// behaviour is tested in depth by the Kotlin suite (bindings/uniffi/kotlin) on the same Rust.

private let key = "phc_swift_test_key_5f3a"
private let loopback = "http://127.0.0.1:9"

/// The one place the tests name each `PostHogError` case; exhaustive on purpose (no `default`),
/// so a case added to the binding fails to compile here until it is mapped.
private func describe(_ e: PostHogError) -> (kind: String, message: String) {
    switch e {
    case .Config(let info): return ("config", info.message)
    case .InvalidKey(let info): return ("invalid_key", info.message)
    case .InvalidInput(let info): return ("invalid_input", info.message)
    case .Transport(let info): return ("transport", info.message)
    case .Timeout(let info): return ("timeout", info.message)
    case .RateLimited(let info): return ("rate_limited", info.message)
    case .Unauthorized(let info): return ("unauthorized", info.message)
    case .Forbidden(let info): return ("forbidden", info.message)
    case .InvalidRequest(let info): return ("invalid_request", info.message)
    case .TooLarge(let info): return ("too_large", info.message)
    case .QuotaLimited(let info): return ("quota_limited", info.message)
    case .NotFound(let info): return ("not_found", info.message)
    case .Conflict(let info): return ("conflict", info.message)
    case .Server(let info): return ("server", info.message)
    case .QueueFull(let info): return ("queue_full", info.message)
    case .Closed(let info): return ("closed", info.message)
    case .Unexpected(let info): return ("unexpected", info.message)
    case .Io(let info): return ("io", info.message)
    case .Inconclusive(let info): return ("inconclusive", info.message)
    }
}

/// Asserts that `error` is a `PostHogError` of `kind`, and gives its message.
private func assertKind(
    _ error: Error, _ kind: String, file: StaticString = #filePath, line: UInt = #line
) -> String {
    guard let e = error as? PostHogError else {
        XCTFail("\(type(of: error)) is not a PostHogError", file: file, line: line)
        return ""
    }
    let (actual, message) = describe(e)
    XCTAssertEqual(actual, kind, message, file: file, line: line)
    return message
}

/// Records what the client reports (called on the capturing or the worker thread).
private final class Recorder: ErrorListener, @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String] = []

    func onError(error: ErrorInfo) {
        lock.lock()
        seen.append(error.kind)
        lock.unlock()
    }

    var kinds: [String] {
        lock.lock()
        defer { lock.unlock() }
        return seen
    }
}

final class PostHogSDKTests: XCTestCase {
    func testDisabledClientAcceptsCallsAndSendsNothing() throws {
        let options = ClientOptions(host: loopback, maxRetries: 0, disabled: true, sdk: .swift)
        let client = try PostHogClient(apiKey: key, options: options)
        XCTAssertNil(client.capture(event: CaptureEvent(event: "signed_up", distinctId: "user-1")))
        XCTAssertEqual(try client.flush(timeoutMs: 2_000).sent, 0)
        XCTAssertEqual(try client.shutdown(timeoutMs: 2_000).sent, 0)
        XCTAssertTrue(client.isShutDown())
        XCTAssertFalse(client.debugDescription.contains(key), "the key is redacted")
        XCTAssertFalse(sdkVersion().isEmpty)
    }

    func testCaptureAfterShutdownIsReportedToTheListener() throws {
        let recorder = Recorder()
        let options = ClientOptions(host: loopback, maxRetries: 0, sdk: .swift, errorListener: recorder)
        let client = try PostHogClient(apiKey: key, options: options)
        XCTAssertEqual(try client.shutdown(timeoutMs: 2_000).sent, 0)
        XCTAssertNil(client.capture(event: CaptureEvent(event: "late", distinctId: "user-1")))
        XCTAssertTrue(recorder.kinds.contains("closed"), "reported: \(recorder.kinds)")
        XCTAssertGreaterThanOrEqual(client.stats().dropped, 1)
    }

    func testConstructorErrorsArePostHogErrors() {
        let secret = "phx_personal_secret_value_123"
        XCTAssertThrowsError(try PostHogClient(apiKey: secret, options: ClientOptions(host: loopback))) {
            let message = assertKind($0, "invalid_key")
            XCTAssertFalse(message.contains(secret), message)
        }
        XCTAssertThrowsError(try PostHogClient(apiKey: key, options: ClientOptions(host: "http://example.com"))) {
            _ = assertKind($0, "config")
        }
        XCTAssertThrowsError(try PostHogClient(apiKey: key, options: ClientOptions(flushAt: 0))) {
            _ = assertKind($0, "config")
        }
    }

    func testEveryErrorKindMapsToItsOwnCase() {
        let kinds = errorKinds()
        XCTAssertFalse(kinds.isEmpty)
        XCTAssertEqual(Set(kinds).count, kinds.count, "kinds are unique: \(kinds)")
        for kind in kinds {
            XCTAssertThrowsError(try raiseErrorSample(kind: kind), "kind \(kind)") {
                let message = assertKind($0, kind)
                XCTAssertFalse(message.isEmpty, "kind \(kind) has a message")
            }
        }
        XCTAssertThrowsError(try raiseErrorSample(kind: "server")) {
            let message = assertKind($0, "server")
            XCTAssertTrue(message.contains("503"), message)
        }
        XCTAssertThrowsError(try raiseErrorSample(kind: "no_such_kind")) {
            _ = assertKind($0, "invalid_input")
        }
    }

    func testMobileClientKeepsItsUserAndWaitsForTheNetwork() async throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("posthog-swift-\(UUID().uuidString)").path
        let options = MobileOptions(
            host: loopback,
            context: DeviceContext(appName: "SwiftTests", osName: "macOS"),
            preloadFeatureFlags: false,
            sdk: .swift
        )
        let mobile = try PostHogMobile(apiKey: key, stateDir: dir, options: options)
        mobile.onNetworkChange(online: false)
        let anonymous = mobile.distinctId()
        XCTAssertFalse(mobile.isIdentified())
        XCTAssertNotNil(mobile.capture(event: "opened", propertiesJson: "{\"screen\": \"home\"}"))
        XCTAssertNotNil(mobile.identify(distinctId: "user-7"))
        XCTAssertEqual(mobile.distinctId(), "user-7")
        XCTAssertNotEqual(anonymous, "user-7")
        XCTAssertNil(mobile.getFeatureFlag(key: "beta"), "no flags before an answer")
        XCTAssertFalse(mobile.debugDescription.contains(key), "the key is redacted")
        do {
            _ = try await mobile.flush(timeoutMs: 2_000)
            XCTFail("offline: flush must throw")
        } catch {
            _ = assertKind(error, "timeout")
        }
        XCTAssertThrowsError(try mobile.shutdown(timeoutMs: 500)) { _ = assertKind($0, "timeout") }
    }
    func testCaptureExceptionTakesTheFramesAsData() throws {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("posthog-swift-\(UUID().uuidString)").path
        let options = MobileOptions(host: loopback, preloadFeatureFlags: false, sdk: .swift)
        let mobile = try PostHogMobile(apiKey: key, stateDir: dir, options: options)
        mobile.onNetworkChange(online: false)
        let frames = Thread.callStackSymbols.prefix(5).map {
            ExceptionFrame(function: $0, module: "SwiftTests", platform: "swift")
        }
        let error = ThrownException(typeName: "DecodingError", message: "bad json", frames: Array(frames))
        XCTAssertNotNil(mobile.captureException(exceptions: [error]))
        XCTAssertNil(mobile.captureException(exceptions: []), "an empty chain is refused, not thrown")
        XCTAssertThrowsError(try mobile.shutdown(timeoutMs: 500)) { _ = assertKind($0, "timeout") }
    }
}

