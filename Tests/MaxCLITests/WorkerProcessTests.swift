import Foundation
import MCP
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// Workers sharing a project's PostgreSQL store.
///
/// `max worker` processes: a worker killed mid-sync, one started late, and a source's rate limit
/// kept by all of them together. Real processes, a real server (started by the test), real waits
/// for them. One test at a time: each runs several workers and a database server, on a machine of
/// two cores.
@Suite(
    .serialized, .enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
struct WorkerProcessTests {
    /// A project connected to `acme` whose storage is the database `max` of `server`.
    static func sharedProject(_ acme: AcmeProcess, _ server: PostgresTestServer) async throws -> TemporaryDirectory {
        try await server.psql("CREATE DATABASE max")
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        try editProjectFile(in: folder.url) { project in
            project["storage"] = [
                "postgres": [
                    "host": "127.0.0.1", "port": .int(server.port), "database": "max",
                    "user": .string(server.user), "password": "env:MAX_TEST_PGPASSWORD",
                ]
            ]
        }
        return folder
    }

    static func environment(_ server: PostgresTestServer) -> [String: String] {
        ["MAX_TEST_PGPASSWORD": server.password]
    }

    /// Queues a sync for the workers and returns its run id.
    static func queue(_ folder: TemporaryDirectory, _ server: PostgresTestServer, full: Bool = false) async throws
        -> String
    {
        let queued = try await runMax(
            ["-C", folder.url.path, "sync", "acme", "--detach"] + (full ? ["--full"] : []),
            environment: environment(server))
        try #require(queued.status == 0, "\(queued.output)")
        let words = queued.stdout.split(separator: " ")
        let index = try #require(words.firstIndex(of: "run"), "\(queued.stdout)")
        return String(words[index + 1]).trimmingCharacters(in: CharacterSet(charactersIn: ";\n"))
    }

    static func worker(_ folder: TemporaryDirectory, _ server: PostgresTestServer) throws -> MaxProcess {
        try MaxProcess(
            ["-C", folder.url.path, "worker", "--lease", "5", "--concurrency", "2"], environment: environment(server))
    }

    /// One value from the installation's tables.
    static func query(_ server: PostgresTestServer, _ sql: String) async throws -> String {
        try await server.psql(sql, database: "max").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Waits (a real wait: other processes do the work) until `run` is no longer queued or running.
    static func waitForEnd(of run: String, _ server: PostgresTestServer, limit: Duration = .seconds(600))
        async throws -> String
    {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let status = try await query(server, "SELECT status FROM acme._max_sync_runs WHERE id = '\(run)'")
            if status != "queued" && status != "running" { return status }
            try await Task.sleep(for: .milliseconds(500))  // a real wait: the workers are other processes
        }
        return "still running after \(limit)"
    }

    @Test func threeWorkersOneKilledFinishTheSyncAndALateOneTakesWork() async throws {
        try await PostgresTestServer.with { server in
            // 200,000 tasks in 100 projects: each project's tasks are one collection task of 2,000.
            // Acme holds every read after the first 400 until the test releases them: the
            // workers are then each in the middle of a page of a task they hold, however loaded
            // the machine is.
            let acme = try AcmeProcess(arguments: [
                "--projects-per-workspace", "100", "--tasks-per-project", "2000", "--files-per-project", "0",
                "--hold-reads-after", "400",
            ])
            let folder = try await Self.sharedProject(acme, server)
            let run = try await Self.queue(folder, server)
            let workers = try (0..<3).map { _ in try Self.worker(folder, server) }

            // Wait until the reads are held and the tasks under way stay put.
            let running = """
                SELECT claimed_by, id, page_cursor FROM acme._max_sync_tasks
                WHERE state = 'running' AND kind = 'load_collection' AND page_cursor IS NOT NULL ORDER BY id
                """
            var snapshot = ""
            for _ in 0..<1200 {
                let stats = try await EndToEndTests.api(acme, .get, "/api/stats", .null)
                let reads = stats["requestsPerSecond"]?.objectValue?.values.compactMap(\.intValue).reduce(0, +) ?? 0
                let now = try await Self.query(server, running)
                if reads > 400, !now.isEmpty, now == snapshot { break }
                snapshot = now
                try await Task.sleep(for: .milliseconds(250))  // a real wait: other processes work
            }
            let rows = snapshot.split(separator: "\n").map { $0.split(separator: "|").map(String.init) }
            let victim = try #require(
                rows.compactMap { row -> (MaxProcess, String, String)? in
                    guard row.count == 3,
                        let pid = row[0].split(separator: ":").dropFirst().first.flatMap({ Int32($0) }),
                        let worker = workers.first(where: { $0.pid == pid })
                    else { return nil }
                    return (worker, row[0], row[1])
                }.first, "no worker held a task mid-way: \(snapshot)")
            let (killed, killedID, task) = victim
            killed.send(SIGKILL)
            _ = try await killed.outcome()
            // What it held when it died: nobody takes it before its lease runs out, seconds away,
            // and the other workers wait on their reads.
            let heldWhenKilled = try await Self.query(
                server, "SELECT id FROM acme._max_sync_tasks WHERE state = 'running' AND claimed_by = '\(killedID)'"
            ).split(separator: "\n").map(String.init)
            #expect(heldWhenKilled.contains(task), "\(task) in \(heldWhenKilled)")
            _ = try await EndToEndTests.api(acme, .post, "/api/holds/release", .null)
            let late = try Self.worker(folder, server)

            let status = try await Self.waitForEnd(of: run, server)
            let survivors = workers.filter { $0 !== killed } + [late]
            for worker in survivors { worker.send(SIGTERM) }
            var outputs: [String] = []
            for worker in survivors {
                let outcome = try await worker.outcome()
                outputs.append(outcome.output)
                #expect(outcome.status == 0, "\(outcome.output)")
                #expect(!outcome.output.contains(acme.apiKey) && !outcome.output.contains(server.password))
            }
            let error = try await Self.query(server, "SELECT error FROM acme._max_sync_runs WHERE id = '\(run)'")
            #expect(status == "completed", "\(error)\n\(outputs.joined(separator: "\n"))")
            let states = try await Self.query(server, "SELECT state, count(*) FROM acme._max_sync_tasks GROUP BY state")
            #expect(states.hasPrefix("completed|") && !states.contains("\n"), "every task completed: \(states)")
            // What the killed worker held was finished by others, from where it had got to.
            #expect(!heldWhenKilled.isEmpty)
            for id in heldWhenKilled {
                let row = try await Self.query(
                    server,
                    "SELECT state, attempts >= 2, claimed_by <> '\(killedID)' FROM acme._max_sync_tasks WHERE id = \(id)"
                )
                #expect(row == "completed|t|t", "task \(id): \(row)")
            }
            // The late worker took work.
            let lateTasks = try await Self.query(
                server, "SELECT count(*) FROM acme._max_sync_tasks WHERE claimed_by LIKE '%:\(late.pid):%'")
            #expect((Int(lateTasks) ?? 0) > 0, "the fourth worker completed tasks")
            // No page committed twice: the entities the tasks counted are exactly those stored.
            let written = try await Self.query(
                server, "SELECT entities_written FROM acme._max_sync_runs WHERE id = '\(run)'")
            let stored = try await Self.query(
                server,
                """
                SELECT (SELECT count(*) FROM acme."AcmeTask") + (SELECT count(*) FROM acme."AcmeProject")
                  + (SELECT count(*) FROM acme."AcmeUser") + (SELECT count(*) FROM acme."AcmeWorkspace")
                """)
            #expect(written == stored, "each committed page counted once")
            try await Self.expectStoreEqualsTheAPI(folder, acme, server)
        }
    }

    /// Every record of every type through `max search`, equal to the API's.
    static func expectStoreEqualsTheAPI(_ folder: TemporaryDirectory, _ acme: AcmeProcess, _ server: PostgresTestServer)
        async throws
    {
        for (type, path) in ResilienceProcessTests.paths {
            let outcome = try await runMax(
                ["-C", folder.url.path, "search", "acme", type, "-a", "-o", "ndjson"], environment: environment(server))
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let stored = try outcome.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            var listed: [JSONValue] = []
            // The API's pages (`?limit=&after=`): the whole list is too large for one answer.
            while true {
                let after = listed.last?["id"]?.stringValue.map { "&after=\($0)" } ?? ""
                let page = try await EndToEndTests.apiList(acme, "\(path)?limit=5000\(after)")
                listed += page
                if page.count < 5000 { break }
            }
            let expected = listed.map { EndToEndTests.expected(type, $0) }
            #expect(stored.count == expected.count, "\(type)")
            // The first difference only: a message holding 200,000 records would never finish.
            let first = stored.indices.first { $0 < expected.count && stored[$0] != expected[$0] }
            #expect(
                first == nil,
                "\(type) differs from the API at \(first ?? 0): \(first.map { "\(stored[$0]) ≠ \(expected[$0])" } ?? "")"
            )
        }
    }

    @Test func workersTogetherKeepTheSourcesRateLimit() async throws {
        try await PostgresTestServer.with { server in
            let acme = try AcmeProcess(arguments: [
                "--rate-limit", "40", "--projects-per-workspace", "80", "--tasks-per-project", "300",
                "--files-per-project", "0",
            ])
            let folder = try await Self.sharedProject(acme, server)
            // The limit every worker draws on: 36 a second and a burst of 2, within the server's 40
            // with room for requests that took their tokens together arriving a little apart.
            try setInstallationKeys(in: folder.url, ["rateLimit": ["rate": 36, "burst": 2, "concurrency": 8]])
            var runs: [String] = []
            for count in [1, 2, 4] {
                let run = try await Self.queue(folder, server, full: true)
                try await Task.sleep(for: .seconds(1.1))  // the queueing's requests are in a past second
                let before = try await EndToEndTests.api(acme, .get, "/api/stats", .null)["requestsPerSecond"]?
                    .objectValue
                let workers = try (0..<count).map { _ in try Self.worker(folder, server) }
                let status = try await Self.waitForEnd(of: run, server)
                let after = try await EndToEndTests.api(acme, .get, "/api/stats", .null)["requestsPerSecond"]?
                    .objectValue
                for worker in workers { worker.send(SIGTERM) }
                for worker in workers { _ = try await worker.outcome() }
                #expect(status == "completed", "\(count) worker(s)")
                var perSecond: [Int] = []
                for (second, value) in after ?? [:] {
                    perSecond.append((value.intValue ?? 0) - (before?[second]?.intValue ?? 0))
                }
                #expect(perSecond.reduce(0, +) > 150, "\(count) worker(s): the sync made its ~170 requests")
                #expect(perSecond.allSatisfy { $0 <= 40 }, "\(count) worker(s), a second above 40: \(perSecond)")
                // The run kept what its workers asked of the source: every request the server
                // counted, and the one it does not count (GET /api/stats, the change feed's
                // position at the start of a full run).
                let requests = try await Self.query(
                    server, "SELECT requests, rate_limited FROM acme._max_sync_runs WHERE id = '\(run)'")
                #expect(requests == "\(perSecond.reduce(0, +) + 1)|0", "\(count) worker(s)")
                runs.append(run)
            }
            // Each run is an audit event twice: queued by max sync, and ended by the worker that
            // drove it.
            let audit = try await runMax(
                ["-C", folder.url.path, "audit", "acme", "-o", "ndjson", "--filter", #"operation = "sync""#],
                environment: Self.environment(server))
            #expect(audit.status == 0, "\(audit.output)")
            let events = try audit.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            for run in runs {
                let mine = events.filter { $0["correlationId"]?.stringValue == run }
                #expect(
                    Set(mine.compactMap { $0["mode"]?.stringValue }) == ["sync-queued", "sync-run"],
                    "\(run): \(mine)")
                #expect(
                    mine.contains {
                        $0["outcome"] == "succeeded" && $0["caller"]?.stringValue?.hasPrefix("worker:") == true
                    }, "\(run): \(mine)")
            }
        }
    }

    /// Waits (a real wait: another process works) until `condition` holds, for up to a minute; a
    /// condition that throws (a table not made yet) does not hold.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<240 {
            if (try? await condition()) == true { return true }
            try await Task.sleep(for: .milliseconds(250))  // a real wait: the worker is another process
        }
        return false
    }

    @Test func jobsKeysAndAuditLiveInTheDatabaseAndAWorkerRunsTheJobs() async throws {
        try await PostgresTestServer.with { server in
            let acme = try AcmeProcess()
            let folder = try await Self.sharedProject(acme, server)
            let environment = Self.environment(server)
            func max(_ arguments: [String]) async throws -> Outcome {
                try await runMax(["-C", folder.url.path] + arguments, environment: environment)
            }
            let worker = try MaxProcess(
                ["-C", folder.url.path, "worker", "--lease", "5", "--concurrency", "1"], environment: environment)
            #expect(
                try await Self.eventually {
                    try await Self.query(server, "SELECT count(*) FROM _max._max_workers") == "1"
                }, "the worker registered: \(worker.stderrSoFar)")

            // A call queued as a job: the worker runs it (no runner of its own is started).
            let input = try await OperationProcessTests.taskInput(acme, title: "Queued for a worker")
            let queued = try await max(["invoke", "acme", "createTask", "--input", input, "--async", "-o", "json"])
            try #require(queued.status == 0, "\(queued.output)")
            let job = try #require(try JSONValue(parsing: queued.stdout)["id"]?.stringValue)
            var shown = JSONValue.null
            #expect(
                try await Self.eventually {
                    shown = try JSONValue(parsing: try await max(["jobs", "show", job]).stdout)
                    return shown["state"] == "succeeded"
                }, "\(shown)\n\(worker.stderrSoFar)")
            #expect(try await OperationProcessTests.tasks(acme, titled: "Queued for a worker") == 1)
            let attempts = try JSONValue(
                parsing: try await max(["audit", "--filter", "jobId = \"\(job)\"", "-o", "json"]).stdout)
            let events = attempts["records"]?.arrayValue ?? attempts.arrayValue ?? []
            let callers = events.filter { $0["mode"] == "async" && $0["outcome"] == "succeeded" }.compactMap {
                $0["caller"]?.stringValue
            }
            #expect(callers.count == 1 && callers.allSatisfy { $0.hasPrefix("worker:") }, "\(events)")
            // Its output was written through to the shared store.
            let found = try await max([
                "search", "acme", "AcmeTask", "--filter", "title = \"Queued for a worker\"", "-o", "ndjson",
            ])
            let titles = found.stdout.split(separator: "\n").compactMap {
                try? JSONValue(parsing: String($0))["title"]?.stringValue
            }
            #expect(titles == ["Queued for a worker"], "\(found.output)")

            // An idempotency key holds across processes: the second call replays the first's result.
            let keyed = try await OperationProcessTests.taskInput(acme, title: "Keyed once")
            for _ in 0..<2 {
                let call = try await max([
                    "invoke", "acme", "createTask", "--input", keyed, "--idempotency-key", "k-pg",
                ])
                #expect(call.status == 0, "\(call.output)")
            }
            #expect(try await OperationProcessTests.tasks(acme, titled: "Keyed once") == 1)
            #expect(
                try await Self.query(server, "SELECT state FROM _max._max_idempotency WHERE key = 'k-pg'") == "done")
            let replayed = try JSONValue(
                parsing: try await max(["audit", "--filter", "idempotencyKey = \"k-pg\"", "-o", "json"]).stdout)
            let outcomes = (replayed["records"]?.arrayValue ?? replayed.arrayValue ?? []).compactMap {
                $0["outcome"]?.stringValue
            }
            #expect(outcomes.sorted() == ["replayed", "succeeded"], "\(replayed)")

            worker.send(SIGTERM)
            let stopped = try await worker.outcome()
            #expect(stopped.status == 0, "\(stopped.output)")
            #expect(!stopped.output.contains(acme.apiKey) && !stopped.output.contains(server.password))
            #expect(try await Self.query(server, "SELECT count(*) FROM _max._max_workers") == "0", "unregistered")
            // No SQLite file holds what the database does.
            for file in ["operations.db", "audit.db"] {
                #expect(!FileManager.default.fileExists(atPath: folder.file(".max/\(file)").path), "\(file)")
            }
        }
    }

    @Test func anAgentOverMCPSeesWhatTheCommandLineSeesOnPostgreSQL() async throws {
        try await PostgresTestServer.with { server in
            let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "3", "--tasks-per-project", "20"])
            let folder = try await Self.sharedProject(acme, server)
            let environment = Self.environment(server)
            let synced = try await runMax(["-C", folder.url.path, "sync", "acme"], environment: environment)
            try #require(synced.status == 0, "\(synced.output)")
            let session = try await MCPProcessTests.Session(["-C", folder.url.path], environment: environment)
            let filter = #"status IN ("todo", "in_progress")"#
            let found = try await session.call(
                "max_search",
                [
                    "installation": "acme", "entityType": "AcmeTask", "filter": .string(filter),
                    "fields": "title,status,project.name", "orderBy": "title", "limit": 1000,
                ])
            let counted = try await session.call(
                "max_count", ["installation": "acme", "entityType": "AcmeTask", "filter": .string(filter)])
            let runs = try await session.call("max_runs", ["installation": "acme"])
            let audit = try await session.call("max_audit", ["installation": "acme"])
            await session.close()

            let cli = try await runMax(
                [
                    "-C", folder.url.path, "search", "acme", "AcmeTask", "--filter", filter, "--fields",
                    "title,status,project.name", "--order-by", "title", "-o", "json",
                ], environment: environment)
            let page = MCPProcessTests.json(found.structuredContent)
            #expect(page == (try JSONValue(parsing: cli.stdout)), "max_search returns what max search -o json prints")
            #expect((page["data"]?.arrayValue?.count ?? 0) > 5)
            let cliCount = try await runMax(
                ["-C", folder.url.path, "count", "acme", "AcmeTask", "--filter", filter], environment: environment)
            #expect(
                MCPProcessTests.json(counted.structuredContent)["count"]?.intValue
                    == Int(cliCount.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(MCPProcessTests.json(runs.structuredContent).jsonText.contains("completed"), "\(runs)")
            let events = MCPProcessTests.json(audit.structuredContent)
            #expect(events.jsonText.contains("sync-run"), "the sync's audit event, from the database: \(events)")
            for answer in [found, counted, runs, audit] {
                let text = MCPProcessTests.json(answer.structuredContent).jsonText
                #expect(!text.contains(acme.apiKey) && !text.contains(server.password))
            }
            #expect(!FileManager.default.fileExists(atPath: folder.file(".max/audit.db").path))
        }
    }
}
