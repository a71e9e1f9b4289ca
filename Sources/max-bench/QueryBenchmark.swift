import ArgumentParser
import Foundation
import MaxCore
import MaxQuery
import MaxStorage

/// `max-bench query`: cold-process `max search`, `max count` and `max sql` against the `sqlite3`
/// shell running the SQL Max generates (written by hand for the two `GROUP BY`s), on the same file.
struct QueryBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Time cold-process max search and count against sqlite3 running the same SQL.",
        discussion: """
            Give a project synced by `max-bench sync --keep DIR`. Each command runs --runs times as a
            new process; the median wall time is reported, with the ratio to sqlite3's.
            """
    )

    @Option(help: "The project folder.") var project: String
    @Option(help: "The installation.") var installation = "acme"
    @Option(help: "Runs of each command.") var runs = 10

    func validate() throws {
        guard (3...100).contains(runs) else { throw ValidationError("--runs must be between 3 and 100") }
    }

    func run() async throws {
        let binaries = try Binaries.locate()
        guard
            let sqlite3 = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3", "/opt/homebrew/bin/sqlite3"]
                .first(where: FileManager.default.isExecutableFile(atPath:))
        else { throw ValidationError("sqlite3 is not installed (apt-get install sqlite3)") }
        let file = URL(fileURLWithPath: project).appendingPathComponent(".max/installations/\(installation)/data.db")
        let store = try EntityStore.openForReading(at: file)
        let search = try Query(
            "AcmeTask", filter: #"status = "todo""#, ordering: Ordering(parsing: "title"), limit: 50)
        let filtered = try Query("AcmeTask", filter: #"status = "todo""#)
        let all = try Query("AcmeTask")
        let total = try await store.count(all)
        print("max-bench query: \(file.path), \(total) AcmeTask; median of \(runs) cold runs")
        print("command | max | sqlite3 (same SQL) | ratio")
        let cases: [(String, [String], String)] = [
            (
                #"search --filter 'status = "todo"' --order-by title --limit 50 -o ndjson"#,
                [
                    "search", installation, "AcmeTask", "--filter", #"status = "todo""#, "--order-by", "title",
                    "--limit", "50", "-o", "ndjson",
                ],
                try store.sqlText(of: search)
            ),
            ("count AcmeTask", ["count", installation, "AcmeTask"], try store.sqlText(of: all, counting: true)),
            (
                #"count AcmeTask --filter 'status = "todo"'"#,
                ["count", installation, "AcmeTask", "--filter", #"status = "todo""#],
                try store.sqlText(of: filtered, counting: true)
            ),
            // GROUP BY both ways: max count's, and max sql's over its views (made per process).
            (
                "count AcmeTask --group-by status",
                ["count", installation, "AcmeTask", "--group-by", "status"],
                #"SELECT status, COUNT(*) FROM "AcmeTask" WHERE +"_deleted_at" IS NULL GROUP BY 1 ORDER BY 2 DESC, 1"#
            ),
            (
                #"sql "SELECT status, count(*) FROM AcmeTask GROUP BY status""#,
                ["sql", installation, "SELECT status, count(*) FROM AcmeTask GROUP BY status"],
                #"SELECT status, COUNT(*) FROM "AcmeTask" WHERE +"_deleted_at" IS NULL GROUP BY status"#
            ),
        ]
        for (label, arguments, sql) in cases {
            let max = try median { try ChildProcess.run(binaries.max, ["-C", project] + arguments) }
            let shell = try median { try ChildProcess.run(sqlite3, ["-readonly", file.path, sql]) }
            print(String(format: "max %@ | %.1f ms | %.1f ms | %.2f×", label, max * 1000, shell * 1000, max / shell))
        }
        print("SQL of the search: \(try store.sqlText(of: search))")
    }

    /// The median wall time of `runs` runs, after one unmeasured warm-up; fails on a non-zero exit.
    private func median(_ body: () throws -> ChildProcess.Outcome) throws -> Double {
        _ = try body()
        var times: [Double] = []
        for _ in 0..<runs {
            let outcome = try body()
            guard outcome.status == 0 else { throw ValidationError("exit \(outcome.status): \(outcome.stderr)") }
            times.append(outcome.wall)
        }
        return Measurements.percentile(times, 0.5)
    }
}
