public import Foundation
public import MaxCore

/// `max connector new`: a Swift package for a new connector that runs out of process, ready to
/// build, test, connect and sync.
///
/// The package depends on Max's `MaxConnector` library by path. It has the connector (a schema,
/// an onboarding step, one collection loader, one operation), an executable that serves it over
/// the connector protocol with `ConnectorHost.run`, a test that passes, and a README.
public struct ConnectorScaffold: Sendable {
    /// The connector's name (`hello`): lowercase letters, digits and dashes.
    public let name: String
    /// Where Max's package is (its `Package.swift`), which the new package depends on.
    public let maxPackage: URL

    /// A scaffold for `name`.
    ///
    /// - Throws: `connector.invalid_name` for a name that is not lowercase letters, digits and
    ///   dashes starting with a letter.
    public init(name: String, maxPackage: URL) throws {
        guard let first = name.first, first.isLetter, first.isLowercase, name.count <= 40,
            name.allSatisfy({ ($0.isLetter && $0.isLowercase) || $0.isNumber || $0 == "-" }), first.isASCII,
            name.allSatisfy(\.isASCII)
        else {
            throw MaxError(
                .invalidConnectorName,
                "'\(name)' is not a connector name: use lowercase letters, digits and dashes, starting with a letter",
                hint: "for example: max connector new hello")
        }
        self.name = name
        self.maxPackage = maxPackage
    }

    /// `hello-world` → `HelloWorld`.
    public var typeName: String {
        name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// The executable the package builds: `<name>-connector`.
    public var executableName: String { "\(name)-connector" }

    /// Writes the package into `folder` (which must not exist yet).
    ///
    /// - Throws: `connector.exists` when the folder exists; `project.write_failed`.
    public func write(to folder: URL) throws {
        guard !FileManager.default.fileExists(atPath: folder.path) else {
            throw MaxError(
                .connectorExists, "\(folder.path) exists already", hint: "pick another --dir, or remove it first",
                context: ["path": folder.path])
        }
        for (path, text) in files {
            let url = folder.appendingPathComponent(path)
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try text.write(to: url, atomically: true, encoding: .utf8)
            } catch {
                throw MaxError(
                    .projectWriteFailed, "could not write \(url.path): \(error.localizedDescription)",
                    context: ["path": url.path])
            }
        }
    }

