import Foundation
import MaxConnector
import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

/// A small connector in two shapes: version 1.x reads `{"words": "a,b"}` (config v1); version 2.x
/// reads `{"items": ["a", "b"]}` (config v2) and migrates the first shape.
private struct WordsConnector: ConnectorModule {
    struct Config: Codable, Sendable {
        var words: String?
        var items: [String]?
    }

    let version: String

    static let migration = ConfigMigration(from: 1, note: "words is now the list items") { config in
        let words = config["words"]?.stringValue ?? ""
        return ["items": .array(words.split(separator: ",").map { .string(String($0)) })]
    }

    var def: ConnectorDef<[String]> {
        let major2 = !version.hasPrefix("1.")
        let onboarding = OnboardingFlow([
            .input(InputStep("Words", fields: [.string(major2 ? "items" : "words")]))
        ])
        return ConnectorDef(
            name: "words", displayName: "Words", description: "one entity per word", version: version,
            schema: Schema(
                namespace: "words", entities: [EntityDef("Word", fields: [.string("text")])],
                roots: [EntityDef("WordsRoot", fields: [.collection("words", of: "Word")])]),
            onboarding: onboarding,
            seeder: Seeder { _ in
                let root = Ref("WordsRoot", "all")
                return Seed(entities: [EntityInput(root)], plan: SyncPlan([.forRoot(root, .loadCollection("words"))]))
            },
            resolvers: [
                Resolver(
                    for: "WordsRoot",
                    collections: [
                        CollectionLoader("words", owner: "WordsRoot", field: "words", target: "Word") { _, _, words in
                            Page.last(words.map { EntityInput(Ref("Word", $0), values: [("text", .string($0))]) })
                        }
                    ])
            ],
            configSchema: major2
                ? .derived(
                    from: onboarding, version: 2,
                    properties: ["items": ["type": "array", "items": ["type": "string"]]],
                    migrations: [Self.migration])
                : .derived(from: onboarding))
    }

    func initialise(_ config: Config, credentials: any CredentialStore) throws -> Installation<[String]> {
        let words = config.items ?? (config.words ?? "").split(separator: ",").map(String.init)
        return Installation(context: words)
    }
}

/// Connector versions and config schema versions met by `max diff`, `max apply` and a sync.
struct ConnectorUpgradeTests {
    private static func project(_ record: InstallationRecord) throws -> (TemporaryDirectory, Project) {
        let folder = try TemporaryDirectory(prefix: "upgrade")
        let project = try Project.initialise(at: folder.url).project
        try project.update { $0.installations["words"] = record }
        try project.prepareInstallationFolder("words")
        return (folder, project)
    }

    private static func workspace(_ project: Project, version: String) -> MaxWorkspace {
        MaxWorkspace(
            project: project, registry: ConnectorRegistry(local: ["words": { WordsConnector(version: version) }]))
    }

    private static let v1 = InstallationRecord(
        id: "w", connector: "words@1.0.0", connectedAt: "2026-12-06T00:00:00Z", config: ["words": "alpha,beta"])

    @Test func aMajorUpgradeWaitsForApplyWhichMigratesTheConfigWithItsNote() async throws {
        let (folder, project) = try Self.project(Self.v1)
        let old = Self.workspace(project, version: "1.0.0")
        let first = try await old.sync("words")
        #expect(first.entitiesWritten["Word"] == 2, "\(first.entitiesWritten)")

        let upgraded = Self.workspace(project, version: "2.0.0")
        let refused = await #expect(throws: MaxError.self) { try await upgraded.sync("words") }
        #expect(refused?.code == .connectorNotInstalled)
        #expect(refused?.hint?.contains("max apply") == true, "\(refused?.hint ?? "")")

        let plan = try await upgraded.plan()
        #expect(
            plan.changes.map(\.description) == [
                "upgrade words: words 1.0.0 → 2.0.0; config v1 → v2: words is now the list items"
            ], "\(plan.changes)")
        let before = try project.load()
        #expect(try project.load() == before, "a plan changes nothing")

        try await upgraded.apply()
        let record = try #require(try project.load().installations["words"])
        #expect(record.connector == "words@2.0.0")
        #expect(record.configVersion == 2)
        #expect(record.config == ["items": ["alpha", "beta"]])
        #expect(try await upgraded.sync("words").entitiesWritten["Word"] == 2)
        #expect(try await upgraded.plan().changes.isEmpty, "a second apply has nothing to do")
        let audit = try await runMax([
            "-C", folder.url.path, "audit", "-o", "ndjson", "--filter", "operation = \"upgrade\"",
        ])
        #expect(audit.stdout.split(separator: "\n").count == 1, "\(audit.output)")
    }

    @Test func aMinorUpgradeRunsAtOnceAndApplyRecordsIt() async throws {
        var record = Self.v1
        record.connector = "words@2.0.0"
        record.configVersion = 2
        record.config = ["items": ["one"]]
        let (folder, project) = try Self.project(record)
        _ = folder
        let workspace = Self.workspace(project, version: "2.1.0")
        #expect(try await workspace.sync("words").entitiesWritten["Word"] == 1)
        #expect(try await workspace.plan().changes.map(\.action) == ["upgrade"])
        try await workspace.apply()
        #expect(try project.load().installations["words"]?.connector == "words@2.1.0")
    }

    @Test func aVersionNewerThanTheInstalledOneIsAClearError() async throws {
        var record = Self.v1
        record.connector = "words@3.0.0"
        let (folder, project) = try Self.project(record)
        _ = folder
        let error = await #expect(throws: MaxError.self) {
            try await Self.workspace(project, version: "2.0.0").sync("words")
        }
        #expect(error?.code == .connectorNotInstalled)
        #expect(error?.message.contains("words@3.0.0 is not installed") == true, "\(error?.message ?? "")")
    }

    @Test func aConfigEditedByHandIsShownAndRecordedAndAnInvalidOneStopsApply() async throws {
        let (folder, project) = try Self.project(Self.v1)
        _ = folder
        let workspace = Self.workspace(project, version: "1.0.0")
        try await workspace.apply()
        try project.update { $0.installations["words"]?.config = ["words": "alpha,gamma"] }
        let plan = try await workspace.plan()
        #expect(plan.changes.map(\.action) == ["configure"], "\(plan.changes)")
        #expect(plan.changes.first?.description.contains("(words)") == true)
        try await workspace.apply()
        #expect(try await workspace.plan().changes.isEmpty)

        try project.update { $0.installations["words"]?.config = ["word": "typo"] }
        let blocked = try await workspace.plan()
        #expect(blocked.isBlocked)
        let error = await #expect(throws: MaxError.self) { try await workspace.apply() }
        #expect(error?.code == .invalidProjectFile)
        #expect(error?.message.contains("installations.words.config.word is not an allowed property") == true)
    }
}
