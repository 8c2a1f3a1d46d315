// swift-tools-version:6.1
import PackageDescription

// Micro benchmarks for Nimbus, kept out of the server's own dependency graph (STYLE.md §7).
// Run: swift package --package-path Benchmarks benchmark
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "nimbus-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "nimbus", path: "../"),
        // MallocInterposer: the default RuntimeInterposer trait needs a repository this mirror lacks.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "NimbusBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NimbusServer", package: "nimbus"),
                .product(name: "NimbusAuth", package: "nimbus"),
                .product(name: "NimbusWire", package: "nimbus"),
                .product(name: "NimbusCore", package: "nimbus"),
                .product(name: "NimbusPolicy", package: "nimbus"),
                .product(name: "NimbusBlobStore", package: "nimbus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/NimbusBenchmarks",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
