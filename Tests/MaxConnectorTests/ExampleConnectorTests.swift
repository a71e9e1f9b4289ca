import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// Walks a sync plan with the bound loaders, keeping entities in memory: the shape of what the
/// sync engine does with persistence, retries and concurrency.
private func walk(_ installation: LiveInstallation) async throws -> [Ref: EntityInput] {
    var stored: [Ref: EntityInput] = [:]
    func store(_ input: EntityInput) {
        stored[input.ref, default: EntityInput(input.ref)].fields.merge(input.fields) { _, new in new }
    }
    let seed = try await installation.seed()
    seed.entities.forEach(store)
    for step in seed.plan.leafSteps {
        guard let (type, operation) = step.target else { continue }
        let owners: [Ref]
        if case .forRoot(let ref, _) = step {
            owners = [ref]
        } else {
            owners = stored.keys.filter { $0.type == type }.sorted { $0.id < $1.id }
        }
        for owner in owners {
            switch operation {
            case .loadCollection(let field):
                let loader = try installation.collectionLoader(for: type, field: field)
                var request = PageRequest.first(loader.pageSize)
                while true {
                    let page = try await loader.load(owner, request)
                    page.items.forEach(store)
                    guard page.hasMore, let cursor = page.cursor else { break }
                    request.cursor = cursor
                }
            case .loadFields(let fields):
                for (loader, _) in try installation.loaders(for: type, fields: fields) {
                    try await loader.load([owner]).forEach(store)
                }
            }
        }
    }
    return stored
}

struct ExampleConnectorTests {
    let backend = NotesBackend(token: "notes-token-1", notesPerNotebook: 10)
    var module: Notes.Module { Notes.Module(backend: backend) }

    @Test func theDefinitionIsConsistent() throws {
        try module.validateDefinition()
        #expect(module.info.schema.entityTypes == ["Notebook", "Note", "NotesRoot"])
        #expect(module.onboarding.configFields == ["baseURL", "notebookID"])
        #expect(module.onboarding.credentialNames == ["api_token"])
    }

    @Test func onboardingKeepsSecretsOutOfTheConfig() async throws {
        let store = InMemoryCredentialStore()
        let script = ScriptedOnboarding(
            answers: ["baseURL": " https://notes.example.com/ "], secrets: ["api_token": "notes-token-1"],
            choices: ["notebookID": "nb_work"])
        let state = try await script.run(module.onboarding, store: store)
        #expect(state == ["baseURL": "https://notes.example.com", "notebookID": "nb_work"])
        #expect(!JSONValue.object(state).jsonText.contains("notes-token-1"))
        #expect(try await store.get(Notes.apiToken) == "notes-token-1")
        #expect(
            try module.decodeConfig(.object(state))
                == Notes.Config(baseURL: "https://notes.example.com", notebookID: "nb_work"))
    }

    @Test func aWrongTokenIsRejectedByTheValidationStep() async throws {
        let error = try await #require(throws: MaxError.self) {
            try await ScriptedOnboarding(
                answers: ["baseURL": "https://notes.example.com"], secrets: ["api_token": "wrong"]
            )
            .run(module.onboarding, store: InMemoryCredentialStore())
        }
        #expect(error.message == "the API token was rejected")
    }

    @Test func aBadURLIsRejectedByTheInputStep() async throws {
        let error = try await #require(throws: MaxError.self) {
            try await ScriptedOnboarding(
                answers: ["baseURL": "notes.example.com"], secrets: ["api_token": "notes-token-1"]
            )
            .run(module.onboarding, store: InMemoryCredentialStore())
        }
        #expect(error.code == .onboardingInvalidInput)
        #expect(error.context["field"] == "baseURL")
    }

    @Test func syncsEveryPageThroughTheBoundLoaders() async throws {
        let credentials = InMemoryCredentialStore(["api_token": "notes-token-1"])
        let installation = try module.initialise(
            config: ["baseURL": "https://notes.example.com", "notebookID": "nb_work"], credentials: credentials)
        try await installation.start()
        #expect(await installation.health() == .healthy)
        let stored = try await walk(installation)
        let notes = stored.values.filter { $0.ref.type == "Note" }.sorted { $0.ref.id < $1.ref.id }
        #expect(notes.count == 10)  // 4 + 4 + 2 across three pages
        #expect(notes.allSatisfy { $0["notebook"] == .ref(Ref("Notebook", "nb_work")) })
        #expect(notes.last?["text"] == "Note 9")
        #expect(stored[Ref("Notebook", "nb_work")]?["name"] == "Work")
        #expect(stored[Ref("Notebook", "nb_home")] == nil)
        #expect(await backend.requests == 5)  // health, notebooks, three pages of notes
    }

    @Test func loadersAreFoundByField() async throws {
        let installation = try module.initialise(
            config: ["baseURL": "https://x.example", "notebookID": "nb_home"],
            credentials: .testing(["api_token": "notes-token-1"]))
        let groups = try installation.loaders(for: "Note", fields: ["text", "stars"])
        #expect(groups.map(\.loader.name) == ["note"])
        #expect(groups.first?.fields == ["text", "stars"])
        let loaded = try await groups[0].loader.load([Ref("Note", "nb_home_note_003"), Ref("Note", "missing")])
        #expect(loaded.map(\.ref.id) == ["nb_home_note_003"])

        let missing = #expect(throws: MaxError.self) {
            try installation.loaders(for: "Note", fields: ["text", "colour"])
        }
        #expect(missing?.code == .noLoader)
        let noCollection = #expect(throws: MaxError.self) { try installation.collectionLoader(for: "Note", field: "x") }
        #expect(noCollection?.code == .noLoader)
    }

    @Test func aWrongTokenMakesTheInstallationUnhealthy() async throws {
        let installation = try module.initialise(
            config: ["baseURL": "https://x.example", "notebookID": "nb_home"],
            credentials: .testing(["api_token": "old"]))
        #expect(await installation.health() == .unhealthy("the token was rejected"))
    }

    @Test(
        arguments: [
            (["baseURL": "https://x"], "config.notebookID is required"),
            (["baseURL": "https://x", "notebookID": 3], "config.notebookID must be a string, not a number"),
            (
                ["baseURL": "https://x", "notebookID": "n", "notebookId": "n"],
                "config.notebookId is not an allowed property"
            ),
            ("just a string", "config must be an object, not a string"),
        ] as [(JSONValue, String)])
    func badConfigIsAClearError(_ config: JSONValue, _ message: String) throws {
        let error = #expect(throws: MaxError.self) { try module.decodeConfig(config) }
        #expect(error?.code == .invalidConfig)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }
}
