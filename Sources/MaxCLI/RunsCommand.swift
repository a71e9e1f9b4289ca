import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "Show an installation's sync history, newest first.",
        discussion: """
            For each sync: when it started, its kind (full or incremental), status, duration, \
            entities written, requests sent to the source (retries included), retries, 429 answers, \
            failed tasks, and the error that stopped it (for a partial run, how many tasks failed \
            and the first error). A run whose process died while it ran shows as interrupted; the \
            next "max sync" resumes it. Reads local data only.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Option(help: "How many runs to show (1 to 1000).") var limit = 20
    @Option(name: .shortAndLong, help: "Output format: text, json, ndjson or csv.") var output: OutputFormat = .text

    func validate() throws {
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
    }

    func run() async throws {
        let runs = try await global.api().runs(RunsRequest(installation: installation, limit: limit)).runs
        let rows = try runs.map { try APICoding.json($0) }
        switch output {
        case .json:
            Terminal.out(JSONValue.array(rows).prettyJSONText)
        case .ndjson:
            rows.forEach { Terminal.out($0.jsonText) }
        case .csv:
            let keys = [
                "id", "startedAt", "finishedAt", "kind", "status", "durationMs", "entities", "requests", "retries",
                "rateLimited", "tasksFailed", "error",
            ]
            Terminal.out(keys.joined(separator: ","))
            for row in rows {
                Terminal.out(
                    keys.map { key in
                        let value = row[key]
                        return RecordPrinter.csvField(value?.stringValue ?? value.map { $0.jsonText } ?? "")
                    }.joined(separator: ","))
            }
        case .text:
            guard !runs.isEmpty else {
                Terminal.err("\(installation) has never been synced: run \"max sync \(installation)\"")
                return
            }
            Table.print(
                headers: [
                    "STARTED", "KIND", "STATUS", "DURATION", "ENTITIES", "REQUESTS", "RETRIES", "429S", "FAILED",
                    "ERROR",
                ],
                rows: runs.map { run in
                    [
                        ISO8601.format(run.startedAt), run.kind, run.status,
                        run.finishedAt.map { String(format: "%.1f s", $0.timeIntervalSince(run.startedAt)) } ?? "-",
                        String(run.entities), String(run.requests), String(run.retries),
                        String(run.rateLimited), String(run.tasksFailed), run.error ?? "",
                    ]
                })
        }
    }
}
