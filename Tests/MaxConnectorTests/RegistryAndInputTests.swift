import MaxConnector
import MaxCore
import Synchronization
import Testing

struct RegistryTests {
    @Test func resolvesLazilyOnceAndLists() async throws {
        let loads = Mutex(0)
        let backend = NotesBackend(token: "t", notesPerNotebook: 1)
        let registry = ConnectorRegistry(local: [
            "notes": {
                loads.withLock { $0 += 1 }
                return Notes.Module(backend: backend)
            }
        ])
        #expect(loads.withLock { $0 } == 0)
        let module = try await registry.resolve("notes")
        _ = try await registry.resolve("notes")
        #expect(module.info.name == "notes")
        #expect(loads.withLock { $0 } == 1)
        let entries = try await registry.list()
        #expect(entries.map(\.name) == ["notes"])
        #expect(entries.first?.displayName == "Notes")
        #expect(entries.first?.source == .local)
    }

    @Test func anUnknownNameListsTheKnownOnes() async throws {
        let registry = ConnectorRegistry(local: [
            "notes": { Notes.Module(backend: NotesBackend(token: "t", notesPerNotebook: 0)) }
        ])
        let error = try await #require(throws: MaxError.self) { try await registry.resolve("linear") }
        #expect(error.code == .connectorNotFound)
        #expect(error.category == .notFound)
        #expect(error.hint == #"known connectors: notes (see "max connectors")"#)
    }

    @Test func anInconsistentDefinitionFailsWhenResolved() async throws {
        struct Broken: ConnectorModule {
            struct Config: Codable, Sendable {}
            var def: ConnectorDef<Void> {
                ConnectorDef(
                    name: "broken", displayName: "Broken", description: "", version: "0.0.1", schema: Notes.schema,
                    onboarding: OnboardingFlow([]), seeder: Seeder { _ in Seed(entities: [], plan: SyncPlan([])) },
                    resolvers: [
                        Resolver(
                            for: "Note", loading: ["colour"],
                            with: .batched("x", for: "Note", batchSize: 5) { _, _ in [] }),
                        Resolver(for: "Ghost"),
                    ])
            }
            func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<Void> {
                Installation(context: ())
            }
        }
        let registry = ConnectorRegistry(local: ["broken": { Broken() }])
        let error = try await #require(throws: MaxError.self) { try await registry.resolve("broken") }
        #expect(error.code == .invalidConnector)
        #expect(error.message.contains("loads 'colour', which is not a row field"))
        #expect(error.message.contains("'Ghost', which is not in the schema"))
    }
}

struct InputFieldTests {
    @Test(arguments: [
        ("https://acme.example.com", JSONValue.string("https://acme.example.com")),
        ("http://127.0.0.1:4567/", "http://127.0.0.1:4567"),
        ("  HTTPS://Acme.example  ", "HTTPS://Acme.example"),
    ])
    func acceptsHTTPURLs(_ text: String, _ expected: JSONValue) throws {
        #expect(try InputField.url("baseURL").parse(text) == expected)
    }

    @Test(arguments: ["acme.example.com", "ftp://acme.example.com", "https://", "not a url at all", "mailto:a@b.c"])
    func rejectsOtherText(_ text: String) {
        let error = #expect(throws: MaxError.self) { try InputField.url("baseURL", label: "Tenant URL").parse(text) }
        #expect(error?.code == .onboardingInvalidInput)
        #expect(error?.message.hasPrefix("Tenant URL must be a URL starting with http:// or https://") == true)
    }

    @Test func requiredFieldsUseDefaultsOrComplain() throws {
        #expect(try InputField.string("region", default: "eu").parse("  ") == "eu")
        #expect(try InputField.string("note", required: false).parse("") == nil)
        let error = #expect(throws: MaxError.self) { try InputField.string("name", label: "Name").parse("") }
        #expect(error?.message == "Name is required")
    }

    @Test(arguments: [("42", JSONValue.int(42)), ("2.5", .double(2.5))])
    func readsNumbers(_ text: String, _ expected: JSONValue) throws {
        #expect(try InputField("n", kind: .number).parse(text) == expected)
    }

    @Test(arguments: [("yes", true), ("N", false), ("true", true), ("off", false)])
    func readsBooleans(_ text: String, _ expected: Bool) throws {
        #expect(try InputField("b", kind: .bool).parse(text) == .bool(expected))
    }

    @Test func rejectsNonNumbers() {
        #expect(throws: MaxError.self) { try InputField("n", kind: .number).parse("many") }
        #expect(throws: MaxError.self) { try InputField("b", kind: .bool).parse("perhaps") }
    }
}
