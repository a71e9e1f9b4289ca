import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Check the health of the project's installations (or one).",
        discussion: """
            Asks each installation's source whether it is reachable and accepts the credentials, all \
            at once, each within --timeout seconds, and shows beside it what its stored syncs say \
            (SYNC as in "max ls", the last completed sync, the next one on its schedule, the last \
            error). STATUS is healthy, \
            degraded, unhealthy, or credential_expired (the source refuses the credentials: the \
            reason says so, with the "max connect <name> --reauth" that fixes it). Exits 1 if any is not healthy; an installation \
            that cannot be checked at all (an unknown connector, unreadable credentials) gets a row \
            with status "error" and the reason, and the exit code of that error when it is the only \
            kind of failure.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "One installation (default: all).") var installation: String?
    @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text
    @Option(help: "Seconds to wait for each health check (1 to 300).") var timeout = 10
    @Flag(help: "Show the health checks kept (newest first) instead of checking now.") var history = false

    func validate() throws {
        try output.require(oneOf: [.text, .json, .ndjson], for: "status")
        guard (1...300).contains(timeout) else { throw ValidationError("--timeout must be between 1 and 300 seconds") }
    }

    func run() async throws {
        let api = try global.api()
        let workspace = api.workspace
        let names: [String]
        if let installation {
            _ = try workspace.record(installation)
            names = [installation]
        } else {
            names = try workspace.installations().map(\.name)
        }
        if history {
            printHistory(names, workspace: workspace)
            return
        }
        let seconds = timeout
        // Every installation is checked at once; one that cannot even be built (an unknown
        // connector, unreadable credentials) gets its own row with the reason.
        let results = await withTaskGroup(of: (Int, [String: JSONValue], MaxError?).self) { group in
            for (index, name) in names.enumerated() {
                group.addTask {
                    var object: [String: JSONValue] = ["name": .string(name)]
                    var failure: MaxError?
                    // What the stored runs say, beside what the source says now.
                    if let sync = try? await Self.syncState(name, api: api) {
                        object.merge(sync) { _, new in new }
                    }
                    do {
                        let health = try await api.status(StatusRequest(installation: name, timeout: seconds))
                        object["status"] = .string(health.status)
                        if let reason = health.reason { object["reason"] = .string(reason) }
                        if let hint = health.hint { object["hint"] = .string(hint) }
                    } catch {
                        let error = MaxError.wrapping(error).naming(installation: name)
                        object["status"] = "error"
                        object["reason"] = .string(error.message)
                        object["error"] = error.json
                        failure = error
                    }
                    return (index, object, failure)
                }
            }
            var collected: [(Int, [String: JSONValue], MaxError?)] = []
            for await result in group { collected.append(result) }
            return collected.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
        }
        if output == .json {
            Terminal.out(JSONValue.array(results.map { JSONValue.object($0.0) }).prettyJSONText)
        } else if output == .ndjson {
            results.forEach { Terminal.out(JSONValue.object($0.0).jsonText) }
        } else {
            Table.print(
                headers: ["NAME", "STATUS", "SYNC", "LAST SYNC", "NEXT SYNC", "REASON"],
                rows: results.map { row, _ in
                    [
                        row["name"]?.stringValue ?? "", row["status"]?.stringValue ?? "",
                        row["sync"]?.stringValue ?? "never synced", row["lastSync"]?.stringValue ?? "-",
                        row["nextSync"]?.stringValue ?? "-",
                        [row["reason"]?.stringValue ?? row["lastError"]?.stringValue, row["hint"]?.stringValue]
                            .compactMap { $0 }.joined(separator: "; "),
                    ]
                })
            // The table cuts long cells: each installation that is not healthy gets its whole reason.
            for (row, _) in results where row["status"]?.stringValue != HealthStatus.healthy.name {
                guard let name = row["name"]?.stringValue,
                    let reason = row["reason"]?.stringValue ?? row["lastError"]?.stringValue
                else { continue }
                Terminal.out("\(name): \(reason)")
                if let hint = row["hint"]?.stringValue { Terminal.out("  hint: \(hint)") }
            }
        }
        let errors = results.compactMap(\.1)
        let unhealthy = results.contains { $0.1 == nil && $0.0["status"]?.stringValue != HealthStatus.healthy.name }
        if unhealthy { throw PartialSuccess(code: 1) }
        if !errors.isEmpty { throw PartialSuccess(code: ErrorReporter.exitCode(forAll: errors)) }
    }

    /// The kept health checks of `names`, newest first.
    private func printHistory(_ names: [String], workspace: MaxWorkspace) {
        let rows = names.flatMap { name in
            workspace.healthHistory(of: name).reversed().map { check -> [String: JSONValue] in
                [
                    "name": .string(name), "at": .string(ISO8601.format(check.at)), "status": .string(check.status),
                    "reason": check.reason.map(JSONValue.string) ?? .null,
                ]
            }
        }
        switch output {
        case .json: Terminal.out(JSONValue.array(rows.map(JSONValue.object)).prettyJSONText)
        case .ndjson: rows.forEach { Terminal.out(JSONValue.object($0).jsonText) }
        default:
            guard !rows.isEmpty else {
                Terminal.err(
                    "No health checks kept yet: \"max status\" checks now, and \"max serve\" checks every few minutes.")
                return
            }
            Table.print(
                headers: ["NAME", "AT", "STATUS", "REASON"],
                rows: rows.map { row in
                    ["name", "at", "status", "reason"].map { row[$0]?.stringValue ?? "-" }
                })
        }
    }

    /// The installation's sync state from its node: `sync` (as `max ls` shows it), `lastSync`,
    /// `lastError`, `nextSync` (on its schedule).
    private static func syncState(_ name: String, api: MaxNodes) async throws -> [String: JSONValue] {
        let state = try await api.installation(InstallationRequest(installation: name))
        let next: [String: JSONValue] = state.nextRun.map { ["nextSync": .string(ISO8601.format($0))] } ?? [:]
        guard state.lastRun != nil || state.lastSync != nil else { return next }
        var result: [String: JSONValue] = next.merging(["sync": .string(state.status)]) { $1 }
        if let error = state.lastRun?.error { result["lastError"] = .string(error) }
        if let finished = state.lastSync { result["lastSync"] = .string(ISO8601.format(finished)) }
        return result
    }
}
