import Foundation
import MaxConnector
import MaxCore
import Synchronization
import Testing

/// A connector whose entity types depend on what it connects to: one per "table" of its config,
/// as a database source has.
private struct TablesConnector: ConnectorModule {
    struct Config: Codable, Sendable { var tables: [String] }

    static let root = EntityDef("TablesRoot", fields: [])

    var def: ConnectorDef<[String]> {
        ConnectorDef(
            name: "tables", displayName: "Tables", description: "one entity type per table", version: "1.0.0",
            schema: Schema(namespace: "tables", entities: [], roots: [Self.root]), onboarding: OnboardingFlow([]),
            seeder: Seeder { tables in
                let root = Ref("TablesRoot", "db")
                return Seed(
                    entities: [EntityInput(root)],
                    plan: SyncPlan(tables.map { .forRoot(root, .loadCollection($0.lowercased())) }))
            }, resolvers: [])
    }

    func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<[String]> {
        let calls = Counter()
        return Installation(
            context: config.tables,
            discover: {
                calls.increment()
                let types = config.tables.map { EntityDef(EntityType($0), fields: [.string("name")]) }
                let root = EntityDef(
                    "TablesRoot", fields: config.tables.map { .collection($0.lowercased(), of: EntityType($0)) })
                let resolvers = [
                    Resolver<[String]>(
                        for: "TablesRoot",
                        collections: config.tables.map { table in
                            CollectionLoader(
                                table, owner: "TablesRoot", field: table.lowercased(), target: EntityType(table)
                            ) {
                                _, _, _ in
                                Page(
                                    items: [
                                        EntityInput(
                                            Ref(EntityType(table), "1"), values: [("name", .string("row of \(table)"))])
                                    ],
                                    hasMore: false, cursor: nil)
                            }
                        })
                ]
                return DiscoveredModel(
                    schema: Schema(namespace: "tables", entities: types, roots: [root]),
                    resolvers: calls.value > 1 ? [] : resolvers)
            })
    }
}

private final class Counter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}

@Suite struct DiscoveredModelTests {
    private func live(_ tables: [String]) throws -> LiveInstallation {
        try TablesConnector().initialise(
            config: ["tables": .array(tables.map(JSONValue.string))], credentials: InMemoryCredentialStore())
    }

    @Test func theSchemaIsTheConnectorsUntilDiscovered() async throws {
        let live = try live(["Orders", "Customers"])
        #expect(live.discoversSchema)
        #expect(live.schema.entityTypes == ["TablesRoot"])
        #expect(throws: MaxError.self) { try live.collectionLoader(for: "TablesRoot", field: "orders") }

        let schema = try await live.discoverSchema()
        #expect(schema.entityTypes.map(\.name).sorted() == ["Customers", "Orders", "TablesRoot"])
        #expect(live.schema == schema)
        let loader = try live.collectionLoader(for: "TablesRoot", field: "orders")
        let page = try await loader.load(Ref("TablesRoot", "db"), PageRequest(limit: 10))
        #expect(page.items.map(\.ref) == [Ref("Orders", "1")])
    }

    @Test func discoveryRunsOnceAndStartRunsIt() async throws {
        let live = try live(["Orders"])
        try await live.start()
        // A second discovery would have returned a model without loaders: the first one is kept.
        try await live.discoverSchema()
        _ = try live.collectionLoader(for: "TablesRoot", field: "orders")
    }

    @Test func aModelWhoseLoadersDoNotMatchItsSchemaIsRefused() async throws {
        struct Broken: ConnectorModule {
            var def: ConnectorDef<Int> {
                ConnectorDef(
                    name: "broken", displayName: "Broken", description: "", version: "1.0.0",
                    schema: Schema(namespace: "broken", entities: [], roots: [EntityDef("Root", fields: [])]),
                    onboarding: OnboardingFlow([]),
                    seeder: Seeder { _ in Seed(entities: [], plan: SyncPlan([])) }, resolvers: [])
            }
            func initialise(_ config: JSONValue, credentials: any CredentialStore) throws -> Installation<Int> {
                Installation(context: 0) {
                } discover: {
                    DiscoveredModel(
                        schema: Schema(namespace: "broken", entities: [], roots: [EntityDef("Root", fields: [])]),
                        resolvers: [
                            Resolver<Int>(
                                for: "Root",
                                collections: [
                                    CollectionLoader("x", owner: "Root", field: "missing", target: "Root") { _, _, _ in
                                        Page(items: [], hasMore: false, cursor: nil)
                                    }
                                ])
                        ])
                }
            }
        }
        let live = try Broken().initialise(config: [:], credentials: InMemoryCredentialStore())
        let error = await #expect(throws: MaxError.self) { try await live.discoverSchema() }
        #expect(error?.code == .invalidConnector)
        #expect(error?.message.contains("missing") == true)
    }

    @Test func aConnectorWithoutDiscoveryKeepsItsSchema() async throws {
        let live = try Notes.Module(backend: NotesBackend(token: "t", notesPerNotebook: 1)).initialise(
            config: ["baseURL": "https://notes.example", "notebookID": "nb_work"],
            credentials: InMemoryCredentialStore())
        #expect(!live.discoversSchema)
        #expect(try await live.discoverSchema() == Notes.schema)
    }
}
