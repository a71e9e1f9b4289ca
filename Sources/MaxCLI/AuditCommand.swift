import ArgumentParser
import Foundation
import MaxCore
import MaxQuery
import MaxRuntime
import MaxStorage

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show the audit events of operation calls and syncs, newest first.",
        discussion: """
            Every operation call (whatever its outcome: succeeded, replayed, invalid_input,
            conflict, timeout, failed, enqueued, canceled) and every sync run leaves an event: ids,
            caller, installation, operation, mode, outcome, duration, the source's last HTTP status,
            retries, the error code. Never an input, an output or a secret. Filter with the search
            language:
              max audit acme -f 'outcome != "succeeded" AND durationMs > 500'
              max audit -f 'operation = "createTask"' -o ndjson
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "Only this installation's events.") var installation: String?
    @Option(name: .shortAndLong, help: "Which events: a filter expression over the fields shown.") var filter: String?
    @Option(help: "How many events (1 to \(Query.maximumLimit)).") var limit = 50
    @Option(name: .shortAndLong, help: "Output format: text, json, ndjson or csv.") var output: OutputFormat = .text

    static let fields = [
        "at", "installation", "operation", "mode", "outcome", "durationMs", "providerStatus", "retryCount",
        "errorCode", "caller", "requestId", "correlationId", "jobId", "idempotencyKey",
    ]

    func validate() throws {
        guard (1...Query.maximumLimit).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(Query.maximumLimit)")
        }
    }

    func run() async throws {
        let workspace = try global.workspace()
        if let installation { _ = try workspace.record(installation) }
        var conditions: [String] = []
        if let installation { conditions.append("installation = \(JSONValue.string(installation).jsonText)") }
        if let filter {
            _ = try Filter(parsing: filter)  // errors point into the filter as the user wrote it
            conditions.append("(\(filter))")
        }
        let store = try AuditLog(project: workspace.project).openForReading()
        let query = try Query(
            AuditLog.eventType, filter: conditions.isEmpty ? nil : conditions.joined(separator: " AND "),
            selection: try FieldSelection(parsing: Self.fields.joined(separator: ",")),
            ordering: try Ordering(parsing: "at:desc"), limit: limit)
        let checked = try query.checked(against: store.schema)
        let page = try await store.page(checked)
        let names = checked.fields.map(\.name)
        switch output {
        case .json: Terminal.out("[" + page.items.map { RecordPrinter.json($0) }.joined(separator: ",\n") + "]")
        case .ndjson: page.items.forEach { Terminal.out(RecordPrinter.json($0)) }
        case .csv:
            Terminal.out(names.map(RecordPrinter.csvField).joined(separator: ","))
            page.items.forEach { Terminal.out(RecordPrinter.csv($0, fields: names)) }
        case .text:
            let shown = [
                "at", "installation", "operation", "outcome", "durationMs", "providerStatus", "retryCount", "errorCode",
            ]
            Table.print(headers: shown, rows: page.items.map { record in shown.map { RecordPrinter.cell(record[$0]) } })
            if page.items.isEmpty { Terminal.err("No audit events match.") }
        }
    }
}