    /// The package's files, by path.
    public var files: [(path: String, text: String)] {
        let type = typeName
        // A path dependency's identity is the last component of its path.
        let maxIdentity = maxPackage.lastPathComponent.lowercased()
        return [
            (
                "Package.swift",
                """
                // swift-tools-version:6.2
                import PackageDescription

                let package = Package(
                    name: "\(type)Connector",
                    platforms: [.macOS(.v15)],
                    products: [.executable(name: "\(executableName)", targets: ["\(executableName)"])],
                    dependencies: [
                        // Max's connector SDK, from the Max source tree this package was made with.
                        .package(path: \(JSONValue.string(maxPackage.path).jsonText))
                    ],
                    targets: [
                        .target(
                            name: "\(type)",
                            dependencies: [
                                .product(name: "MaxConnector", package: "\(maxIdentity)"),
                                .product(name: "MaxCore", package: "\(maxIdentity)"),
                            ]),
                        .executableTarget(
                            name: "\(executableName)",
                            dependencies: ["\(type)", .product(name: "MaxConnector", package: "\(maxIdentity)")]),
                        .testTarget(
                            name: "\(type)Tests",
                            dependencies: [
                                "\(type)", .product(name: "MaxConnector", package: "\(maxIdentity)"),
                                .product(name: "MaxCore", package: "\(maxIdentity)"),
                            ]),
                    ]
                )

                """
            ),
            (
                "Sources/\(type)/\(type)Connector.swift",
                """
                public import MaxConnector
                public import MaxCore

                /// The \(name) connector: greetings in a few languages, to show every part of a connector.
                public struct \(type)Connector: ConnectorModule {
                    /// What onboarding produces: plain config, never a secret.
                    public struct Config: Codable, Sendable {
                        /// The word each greeting starts with.
                        public var greeting: String
                    }

                    /// What the loaders receive.
                    public struct Context: Sendable {
                        /// The config.
                        public let config: Config
                    }

                    /// The connector.
                    public init() {}

                    /// Where a sync starts.
                    static let root = EntityDef("\(type)Root", fields: [.collection("greetings", of: "\(type)Greeting")])
                    /// A greeting.
                    static let greeting = EntityDef(
                        "\(type)Greeting", fields: [.string("text"), .string("language", indexed: true), .int("length")],
                        summary: "A greeting in one language.")
                    /// The schema: a root, and the greetings it holds.
                    public static let schema = Schema(namespace: "\(name)", entities: [root, greeting], roots: [root])

                    /// The languages, by code.
                    static let names = ["en": "World", "fr": "le monde", "de": "Welt", "es": "mundo"]

                    /// One collection loader: the greetings, in one page.
                    static let greetings = CollectionLoader<Context>(
                        "greetings", owner: "\(type)Root", field: "greetings", target: "\(type)Greeting"
                    ) { _, _, context in
                        Page.last(
                            names.keys.sorted().map { language in
                                let text = "\\(context.config.greeting), \\(names[language] ?? "")!"
                                return EntityInput(
                                    "\(type)Greeting", id: language,
                                    fields: ["text": .string(text), "language": .string(language), "length": .int(text.count)])
                            })
                    }

                    /// One operation: a greeting for a name. Its schemas are literals: a mistake in them
                    /// fails the first test.
                    static let greet = try! OperationDef<Context>(
                        OperationInfo(
                            "greet", displayName: "Greet", description: "A greeting for someone.",
                            input: [
                                "type": "object", "required": ["name"], "additionalProperties": false,
                                "properties": ["name": ["type": "string", "minLength": 1]],
                            ],
                            output: ["type": "object", "required": ["text"]], mutating: false)
                    ) { call, context in
                        OperationOutput(data: ["text": .string("\\(context.config.greeting), \\(call.input["name"]?.stringValue ?? "")!")])
                    }

                    /// The definition.
                    public var def: ConnectorDef<Context> {
                        ConnectorDef(
                            name: "\(name)", displayName: "\(type)", description: "Greetings, from a connector made with max connector new",
                            version: "0.1.0", schema: Self.schema,
                            onboarding: OnboardingFlow([
                                .input(InputStep("Greeting", fields: [.string("greeting", label: "The greeting", default: "Hello")]))
                            ]),
                            seeder: Seeder { _ in
                                let root = Ref("\(type)Root", "\(name)")
                                return Seed(entities: [EntityInput(root)], plan: SyncPlan([.forRoot(root, .loadCollection("greetings"))]))
                            },
                            resolvers: [Resolver(for: "\(type)Root", collections: [Self.greetings])],
                            operations: [Self.greet])
                    }

                    /// Builds an installation from its config; no I/O.
                    public func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<Context> {
                        Installation(context: Context(config: config))
                    }
                }

                """
            ),
            (
                "Sources/\(executableName)/main.swift",
                """
                import \(type)
                import MaxConnector

                // Serves the connector over the connector protocol on stdin and stdout (see Max's
                // docs/connector-protocol.md); Max starts this program and talks to it.
                try await ConnectorHost.run(\(type)Connector())

                """
            ),
            (
                "Tests/\(type)Tests/\(type)ConnectorTests.swift",
                """
                import MaxConnector
                import MaxCore
                import Testing
                @testable import \(type)

                struct \(type)ConnectorTests {
                    @Test func theDefinitionHoldsTogether() throws {
                        try \(type)Connector().validateDefinition()
                    }

                    @Test func itSeedsLoadsAndGreets() async throws {
                        let live = try \(type)Connector().initialise(
                            config: ["greeting": "Hi"], credentials: InMemoryCredentialStore())
                        let seed = try await live.seed()
                        #expect(seed.entities.map(\\.ref.id) == ["\(name)"])
                        let loader = try live.collectionLoader(for: "\(type)Root", field: "greetings")
                        let page = try await loader.load(Ref("\(type)Root", "\(name)"), .first(10))
                        #expect(page.items.count == 4)
                        #expect(page.items.first?["text"] == .string("Hi, Welt!"))
                        let output = try await live.execute("greet", OperationCall(input: ["name": "Ada"], requestID: "test"))
                        #expect(output.data["text"] == "Hi, Ada!")
                    }
                }

                """
            ),
            (
                "README.md",
                """
                # The \(name) connector

                A Max connector made with `max connector new \(name)`. It runs out of process: Max
                builds it (`max install`), starts `\(executableName)` and talks to it over the connector
                protocol (JSON-RPC on stdin and stdout; see Max's `docs/connector-protocol.md`).

                - `Sources/\(type)/\(type)Connector.swift`: the schema, the onboarding, one collection
                  loader and one operation. Change them to read your source.
                - `Sources/\(executableName)/main.swift`: `ConnectorHost.run`, nothing else.
                - `Tests/\(type)Tests`: `swift test` runs them.

                In the Max project whose `max.json` lists it (`"connectors": {"\(name)": "file:…"}`):

                ```sh
                max install                 # builds it (swift build -c release)
                max connect \(name)
                max sync \(name)
                max search \(name) \(type)Greeting
                max invoke \(name) greet --input '{"name": "Ada"}'
                ```

                """
            ),
            (".gitignore", ".build/\n"),
        ]
    }
}

extension MaxError.Code {
    /// A connector name that cannot name a package.
    public static let invalidConnectorName = Self(domain: "connector", name: "invalid_name", category: .validationError)
    /// The folder for a new connector exists already.
    public static let connectorExists = Self(domain: "connector", name: "exists", category: .conflict)
}
