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
            at once, each within --timeout seconds, and shows beside it its STATE as "max ls" \
            shows it (provisioning, active, degraded, error, credential_expired, disabled; -o json \
            adds why, the last error and the connector and config versions), the last completed \
            sync and the next one on its schedule. STATUS is healthy, \
            degraded, unhealthy, or credential_expired (the source refuses the credentials: the \
            reason says so, with the "max connect <name> --reauth" that fixes it). Exits 1 if any is not healthy; an installation \
            that cannot be checked at all (an unknown connector, unreadable credentials) gets a row \
            with status "error" and the reason, and the exit code of that error when it is the only \
            kind of failure.

            --slo shows, per connector type, its syncs and operation calls in the audit log over \
            the window of max.json's "slo" (7 days by default): calls, errors, error rate, latency \
            percentiles and retries per call, against {"availability": 0.99, "latencyP95Seconds": \
            5, "window": "7d"} when set, with the burn rate of the error budget. Exits 1 when an \
            objective is not met.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "One installation (default: all).") var installation: String?
    @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text
    @Option(help: "Seconds to wait for each health check (1 to 300).") var timeout = 10
    @Flag(help: "Show the health checks kept and the syncs (newest first) instead of checking now.")
    var history = false
    @Flag(
        help:
            "Show each connector type's service levels from the audit log against max.json's \"slo\" (exit 1 when one is not met)."
    ) var slo = false

    func validate() throws {
        try output.require(oneOf: [.text, .json, .ndjson], for: "status")
        if slo, history || installation != nil {
            throw ValidationError("--slo reports on connector types: it takes no installation and no --history")
        }
        guard (1...300).contains(timeout) else { throw ValidationError("--timeout must be between 1 and 300 seconds") }
    }

    /// `--slo`: each connector type's calls over its window, against its objective.
    private func printServiceLevels(_ workspace: MaxWorkspace) async throws {
        let levels = try await workspace.serviceLevels()
        let rows = try levels.map { try APICoding.json($0) }
        switch output {
        case .json: Terminal.out(JSONValue.array(rows).prettyJSONText)
        case .ndjson: rows.forEach { Terminal.out($0.jsonText) }
        default:
            func seconds(_ value: Double?) -> String { value.map { String(format: "%.2f s", $0) } ?? "-" }
            Table.print(
                headers: [
                    "CONNECTOR", "CALLS", "ERRORS", "ERROR RATE", "P50", "P95", "RETRIES/CALL", "OBJECTIVE", "BURN",
                    "MET",
                ],
                rows: levels.map { level in
                    let objective = level.objective.map { objective in
                        [
                            objective.availability.map { String(format: "%g%%", $0 * 100) },
                            objective.latencyP95Seconds.map { String(format: "p95 ≤ %g s", $0) },
                        ].compactMap { $0 }.joined(separator: ", ")
                            + " over \(DisconnectCommand.describe(.seconds(objective.windowSeconds)))"
                    }
                    return [
                        level.connector, String(level.calls), String(level.errors),
                        String(format: "%.2f%%", level.errorRate * 100), seconds(level.p50Seconds),
                        seconds(level.p95Seconds), String(format: "%.2f", level.retriesPerCall), objective ?? "-",
                        level.burn.map { String(format: "%.2f", $0) } ?? "-",
                        level.met.map { $0 ? "yes" : "NO" } ?? "-",
                    ]
                })
            Terminal.err(
                "From the audit log (syncs and operation calls; invalid input and conflicts do not count). BURN is the error rate over the error budget: above 1 spends it too fast."
            )
        }
        if levels.contains(where: { $0.met == false }) { throw PartialSuccess(code: 1) }
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
            try await printHistory(names, api: api)
            return
        }
        if slo { return try await printServiceLevels(workspace) }
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
        // The STATE cell is for the table; JSON has state and sync apart.
        let objects = results.map { JSONValue.object($0.0.filter { $0.key != "stateShown" }) }
        if output == .json {
            Terminal.out(JSONValue.array(objects).prettyJSONText)
        } else if output == .ndjson {
            objects.forEach { Terminal.out($0.jsonText) }
        } else {
            Table.print(
                headers: ["NAME", "STATUS", "STATE", "LAST SYNC", "NEXT SYNC", "REASON"],
                rows: results.map { row, _ in
                    [
                        row["name"]?.stringValue ?? "", row["status"]?.stringValue ?? "",
                        row["stateShown"]?.stringValue ?? "-", row["lastSync"]?.stringValue ?? "-",
                        row["nextSync"]?.stringValue ?? "-",
                        [
                            row["reason"]?.stringValue ?? row["stateReason"]?.stringValue
                                ?? row["lastError"]?.stringValue,
                            row["hint"]?.stringValue,
                        ]
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

    /// The kept health checks and the syncs of `names`, newest first: one timeline.
    private func printHistory(_ names: [String], api: MaxNodes) async throws {
        var events: [(at: Date, row: [String: JSONValue])] = []
        for name in names {
            for check in api.workspace.healthHistory(of: name) {
                events.append(
                    (
                        check.at,
                        [
                            "name": .string(name), "at": .string(ISO8601.format(check.at)), "kind": "health",
                            "status": .string(check.status), "reason": check.reason.map(JSONValue.string) ?? .null,
                        ]
                    ))
            }
            // A remote installation's syncs are its node's; a store never written has none.
            let runs = (try? await api.runs(RunsRequest(installation: name, limit: 200)).runs) ?? []
            for run in runs.reversed() {
                events.append(
                    (
                        run.startedAt,
                        [
                            "name": .string(name), "at": .string(ISO8601.format(run.startedAt)),
                            "kind": .string("\(run.kind) sync"), "status": .string(run.status),
                            "reason": run.error.map(JSONValue.string) ?? .null,
                        ]
                    ))
            }
        }
        // Newest first; each installation's events were added oldest first, and times kept to the
        // second tie, so ties keep the later-added first.
        let rows = events.enumerated().sorted { ($0.element.at, $0.offset) > ($1.element.at, $1.offset) }
            .map(\.element.row)
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
                headers: ["NAME", "AT", "KIND", "STATUS", "REASON"],
                rows: rows.map { row in
                    ["name", "at", "kind", "status", "reason"].map { row[$0]?.stringValue ?? "-" }
                })
        }
    }

    /// The installation's sync state from its node: `sync` (as `max ls` shows it), `lastSync`,
    /// `lastError`, `nextSync` (on its schedule).
    private static func syncState(_ name: String, api: MaxNodes) async throws -> [String: JSONValue] {
        let state = try await api.installation(InstallationRequest(installation: name))
        var result: [String: JSONValue] = state.nextRun.map { ["nextSync": .string(ISO8601.format($0))] } ?? [:]
        if let value = state.state { result["state"] = .string(value) }
        if let reason = state.stateReason { result["stateReason"] = .string(reason) }
        result["stateShown"] = .string(ListCommand.state(of: state))
        if let version = state.connectorVersion { result["connectorVersion"] = .string(version) }
        if let version = state.configVersion { result["configVersion"] = .int(version) }
        guard state.lastRun != nil || state.lastSync != nil else { return result }
        result["sync"] = .string(state.status)
        if let error = state.lastRun?.error { result["lastError"] = .string(error) }
        if let finished = state.lastSync { result["lastSync"] = .string(ISO8601.format(finished)) }
        return result
    }
}
