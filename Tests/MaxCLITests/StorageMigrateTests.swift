import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// `max storage migrate --to postgres` on a synced project: the copy answers as the SQLite store did.
@Suite(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
struct StorageMigrateTests {
    /// What the project answers to the same reads.
    static func answers(_ folder: TemporaryDirectory, _ environment: [String: String]) async throws -> [String] {
        var answers: [String] = []
        for (type, _) in ResilienceProcessTests.paths {
            for arguments in [
                ["search", "acme", type, "-a", "-o", "ndjson", "--fields", ".all", "--include-deleted"],
                ["count", "acme", type, "--filter", "_deleted_at IS NULL"],
                ["search", "acme", type, "--limit", "7", "--order-by", "_id:desc", "-o", "json"],
            ] {
                let outcome = try await runMax(["-C", folder.url.path] + arguments, environment: environment)
                try #require(outcome.status == 0, "\(arguments): \(outcome.stderr)")
                // The rows' own sync times are the copy's: everything else is the same.
                answers.append(
                    outcome.stdout.split(separator: "\n").map { line in
                        line.replacing(/"_synced_at":"[^"]*"/, with: "").replacing(/"_deleted_at":"[^"]*"/, with: "D")
                    }.joined(separator: "\n"))
            }
        }
        // The same SQL answers, through the same views over either database.
        for statement in [
            "SELECT status, count(*) AS n FROM AcmeTask GROUP BY status ORDER BY status",
            "SELECT u.displayName, count(*) AS n FROM AcmeTask t JOIN AcmeUser u ON u._id = t.assignee GROUP BY u.displayName ORDER BY u.displayName",
            "SELECT _id, dueDate, priority, project FROM acme.AcmeTask ORDER BY _id LIMIT 20",
            "SELECT count(*) AS n FROM AcmeTask WHERE _deleted",
            "SELECT owner_id, count(*) AS n FROM AcmeProject_tasks GROUP BY owner_id ORDER BY owner_id",
        ] {
            let outcome = try await runMax(
                ["-C", folder.url.path, "sql", "acme", statement, "-o", "json"], environment: environment)
            try #require(outcome.status == 0, "\(statement): \(outcome.stderr)")
            answers.append(outcome.stdout)
        }
        return answers
    }

    @Test func aSyncedProjectMovesToPostgresAndAnswersTheSame() async throws {
        try await PostgresTestServer.with { server in
            let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "6", "--tasks-per-project", "40"])
            let folder = try await ResilienceProcessTests.connectedProject(acme)
            let synced = try await runMax(["-C", folder.url.path, "sync", "acme"])
            try #require(synced.status == 0, "\(synced.output)")
            // A task deleted at the source and synced away: a tombstone to carry over.
            let tasks = try await EndToEndTests.apiList(acme, "/api/tasks")
            let gone = try #require(tasks.first?["id"]?.stringValue)
            _ = try await EndToEndTests.api(acme, .delete, "/api/tasks/\(gone)", .null)
            #expect(try await runMax(["-C", folder.url.path, "sync", "acme"]).status == 0)
            let environment = WorkerProcessTests.environment(server)
            let before = try await Self.answers(folder, environment)

            // Not yet told where: a clear error, nothing done.
            let untold = try await runMax(["-C", folder.url.path, "storage", "migrate", "--to", "postgres"])
            #expect(untold.status == 2, "\(untold.output)")
            #expect(untold.stderr.contains("max.json does not say which PostgreSQL database"), "\(untold.stderr)")

            try await server.psql("CREATE DATABASE max")
            try editProjectFile(in: folder.url) { project in
                project["storage"] = [
                    "postgres": [
                        "host": "127.0.0.1", "port": .int(server.port), "database": "max",
                        "user": .string(server.user), "password": "env:MAX_TEST_PGPASSWORD",
                    ]
                ]
            }
            let migrated = try await runMax(
                ["-C", folder.url.path, "storage", "migrate", "--to", "postgres"], environment: environment)
            #expect(migrated.status == 0, "\(migrated.output)")
            #expect(migrated.stdout.contains("Migrated acme to 127.0.0.1:\(server.port)/max, schema acme:"))
            #expect(migrated.stdout.contains("counts equal") && migrated.stdout.contains("sampled records equal"))
            #expect(!migrated.output.contains(server.password) && !migrated.output.contains(acme.apiKey))
            #expect(try await Self.answers(folder, environment) == before, "the copy answers as SQLite did")
            let tombstone = try await server.psql(
                "SELECT count(*) FROM acme.\"AcmeTask\" WHERE \"_deleted_at\" IS NOT NULL", database: "max")
            #expect(tombstone.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
            let listed = try await runMax(["-C", folder.url.path, "ls", "-o", "json"], environment: environment)
            #expect(try JSONValue(parsing: listed.stdout).arrayValue?.first?["status"] == "active")

            // Again: refused, then replaced.
            let again = try await runMax(
                ["-C", folder.url.path, "storage", "migrate", "--to", "postgres", "acme"], environment: environment)
            #expect(again.status == 1, "\(again.output)")
            #expect(again.stderr.contains("error[storage.migrate_target_not_empty]"), "\(again.stderr)")
            #expect(again.stderr.contains("--replace"))
            let replaced = try await runMax(
                ["-C", folder.url.path, "storage", "migrate", "--to", "postgres", "acme", "--replace"],
                environment: environment)
            #expect(replaced.status == 0, "\(replaced.output)")

            // The change feed's position came along: the next sync applies only the changes.
            let changed = try #require(tasks.last)
            _ = try await EndToEndTests.api(
                acme, .patch, "/api/tasks/\(try #require(changed["id"]?.stringValue))",
                ["status": "done", "lastModifiedById": try #require(changed["createdById"])])
            let next = try await runMax(["-C", folder.url.path, "sync", "acme"], environment: environment)
            #expect(next.status == 0, "\(next.output)")
            #expect(next.stdout.contains("(changes only)"), "\(next.stdout)")
        }
    }

    @Test func tlsAskedOfAServerWithoutItIsRefusedClearly() async throws {
        try await PostgresTestServer.with { server in
            let acme = try AcmeProcess()
            let folder = try await ResilienceProcessTests.connectedProject(acme)
            try await server.psql("CREATE DATABASE max")
            try editProjectFile(in: folder.url) { project in
                project["storage"] = [
                    "postgres": [
                        "host": "127.0.0.1", "port": .int(server.port), "database": "max",
                        "user": .string(server.user), "password": "env:MAX_TEST_PGPASSWORD", "sslmode": "require",
                    ]
                ]
            }
            let outcome = try await runMax(
                ["-C", folder.url.path, "sync", "acme"], environment: WorkerProcessTests.environment(server))
            #expect(outcome.status == 1, "\(outcome.output)")
            #expect(
                outcome.stderr.contains("error[storage.postgres_unreachable]: the PostgreSQL store at 127.0.0.1:"),
                "\(outcome.stderr)")
            #expect(
                outcome.stderr.contains("the server does not accept TLS, which sslmode asks for"), "\(outcome.stderr)")
            #expect(outcome.stderr.contains("hint: check storage.postgres in max.json"), "\(outcome.stderr)")
            #expect(!outcome.output.contains(server.password))
        }
    }

    @Test func aPostgresProjectIsServedAsTheCommandLineReadsIt() async throws {
        try await PostgresTestServer.with { server in
            let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "4", "--tasks-per-project", "30"])
            let folder = try await WorkerProcessTests.sharedProject(acme, server)
            let environment = WorkerProcessTests.environment(server)
            let synced = try await runMax(["-C", folder.url.path, "sync", "acme"], environment: environment)
            try #require(synced.status == 0, "\(synced.output)")
            let read = try await createServeToken(folder.url, scope: "read")
            let operate = try await createServeToken(folder.url, scope: "operate")
            let serve = try MaxProcess(["-C", folder.url.path, "serve", "--port", "0"], environment: environment)
            var base = ""
            for _ in 0..<200 where base.isEmpty {
                try await Task.sleep(for: .milliseconds(25))  // until it prints its URL
                base = (try? JSONValue(parsing: serve.stdoutSoFar))?["url"]?.stringValue ?? ""
            }
            try #require(base.hasPrefix("http://127.0.0.1:"), "\(serve.stderrSoFar)")

            try await ServeProcessTests.expectSearchAnswersAsTheCommandLine(
                base: base, token: read, folder: folder, environment: environment)
            let count = try await ServeProcessTests.get(
                base + "/v1/installations/acme/count?entityType=AcmeTask", token: read)
            #expect(count.body["count"] == 120, "\(count.text)")
            let installations = try await ServeProcessTests.get(base + "/v1/installations", token: read)
            #expect(installations.body["installations"]?.arrayValue?.first?["status"] == "active")
            let http = ConnectorHTTPClient(timeout: .seconds(30))
            let again = try await http.send(
                .init(.post, base + "/v1/installations/acme/sync", headers: [("Authorization", "Bearer \(operate)")]))
            #expect(again.status == 200, "\(String(decoding: again.body, as: UTF8.self))")
            let runs = try await ServeProcessTests.get(base + "/v1/installations/acme/runs", token: read)
            #expect(runs.body["runs"]?.arrayValue?.count == 2, "\(runs.text)")
            serve.send(SIGTERM)
            _ = try await serve.outcome()
        }
    }

    @Test func aRunWhoseDriverStoppedRenewingShowsInterrupted() async throws {
        try await PostgresTestServer.with { server in
            let acme = try AcmeProcess()
            let folder = try await WorkerProcessTests.sharedProject(acme, server)
            let environment = WorkerProcessTests.environment(server)
            let run = try await WorkerProcessTests.queue(folder, server)
            func latest() async throws -> JSONValue? {
                let runs = try await runMax(
                    ["-C", folder.url.path, "runs", "acme", "-o", "json"], environment: environment)
                return try JSONValue(parsing: runs.stdout).arrayValue?.first
            }
            #expect(try await latest()?["status"] == "queued")
            // A driver holding it till a minute from now, then one whose hold ran out a minute ago.
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for (until, expected) in [(now + 60_000, "running"), (now - 60_000, "interrupted")] {
                try await server.psql(
                    "UPDATE acme._max_sync_runs SET status = 'running', claimed_by = 'gone', lease_until = \(until) WHERE id = '\(run)'",
                    database: "max")
                #expect(try await latest()?["status"]?.stringValue == expected)
                let listed = try await runMax(["-C", folder.url.path, "ls", "-o", "json"], environment: environment)
                let status = try JSONValue(parsing: listed.stdout).arrayValue?.first?["status"]?.stringValue
                #expect(status == (expected == "running" ? "syncing" : "interrupted"), "\(listed.stdout)")
            }
        }
    }
}
