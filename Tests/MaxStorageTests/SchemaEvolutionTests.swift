import Foundation
import MaxCore
import MaxQuery
import MaxStorage
import MaxTestSupport
import Testing

struct SchemaEvolutionTests {
    @Test func newFieldsAddColumnsAndKeepData() async throws {
        let directory = try TemporaryDirectory(prefix: "evolve")
        let url = directory.file("data.db")
        let v1 = Schema(namespace: "t", entities: [EntityDef("Note", fields: [.string("title")])])
        do {
            let store = try EntityStore.open(at: url, schema: v1)
            try await store.upsert([EntityInput("Note", id: "n1", fields: ["title": "kept"])])
        }
        let v2 = Schema(
            namespace: "t",
            entities: [EntityDef("Note", fields: [.string("title"), .int("words", indexed: true), .bool("pinned")])])
        let store = try EntityStore.open(at: url, schema: v2)
        let before = try #require(try await store.record(Ref("Note", "n1")))
        #expect(before["title"] == "kept")
        #expect(before["words"] == .null)
        try await store.upsert([EntityInput("Note", id: "n1", fields: ["words": 3])])
        #expect(try await store.page(try Query("Note", filter: "words = 3")).items.first?["title"] == "kept")
    }

    @Test func aChangedFieldTypeKeepsTheOldColumn() async throws {
        let directory = try TemporaryDirectory(prefix: "retype")
        let url = directory.file("data.db")
        let v1 = Schema(namespace: "t", entities: [EntityDef("Note", fields: [.string("size", indexed: true)])])
        do {
            let store = try EntityStore.open(at: url, schema: v1)
            try await store.upsert([EntityInput("Note", id: "n1", fields: ["size": "large"])])
        }
        let v2 = Schema(namespace: "t", entities: [EntityDef("Note", fields: [.int("size", indexed: true)])])
        do {
            let store = try EntityStore.open(at: url, schema: v2)
            #expect(try await store.record(Ref("Note", "n1"))?["size"] == .null)
            try await store.upsert([EntityInput("Note", id: "n1", fields: ["size": 42])])
            #expect(try await store.count(try Query("Note", filter: "size > 40")) == 1)
        }
        // The old values are still in the file, in the renamed column.
        let v3 = Schema(
            namespace: "t", entities: [EntityDef("Note", fields: [.int("size"), .string("size__was_text")])])
        let store = try EntityStore.open(at: url, schema: v3)
        let record = try #require(try await store.record(Ref("Note", "n1")))
        #expect(record["size__was_text"] == "large")
        #expect(record["size"] == .int(42))
    }

    @Test func aFileThatIsNotADatabaseIsAClearError() throws {
        let directory = try TemporaryDirectory(prefix: "notadb")
        let url = directory.file("data.db")
        try Data("this is not sqlite, just text that is long enough to be read as a header......".utf8).write(to: url)
        let error = #expect(throws: MaxError.self) { try EntityStore.open(at: url, schema: SampleSchema.schema) }
        #expect(error?.code == .databaseError)
        #expect(error?.hint?.contains("sync again") == true)
    }

    @Test func anInvalidSchemaIsRefused() {
        let bad = Schema(namespace: "t", entities: [EntityDef("Note", fields: [.ref("x", to: "Missing")])])
        let error = #expect(throws: MaxError.self) { try EntityStore.inMemory(schema: bad) }
        #expect(error?.code == .invalidSchema)
    }
}
