import ArgumentParser
import Foundation
import MaxCore
import MaxQuery
import MaxRuntime
import MaxStorage

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List installations: name, connector, status, last sync, entity count.",
        discussion: """
            Reads each installation's local data only (no network). STATUS is that of the latest
            sync: completed, partial (failed tasks), cancelled, syncing (running now), interrupted
            (its process died; the next "max sync" resumes it) or never synced. LAST SYNC is the
            end of the latest completed one. An installation whose data
            cannot be read is listed with status "error" and the reason, and the command exits with
            that error's code (2 for an unsafe path, 1 for a damaged database; 1 when they differ).
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Output format: text or json.") var output: OutputFormat = .text

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
        switch output {
        case .json, .ndjson:
            Terminal.out(JSONValue.array(rows.map(JSONValue.object)).prettyJSONText)
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

    /// Fills in the status, last sync and entity count from the installation's store, read only.
    private func describe(_ name: String, workspace: MaxWorkspace, into row: inout [String: JSONValue])
        async throws
    {
        guard FileManager.default.fileExists(atPath: try workspace.project.dataURL(name).path) else {
            row["status"] = "never synced"
            row["entities"] = 0
            return
        }
        let store = try await workspace.openStoreForReading(name)
        var status = "never synced"
        if let run = try await store.latestRun() {
            status = run.status.rawValue
            if run.status == .running {
                // A run marked running is live only while its process holds the writer lock.
                status = InstallationLock.holder(of: name, in: workspace.project) == nil ? "interrupted" : "syncing"
            }
        }
        // The last good sync stays visible whatever came after it.
        if let good = try await store.latestRun(withStatus: .completed), let finished = good.finishedAt {
            row["lastSync"] = .string(ISO8601.format(finished))
        }
        var entities = 0
        for type in store.schema.entityTypes {
            entities += try await store.count(try Query(type))
        }
        row["status"] = .string(status)
        row["entities"] = .int(entities)
    }
}
