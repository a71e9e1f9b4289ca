import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime
import MaxStorage

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
        let workspace = try global.workspace()
        var rows: [[String: JSONValue]] = []
        var failures: [(name: String, error: MaxError)] = []
        for (name, record) in try workspace.installations() {
            var row: [String: JSONValue] = [
                "name": .string(name), "connector": .string(record.connector), "id": .string(record.id),
            ]
            do {
                try await describe(name, workspace: workspace, into: &row)
            } catch {
                let error = MaxError.wrapping(error)
                failures.append((name, error))
                row["status"] = "error"
                row["entities"] = nil
                row["error"] = error.jsonObject
            }
            rows.append(row)
        }
        for leftover in try workspace.leftovers() {
            Terminal.err(
                "note: .max/installations/\(leftover) has no entry in max.json (left by a connect that did not finish?); \"max disconnect \(leftover) --yes\" removes it"
            )
        }
        switch output {
        case .json:
            Terminal.out(JSONValue.array(rows.map(JSONValue.object)).prettyJSONText)
        case .ndjson:
            rows.forEach { Terminal.out(JSONValue.object($0).jsonText) }
        default:
            if rows.isEmpty {
                Terminal.err("No installations. Connect one with \"max connect <connector>\".")
                return
            }
            Table.print(
                headers: ["NAME", "CONNECTOR", "STATUS", "LAST SYNC", "ENTITIES"],
                rows: rows.map {
                    [
                        $0["name"]?.stringValue ?? "", $0["connector"]?.stringValue ?? "",
                        $0["status"]?.stringValue ?? "",
                        $0["lastSync"]?.stringValue ?? "-", $0["entities"]?.intValue.map(String.init) ?? "-",
                    ]
                })
        }
        guard !failures.isEmpty else { return }
        for (name, error) in failures {
            Terminal.err("\(name):")
            ErrorReporter.report(error, json: false)
        }
        throw PartialSuccess(code: ErrorReporter.exitCode(forAll: failures.map(\.error)))
    }

    /// Fills in the status, last sync and entity count from the installation's local data.
    private func describe(_ name: String, workspace: MaxWorkspace, into row: inout [String: JSONValue])
        async throws
    {
        let state = try await MaxFacade(workspace: workspace).localState(of: name)
        if let run = state.lastRun {
            var last: [String: JSONValue] = ["id": .string(run.id), "status": .string(run.status.rawValue)]
            if let error = run.error { last["error"] = .string(error) }
            row["lastRun"] = .object(last)
        }
        if let finished = state.lastSync { row["lastSync"] = .string(ISO8601.format(finished)) }
        row["status"] = .string(state.status)
        row["entities"] = .int(state.entities)
    }
}
