// swift-tools-version:6.1
import PackageDescription
#if os(Linux)
import Glibc
#endif

// Every target opts into the same strictness: explicit `any`, imports that say what they export.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// How the `nimbus` binary is linked on Linux. Most of an idle server's memory is the binary's own pages
// (docs/ARCHITECTURE.md, "Linking"), so these flags trade nothing at run time for less of it resident:
// - lld, the toolchain's linker, for the options below that gold lacks;
// - no `--export-dynamic` (which swiftc adds for executables): nothing looks our symbols up at run time, and
//   exporting 50,000 of them made every symbol the dynamic linker resolves for libc search them too;
// - the functions that start-up runs placed together (link/text-order.txt, made by scripts/order-text.py;
//   scripts/build-release compiles with function sections so that the order applies per function);
// - packed relative relocations (`DT_RELR`): the dynamic linker reads a few KiB of them at start instead of
//   megabytes of `.rela.dyn`. Only where the C library building the binary has them (glibc 2.36+): an older
//   dynamic linker would ignore them and run the binary unrelocated;
// - libstdc++ (which the Swift runtime and ICU use) linked in from its static archive, as the runtime and
//   Foundation are: `-lstdc++` finds link/libstdc++/libstdc++.so first, a linker script that names
//   `libstdc++.a` from the compiler's own library path. Only the few objects the runtime needs are then in
//   the binary, instead of the shared library's 1.4 MiB resident and its symbols resolved at every start.
//   Only where the archive is installed (`staticLibstdcxxIsInstalled`).
let linkDirectory = Context.packageDirectory + "/link"
var nimbusLinkerFlags = [
    "-use-ld=lld",
    "-Xlinker", "--no-export-dynamic",
    "-Xlinker", "--symbol-ordering-file=\(linkDirectory)/text-order.txt", "-Xlinker", "--no-warn-symbol-ordering",
    "-Xlinker", "\(linkDirectory)/text-order.ld",
]
#if os(Linux)
if staticLibstdcxxIsInstalled() {
    nimbusLinkerFlags += ["-L", "\(linkDirectory)/libstdc++"]
}
if glibcHasPackedRelocations() {
    nimbusLinkerFlags += ["-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"]
}

// Debian's and Ubuntu's libstdc++-N-dev ship the archive beside the shared library; Fedora's and RHEL's put it in
// libstdc++-static. Without it, nimbus links the shared library as before.
func staticLibstdcxxIsInstalled() -> Bool {
    var found = glob_t()
    defer { globfree(&found) }
    return glob("/usr/lib/gcc/*/*/libstdc++.a", 0, nil, &found) == 0 && found.gl_pathc > 0
}

func glibcHasPackedRelocations() -> Bool {
    var buffer = [UInt8](repeating: 0, count: 64)  // "glibc 2.36"
    let written = buffer.withUnsafeMutableBufferPointer { confstr(Int32(_CS_GNU_LIBC_VERSION), $0.baseAddress, $0.count) }
    guard written > 1, written <= buffer.count,
        let version = String(decoding: buffer[..<(written - 1)], as: UTF8.self).split(separator: " ").last
    else { return false }
    let numbers = version.split(separator: ".").compactMap { Int($0) }
    return numbers.count >= 2 && (numbers[0], numbers[1]) >= (2, 36)
}
#endif

