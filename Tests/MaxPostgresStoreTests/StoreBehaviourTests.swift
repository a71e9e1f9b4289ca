import Foundation
import MaxCore
import MaxPostgresStore
import MaxQuery
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

/// The storage contract, asked of each backend alike: what a write keeps, what a tombstone hides,
/// what a collection holds.
@Suite(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
struct StoreBehaviourTests {
    enum Backend: String, CaseIterable, Sendable {
        case sqlite, postgres
    }

    /// Runs `body` with a fresh store of `backend` holding the sample schema.
    static func withStore(_ backend: Backend, _ body: (any EntityStoring) async throws -> Void) async throws {
        switch backend {
        case .sqlite:
            try await body(try EntityStore.inMemory(schema: SampleSchema.schema))
        case .postgres:
            try await PostgresTestServer.with { server in
                try await server.psql("CREATE DATABASE behaviour")
                let store = try await PostgresEntityStore.open(
                    PostgresStoreSettings(
                        host: "127.0.0.1", port: server.port, database: "behaviour", user: server.user,
                        password: server.password, namespace: "inst_a"),
                    schema: SampleSchema.schema)
                do {
                    try await body(store)
                } catch {
                    await store.close()
                    throw error
                }
                await store.close()
            }
        }
    }

    static let day = Date(timeIntervalSince1970: 1_800_000_000)

    @Test(arguments: Backend.allCases)
    func writesKeepTombstonesHideAndCollectionsFollow(_ backend: Backend) async throws {
        try await Self.withStore(backend) { store in
            try await store.upsert((0..<6).map { SampleSchema.item($0) }, at: Self.day)
            // A partial write sets what it gives and keeps the rest.
            try await store.upsert(
                [EntityInput("Item", id: "itm_000001", fields: ["status": .string("done")])], at: Self.day)
            let one = try await store.page(try Query("Item", filter: #"_id = "itm_000001""#, selection: .all))
            #expect(one.items.first?["status"] == .string("done"))
            #expect(one.items.first?["title"] == .string("Item 1"), "the title is kept")

            // Collections: set, replaced, and left by a deleted member.
            try await store.upsert(
                [
                    EntityInput(
                        "Project", id: "prj_1",
                        fields: ["name": "P", "tasks": .refs([Ref("Item", "itm_000002"), Ref("Item", "itm_000001")])])
                ], at: Self.day)
            func tasks() async throws -> FieldValue? {
                try await store.page(try Query("Project", selection: .all)).items.first?["tasks"]
            }
            #expect(try await tasks() == .refs([Ref("Item", "itm_000001"), Ref("Item", "itm_000002")]))
            try await store.markDeleted([Ref("Item", "itm_000002")], at: Self.day)
            #expect(try await tasks() == .refs([Ref("Item", "itm_000001")]), "a deleted member leaves")
            #expect(try await store.count(try Query("Project", filter: #"tasks = "itm_000001""#)) == 1)

            // A tombstone is hidden unless asked for, and a new write brings it back.
            #expect(try await store.count(try Query("Item")) == 5)
            #expect(try await store.count(try Query("Item", includeDeleted: true)) == 6)
            try await store.upsert([SampleSchema.item(2)], at: Self.day)
            #expect(try await store.count(try Query("Item")) == 6)

            // A value of the wrong type is refused, and nothing of its batch is written.
            let refused = await #expect(throws: MaxError.self) {
                try await store.upsert(
                    [SampleSchema.item(9), EntityInput("Item", id: "bad", fields: ["priority": .string("high")])],
                    at: Self.day)
            }
            #expect(refused?.code == .storageTypeMismatch)
            #expect(try await store.count(try Query("Item")) == 6, "all or nothing")
            #expect(await store.storedSchema == SampleSchema.schema)

            // Which ids are there, and every match a few at a time.
            try await store.markDeleted([Ref("Item", "itm_000003")], at: Self.day)
            let present = try await store.existingIDs(
                of: "Item", among: ["itm_000001", "itm_000003", "nope", "itm_000001"])
            #expect(present == ["itm_000001"])
            var streamed: [String] = []
            for try await record in store.pages(
                of: try Query("Item", ordering: try Ordering(parsing: "priority:desc")), batchSize: 2)
            {
                streamed.append(record.ref.id)
            }
            let whole = try await store.page(
                try Query("Item", ordering: try Ordering(parsing: "priority:desc"), limit: 100))
            #expect(streamed == whole.items.map(\.ref.id) && streamed.count == 5, "\(streamed)")
        }
    }
}
