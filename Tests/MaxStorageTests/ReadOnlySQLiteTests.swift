import Foundation
import MaxCore
import MaxQuery
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

/// `max sql` over SQLite stores: the views show what the filter language sees, installations
/// join, only reads run (the files' bytes stay as they were), and the limits stop what runs away.
struct ReadOnlySQLiteTests {
    /// Two installations' stores in a folder: `tasks` (the sample schema: items, people, projects)
    /// and `tracker`, whose issues mention some items by id.
    final class Stores: Sendable {
        let folder: TemporaryDirectory
        let tasks: URL
        let tracker: URL
        let items: [EntityInput]
        let deleted: Set<String>
        let issues: [EntityInput]

        static let issue = EntityDef(
            "Issue", fields: [.string("title"), .string("body"), .date("openedAt"), .bool("open")])

        init() async throws {
            folder = try TemporaryDirectory(prefix: "sql")
            tasks = folder.file("tasks/data.db")
            tracker = folder.file("tracker/data.db")
            items = (0..<120).map { SampleSchema.item($0) }
            deleted = Set(items.enumerated().filter { $0.offset % 17 == 5 }.map(\.element.ref.id))
            issues = (0..<40).map { (index: Int) -> EntityInput in
                let mention = String(format: "itm_%06d", index * 2)
                let body = index % 3 == 0 ? "see \(mention) please" : "none"
                return EntityInput(
                    "Issue", id: "iss_\(index)",
                    fields: [
                        "title": .string("Issue \(index)"),
                        "body": .string(body),
                        "openedAt": .date(Date(timeIntervalSince1970: 1_767_225_600 + Double(index) * 3600)),
                        "open": .bool(index % 2 == 0),
                    ])
            }
            try await Self.write(at: tasks, schema: SampleSchema.schema) { store in
                let people = (0..<10).map { index in
                    EntityInput(
                        "Person", id: "per_\(index)",
                        fields: ["name": .string("Person \(index)"), "active": .bool(index % 3 != 0)])
                }
                let projects = (0..<3).map { index in
                    EntityInput(
                        "Project", id: "prj_\(index)",
                        fields: [
                            "name": .string("Project \(index)"), "owner": .ref(Ref("Person", "per_\(index)")),
                            "tasks": .refs(
                                (0..<120).filter { $0 % 3 == index }.map { Ref("Item", String(format: "itm_%06d", $0)) }
                            ),
                        ])
                }
                try await store.upsert(people + projects + self.items, at: Date(timeIntervalSince1970: 1_800_000_000))
                try await store.markDeleted(
                    self.deleted.sorted().map { Ref("Item", $0) }, at: Date(timeIntervalSince1970: 1_800_000_100))
            }
            try await Self.write(at: tracker, schema: Schema(namespace: "tracker", entities: [Self.issue])) { store in
                try await store.upsert(self.issues, at: Date(timeIntervalSince1970: 1_800_000_000))
            }
        }

        /// Writes with a store that is gone (its connections closed) when this returns.
        private static func write(at url: URL, schema: Schema, _ body: (EntityStore) async throws -> Void)
            async throws
        {
            let store = try EntityStore.open(at: url, schema: schema)
            try await body(store)
        }

        func run(_ sql: String, maxRows: Int = 10_000, timeout: Duration = .seconds(10)) async throws -> SQLRows {
            try await ReadOnlySQLite.run(
                sql, over: [("tasks", tasks), ("tracker", tracker)],
                limits: SQLLimits(maxRows: maxRows, timeout: timeout))
        }

        /// The bytes of both stores' files and of their write-ahead logs (a missing log reads as an
        /// empty one: a reader of a WAL database makes an empty log when there is none).
        func bytes() throws -> [String: Data] {
            var files: [String: Data] = [:]
            for base in [tasks, tracker] {
                for suffix in ["", "-wal"] {
                    let url = URL(fileURLWithPath: base.path + suffix)
                    let exists = FileManager.default.fileExists(atPath: url.path)
                    files[url.path] = exists ? try Data(contentsOf: url) : Data()
                }
            }
            return files
        }
    }

