import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List installations: name, connector, state, last sync, entity count.",
        discussion: """
            Reads each installation's local data only (no network). STATE is provisioning \
            (credentials missing, or never synced), active, degraded (the last sync left failed \
            tasks or was interrupted, or the last health check failed), error (the last sync \
            failed), credential_expired (the source refused the credentials) or disabled; \
            followed, when it says more, by the latest sync's status in parentheses: syncing \
            (running now), interrupted (its process died; the next "max sync" resumes it), \
            cancelled, never synced. -o json adds why (stateReason), lastError, the connector \
            and config versions and the rate limit. LAST SYNC is the end of the latest completed sync. An installation whose data \
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
                headers: ["NAME", "CONNECTOR", "STATE", "LAST SYNC", "ENTITIES"] + (scheduled ? ["NEXT SYNC"] : []),
                rows: list.map {
                    [
                        $0.name, $0.connector, Self.state(of: $0), $0.lastSync.map(ISO8601.format) ?? "-",
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

    /// `active`, or `degraded (interrupted)` when the latest sync's status says more.
    static func state(of summary: InstallationSummary) -> String {
        guard let state = summary.state else { return summary.status }
        let said = ["active", "degraded", "error", "credential_expired", "disabled"]
        return said.contains(summary.status) ? state : "\(state) (\(summary.status))"
    }
}
