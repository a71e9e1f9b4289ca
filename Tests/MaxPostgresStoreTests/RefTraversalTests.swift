import Foundation
import GRDB
import MaxCore
import MaxPostgresStore
import MaxQuery
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

/// Queries that follow refs: filters and fields through one and two hops (refs and collections),
/// each answer equal to a hand-written SQL join over the same store, on SQLite and PostgreSQL.
@Suite(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
struct RefTraversalTests {
    /// People (one deleted), projects (one whose owner is not stored) with task collections, and
    /// items assigned to people (some to nobody).
    static func entities() -> (inputs: [EntityInput], deleted: [Ref]) {
        var inputs: [EntityInput] = (0..<5).map { index in
            EntityInput(
                "Person", id: "p\(index)",
                fields: [
                    "name": .string("Person \(index)"), "email": .string("p\(index)@example.com"),
                    "active": .bool(index % 2 == 0),
                ])
        }
        let items: [EntityInput] = (0..<60).map { index in
            EntityInput(
                "Item", id: String(format: "it%02d", index),
                fields: [
                    "title": .string("Item \(index)"), "priority": .int(index % 3),
                    "assignee": index % 6 == 5 ? .null : .ref(Ref("Person", "p\(index % 6)")),
                    "project": .ref(Ref("Project", "prj\(index % 4)")),
                ])
        }
        inputs += items
        for index in 0..<4 {
            let owner: String = index == 3 ? "p_missing" : "p\(index % 5)"
            let tasks: [Ref] = items.map(\.ref).filter { $0.id.hasSuffix(String(index)) }
            let fields: [String: FieldValue] = [
                "name": .string("Project \(index)"), "owner": .ref(Ref("Person", owner)), "tasks": .refs(tasks),
            ]
            inputs.append(EntityInput("Project", id: "prj\(index)", fields: fields))
        }
        return (inputs, [Ref("Person", "p4")])
    }

    /// One question: the filter language's and the hand-written SQL's.
    struct Case: Sendable {
        let type: EntityType
        let filter: String?
        let fields: String
        /// The ids and fields, one row each, `|`-separated, nulls empty: what the join selects.
        let sql: String
    }

    static let cases: [Case] = [
        Case(
            type: "Item", filter: "assignee.active = true", fields: "_id",
            sql: """
                SELECT i."_id" FROM "Item" i JOIN "Person" p ON p."_id" = i."assignee"
                WHERE p."active" = TRUE AND p."_deleted_at" IS NULL AND i."_deleted_at" IS NULL ORDER BY i."_id"
                """),
        Case(
            type: "Item", filter: #"project.owner.name = "Person 1" AND priority >= 2"#, fields: "_id",
            sql: """
                SELECT i."_id" FROM "Item" i JOIN "Project" r ON r."_id" = i."project"
                  JOIN "Person" p ON p."_id" = r."owner"
                WHERE p."name" = 'Person 1' AND i."priority" >= 2 AND r."_deleted_at" IS NULL
                  AND p."_deleted_at" IS NULL AND i."_deleted_at" IS NULL ORDER BY i."_id"
                """),
        Case(
            type: "Item", filter: "NOT assignee.active = true", fields: "_id",
            sql: """
                SELECT i."_id" FROM "Item" i WHERE i."_deleted_at" IS NULL AND i."_id" NOT IN (
                  SELECT i2."_id" FROM "Item" i2 JOIN "Person" p ON p."_id" = i2."assignee"
                  WHERE p."active" = TRUE AND p."_deleted_at" IS NULL) ORDER BY i."_id"
                """),
        Case(
            type: "Project", filter: #"tasks.assignee.name IN ("Person 2", "Person 3")"#, fields: "_id",
            sql: """
                SELECT DISTINCT r."_id" FROM "Project" r
                  JOIN _max_links l ON l.owner_type = 'Project' AND l.field = 'tasks' AND l.owner_id = r."_id"
                  JOIN "Item" i ON i."_id" = l.target_id JOIN "Person" p ON p."_id" = i."assignee"
                WHERE p."name" IN ('Person 2', 'Person 3') AND i."_deleted_at" IS NULL
                  AND p."_deleted_at" IS NULL AND r."_deleted_at" IS NULL ORDER BY r."_id"
                """),
        Case(
            type: "Project", filter: "owner.name IS NOT NULL", fields: "_id",
            sql: """
                SELECT r."_id" FROM "Project" r JOIN "Person" p ON p."_id" = r."owner"
                WHERE p."name" IS NOT NULL AND p."_deleted_at" IS NULL AND r."_deleted_at" IS NULL ORDER BY r."_id"
                """),
        Case(
            type: "Item", filter: #"priority = 1"#, fields: "_id,title,assignee.name,project.owner.email",
            sql: """
                SELECT i."_id", i."title", p."name", o."email" FROM "Item" i
                  LEFT JOIN "Person" p ON p."_id" = i."assignee" AND p."_deleted_at" IS NULL
                  LEFT JOIN "Project" r ON r."_id" = i."project" AND r."_deleted_at" IS NULL
                  LEFT JOIN "Person" o ON o."_id" = r."owner" AND o."_deleted_at" IS NULL
                WHERE i."priority" = 1 AND i."_deleted_at" IS NULL ORDER BY i."_id"
                """),
    ]

    /// The store's answer to `item`, in the SQL's row format.
    static func answer(_ item: Case, from store: any EntityStoring) async throws -> [String] {
        let query = try Query(
            item.type, filter: item.filter, selection: try FieldSelection(parsing: item.fields), limit: 1000)
        let page = try await store.page(query)
        #expect(!page.hasMore)
        return page.items.map { record in
            record.values.map { _, value in
                switch value {
                case .null: ""
                case .string(let text): text
                case .int(let number): String(number)
                case .ref(let ref): ref.id
                default: "\(value)"
                }
            }.joined(separator: "|")
        }
    }

    @Test func sqliteAnswersAsItsHandWrittenJoins() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("max-refs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("data.db")
        let store = try EntityStore.open(at: url, schema: SampleSchema.schema)
        let (inputs, deleted) = Self.entities()
        try await store.upsert(inputs)
        try await store.markDeleted(deleted)
        let oracle = try DatabaseQueue(path: url.path)
        for item in Self.cases {
            let expected = try await oracle.read { db in
                try Row.fetchAll(db, sql: item.sql.replacingOccurrences(of: "TRUE", with: "1")).map { row in
                    row.databaseValues.map { value in
                        value.isNull ? "" : String(describing: value.storage.value ?? "")
                    }.joined(separator: "|")
                }
            }
            #expect(!expected.isEmpty, "\(item.sql)")
            #expect(try await Self.answer(item, from: store) == expected, "\(item.filter ?? "") \(item.fields)")
        }
        try await Self.expectClearErrors(store)
    }

    @Test func postgresAnswersAsItsHandWrittenJoins() async throws {
        try await PostgresTestServer.with { server in
            try await server.psql("CREATE DATABASE refs")
            let settings = PostgresStoreSettings(
                host: "127.0.0.1", port: server.port, database: "refs", user: server.user, password: server.password,
                namespace: "inst_refs")
            let store = try await PostgresEntityStore.open(settings, schema: SampleSchema.schema)
            do {
                let (inputs, deleted) = Self.entities()
                try await store.upsert(inputs, at: Date())
                try await store.markDeleted(deleted, at: Date())
                for item in Self.cases {
                    let expected = try await server.psql(
                        "SET search_path TO inst_refs; " + item.sql, database: "refs"
                    ).split(separator: "\n").map(String.init)
                    #expect(!expected.isEmpty, "\(item.sql)")
                    #expect(try await Self.answer(item, from: store) == expected, "\(item.filter ?? "") \(item.fields)")
                }
                try await Self.expectClearErrors(store)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }

    /// A wrong hop is an error naming it, with the column of the segment at fault.
    static func expectClearErrors(_ store: any EntityStoring) async throws {
        func failure(_ filter: String?, fields: String = "_id") async -> MaxError? {
            do {
                _ = try await store.page(
                    try Query("Item", filter: filter, selection: try FieldSelection(parsing: fields)))
                return nil
            } catch {
                return error as? MaxError
            }
        }
        let misspelt = await failure(#"assignee.nmae = "x""#)
        #expect(misspelt?.code == .unknownField)
        #expect(misspelt?.message.contains("Person (reached through 'assignee') has no field 'nmae'") == true)
        #expect(misspelt?.context[MaxError.ContextKey.column] == "10", "the caret under 'nmae'")
        #expect(misspelt?.hint?.contains("fields of Person") == true)

        let notARef = await failure(#"priority > 1 AND title.name = "x""#)
        #expect(notARef?.code == .typeMismatch)
        #expect(notARef?.message.contains("'title' of Item is a string field and cannot be followed") == true)
        #expect(notARef?.context[MaxError.ContextKey.column] == "18")
        #expect(notARef?.hint?.contains("assignee, project") == true, "\(notARef?.hint ?? "")")

        let twoDeep = await failure(#"project.owner.nope IS NULL"#)
        #expect(twoDeep?.message.contains("Person (reached through 'project.owner') has no field 'nope'") == true)
        #expect(twoDeep?.context[MaxError.ContextKey.column] == "15")

        let members = await failure(nil, fields: "_id,project.tasks.title")
        #expect(members?.code == .typeMismatch, "\(String(describing: members))")
        #expect(members?.message.contains("'tasks' in 'project.tasks.title' is a collection") == true)
    }
}
