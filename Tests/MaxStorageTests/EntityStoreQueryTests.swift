import Foundation
import MaxCore
import MaxQuery
import MaxStorage
import MaxTestSupport
import Testing

struct EntityStoreQueryTests {
    static let items = (0..<240).map { SampleSchema.item($0) }
    let store: EntityStore

    init() async throws {
        store = try EntityStore.inMemory(schema: SampleSchema.schema)
        try await store.upsert(Self.items)
    }

    @Test(arguments: [
        #"status = "todo""#,
        #"status != "todo""#,
        "priority > 2",
        "priority >= 2 AND priority <= 3",
        "priority < 1 OR estimate > 5",
        "NOT priority = 1",
        "NOT (priority = 1 OR done = true)",
        "priority IS NULL",
        "priority IS NOT NULL AND done = false",
        "priority IN (0, 4)",
        #"status IN ("done", "cancelled") AND NOT assignee IS NULL"#,
        "estimate > 2.5",
        "estimate = 3",
        #"dueDate > "2026-01-20""#,
        #"dueDate <= "2026-01-20T00:00:00Z" OR dueDate IS NULL"#,
        #"title ~= "item 1""#,
        #"title ~= "M 2""#,
        #"tags ~= "URGENT""#,
        #"assignee = "per_3""#,
        #"assignee != "per_3""#,
        #"assignee > "per_7""#,
        #"_id >= "itm_000200""#,
        #"_id ~= "0001""#,
        "done = true",
        "done != true",
        #"status = "todo" OR status = "done" AND priority = 4"#,
        #"(status = "todo" OR status = "done") AND priority = 4"#,
    ])
    func filtersMatchTheReference(_ expression: String) async throws {
        var query = try Query("Item", filter: expression, limit: 1000)
        query.selection = try FieldSelection(parsing: "_id")
        let checked = try query.checked(against: SampleSchema.schema)
        let expected = Reference.ids(Self.items, filter: checked.filter, ordering: checked.ordering)
        #expect(!expected.isEmpty || expression.contains("IS NULL"), "a filter that matches nothing tests little")
        let page = try await store.page(checked)
        #expect(page.items.map(\.ref.id) == expected)
        #expect(try await store.count(checked) == expected.count)
    }

    @Test func containsTreatsPercentAndUnderscoreLiterallyAndFoldsCase() async throws {
        try await store.upsert([
            EntityInput("Person", id: "a", fields: ["name": "100%_done"]),
            EntityInput("Person", id: "b", fields: ["name": "1000 done"]),
            EntityInput("Person", id: "c", fields: ["name": "ÉCOLE Publique"]),
            EntityInput("Person", id: "d", fields: ["name": "Straße"]),
        ])
        func ids(_ filter: String) async throws -> [String] {
            try await store.page(try Query("Person", filter: filter)).items.map(\.ref.id)
        }
        #expect(try await ids(#"name ~= "0%_d""#) == ["a"])
        #expect(try await ids(#"name ~= "%""#) == ["a"])
        #expect(try await ids(#"name ~= "_""#) == ["a"])
        #expect(try await ids(#"name ~= "DONE""#) == ["a", "b"])
        #expect(try await ids(#"name ~= "école""#) == ["c"])
        #expect(try await ids(#"name ~= "STRASSE""#).isEmpty)
        #expect(try await ids(#"name ~= "straße""#) == ["d"])
    }

    @Test func noFilterValueReachesSQLText() throws {
        let canaries = ["canary-text-7f3a", "x'); DROP TABLE Item; --", "canary%like_7f3a", "ÜNICODE-canary"]
        let expression = """
            title = "\(canaries[0])" OR title ~= "\(canaries[1])" OR status IN ("\(canaries[2])", "a") \
            OR title ~= "\(canaries[3])" OR priority > 987654321 OR estimate < 123.456789 \
            OR dueDate > "2031-07-04" OR assignee = "per_canary" OR done = true
            """
        var query = try Query("Item", filter: expression)
        query.ordering = try Ordering(parsing: "priority:desc,title")
        let ordering = try query.ordering.checked(against: SampleSchema.item)
        query.cursor =
            QueryCursor(signature: ordering.signature, keys: [555_444_333, "cursor-canary", "itm_canary"]).encoded
        let compiled = QueryCompiler(try query.checked(against: SampleSchema.schema))
        for fragment in [compiled.selectPage(), compiled.count()] {
            for needle in canaries + [
                "987654321", "123.456789", "per_canary", "2031", "cursor-canary", "555444333", "itm_canary",
            ] {
                #expect(!fragment.sql.contains(needle), "\(needle) is in \(fragment.sql)")
            }
            #expect(!fragment.sql.contains("'"), "no string literal at all: \(fragment.sql)")
        }
        let arguments = compiled.selectPage().argumentsDescription.joined(separator: " ")
        for needle in ["canary-text-7f3a", "987654321", "per_canary", "cursor-canary"] {
            #expect(arguments.contains(needle), "\(needle) travels as an argument")
        }
    }

    @Test func anInjectionAttemptIsJustAValue() async throws {
        let page = try await store.page(try Query("Item", filter: #"title = "x\"; DROP TABLE Item; --""#))
        #expect(page.items.isEmpty)
        #expect(try await store.count(try Query("Item")) == Self.items.count)
    }

    @Test func pagesCarryACursorUntilTheLastOne() async throws {
        let first = try await store.page(try Query("Item", filter: #"status = "todo""#, limit: 50))
        #expect(first.items.count == 50)
        #expect(first.hasMore)
        let cursor = try #require(first.cursor)
        let second = try await store.page(try Query("Item", filter: #"status = "todo""#, limit: 50, cursor: cursor))
        #expect(second.items.count == 10)
        #expect(!second.hasMore)
        #expect(second.cursor == nil)
        #expect(Set(first.items.map(\.ref)).isDisjoint(with: second.items.map(\.ref)))
    }

    @Test func aCursorFromAnotherOrderingIsRefused() async throws {
        let page = try await store.page(try Query("Item", ordering: try Ordering(parsing: "title"), limit: 5))
        let cursor = try #require(page.cursor)
        let error = try await #require(throws: MaxError.self) {
            try await store.page(try Query("Item", ordering: try Ordering(parsing: "priority"), cursor: cursor))
        }
        #expect(error.code == .invalidCursor)
    }

    @Test func selectionDecidesTheFieldsAndTheirOrder() async throws {
        let record = try #require(
            try await store.page(
                try Query("Item", selection: try FieldSelection(parsing: "status,_id,title"), limit: 1)
            )
            .items.first)
        #expect(record.values.map(\.name) == ["status", "_id", "title"])
        let props = try #require(try await store.page(try Query("Item", limit: 1)).items.first)
        #expect(props.values.map(\.name) == ["_id"] + SampleSchema.item.fields.map(\.name))
        #expect(props.jsonObject["_id"] == "itm_000000")
    }

    @Test func streamsEveryRowInBatches() async throws {
        var query = try Query("Item", filter: "done = false", ordering: try Ordering(parsing: "estimate:desc"))
        query.selection = try FieldSelection(parsing: "_id")
        let checked = try query.checked(against: SampleSchema.schema)
        var ids: [String] = []
        for try await record in store.records(checked, batchSize: 7) {
            ids.append(record.ref.id)
        }
        #expect(ids == Reference.ids(Self.items, filter: checked.filter, ordering: checked.ordering))
    }
}
