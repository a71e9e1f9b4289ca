import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct SQLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql", abstract: "Run a read-only SQL statement over installations' local data.",
        discussion: """
            The last argument is the statement; the ones before it name the installations to read \
            (every installation of the project when there is none). The SQL is SQLite's (PostgreSQL's \
            on a project that stores there).

            Each entity type is a view named after it: AcmeTask, and acme.AcmeTask to join \
            installations (quote a name that is not a plain word: "acme-1".AcmeTask). Its columns \
            are _id, the fields (dates as ISO-8601 text in UTC, a ref as its target's _id, JSON as \
            its text, for json_each), _synced_at, _deleted_at and _deleted. A collection field is a \
            view Type_field with owner_id and member_id. Entities deleted upstream appear only when \
            the statement names _deleted or _deleted_at. "max schema <installation>" lists the fields.

            Only reads run: a write, ATTACH, a PRAGMA that is not table_info (or its kin) and \
            load_extension are refused (sql.read_only). A statement that runs longer than --timeout \
            stops (sql.timeout); one that returns more than --max-rows rows fails (sql.too_many_rows).

            Examples:
              max sql acme "SELECT status, count(*) AS n FROM AcmeTask GROUP BY status ORDER BY n DESC"
              max sql acme "SELECT u.displayName, count(*) FROM AcmeTask t JOIN AcmeUser u ON u._id = t.assignee \\
                WHERE t.status != 'done' GROUP BY u.displayName"
              max sql acme github "SELECT i.title FROM github.GitHubIssue i JOIN acme.AcmeTask t ON i.body LIKE '%' || t._id || '%'"
              max sql acme "SELECT strftime('%Y-%W', createdAt) AS week, count(*) FROM AcmeTask GROUP BY week" -o csv
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installations to read (all when none), then the statement.")
    var arguments: [String]
    @Option(help: "Fail when the statement returns more rows than this (1 to \(SQLRequest.maximumMaxRows)).")
    var maxRows = 10_000
    @Option(help: "Stop the statement after this many seconds (1 to \(SQLRequest.maximumTimeout)).")
    var timeout = SQLRequest.defaultTimeout
    @Option(name: .shortAndLong, help: "Output format: text, json, ndjson or csv.") var output: OutputFormat = .text

    func validate() throws {
        guard !arguments.isEmpty else {
            throw ValidationError(
                "give the statement to run, for example: max sql acme \"SELECT count(*) FROM AcmeTask\"")
        }
        guard (1...SQLRequest.maximumMaxRows).contains(maxRows) else {
            throw ValidationError("--max-rows must be between 1 and \(SQLRequest.maximumMaxRows)")
        }
        guard (1...SQLRequest.maximumTimeout).contains(timeout) else {
            throw ValidationError("--timeout must be between 1 and \(SQLRequest.maximumTimeout) seconds")
        }
    }

    func run() async throws {
        let result = try await global.api().sql(
            SQLRequest(
                installations: Array(arguments.dropLast()), query: arguments[arguments.count - 1], maxRows: maxRows,
                timeout: timeout))
        switch output {
        case .json:
            try JSONOutput.pretty(result)
        case .ndjson:
            let names = Self.uniqueNames(result.columns)
            for row in result.rows {
                Terminal.out(
                    "{"
                        + zip(names, row).map { JSONValue.string($0).jsonText + ":" + $1.jsonText }
                        .joined(separator: ",") + "}")
            }
        case .csv:
            Terminal.out(result.columns.map(RecordPrinter.csvField).joined(separator: ","))
            for row in result.rows {
                Terminal.out(row.map { RecordPrinter.csvField(Self.text($0)) }.joined(separator: ","))
            }
        case .text:
            Table.print(headers: result.columns, rows: result.rows.map { $0.map(Self.text) })
            if result.rows.isEmpty { Terminal.err("No rows.") }
        }
    }

    /// A cell: text as it is, null empty, anything else as JSON.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: ""
        case .string(let text): text
        default: value.jsonText
        }
    }

    /// Column names made unique for JSON objects (a repeated name gets `_2`, `_3` and so on).
    static func uniqueNames(_ columns: [String]) -> [String] {
        var seen: [String: Int] = [:]
        return columns.map { name in
            seen[name, default: 0] += 1
            guard let count = seen[name], count > 1 else { return name }
            return "\(name)_\(count)"
        }
    }
}
