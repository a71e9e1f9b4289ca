import ArgumentParser
import Foundation
import MaxTestSupport

/// `max-bench postgres`: a full sync of a 100,000-row table from a throwaway PostgreSQL cluster,
/// beside `COPY … TO STDOUT` of the same table (the floor: the server's own fastest way out).
struct PostgresBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Time `max sync` of a PostgreSQL table beside COPY … TO STDOUT of it.",
        discussion: """
            Starts a throwaway cluster of the machine's PostgreSQL (Debian's postgresql), creates a \
            table of --rows rows (bigint key, a foreign key, a timestamptz, a numeric, text and jsonb), \
            then, --runs times, times `psql -c "COPY events TO STDOUT"` into /dev/null and a full \
            `max sync` into a fresh project; then changes --changes rows and times the incremental \
            sync. Build first: swift build -c release
            """)

    @Option(help: "Rows in the table.") var rows = 100_000
    @Option(help: "Rows to update before the incremental sync.") var changes = 100
    @Option(help: "Full syncs to time.") var runs = 3

    func validate() throws {
        guard rows > 0, (0...rows).contains(changes), (1...10).contains(runs) else {
            throw ValidationError("--rows must be positive, --changes at most --rows, --runs from 1 to 10")
        }
    }

    func run() async throws {
        guard PostgresTestServer.isAvailable else { throw ValidationError(PostgresTestServer.missingMessage) }
        let binaries = try Binaries.locate()
        try await PostgresTestServer.with { server in
            try await server.psql("CREATE DATABASE bench")
            try await server.psql(
                """
                CREATE TABLE customers (id int PRIMARY KEY, name text);
                INSERT INTO customers SELECT n, 'customer ' || n FROM generate_series(1, 100) AS n;
                CREATE TABLE events (
                    id bigint PRIMARY KEY, customer_id int REFERENCES customers, at timestamptz,
                    amount numeric(10,2), label text, payload jsonb);
                INSERT INTO events
                    SELECT n, 1 + n % 100, timestamptz '2026-01-01 00:00:00+00' + n * interval '1 second',
                           (n % 1000) / 10.0, 'event number ' || n, jsonb_build_object('n', n, 'even', n % 2 = 0)
                    FROM generate_series(1, \(rows)) AS n;
                VACUUM ANALYZE;
                """, database: "bench")
            let size = try await server.psql(
                "SELECT pg_size_pretty(pg_total_relation_size('events'))", database: "bench")
            print("max-bench postgres: events, \(rows) rows (\(size.trimmingCharacters(in: .whitespacesAndNewlines)))")
            print("what | wall | rows/s | CPU (user + sys) | peak RSS")
            let base = FileManager.default.temporaryDirectory.appendingPathComponent(
                "max-bench-postgres-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: base) }
            let environment = ["PGPASSWORD": server.password]
            var project: URL?
            for run in 1...runs {
                let copy = try ChildProcess.run(
                    server.bin.appendingPathComponent("psql").path,
                    [
                        "-h", "127.0.0.1", "-p", String(server.port), "-U", server.user, "-d", "bench", "-q", "-o",
                        "/dev/null", "-c", "COPY events TO STDOUT",
                    ], environment: environment)
                guard copy.status == 0 else { throw ValidationError("COPY failed: \(copy.stderr)") }
                print(Self.row("COPY … TO STDOUT \(run)", copy, rows: rows))
                if let project { try? FileManager.default.removeItem(at: project) }
                let next = base.appendingPathComponent("project-\(run)")
                for arguments in [
                    ["init", next.path],
                    [
                        "-C", next.path, "connect", "postgres", "--name", "pg", "--config", "host=127.0.0.1",
                        "--config",
                        "port=\(server.port)", "--config", "database=bench", "--config", "user=\(server.user)",
                        "--config", "tables=public.events,public.customers", "--credential", "password=env:PGPASSWORD",
                    ],
                ] {
                    let outcome = try ChildProcess.run(binaries.max, arguments, environment: environment)
                    guard outcome.status == 0 else {
                        throw ValidationError("max \(arguments[0]) failed: \(outcome.stderr)")
                    }
                }
                project = next
                let sync = try ChildProcess.run(binaries.max, ["-C", next.path, "sync", "pg", "--progress", "none"])
                guard sync.status == 0 else { throw ValidationError("max sync failed: \(sync.stderr)") }
                print(Self.row("max sync, full \(run)", sync, rows: rows + 100))
            }
            guard let project, changes > 0 else { return }
            try await server.psql(
                "UPDATE events SET label = 'changed' WHERE id % \(max(1, rows / changes)) = 0", database: "bench")
            let sync = try ChildProcess.run(binaries.max, ["-C", project.path, "sync", "pg", "--progress", "none"])
            guard sync.status == 0 else { throw ValidationError("max sync failed: \(sync.stderr)") }
            print(
                Self.row(
                    "max sync, incremental (\(changes) updated)", sync,
                    rows: SyncBenchmark.entitiesWritten(sync.stdout) ?? 0))
        }
    }

    static func row(_ label: String, _ outcome: ChildProcess.Outcome, rows: Int) -> String {
        String(
            format: "%@ | %.2f s | %.0f | %.2f + %.2f s | %@", label, outcome.wall, Double(rows) / outcome.wall,
            outcome.user, outcome.system, Measurements.megabytes(outcome.peakResidentBytes))
    }
}
