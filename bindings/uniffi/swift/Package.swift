// swift-tools-version:5.9
// The Swift package of posthog-sdk: module PostHogSDK (the Swift that uniffi-bindgen generates,
// committed in Sources/PostHogSDK) over PostHogSDKFFI (the Rust core as a static library per
// platform, with its C header and module map, in an XCFramework). See README.md.
import PackageDescription

let package = Package(
    name: "PostHogSDK",
    platforms: [.iOS(.v13), .macOS(.v10_15)],
    products: [
        .library(name: "PostHogSDK", targets: ["PostHogSDK"]),
    ],
    targets: [
        // Built by .github/workflows/uniffi.yml (or by hand, README.md) into this directory and
        // never committed. A release uploads PostHogSDKFFI.xcframework.zip (the workflow writes
        // its checksum next to it, `swift package compute-checksum`) and replaces this target by
        //   .binaryTarget(
        //       name: "PostHogSDKFFI",
        //       url: "https://github.com/<owner>/<repo>/releases/download/vX.Y.Z/PostHogSDKFFI.xcframework.zip",
        //       checksum: "<the .sha256 file's contents>"
        //   ),
        // in the Package.swift that users depend on.
        .binaryTarget(name: "PostHogSDKFFI", path: "PostHogSDKFFI.xcframework"),
        .target(
            name: "PostHogSDK",
            dependencies: ["PostHogSDKFFI"],
            path: "Sources/PostHogSDK",
            // The static library's system dependencies (rustls-platform-verifier's trust store,
            // the local time zone).
            linkerSettings: [
                .linkedFramework("Security"),
                .linkedFramework("CoreFoundation"),
            ]
        ),
        .testTarget(
            name: "PostHogSDKTests",
            dependencies: ["PostHogSDK"],
            path: "Tests/PostHogSDKTests"
        ),
    ]
)
