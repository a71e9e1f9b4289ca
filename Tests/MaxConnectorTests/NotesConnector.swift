import Foundation
import MaxConnector
import MaxCore

// A small example connector, written the way a connector author would: a schema, typed
// credentials, an onboarding flow, loaders, resolvers, a seeder, and a module. Its "API" is an
// in-process backend, so the tests exercise the SDK without a network.

/// The source the example connector reads: notebooks of notes, behind a token.
actor NotesBackend {
    struct Note: Sendable {
        let id: String
        let notebook: String
        let text: String
        let stars: Int
    }

    let token: String
    private(set) var requests = 0
    let notebooks = ["nb_work": "Work", "nb_home": "Home"]
    let notes: [Note]

    init(token: String, notesPerNotebook: Int) {
        self.token = token
        notes = ["nb_home", "nb_work"].flatMap { notebook in
            (0..<notesPerNotebook).map { index in
                Note(
                    id: "\(notebook)_note_\(String(format: "%03d", index))", notebook: notebook, text: "Note \(index)",
                    stars: index % 5)
            }
        }
    }

    private func authorise(_ presented: String) throws {
        requests += 1
        guard presented == token else {
            throw MaxError(
                .onboardingValidationFailed, "the API token was rejected", hint: "create a new token and try again")
        }
    }

    func listNotebooks(token: String) throws -> [(id: String, name: String)] {
        try authorise(token)
        return notebooks.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    func notes(in notebook: String, after: String?, limit: Int, token: String) throws -> [Note] {
        try authorise(token)
        return Array(notes.filter { $0.notebook == notebook && $0.id > (after ?? "") }.prefix(limit))
    }

    func note(_ id: String, token: String) throws -> Note? {
        try authorise(token)
        return notes.first { $0.id == id }
    }
}

enum Notes {
    static let apiToken = Credential.key("api_token")

    static let root = EntityDef("NotesRoot", fields: [.collection("notebooks", of: "Notebook")])
    static let notebook = EntityDef("Notebook", fields: [.string("name"), .collection("notes", of: "Note")])
    static let note = EntityDef(
        "Note", fields: [.string("text"), .int("stars", indexed: true), .ref("notebook", to: "Notebook")])
    static let schema = Schema(namespace: "notes", entities: [notebook, note], roots: [root])

    struct Config: Codable, Sendable, Equatable {
        var baseURL: String
        var notebookID: String
    }

    struct Context: Sendable {
        let backend: NotesBackend
        let credentials: any CredentialStore
        let notebookID: String

        func token() async throws -> String { try await credentials.get(Notes.apiToken) }
    }

    static func input(_ note: NotesBackend.Note) -> EntityInput {
        EntityInput(
            "Note", id: note.id,
            fields: [
                "text": .string(note.text), "stars": .int(note.stars), "notebook": .ref(Ref("Notebook", note.notebook)),
            ])
    }

    static let notebookNotes = CollectionLoader<Context>(
        "notebookNotes", owner: "Notebook", field: "notes", target: "Note", pageSize: 4
    ) { notebook, page, context in
        let notes = try await context.backend.notes(
            in: notebook.id, after: page.cursor, limit: page.limit + 1, token: try await context.token())
        let kept = Array(notes.prefix(page.limit))
        let hasMore = notes.count > page.limit
        return Page(items: kept.map(input), hasMore: hasMore, cursor: hasMore ? kept.last?.id : nil)
    }

    static let noteLoader = EntityLoader<Context>.single("note", for: "Note") { ref, context in
        try await context.backend.note(ref.id, token: try await context.token()).map(input)
    }

    static let rootNotebooks = CollectionLoader<Context>(
        "rootNotebooks", owner: "NotesRoot", field: "notebooks", target: "Notebook"
    ) { _, _, context in
        let notebooks = try await context.backend.listNotebooks(token: try await context.token())
        return .last(
            notebooks.filter { $0.id == context.notebookID }
                .map { EntityInput("Notebook", id: $0.id, fields: ["name": .string($0.name)]) })
    }

    static func makeOnboarding(backend: NotesBackend) -> OnboardingFlow {
        OnboardingFlow([
            .input(
                InputStep(
                    "Connect to Notes", description: "Create a token under Settings → API.",
                    fields: [.url("baseURL", label: "Server URL", placeholder: "https://notes.example.com")],
                    credentials: [CredentialInput(apiToken, label: "API token")])),
            .validation(
                ValidationStep("Checking the token") { _, context in
                    _ = try await backend.listNotebooks(token: try await context.credentialStore.get(apiToken))
                }),
            .select(
                SelectStep("Notebook", field: "notebookID") { _, context in
                    try await backend.listNotebooks(token: try await context.credentialStore.get(apiToken))
                        .map { SelectOption(label: $0.name, value: $0.id) }
                }),
        ])
    }

    struct Module: ConnectorModule {
        let backend: NotesBackend
        var def: ConnectorDef<Context> {
            ConnectorDef(
                name: "notes", displayName: "Notes", description: "Sync notebooks and notes", version: "1.0.0",
                scopes: ["read:notes"], schema: schema, onboarding: makeOnboarding(backend: backend),
                seeder: Seeder { context in
                    let root = Ref("NotesRoot", "root")
                    return Seed(
                        entities: [EntityInput(root)],
                        plan: SyncPlan([
                            .forRoot(root, .loadCollection("notebooks")),
                            .forAll("Notebook", .loadCollection("notes")),
                        ]))
                },
                resolvers: [
                    Resolver(for: "NotesRoot", collections: [rootNotebooks]),
                    Resolver(for: "Notebook", collections: [notebookNotes]),
                    Resolver(for: "Note", loading: ["text", "stars", "notebook"], with: noteLoader),
                ])
        }

        func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<Context> {
            Installation(
                context: Context(backend: backend, credentials: credentials, notebookID: config.notebookID),
                health: {
                    do {
                        _ = try await backend.listNotebooks(token: try await credentials.get(apiToken))
                        return .healthy
                    } catch {
                        return .unhealthy("the token was rejected")
                    }
                })
        }
    }
}
