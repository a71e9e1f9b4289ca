import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List installations: name, connector, status, last sync, entity count.",
        discussion: """
            Reads each installation's local data only (no network). STATUS comes from the latest \
            sync: active (it completed), syncing (running now), interrupted (its process died; the \
            next "max sync" resumes it), degraded (tasks failed, or the source kept failing), \
            credential_expired (the source refused the credentials), cancelled, error, or never \
            synced. LAST SYNC is the end of the latest completed sync. An installation whose data \
            cannot be read is listed with status "error" and the reason, and the command exits with \
            that error's code (2 for an unsafe path, 1 for a damaged database; 1 when they differ).
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text

    func validate() throws {
        try output.require(oneOf: [.text, .json, .ndjson], for: "ls")
    }

    func run() async throws {
        let api = try global.api()
        let list = try await api.installations(NoParameters()).installations
        for leftover in try api.workspace.leftovers() {
            Terminal.err(
                "note: .max/installations/\(leftover) has no entry in max.json (left by a connect that did not finish?); \"max disconnect \(leftover) --yes\" removes it"
            )
        }
        switch output {
        case .json:
            try JSONOutput.pretty(list)
        case .ndjson:
            try JSONOutput.lines(list)
        default:
            if list.isEmpty {
                Terminal.err("No installations. Connect one with \"max connect <connector>\".")
                return
            }
            // The next scheduled sync, when any installation has a schedule.
            let scheduled = list.contains { $0.nextRun != nil }
            Table.print(
                headers: ["NAME", "CONNECTOR", "STATUS", "LAST SYNC", "ENTITIES"] + (scheduled ? ["NEXT SYNC"] : []),
                rows: list.map {
                    [
                        $0.name, $0.connector, $0.status, $0.lastSync.map(ISO8601.format) ?? "-",
                        $0.entities.map(String.init) ?? "-",
                    ] + (scheduled ? [$0.nextRun.map(ISO8601.format) ?? "-"] : [])
                })
        }
        let failures = list.compactMap { row in row.error.map { (row.name, $0) } }
        guard !failures.isEmpty else { return }
        for (name, error) in failures {
            Terminal.err("\(name):")
            ErrorReporter.report(error, json: false)
        }
        throw PartialSuccess(code: ErrorReporter.exitCode(forAll: failures.map(\.1)))
    }
}