let package = Package(
    name: "nimbus",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "nimbus", targets: ["nimbus"]),
        // For the benchmark package beside this one, which drives the server in-process.
        .library(name: "NimbusServer", targets: ["NimbusServer"]),
        .library(name: "NimbusAuth", targets: ["NimbusAuth"]),
        .library(name: "NimbusWire", targets: ["NimbusWire"]),
        .library(name: "NimbusCore", targets: ["NimbusCore"]),
        .library(name: "NimbusPolicy", targets: ["NimbusPolicy"]),
        .library(name: "NimbusBlobStore", targets: ["NimbusBlobStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        // Accounts, ARNs, ids, clocks, AWSError, RequestContext: the vocabulary every module shares.
        .target(name: "NimbusCore", swiftSettings: swiftSettings),
        // SigV4 (header, presigned, streaming) with few dependencies, like a crypto library should have.
        .target(
            name: "NimbusAuth",
            dependencies: ["NimbusCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The API models and the five wire-protocol codecs.
        .target(name: "NimbusWire", dependencies: ["NimbusCore"], swiftSettings: swiftSettings),
        // The IAM policy language: parse, validate, evaluate, simulate. Used by every service's authorization.
        .target(name: "NimbusPolicy", dependencies: ["NimbusCore"], swiftSettings: swiftSettings),
        // Credential primitives: TOTP, password hashing and policy, QR codes, certificates, SSH keys.
        .target(
            name: "NimbusCredentials",
            dependencies: [
                "NimbusCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // Metadata store (SQLite via GRDB, or memory) and encryption of secrets at rest.
        .target(
            name: "NimbusStorage",
            dependencies: [
                "NimbusCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Object data: encrypted, checksummed, spread redundantly over fault domains, scrubbed and repaired.
        .target(
            name: "NimbusBlobStore",
            dependencies: ["NimbusCore", "CNimbusCRC", "CNimbusSystem", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // CRC-32C with the CPU's instruction (SSE4.2, ARMv8 CRC32), which Swift cannot reach.
        .target(name: "CNimbusCRC"),
        // Linux calls that Swift's Glibc module does not import (fallocate's zero range).
        .target(name: "CNimbusSystem"),
        // CloudTrail events: recording (durable, group-committed) and lookup.
        .target(name: "NimbusAudit", dependencies: ["NimbusCore", "NimbusStorage", "NimbusBlobStore"], swiftSettings: swiftSettings),
        .target(
            name: "NimbusSTS",
            dependencies: [
                "NimbusCore", "NimbusWire", "NimbusAuth", "NimbusStorage", "NimbusPolicy",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Sources/Services/STS",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "NimbusIAM",
            dependencies: ["NimbusCore", "NimbusWire", "NimbusStorage", "NimbusAuth", "NimbusPolicy", "NimbusCredentials"],
            path: "Sources/Services/IAM",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "NimbusS3",
            dependencies: [
                "NimbusCore", "NimbusWire", "NimbusStorage", "NimbusPolicy", "NimbusBlobStore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Services/S3",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "NimbusKMS",
            dependencies: [
                "NimbusCore", "NimbusWire", "NimbusStorage", "NimbusPolicy",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Sources/Services/KMS",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "NimbusCloudTrail",
            dependencies: ["NimbusCore", "NimbusWire", "NimbusAudit"],
            path: "Sources/Services/CloudTrail",
            swiftSettings: swiftSettings
        ),
        // The request pipeline, TLS, health, metrics and lifecycle.
        .target(
            name: "NimbusServer",
            dependencies: [
                "NimbusCore", "NimbusAuth", "NimbusWire", "NimbusStorage", "NimbusAudit", "NimbusPolicy", "CNimbusSystem",
                "NimbusSTS", "NimbusCloudTrail", "NimbusIAM", "NimbusS3", "NimbusKMS", "NimbusBlobStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // `nimbus bench`: a SigV4-signing load generator, and the scenario table it runs.
        .target(
            name: "NimbusBench",
            dependencies: [
                "NimbusAuth",
                "NimbusCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "nimbus",
            dependencies: [
                "NimbusServer",
                "NimbusBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: [.unsafeFlags(nimbusLinkerFlags, .when(platforms: [.linux]))]
        ),
        .testTarget(
            name: "NimbusBenchTests",
            dependencies: [
                "NimbusBench",
                "NimbusAuth",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "NimbusCoreTests", dependencies: ["NimbusCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "NimbusAuthTests",
            dependencies: ["NimbusAuth", "NimbusCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "NimbusPolicyTests", dependencies: ["NimbusPolicy", "NimbusCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "NimbusCredentialsTests",
            dependencies: [
                "NimbusCredentials", "NimbusCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NimbusIAMTests",
            dependencies: [
                "NimbusIAM", "NimbusCore", "NimbusWire", "NimbusStorage", "NimbusAuth", "NimbusPolicy", "NimbusCredentials",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NimbusKMSTests",
            dependencies: [
                "NimbusKMS", "NimbusCore", "NimbusWire", "NimbusStorage", "NimbusPolicy",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "NimbusS3Tests", dependencies: ["NimbusS3", "NimbusBlobStore", "NimbusCore", "NimbusWire"], swiftSettings: swiftSettings),
        .testTarget(
            name: "NimbusBlobStoreTests",
            dependencies: ["NimbusBlobStore", "NimbusCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "NimbusWireTests", dependencies: ["NimbusWire", "NimbusCore"], swiftSettings: swiftSettings),
        .testTarget(name: "NimbusStorageTests", dependencies: ["NimbusStorage", "NimbusCore"], swiftSettings: swiftSettings),
        .testTarget(name: "NimbusAuditTests", dependencies: ["NimbusAudit", "NimbusStorage", "NimbusCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "NimbusServerTests",
            dependencies: [
                "NimbusServer", "NimbusAuth", "NimbusCore", "NimbusWire", "NimbusStorage", "NimbusAudit", "NimbusSTS",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
