// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "Max",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MaxCore", targets: ["MaxCore"]),
        .library(name: "MaxQuery", targets: ["MaxQuery"]),
        .library(name: "MaxConnector", targets: ["MaxConnector"]),
        .library(name: "MaxStorage", targets: ["MaxStorage"]),
        .executable(name: "max-bench", targets: ["max-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Vocabulary: pure values, no I/O.
        .target(name: "MaxCore"),
        // The filter language, ordering, field selection and cursors.
        .target(name: "MaxQuery", dependencies: ["MaxCore"]),
        // The connector SDK. Connectors import this (and MaxCore) only.
        .target(name: "MaxConnector", dependencies: ["MaxCore"]),
        // SQLite through GRDB: the only target that imports GRDB.
        .target(
            name: "MaxStorage",
            dependencies: [
                "MaxCore", "MaxQuery",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for binding bulk upserts without per-row allocations.
                .product(name: "GRDBSQLite", package: "GRDB.swift", condition: .when(platforms: [.linux])),
            ]
        ),
        // Builders shared by the test targets: sample schemas, in-memory stores, a manual clock.
        .target(name: "MaxTestSupport", dependencies: ["MaxCore", "MaxConnector", "MaxStorage"]),
        // `swift run -c release max-bench …`
        .executableTarget(
            name: "max-bench",
            dependencies: [
                "MaxCore", "MaxQuery", "MaxStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "MaxCoreTests", dependencies: ["MaxCore", "MaxTestSupport"]),
        .testTarget(name: "MaxQueryTests", dependencies: ["MaxQuery", "MaxCore", "MaxTestSupport"]),
        .testTarget(
            name: "MaxConnectorTests",
            dependencies: ["MaxConnector", "MaxCore", "MaxTestSupport"]
        ),
        .testTarget(
            name: "MaxStorageTests",
            dependencies: ["MaxStorage", "MaxQuery", "MaxCore", "MaxTestSupport"]
        ),
    ]
)

// Settings every target gets, applied in one loop (the swift-log way).
for target in package.targets where [.regular, .executable, .test].contains(target.type) {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
    ]
}