    @Test func viewsShowDatesRefsJSONAndHideTombstonesUnlessAsked() async throws {
        let stores = try await Stores()
        let one = try await stores.run(
            "SELECT _id, dueDate, assignee, tags, done, _synced_at, _deleted_at FROM Item WHERE _id = 'itm_000001'")
        #expect(one.columns == ["_id", "dueDate", "assignee", "tags", "done", "_synced_at", "_deleted_at"])
        #expect(
            one.rows == [
                [
                    "itm_000001", "2026-01-02T00:00:00.000Z", "per_1", #"["odd","urgent"]"#, .int(0),
                    "2027-01-15T08:00:00.000Z", .null,
                ]
            ])
        let live = stores.items.count - stores.deleted.count
        #expect(try await stores.run("SELECT count(*) FROM Item").rows == [[.int(live)]])
        #expect(
            try await stores.run("SELECT count(*) FROM Item WHERE _deleted").rows == [[.int(stores.deleted.count)]])
        #expect(
            try await stores.run("SELECT count(*) FROM tasks.Item WHERE _deleted_at IS NULL").rows == [[.int(live)]])
        // JSON arrays work with SQLite's JSON functions; collections are views of their own.
        let tags = try await stores.run(
            "SELECT j.value, count(*) FROM Item, json_each(Item.tags) j GROUP BY j.value ORDER BY j.value")
        let liveItems = stores.items.filter { !stores.deleted.contains($0.ref.id) }
        let odd = liveItems.filter { ($0["tags"]?.jsonValue.arrayValue?.count ?? 0) == 2 }.count
        #expect(tags.rows == [["even", .int(live - odd)], ["odd", .int(odd)], ["urgent", .int(odd)]])
        let members = try await stores.run(
            "SELECT owner_id, count(*) FROM Project_tasks GROUP BY owner_id ORDER BY owner_id")
        #expect(members.rows.map { $0[0] } == ["prj_0", "prj_1", "prj_2"])
        #expect(members.rows.map { $0[1].intValue ?? 0 }.reduce(0, +) == live, "deleted items left their collections")
        // A collection read through its members' ref (Person.items, by Item.assignee) is a view too.
        let inverse = try await stores.run(
            "SELECT owner_id, count(*) FROM Person_items GROUP BY owner_id ORDER BY owner_id")
        let byRef = try await stores.run(
            "SELECT assignee, count(*) FROM Item WHERE assignee IS NOT NULL GROUP BY assignee ORDER BY assignee")
        #expect(!inverse.rows.isEmpty && inverse.rows == byRef.rows)
    }

    @Test func answersEqualTheFilterLanguagesAndGroupByEqualsCountGroups() async throws {
        let stores = try await Stores()
        let store = try EntityStore.openForReading(at: stores.tasks)
        for status in ["todo", "in_progress", "done", "cancelled"] {
            let counted = try await store.count(try Query("Item", filter: "status = \"\(status)\""))
            let sql = try await stores.run("SELECT count(*) FROM Item WHERE status = '\(status)'")
            #expect(sql.rows == [[.int(counted)]], "\(status)")
        }
        let groups = try await store.countGroups(
            try Query("Item", selection: try FieldSelection(parsing: "status,assignee.name")))
        let sql = try await stores.run(
            """
            SELECT i.status, p.name, count(*) AS n FROM Item i LEFT JOIN Person p ON p._id = i.assignee
            GROUP BY i.status, p.name ORDER BY n DESC, i.status, p.name
            """)
        #expect(sql.rows.count == groups.count)
        #expect(
            sql.rows.map { [$0[0], $0[1], $0[2]] }
                == groups.map { [$0.values[0].jsonValue, $0.values[1].jsonValue, .int($0.count)] })
    }

    @Test func installationsJoinAsTheOracleSays() async throws {
        let stores = try await Stores()
        let joined = try await stores.run(
            """
            SELECT i._id, t._id, t.status FROM tracker.Issue i
            JOIN tasks.Item t ON i.body LIKE '%' || t._id || '%'
            WHERE i.open ORDER BY i._id
            """)
        let items = Dictionary(uniqueKeysWithValues: stores.items.map { ($0.ref.id, $0) })
        var oracle: [[JSONValue]] = []
        for issue in stores.issues where issue["open"] == .bool(true) {
            guard case .string(let body)? = issue["body"] else { continue }
            for (id, item) in items where body.contains(id) && !stores.deleted.contains(id) {
                oracle.append([.string(issue.ref.id), .string(id), item["status"]?.jsonValue ?? .null])
            }
        }
        oracle.sort { ($0[0].stringValue ?? "") < ($1[0].stringValue ?? "") }
        #expect(!oracle.isEmpty)
        #expect(joined.rows == oracle)
    }

    @Test(arguments: [
        ("INSERT INTO Item (_id) VALUES ('x')", "INSERT"), ("UPDATE Item SET title = 'x'", "UPDATE"),
        ("DELETE FROM tasks.Item", "DELETE"), ("WITH x AS (SELECT 1) DELETE FROM Item", "a statement that writes"),
        ("WITH x AS (SELECT 1) INSERT INTO Person (_id) SELECT 'y' FROM x", "INSERT into Person"),
        ("DROP VIEW Item", "DROP"),
        ("CREATE TABLE t (x)", "CREATE"), ("CREATE TEMP TABLE t AS SELECT 1", "CREATE"),
        ("ATTACH DATABASE 'other.db' AS other", "ATTACH"), ("DETACH DATABASE tasks", "DETACH"),
        ("PRAGMA journal_mode = DELETE", "PRAGMA journal_mode"), ("PRAGMA query_only = 0", "PRAGMA query_only"),
        ("PRAGMA user_version = 7", "PRAGMA user_version"),
        ("PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA wal_checkpoint"), ("VACUUM", "VACUUM"),
        ("SELECT load_extension('/tmp/x.so')", "load_extension"), ("BEGIN IMMEDIATE", "BEGIN"),
        ("REINDEX", "REINDEX"), ("ANALYZE", "ANALYZE"),
    ])
    func everyWriteIsRefusedAndTheFilesStayAsTheyWere(sql: String, named: String) async throws {
        let stores = try await Stores()
        let before = try stores.bytes()
        await #expect {
            _ = try await stores.run(sql)
        } throws: { error in
            guard let error = error as? MaxError else { return false }
            return error.code == .sqlReadOnly && error.message.contains(named)
        }
        #expect(try stores.bytes() == before, "\(sql)")
        // A read still runs, and describing a view is allowed.
        #expect(try await stores.run("SELECT count(*) FROM Issue").rows == [[.int(40)]])
        #expect(try await stores.run("PRAGMA table_info(Issue)").rows.count == 8)
    }

    @Test func aRunawayRecursiveQueryStopsAtTheTimeLimit() async throws {
        let stores = try await Stores()
        let started = ContinuousClock.now
        await #expect {
            _ = try await stores.run(
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
                timeout: .milliseconds(300))
        } throws: { ($0 as? MaxError)?.code == .sqlTimeout }
        // Stopped by the limit, not by running out of anything: well before the test's own limit.
        #expect(ContinuousClock.now - started < .seconds(60))
        await #expect {
            _ = try await stores.run(
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n", maxRows: 50)
        } throws: { ($0 as? MaxError)?.code == .sqlTooManyRows }
        #expect(try await stores.run("SELECT _id FROM Issue", maxRows: 40).rows.count == 40)
    }

    @Test func cancellingTheTaskStopsTheStatement() async throws {
        let stores = try await Stores()
        let task = Task {
            try await stores.run(
                "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
                timeout: .seconds(300))
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }

    @Test func errorsSayWhereInTheUsersText() async throws {
        let stores = try await Stores()
        await #expect {
            _ = try await stores.run(
                "SELECT t.title\nFROM tasks.Item t JOIN tracker.Issue i ON i.title = t.title WHERE i.titel = 1")
        } throws: { error in
            guard let error = error as? MaxError, error.code == .sqlInvalid else { return false }
            return error.message.contains("no such column: i.titel") && error.context["line"] == "2"
                && error.context[MaxError.ContextKey.column] == "67"
        }
        // Max's own tables, and the stores' tables named directly, are not views: even counting
        // their rows (which reads no column) fails.
        for table in [
            "_max_src_1.Item", "_max_src_1._max_links", "_max_src_2.sqlite_master", "_max_links", "_max_sync_runs",
            "_max_entity_types",
        ] {
            for select in ["*", "count(*)"] {
                await #expect {
                    _ = try await stores.run("SELECT \(select) FROM \(table)")
                } throws: { error in
                    guard let error = error as? MaxError, error.code == .sqlInvalid else { return false }
                    return error.message.contains("not a view max sql reads")
                        || error.message.contains("reads through its views only")
                }
            }
        }
        await #expect {
            _ = try await stores.run("SELECT 1; SELECT 2")
        } throws: { ($0 as? MaxError)?.message.contains("one statement at a time") == true }
        await #expect {
            _ = try await stores.run("  -- nothing\n")
        } throws: { ($0 as? MaxError)?.code == .sqlInvalid }
        await #expect {
            _ = try await ReadOnlySQLite.run(
                "SELECT 1", over: [("gone", stores.folder.file("gone/data.db"))],
                limits: SQLLimits(maxRows: 1, timeout: .seconds(1)))
        } throws: { ($0 as? MaxError)?.code == .storeNotFound }
    }
}
