import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show the audit events of operation calls and syncs, newest first.",
        discussion: """
            Every operation call (whatever its outcome: succeeded, replayed, invalid_input, \
            conflict, timeout, failed, enqueued, canceled) and every sync run leaves an event: ids, \
            caller, installation, operation, mode, outcome, duration, the source's last HTTP status, \
            retries, the error code. Never an input, an output or a secret. Filter with the search \
            language:
              max audit acme -f 'outcome != "succeeded" AND durationMs > 500'
              max audit -f 'operation = "createTask"' -o ndjson
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "Only this installation's events.") var installation: String?
    @Option(name: .shortAndLong, help: "Which events: a filter expression over the fields shown.") var filter: String?
    @Option(help: "How many events (1 to \(SearchPage.maximumLimit)).") var limit = 50
    @Option(name: .shortAndLong, help: "Output format: text, json, ndjson or csv.") var output: OutputFormat = .text

    func validate() throws {
        guard (1...SearchPage.maximumLimit).contains(limit) else {
            throw ValidationError("--limit must be between 1 and \(SearchPage.maximumLimit)")
        }
    }

    func run() async throws {
        let page = try await global.api().audit(AuditRequest(installation: installation, filter: filter, limit: limit))
        let names = page.fields
        switch output {
        case .json: Terminal.out("[" + page.records.map { RecordPrinter.json($0) }.joined(separator: ",\n") + "]")
        case .ndjson: page.records.forEach { Terminal.out(RecordPrinter.json($0)) }
        case .csv:
            Terminal.out(names.map(RecordPrinter.csvField).joined(separator: ","))
            page.records.forEach { Terminal.out(RecordPrinter.csv($0, fields: names)) }
        case .text:
            let shown = [
                "at", "installation", "operation", "outcome", "durationMs", "providerStatus", "retryCount", "errorCode",
            ]
            Table.print(
                headers: shown, rows: page.records.map { record in shown.map { RecordPrinter.cell(record[$0]) } })
            if page.records.isEmpty { Terminal.err("No audit events match.") }
        }
    }
}
