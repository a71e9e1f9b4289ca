import Foundation
import GRDB
import MaxCore
import MaxQuery
import MaxStorage
import MaxTestSupport
import Testing

/// A first sync loads empty tables without their secondary indexes and builds them afterwards.
struct BulkLoadTests {
    @Test func emptyTablesLoseTheirIndexesUntilTheyAreBuiltAgain() async throws {
        let directory = try TemporaryDirectory(prefix: "bulk")
        let url = directory.file("data.db")
        let store = try EntityStore.open(at: url, schema: SampleSchema.schema)
        let all = try await store.indexNames()
        #expect(all.contains("Item__status__priority___deleted_at") && all.contains("Person__email___deleted_at"))
        try await store.upsert([EntityInput("Person", id: "p1", fields: ["email": "a@example.com"])])

        let deferred = try await store.deferIndexesOfEmptyTables()
        // Person holds a row and keeps its index; the empty tables (and the links') lose theirs.
        #expect(Set(deferred) == ["Item", "Project"])
        let during = try await store.indexNames()
        #expect(during.contains("Person__email___deleted_at"))
        #expect(!during.contains { $0.hasPrefix("Item__") || $0.hasPrefix("Project__") })
        #expect(!during.contains("_max_links_by_target"))

        // Queries stay correct without the indexes.
        try await store.upsert((0..<50).map { SampleSchema.item($0) })
        let todo = try await store.count(try Query("Item", filter: #"status = "todo""#))
        try store.createMissingIndexes()
        #expect(try await store.indexNames() == all)
        #expect(try await store.count(try Query("Item", filter: #"status = "todo""#)) == todo)
        #expect(todo > 0)
    }

    @Test func aLoadAppendsUntilItsKeyIndexIsBuiltThenMerges() async throws {
        let directory = try TemporaryDirectory(prefix: "bulk-key")
        let store = try EntityStore.open(at: directory.file("data.db"), schema: SampleSchema.schema)
        try await store.deferIndexesOfEmptyTables()
        #expect(try await !store.indexNames().contains("Item___id"))
        // Listed twice while loading (it moved between collections): two rows until the key index
        // is built, then the one written last.
        var first = SampleSchema.item(1)
        first["title"] = "first listing"
        var second = SampleSchema.item(1)
        second["title"] = "second listing"
        try await store.upsert([first, SampleSchema.item(2)])
        try await store.upsert([second])
        try store.createMissingIndexes(skippingEmptyTables: true)
        let indexes = try await store.indexNames()
        #expect(indexes.contains("Item___id") && indexes.contains("Item__status__priority___deleted_at"))
        // Person is still empty: still deferred, for a later step to load.
        #expect(!indexes.contains("Person___id") && !indexes.contains("Person__email___deleted_at"))
        #expect(try await store.count(try Query("Item")) == 2)
        #expect(try await store.record(first.ref)?["title"] == "second listing")
        // Indexed again, writes merge: a partial input keeps the other fields.
        try await store.upsert([EntityInput(first.ref, fields: ["status": "done"])])
        let merged = try #require(try await store.record(first.ref))
        #expect(merged["title"] == "second listing" && merged["status"] == "done")
        try store.createMissingIndexes()
        #expect(try await store.indexNames().contains("Person___id"))
    }

    @Test func openingForWritingBuildsWhatAKilledLoadLeftMissing() async throws {
        let directory = try TemporaryDirectory(prefix: "bulk-killed")
        let url = directory.file("data.db")
        let all: [String]
        do {
            let store = try EntityStore.open(at: url, schema: SampleSchema.schema)
            all = try await store.indexNames()
            #expect(try await !store.deferIndexesOfEmptyTables().isEmpty)
        }
        let reader = try EntityStore.openForReading(at: url)
        #expect(try await reader.indexNames() != all)
        let reopened = try EntityStore.open(at: url, schema: SampleSchema.schema)
        #expect(try await reopened.indexNames() == all)
    }
}

/// Counting without a filter reads the small index of live rows, not the table.
struct LiveRowsIndexTests {
    @Test func countsComeFromTheLiveRowsIndex() async throws {
        let store = try EntityStore.inMemory(schema: SampleSchema.schema)
        try await store.upsert((0..<40).map { SampleSchema.item($0) })
        try await store.markDeleted([Ref("Item", SampleSchema.item(3).ref.id)])
        #expect(try await store.count(try Query("Item")) == 39)
        let plan = try await store.queryPlan(of: try Query("Item"), counting: true)
        #expect(plan.contains { $0.contains("COVERING INDEX Item___live") }, "\(plan)")
        // A filter on an indexed field still uses that field's index.
        let filtered = try await store.queryPlan(of: try Query("Item", filter: #"status = "todo""#), counting: true)
        #expect(filtered.contains { $0.contains("Item__status__priority___deleted_at") }, "\(filtered)")
        // A page walks the key index in order; the live rows' index would sort every row.
        let page = try await store.queryPlan(of: try Query("Item", limit: 10))
        #expect(!page.contains { $0.contains("___live") || $0.contains("TEMP B-TREE") }, "\(page)")
    }
}

/// A count whose filter an index serves reads the index only: every secondary index ends with
/// `_deleted_at`, so the tombstone test needs no row.
struct CoveringCountTests {
    @Test(arguments: [#"status = "todo""#, #"status = "todo" AND priority >= 3"#, #"email = "a@example.com""#])
    func aFilteredCountOfLiveEntitiesReadsOnlyAnIndex(_ filter: String) async throws {
        let directory = try TemporaryDirectory(prefix: "covering")
        let store = try EntityStore.open(at: directory.file("data.db"), schema: SampleSchema.schema)
        try await store.upsert((0..<200).map { SampleSchema.item($0) })
        let type: EntityType = filter.hasPrefix("email") ? "Person" : "Item"
        let sql = try store.sqlText(of: try Query(type, filter: filter), counting: true)
        let queue = try DatabaseQueue(path: directory.file("data.db").path)
        let plan = try await queue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.contains { $0.contains("USING COVERING INDEX") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN \(type.name)") && !$0.contains("INDEX") }, "\(plan)")
    }

    @Test func indexesFromBeforeAreReplacedWhenTheStoreIsPrepared() async throws {
        let directory = try TemporaryDirectory(prefix: "old-indexes")
        let url = directory.file("data.db")
        _ = try EntityStore.open(at: url, schema: SampleSchema.schema)
        // As a store made before: the same indexes without `_deleted_at`, under the old names.
        let queue = try DatabaseQueue(path: url.path)
        try await queue.write { db in
            try db.execute(sql: #"DROP INDEX "Item__status__priority___deleted_at""#)
            try db.execute(sql: #"CREATE INDEX "Item__status__priority" ON "Item" ("status", "priority")"#)
        }
        let reopened = try EntityStore.open(at: url, schema: SampleSchema.schema)
        let names = try await reopened.indexNames()
        #expect(names.contains("Item__status__priority___deleted_at"))
        #expect(!names.contains("Item__status__priority"))
    }
}
