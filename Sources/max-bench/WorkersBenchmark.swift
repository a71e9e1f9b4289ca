import ArgumentParser
import Foundation
import MaxCore
import MaxTestSupport

/// `max-bench workers`: one Acme installation synced into PostgreSQL by 1, 2 and 4 `max worker`
/// processes, beside the single-process SQLite sync of the same source.
struct WorkersBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workers",
        abstract: "Time N max worker processes syncing one Acme installation into PostgreSQL, beside SQLite.",
        discussion: """
            Starts acme-server (no rate limit) and a throwaway cluster of the machine's PostgreSQL \
            (Debian's postgresql). The baseline is "max sync" of a SQLite project. Then, for each \
            worker count, a project storing in a fresh database queues a full sync ("max sync \
            --detach") and that many "max worker --concurrency C" processes run it to the end. \
            Reports wall time, entities per second, the workers' CPU (user + sys, all of them), \
            acme-server's CPU, PostgreSQL's CPU (every backend), and the database's size (SQLite: \
            data.db with its WAL). \
            Build first: swift build -c release
            """)

    @Option(help: "Projects in the workspace.") var projects = 50
    @Option(help: "Tasks per project (projects × tasks = the total).") var tasksPerProject = 2_000
    @Option(help: "Worker counts to time, comma-separated.") var workers = "1,2,4"
    @Option(help: "Tasks each worker runs at once.") var concurrency = 4

    private var counts: [Int] { workers.split(separator: ",").compactMap { Int($0) } }

    func validate() throws {
        guard projects > 0, tasksPerProject > 0, (1...64).contains(concurrency), !counts.isEmpty,
            counts.allSatisfy({ (1...16).contains($0) })
        else { throw ValidationError("sizes must be positive, --concurrency 1 to 64, --workers 1 to 16 each") }
    }

    func run() async throws {
        guard PostgresTestServer.isAvailable else { throw ValidationError(PostgresTestServer.missingMessage) }
        let binaries = try Binaries.locate()
        let server = try ChildProcess(
            binaries.acmeServer,
            [
                "--port", "0", "--projects-per-workspace", "\(projects)", "--tasks-per-project", "\(tasksPerProject)",
                "--files-per-project", "0",
            ])
        defer { server.terminate() }
        let ready = try await SyncBenchmark.readyLine(of: server)
        let url = try ready["url"]?.stringValue ?? { throw ValidationError("acme-server said no url") }()
        let apiKey = try ready["apiKey"]?.stringValue ?? { throw ValidationError("acme-server said no apiKey") }()
        print(
            "max-bench workers: \(projects * tasksPerProject) tasks (\(projects) projects × \(tasksPerProject)); each worker --concurrency \(concurrency)"
        )
        print(
            "store | workers | wall | entities/s | workers' CPU (user + sys) | acme-server CPU | PostgreSQL CPU | database"
        )

        let sqlite = try SyncBenchmark.connectedProject(binaries, url: url, apiKey: apiKey)
        defer { try? FileManager.default.removeItem(atPath: sqlite) }
        let serverBefore = server.cpuSecondsSoFar ?? 0
        let sync = try ChildProcess.run(
            binaries.max, ["-C", sqlite, "sync", "acme", "--progress", "none", "--concurrency", "\(concurrency)"])
        guard sync.status == 0 else { throw ValidationError("max sync failed (\(sync.status)): \(sync.stderr)") }
        let entities = SyncBenchmark.entitiesWritten(sync.stdout) ?? 0
        let data = URL(fileURLWithPath: sqlite).appendingPathComponent(".max/installations/acme/data.db").path
        let size = ["", "-wal"].compactMap {
            try? FileManager.default.attributesOfItem(atPath: data + $0)[.size] as? Int
        }
        .reduce(0, +)
        print(
            String(
                format: "SQLite | 1 process | %.2f s | %.0f | %.2f + %.2f s | %.2f s | - | %@", sync.wall,
                Double(entities) / sync.wall, sync.user, sync.system, (server.cpuSecondsSoFar ?? 0) - serverBefore,
                Measurements.megabytes(size)))

        try await PostgresTestServer.with { database in
            for count in counts {
                let name = "workers_\(count)"
                try await database.psql("CREATE DATABASE \(name)")
                let folder = try SyncBenchmark.connectedProject(binaries, url: url, apiKey: apiKey)
                defer { try? FileManager.default.removeItem(atPath: folder) }
                try Self.store(folder, in: database, name)
                let environment = ["MAX_BENCH_PGPASSWORD": database.password]
                let queued = try ChildProcess.run(
                    binaries.max, ["-C", folder, "sync", "acme", "--detach"], environment: environment)
                guard queued.status == 0 else { throw ValidationError("max sync --detach failed: \(queued.stderr)") }
                let serverBefore = server.cpuSecondsSoFar ?? 0
                let databaseBefore = database.cpuSecondsSoFar ?? 0
                let started = ContinuousClock.now
                let processes = try (0..<count).map { _ in
                    try ChildProcess(
                        binaries.max, ["-C", folder, "worker", "--concurrency", "\(concurrency)"],
                        environment: environment)
                }
                var status = "running"
                while status == "running" || status == "queued" {
                    try await Task.sleep(for: .milliseconds(100))  // a real wait: the workers sync
                    status = try await database.psql(
                        "SELECT status FROM acme._max_sync_runs", database: name
                    ).trimmingCharacters(in: .whitespacesAndNewlines)
                }
                let wall = Measurements.seconds(since: started)
                let serverCPU = (server.cpuSecondsSoFar ?? 0) - serverBefore
                var user = 0.0
                var system = 0.0
                for process in processes {
                    kill(process.pid, SIGTERM)
                    let outcome = try process.wait()
                    user += outcome.user
                    system += outcome.system
                }
                guard status == "completed" else { throw ValidationError("the run ended \(status)") }
                let databaseCPU = (database.cpuSecondsSoFar ?? 0) - databaseBefore
                let written = try await database.psql(
                    "SELECT entities_written FROM acme._max_sync_runs", database: name)
                let bytes = try await database.psql("SELECT pg_database_size('\(name)')", database: name)
                let entities = Double(written.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                print(
                    String(
                        format: "PostgreSQL | %d | %.2f s | %.0f | %.2f + %.2f s | %.2f s | %.2f s | %@", count, wall,
                        entities / wall, user, system, serverCPU, databaseCPU,
                        Measurements.megabytes(Int(bytes.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0)))
            }
        }
    }

    /// Points the project at database `name` of `server`.
    static func store(_ folder: String, in server: PostgresTestServer, _ name: String) throws {
        let file = URL(fileURLWithPath: folder).appendingPathComponent("max.json")
        var project = try JSONValue(parsing: String(contentsOf: file, encoding: .utf8)).objectValue ?? [:]
        project["storage"] = [
            "postgres": [
                "host": "127.0.0.1", "port": .int(server.port), "database": .string(name), "user": .string(server.user),
                "password": "env:MAX_BENCH_PGPASSWORD",
            ]
        ]
        try JSONValue.object(project).prettyJSONText.write(to: file, atomically: true, encoding: .utf8)
    }
}
