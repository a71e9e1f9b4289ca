import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// `max sql` through the `max` executable against synced Acme installations: its answers are the
/// filter language's, `--group-by` is its `GROUP BY`, installations join as the source's own lists
/// say, nothing it refuses changes a byte, and a runaway statement stops at `--timeout`.
struct SQLCommandTests {
    static func rows(_ outcome: Outcome) throws -> [[JSONValue]] {
        try #require(outcome.status == 0, "\(outcome.output)")
        return try #require(try JSONValue(parsing: outcome.stdout)["rows"]?.arrayValue).map { $0.arrayValue ?? [] }
    }

    static func number(_ outcome: Outcome) -> Int? {
        Int(outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func answersMatchTheFilterLanguageAndGroupByMatchesCountGroupBy() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        try #require(try await runMax(["-C", path, "sync", "acme"]).status == 0)

        // Counts per status: each equals the filter's count, and --group-by's groups.
        let byStatus = try Self.rows(
            try await runMax([
                "-C", path, "sql", "acme", "SELECT status, count(*) AS n FROM AcmeTask GROUP BY status ORDER BY status",
                "-o", "json",
            ]))
        #expect(byStatus.count >= 3)
        for row in byStatus {
            let status = try #require(row[0].stringValue)
            let counted = try await runMax([
                "-C", path, "count", "acme", "AcmeTask", "--filter", "status = \"\(status)\"",
            ])
            #expect(Self.number(counted) == row[1].intValue, "\(status)")
        }
        let grouped = try await runMax(["-C", path, "count", "acme", "AcmeTask", "--group-by", "status", "-o", "json"])
        let groups = try #require(try JSONValue(parsing: grouped.stdout)["groups"]?.arrayValue)
        let statusRows: [[JSONValue]] = groups.map { group in
            let status: JSONValue = group["values"]?["status"] ?? .null
            return [status, group["count"] ?? .null]
        }
        #expect(Set(statusRows) == Set(byStatus), "--group-by status is GROUP BY status")

        // Per assignee, through the ref: the same through a JOIN as through assignee.displayName.
        let byAssignee = try Self.rows(
            try await runMax([
                "-C", path, "sql", "acme",
                """
                SELECT u.displayName, t.status, count(*) FROM AcmeTask t LEFT JOIN AcmeUser u ON u._id = t.assignee
                GROUP BY u.displayName, t.status
                """, "-o", "json",
            ]))
        let viaRefs = try await runMax([
            "-C", path, "count", "acme", "AcmeTask", "--group-by", "assignee.displayName,status", "-o", "json",
        ])
        let refGroups = try #require(try JSONValue(parsing: viaRefs.stdout)["groups"]?.arrayValue)
        let refRows: [[JSONValue]] = refGroups.map { group in
            let values = group["values"] ?? .null
            let name: JSONValue = values["assignee.displayName"] ?? .null
            let status: JSONValue = values["status"] ?? .null
            return [name, status, group["count"] ?? .null]
        }
        #expect(Set(byAssignee) == Set(refRows))
        for row in byAssignee.prefix(3) {
            guard let name = row[0].stringValue, let status = row[1].stringValue else { continue }
            let counted = try await runMax([
                "-C", path, "count", "acme", "AcmeTask", "--filter",
                "assignee.displayName = \"\(name)\" AND status = \"\(status)\"",
            ])
            #expect(Self.number(counted) == row[2].intValue, "\(name), \(status)")
        }

        // The other outputs: a table, CSV with a header, one JSON object per row.
        let csv = try await runMax([
            "-C", path, "sql", "acme", "SELECT status, count(*) AS n FROM AcmeTask GROUP BY status ORDER BY status",
            "-o", "csv",
        ])
        #expect(csv.stdout.split(separator: "\n").first == "status,n")
        #expect(csv.stdout.split(separator: "\n").count == byStatus.count + 1)
        let ndjson = try await runMax([
            "-C", path, "sql", "acme", "SELECT _id, _id FROM AcmeUser ORDER BY _id LIMIT 2", "-o", "ndjson",
        ])
        let objects = try ndjson.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        #expect(objects.count == 2 && objects.allSatisfy { $0["_id"] != nil && $0["_id"] == $0["_id_2"] })
        let table = try await runMax(["-C", path, "sql", "acme", "SELECT count(*) AS n FROM AcmeTask"])
        #expect(table.stdout.hasPrefix("n"), "\(table.output)")

        // Every example the guide for agents gives runs, and answers something.
        let guide = try await runMax(["-C", path, "llm-bootstrap"])
        let examples = guide.stdout.split(separator: "\n").filter { $0.hasPrefix("    SELECT") }
        #expect(examples.count >= 4, "\(guide.stdout)")
        for example in examples {
            let rows = try Self.rows(try await runMax(["-C", path, "sql", String(example.dropFirst(4)), "-o", "json"]))
            #expect(!rows.isEmpty, "\(example)")
        }
    }

    @Test func installationsJoinRefusalsChangeNoByteAndRunawaysStop() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        try await ResilienceProcessTests.connectAnother(acme, named: "acme-2", in: folder)
        try #require(try await runMax(["-C", path, "sync", "acme"]).status == 0)
        try #require(try await runMax(["-C", path, "sync", "acme-2"]).status == 0)

        // The tasks of one installation whose assignee is an admin in the other's users.
        let joined = try Self.rows(
            try await runMax([
                "-C", path, "sql", "acme", "acme-2",
                """
                SELECT t._id, u.email FROM acme.AcmeTask t JOIN "acme-2".AcmeUser u ON u._id = t.assignee
                WHERE u.role = 'admin' ORDER BY t._id
                """, "-o", "json",
            ]))
        let users = try await EndToEndTests.apiList(acme, "/api/users")
        let admins = Dictionary(
            uniqueKeysWithValues: users.filter { $0["role"] == "admin" }.compactMap { user in
                user["id"]?.stringValue.map { ($0, user["email"] ?? .null) }
            })
        let tasks = try await EndToEndTests.apiList(acme, "/api/tasks?limit=1000")
        let oracle = tasks.compactMap { task -> [JSONValue]? in
            guard let id = task["id"]?.stringValue, let assignee = task["assigneeId"]?.stringValue,
                let email = admins[assignee]
            else { return nil }
            return [.string(id), email]
        }.sorted { ($0[0].stringValue ?? "") < ($1[0].stringValue ?? "") }
        #expect(!oracle.isEmpty)
        #expect(joined == oracle)
        // Both installations have AcmeTask: the bare name is ambiguous, and so not a view.
        let ambiguous = try await runMax(["-C", path, "sql", "SELECT count(*) FROM AcmeTask"])
        #expect(ambiguous.status == 2, "\(ambiguous.output)")
        #expect(ambiguous.stderr.contains(#"name it with its installation: acme.AcmeTask or "acme-2".AcmeTask"#))

        // Everything that is not a read is refused, and the store's bytes stay as they were.
        let data = folder.url.appendingPathComponent(".max/installations")
        func bytes() throws -> [String: Data] {
            var files: [String: Data] = [:]
            let enumerator = FileManager.default.enumerator(at: data, includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                if url.lastPathComponent == "data.db" { files[url.path] = try Data(contentsOf: url) }
            }
            return files
        }
        let before = try bytes()
        try #require(before.count == 2, "\(before.keys)")
        for statement in [
            "DELETE FROM AcmeTask", "UPDATE acme.AcmeTask SET title = 'x'", "ATTACH DATABASE 'x.db' AS x",
            "PRAGMA journal_mode = DELETE", "SELECT load_extension('x')", "DROP VIEW AcmeTask",
        ] {
            let refused = try await runMax(["-C", path, "sql", "acme", statement, "-o", "json"])
            #expect(refused.status == 2, "\(statement): \(refused.output)")
            #expect(refused.stderr.contains("\"code\":\"sql.read_only\""), "\(statement): \(refused.output)")
        }
        #expect(try bytes() == before)

        let runaway = try await runMax([
            "-C", path, "sql", "acme", "--timeout", "1",
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n",
        ])
        #expect(runaway.status == 1 && runaway.stderr.contains("error[sql.timeout]"), "\(runaway.output)")
        let many = try await runMax(["-C", path, "sql", "acme", "--max-rows", "3", "SELECT _id FROM AcmeTask"])
        #expect(many.status == 2 && many.stderr.contains("error[sql.too_many_rows]"), "\(many.output)")
        let wrong = try await runMax(["-C", path, "sql", "acme", "SELECT titel FROM AcmeTask"])
        #expect(
            wrong.status == 2 && wrong.stderr.contains("no such column: titel (line 1, column 8)"), "\(wrong.output)")
        let missing = try await runMax(["-C", path, "sql", "nope", "SELECT 1"])
        #expect(missing.status == 4, "\(missing.output)")
        let noStatement = try await runMax(["-C", path, "sql"])
        #expect(noStatement.status == 2, "\(noStatement.output)")

        try CanaryScan.expectNoSecret(
            [acme.apiKey], in: folder.url, outputs: [ambiguous, runaway, many, wrong, missing])
    }
}
