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
        .library(name: "MaxCredentials", targets: ["MaxCredentials"]),
        .library(name: "AcmeAPI", targets: ["AcmeAPI"]),
        .library(name: "AcmeConnector", targets: ["AcmeConnector"]),
        .library(name: "GitConnector", targets: ["GitConnector"]),
        .library(name: "DeclarativeConnector", targets: ["DeclarativeConnector"]),
        .library(name: "FilesConnector", targets: ["FilesConnector"]),
        .library(name: "PostgresConnector", targets: ["PostgresConnector"]),
        .library(name: "MaxSync", targets: ["MaxSync"]),
        .library(name: "MaxRuntime", targets: ["MaxRuntime"]),
        .library(name: "MaxCLI", targets: ["MaxCLI"]),
        .executable(name: "max", targets: ["max"]),
        .executable(name: "acme-server", targets: ["acme-server"]),
        .executable(name: "max-bench", targets: ["max-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        // /metrics in the Prometheus text format: counters, gauges and histograms.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // Only for the MCP client in tests: its stdio transport takes swift-system file descriptors.
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // TLS settings for PostgreSQL connections (already resolved through async-http-client).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Vocabulary: pure values, no I/O.
        .target(name: "MaxCore"),
        // The filter language, ordering, field selection and cursors.
        .target(name: "MaxQuery", dependencies: ["MaxCore"]),
        // The storage contract, whatever the database: the sync run and task records, the write
        // batch, and the protocol a store answers searches and writes by.
        .target(name: "MaxStore", dependencies: ["MaxCore", "MaxQuery"]),
        // The connector SDK. Connectors import this (and MaxCore) only. It owns the shared HTTP client,
        // so AsyncHTTPClient stays out of every connector's signatures.
        .target(
            name: "MaxConnector",
            dependencies: [
                "MaxCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // Connector processes' pipes and the connector protocol's framing.
                .product(name: "NIOPosix", package: "swift-nio"),
                // An installation's private certificate authority and client certificate (mTLS).
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // SQLite through GRDB: the only target that imports GRDB (and its tests, to damage a file).
        .target(
            name: "MaxStorage",
            dependencies: [
                "MaxCore", "MaxQuery", "MaxStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for binding bulk upserts without per-row allocations.
                .product(name: "GRDBSQLite", package: "GRDB.swift", condition: .when(platforms: [.linux])),
            ]
        ),
        // Secrets at rest: envelope encryption (swift-crypto), the only target that imports Crypto
        // besides the Acme sample server; the sealed file store, `max.json`'s references to the
        // environment, and where a credential's value comes from.
        .target(
            name: "MaxCredentials",
            dependencies: ["MaxCore", "MaxConnector", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The git connector: a local repository through the git executable.
        .target(name: "GitConnector", dependencies: ["MaxCore", "MaxConnector"]),
        // YAML as JSON values: the only target that imports Yams.
        .target(name: "MaxYAML", dependencies: ["MaxCore", .product(name: "Yams", package: "Yams")]),
        // Connectors written as a manifest (JSON or YAML) instead of Swift, and the ones Max bundles
        // (GitHub, Linear, a declarative Acme).
        .target(name: "DeclarativeConnector", dependencies: ["MaxCore", "MaxConnector", "MaxYAML"]),
        // A folder of documents: files with their text, Markdown front matter, headings and links.
        .target(
            name: "FilesConnector", dependencies: ["MaxCore", "MaxConnector", "MaxCredentials", "MaxYAML"]),
        // A PostgreSQL database: its tables as entity types, read through PostgresNIO (which
        // MaxPostgresStore also imports, to write a store).
        .target(
            name: "PostgresConnector",
            dependencies: [
                "MaxCore", "MaxConnector",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // An installation's entities in PostgreSQL, for a project shared beyond one machine: the
        // same SQL as the SQLite store (MaxQuery's compiler). PostgresNIO is here and in
        // PostgresConnector: a store written and a source read are two layers.
        .target(
            name: "MaxPostgresStore",
            dependencies: [
                "MaxCore", "MaxQuery", "MaxStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The sync engine: plan expansion, persistent tasks, a bounded worker pool.
        .target(name: "MaxSync", dependencies: ["MaxCore", "MaxQuery", "MaxConnector", "MaxStore", "MaxStorage"]),
        // The composition root: the project on disk, installations, credentials, onboarding.
        .target(
            name: "MaxRuntime",
            dependencies: [
                "MaxCore", "MaxQuery", "MaxConnector", "MaxStore", "MaxStorage", "MaxSync", "MaxCredentials",
                // A project whose installations store in PostgreSQL, shared by workers.
                "MaxPostgresStore",
                // Connector documents (max apply -f) are YAML.
                "MaxYAML",
                .product(name: "Logging", package: "swift-log"),
                // The loopback listener that receives OAuth redirects during onboarding.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The front ends below see the runtime's API (MaxAPI, its types, MaxError), never the storage,
        // sync or query layers beneath it.
        // The Model Context Protocol server for agents, over the API (the MCP swift-sdk stays here).
        .target(
            name: "MaxMCP",
            dependencies: [
                "MaxCore", "MaxConnector", "MaxRuntime",
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
        // The explorer's pages as HTML: view models rendered by Mustache templates built into the
        // binary (the only target that imports Mustache); no HTTP here.
        .target(
            name: "MaxPages",
            dependencies: ["MaxCore", .product(name: "Mustache", package: "swift-mustache")]
        ),
        // max serve: the API's endpoints over HTTP and the explorer (Hummingbird stays here and in AcmeAPI).
        .target(
            name: "MaxServer",
            dependencies: [
                "MaxCore", "MaxConnector", "MaxRuntime", "MaxMCP", "MaxPages",
                .product(name: "Hummingbird", package: "hummingbird"),
                // Header names (X-Request-Id) beyond the ones Hummingbird re-exports.
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // max connector certify: the certification suite, and the fault-injecting proxy it puts
        // between a connector and its source (Hummingbird, as in MaxServer: both are Max's own
        // servers).
        .target(
            name: "MaxCertification",
            dependencies: [
                "MaxCore", "MaxConnector", "MaxRuntime", "MaxCredentials",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The command line, as a library so tests can parse commands without a process.
        .target(
            name: "MaxCLI",
            dependencies: [
                "MaxCore", "MaxConnector", "MaxCredentials", "MaxRuntime", "MaxMCP", "MaxServer", "MaxCertification",
                // The built-in connectors: composed here, by the max executable, not by the runtime.
                "AcmeConnector", "GitConnector", "DeclarativeConnector", "FilesConnector", "PostgresConnector",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // Ctrl-C and SIGTERM end a sync cleanly.
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The executable: the command line, and the sample server `max demo` runs.
        .executableTarget(name: "max", dependencies: ["MaxCLI", "AcmeAPI"]),
        // The Acme sample SaaS: a Hummingbird server over SQLite. It knows nothing of Max.
        .target(
            name: "AcmeAPI",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "acme-server",
            dependencies: ["AcmeAPI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The Acme connector: the SDK's first real user.
        .target(name: "AcmeConnector", dependencies: ["MaxConnector", "MaxCore"]),
        // Local stand-ins for public services (GitHub, Linear) that behave as their documentation
        // says, for tests and benchmarks: no test reaches the internet.
        .target(
            name: "SourceSimulators",
            dependencies: [
                "MaxCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Builders shared by the test targets: sample schemas, in-memory stores, a manual clock.
        .target(name: "MaxTestSupport", dependencies: ["MaxCore", "MaxConnector", "MaxStorage"]),
        // `swift run -c release max-bench …`
        .executableTarget(
            name: "max-bench",
            dependencies: [
                "MaxCore", "MaxQuery", "MaxStore", "MaxStorage", "MaxConnector", "MaxSync", "MaxRuntime", "MaxServer",
                "MaxPages", "AcmeAPI", "AcmeConnector", "DeclarativeConnector", "SourceSimulators", "MaxPostgresStore",
                // The throwaway PostgreSQL cluster of `max-bench postgres`.
                "MaxTestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
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
            // GRDB only to damage a store's file the way another program could.
            dependencies: [
                "MaxStorage", "MaxStore", "MaxQuery", "MaxCore", "MaxTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "AcmeAPITests",
            dependencies: [
                "AcmeAPI", "MaxConnector", "MaxCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "MaxSyncTests",
            dependencies: [
                "MaxSync", "MaxStore", "MaxStorage", "MaxConnector", "MaxCore", "MaxQuery", "MaxTestSupport",
                "MaxPostgresStore",
            ]
        ),
        .testTarget(
            name: "MaxRuntimeTests",
            dependencies: [
                "MaxRuntime", "MaxConnector", "MaxCore", "MaxCredentials", "MaxTestSupport", "MaxPostgresStore",
            ]
        ),
        .testTarget(
            name: "MaxCLITests",
            dependencies: [
                "MaxCLI", "MaxRuntime", "MaxCore", "MaxCredentials", "AcmeAPI", "AcmeConnector", "MaxConnector",
                "GitConnector", "MaxServer", "MaxPages", "MaxMCP", "MaxTestSupport", "SourceSimulators",
                "DeclarativeConnector",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(name: "MaxCertificationTests", dependencies: ["MaxCertification", "MaxCore"]),
        .testTarget(
            name: "DeclarativeConnectorTests",
            dependencies: ["DeclarativeConnector", "MaxConnector", "MaxCore", "MaxTestSupport"]
        ),
        .testTarget(
            name: "FilesConnectorTests",
            dependencies: ["FilesConnector", "MaxConnector", "MaxCore", "MaxTestSupport"]
        ),
        .testTarget(
            name: "MaxPostgresStoreTests",
            // GRDB only to ask a SQLite store hand-written SQL, the oracle of the ref traversal tests.
            dependencies: [
                "MaxPostgresStore", "MaxStore", "MaxStorage", "MaxQuery", "MaxCore", "MaxTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "PostgresConnectorTests",
            dependencies: ["PostgresConnector", "MaxConnector", "MaxCore"]
        ),
        .testTarget(
            name: "AcmeConnectorTests",
            dependencies: ["AcmeConnector", "AcmeAPI", "MaxConnector", "MaxCore", "MaxTestSupport"]
        ),
    ]
)

// Settings every target gets, applied in one loop (the swift-log way).
for target in package.targets where [.regular, .executable, .test].contains(target.type) {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .enableUpcomingFeature("ExistentialAny"),
            .enableUpcomingFeature("MemberImportVisibility"),
            .enableUpcomingFeature("InternalImportsByDefault"),
            .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
        ]
}
