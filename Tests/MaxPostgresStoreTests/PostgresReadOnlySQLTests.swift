import Foundation
import MaxCore
import MaxPostgresStore
import MaxQuery
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

/// `max sql` on a PostgreSQL store: the same views answer the same statements with the same rows
/// as on SQLite (the oracle), and the same limits hold.
@Suite(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
struct PostgresReadOnlySQLTests {
    static let issue = EntityDef("Issue", fields: [.string("title"), .string("body"), .bool("open")])
    static let trackerSchema = Schema(namespace: "tracker", entities: [issue])

    /// Items, people and projects for `tasks`; issues mentioning some items for `tracker`.
    static func data() -> (tasks: [EntityInput], deleted: [Ref], issues: [EntityInput]) {
        let items = (0..<90).map { SampleSchema.item($0) }
        let people = (0..<10).map { index in
            EntityInput("Person", id: "per_\(index)", fields: ["name": .string("Person \(index)")])
        }
        let projects = (0..<3).map { index in
            EntityInput(
                "Project", id: "prj_\(index)",
                fields: [
                    "name": .string("Project \(index)"),
                    "tasks": .refs(items.enumerated().filter { $0.offset % 3 == index }.map(\.element.ref)),
                ])
        }
        let issues = (0..<30).map { (index: Int) -> EntityInput in
            let body = index % 2 == 0 ? "about \(String(format: "itm_%06d", index * 3))" : "nothing"
            return EntityInput(
                "Issue", id: "iss_\(index)",
                fields: ["title": .string("Issue \(index)"), "body": .string(body), "open": .bool(index % 4 == 0)])
        }
        let deleted = items.enumerated().filter { $0.offset % 13 == 4 }.map(\.element.ref)
        return (people + projects + items, deleted, issues)
    }

    @Test func theSameViewsAnswerAsSQLiteDoesWithinTheSameLimits() async throws {
        let folder = try TemporaryDirectory(prefix: "pg-sql")
        let (tasks, deleted, issues) = Self.data()
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let files = [("tasks", folder.file("tasks/data.db")), ("tracker", folder.file("tracker/data.db"))]
        do {
            let sqlite = try EntityStore.open(at: files[0].1, schema: SampleSchema.schema)
            try await sqlite.upsert(tasks, at: at)
            try await sqlite.markDeleted(deleted, at: at)
            try await EntityStore.open(at: files[1].1, schema: Self.trackerSchema).upsert(issues, at: at)
        }
        try await PostgresTestServer.with { server in
            try await server.psql("CREATE DATABASE sqlviews")
            func settings(_ namespace: String) -> PostgresStoreSettings {
                PostgresStoreSettings(
                    host: "127.0.0.1", port: server.port, database: "sqlviews", user: server.user,
                    password: server.password, namespace: namespace, connections: 1)
            }
            let taskStore = try await PostgresEntityStore.open(settings("tasks"), schema: SampleSchema.schema)
            try await taskStore.upsert(tasks, at: at)
            try await taskStore.markDeleted(deleted, at: at)
            await taskStore.close()
            let trackerStore = try await PostgresEntityStore.open(settings("tracker"), schema: Self.trackerSchema)
            try await trackerStore.upsert(issues, at: at)
            await trackerStore.close()

            let sources = [
                SQLViews.Source(name: "tasks", schema: SampleSchema.schema, databaseSchema: "tasks"),
                SQLViews.Source(name: "tracker", schema: Self.trackerSchema, databaseSchema: "tracker"),
            ]
            func postgres(_ sql: String, maxRows: Int = 10_000, timeout: Duration = .seconds(10)) async throws
                -> SQLRows
            {
                try await PostgresReadOnlySQL.run(
                    sql, over: sources, settings: settings("tasks"),
                    limits: SQLLimits(maxRows: maxRows, timeout: timeout))
            }
            func sqlite(_ sql: String) async throws -> SQLRows {
                try await ReadOnlySQLite.run(
                    sql, over: files, limits: SQLLimits(maxRows: 10_000, timeout: .seconds(10)))
            }

            for statement in [
                "SELECT status, count(*) AS n FROM Item GROUP BY status ORDER BY status",
                "SELECT _id, title, dueDate, assignee, priority, _synced_at, _deleted_at FROM Item ORDER BY _id",
                "SELECT p.name, count(*) AS n FROM Item i JOIN Person p ON p._id = i.assignee GROUP BY p.name ORDER BY p.name",
                "SELECT count(*) AS n FROM Item WHERE _deleted",
                "SELECT owner_id, count(*) AS n FROM Project_tasks GROUP BY owner_id ORDER BY owner_id",
                "SELECT owner_id, count(*) AS n FROM Person_items GROUP BY owner_id ORDER BY owner_id",
                "SELECT CAST(done AS INTEGER) AS done, sum(priority) AS total FROM tasks.Item GROUP BY 1 ORDER BY 1",
                """
                SELECT i._id, t._id, t.status FROM tracker.Issue i JOIN tasks.Item t ON i.body LIKE '%' || t._id || '%'
                ORDER BY i._id, t._id
                """,
            ] {
                let expected = try await sqlite(statement)
                let answered = try await postgres(statement)
                #expect(!expected.rows.isEmpty, "\(statement)")
                #expect(answered.rows == expected.rows, "\(statement)")
            }

            // The limits: time, rows, writes (the rows stay), one statement, where an error is.
            await #expect {
                _ = try await postgres(
                    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
                    timeout: .seconds(1))
            } throws: { ($0 as? MaxError)?.code == .sqlTimeout }
            await #expect {
                _ = try await postgres("SELECT _id FROM Item", maxRows: 5)
            } throws: { ($0 as? MaxError)?.code == .sqlTooManyRows }
            for write in [
                "DELETE FROM tasks.\"Item\"",
                "WITH gone AS (DELETE FROM tasks.\"Item\" RETURNING 1) SELECT count(*) FROM gone",
                "SELECT * INTO TEMP copied FROM Item", "CREATE TABLE t (x int)",
            ] {
                await #expect {
                    _ = try await postgres(write)
                } throws: { ($0 as? MaxError)?.code == .sqlReadOnly }
            }
            #expect(
                try await server.psql("SELECT count(*) FROM tasks.\"Item\"", database: "sqlviews")
                    .trimmingCharacters(in: .whitespacesAndNewlines) == "90")
            await #expect {
                _ = try await postgres("SELECT 1; SELECT 2")
            } throws: { ($0 as? MaxError)?.message.contains("one statement at a time") == true }
            await #expect {
                _ = try await postgres("SELECT t.title\nFROM tasks.Item t WHERE t.titel = 'x'")
            } throws: { error in
                guard let error = error as? MaxError, error.code == .sqlInvalid else { return false }
                return error.context["line"] == "2" && error.context[MaxError.ContextKey.column] == "25"
            }
        }
    }
}
