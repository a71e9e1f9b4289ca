import Foundation
import MaxCore
import MaxPostgresStore
import MaxQuery
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

/// The storage contract: the same entities written to SQLite and to PostgreSQL answer every
/// search, count and page of cursors with the same records, in the same order.
@Suite(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
struct StoreContractTests {
    /// Items with many ties and nulls (where orderings and cursors go wrong), people, projects with
    /// collections, and some tombstones.
    static func entities(seed: UInt64) -> (inputs: [EntityInput], deleted: [Ref]) {
        var rng = SplitMix64(seed: seed)
        var inputs = SampleSchema.randomItems(count: 180, using: &rng)
        for index in 0..<180 where index % 9 == 0 {
            inputs[index]["tags"] = .json(["x", ["n": .int(index)]])
            inputs[index]["project"] = .ref(Ref("Project", "prj_\(index % 4)"))
        }
        inputs += (0..<3).map { index in
            EntityInput(
                "Person", id: "p\(index)",
                fields: [
                    "name": .string("Person \(index)"), "email": .string("p\(index)@x"), "active": .bool(index != 1),
                ])
        }
        inputs += (0..<4).map { index in
            EntityInput(
                "Project", id: "prj_\(index)",
                fields: [
                    "name": .string("Project \(index)"), "owner": .ref(Ref("Person", "p\(index % 3)")),
                    "tasks": .refs(inputs.prefix(index * 5).map(\.ref).filter { $0.type == "Item" }),
                ])
        }
        let deleted = inputs.filter { $0.ref.type == "Item" }.enumerated().filter { $0.offset % 11 == 3 }.map(
            \.element.ref)
        return (inputs, deleted)
    }

    @Test func bothStoresAnswerEverySearchCountAndCursorAlike() async throws {
        try await PostgresTestServer.with { server in
            try await server.psql("CREATE DATABASE contract")
            let settings = PostgresStoreSettings(
                host: "127.0.0.1", port: server.port, database: "contract", user: server.user,
                password: server.password, namespace: "inst_acme")
            let postgres = try await PostgresEntityStore.open(settings, schema: SampleSchema.schema)
            do {
                try await Self.compare(postgres)
            } catch {
                await postgres.close()
                throw error
            }
            await postgres.close()
        }
    }

    /// Writes the same entities to `postgres` and an SQLite store and asks both the same questions.
    static func compare(_ postgres: PostgresEntityStore) async throws {
        let sqlite = try EntityStore.inMemory(schema: SampleSchema.schema)
        let (inputs, deleted) = Self.entities(seed: 42)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        try await sqlite.upsert(inputs, at: at)
        try await postgres.upsert(inputs, at: at)
        try await sqlite.markDeleted(deleted, at: at)
        try await postgres.markDeleted(deleted, at: at)

        var rng = SplitMix64(seed: 7)
        var fuzzer = FilterFuzzer(
            fields: ["title", "status", "priority", "estimate", "done", "dueDate", "tags", "assignee", "project"],
            seed: 11)
        // Every operator on every type, then what the fuzzer makes.
        let written = [
            #"title = "a""#, #"title != "a""#, #"title > "B""#, #"title <= "ab""#, #"title ~= "A""#,
            #"title IN ("a", "", "B")"#, "title IS NULL", "title IS NOT NULL", "priority > 0",
            "priority >= -1 AND priority < 2", "priority IN (0, 2)", "estimate < 1", "estimate = 1.5",
            "done = true", "done != false", "NOT done = true", #"dueDate > "1970-01-02""#,
            #"dueDate <= "1970-01-03T00:00:00Z""#, #"assignee = "p1""#, "assignee IS NULL",
            #"project = "prj_1" OR tags ~= "n""#, #"NOT (status = "todo" OR priority > 1)"#,
            #"status ~= "O" AND (estimate >= 0.5 OR dueDate IS NULL)"#, #"_id > "i5""#,
            #"_id ~= "_1""#, #"tags ~= "x""#,
        ]
        var compared = 0
        var filtered = 0
        for expression in written {
            var query = try Query("Item", filter: expression, limit: 13)
            query.ordering = SampleSchema.randomOrdering(using: &rng)
            try await Self.expectSame(query, sqlite, postgres, expression)
            filtered += 1
        }
        for round in 0..<160 {
            var query = try Query("Item", limit: [4, 17, 60][round % 3], includeDeleted: round % 5 == 0)
            query.ordering = SampleSchema.randomOrdering(using: &rng)
            let expression = fuzzer.next()
            // Only filters that parse and fit the schema are a question for the stores.
            guard let filter = try? Filter(parsing: expression),
                (try? filter.checked(against: SampleSchema.item, expression: expression)) != nil
            else {
                try await Self.expectSame(query, sqlite, postgres)
                compared += 1
                continue
            }
            query.filter = filter
            query.filterExpression = expression
            try await Self.expectSame(query, sqlite, postgres, expression)
            compared += 1
            filtered += 1
        }
        #expect(compared == 160)
        #expect(filtered >= written.count + 10, "valid fuzzed filters too: \(filtered)")

        // Collections, selected and filtered, and the other types.
        var projects = try Query("Project", selection: .all)
        projects.filter = try Filter(parsing: #"tasks IS NOT NULL"#)
        try await Self.expectSame(projects, sqlite, postgres)
        try await Self.expectSame(
            try Query("Person", filter: #"active = true OR email ~= "P1@""#), sqlite, postgres)

        // Counts by group: the same groups in the same order, equal to grouping the records.
        for (fields, filter) in [
            ("status", nil), ("status,done", nil), ("assignee.name", nil), ("done", #"priority > 0"#),
            ("project.owner.name,status", nil),
        ] as [(String, String?)] {
            let query = try Query("Item", filter: filter, selection: try FieldSelection(parsing: fields))
            let groups = try await sqlite.countGroups(query)
            #expect(groups == (try await postgres.countGroups(query)), "\(fields)")
            var oracle: [[FieldValue]: Int] = [:]
            var page = try Query("Item", filter: filter, selection: try FieldSelection(parsing: fields), limit: 1000)
            page.ordering = .byID
            for record in try await sqlite.page(page).items {
                oracle[fields.split(separator: ",").map { record[String($0)] ?? .null }, default: 0] += 1
            }
            #expect(Dictionary(uniqueKeysWithValues: groups.map { ($0.values, $0.count) }) == oracle, "\(fields)")
            #expect(groups.map(\.count) == groups.map(\.count).sorted(by: >), "most first: \(fields)")
        }

        // Erasing for good: the same entities go (tombstones too when asked), with the
        // collection members they own, and the rest answers alike.
        let erasedProjects = try Query("Project", filter: #"name = "Project 3""#)
        #expect(try await sqlite.erase(erasedProjects) == 1)
        #expect(try await postgres.erase(erasedProjects) == 1)
        let old = try Query("Item", filter: "priority > 1", includeDeleted: true)
        let expected = try await sqlite.count(old)
        #expect(expected > 0)
        #expect(try await sqlite.erase(old) == expected)
        #expect(try await postgres.erase(old) == expected)
        for query in [try Query("Item", includeDeleted: true), try Query("Project", selection: .all)] {
            #expect(try await sqlite.count(query) == (try await postgres.count(query)))
            try await Self.expectSame(query, sqlite, postgres)
        }
        #expect(try await postgres.count(try Query("Item", filter: "priority > 1", includeDeleted: true)) == 0)
    }

    /// Pages through `query` on both stores, each with its own cursors, and compares every page
    /// and the count.
    static func expectSame(
        _ query: Query, _ sqlite: EntityStore, _ postgres: PostgresEntityStore, _ expression: String = ""
    ) async throws {
        let expected = try await sqlite.count(query)
        let counted = try await postgres.count(query)
        #expect(counted == expected, "count of \(expression)")
        var left = query
        var right = query
        var pages = 0
        while true {
            let one = try await sqlite.page(left)
            let other = try await postgres.page(right)
            #expect(other.items == one.items, "page \(pages) of \(expression) ordered by \(query.ordering)")
            #expect(other.hasMore == one.hasMore)
            #expect(other.cursor == one.cursor, "the cursors are the same text")
            guard one.hasMore, other.hasMore, other.items == one.items, pages < 400 else { break }
            left.cursor = one.cursor
            right.cursor = other.cursor
            pages += 1
        }
    }
}
