import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxQuery
import MaxRuntime
import MaxStorage

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Query an installation's local data.",
        discussion: """
            Examples:
              max search acme AcmeTask --filter 'status = "todo" AND priority IN ("high", "critical")'
              max search acme AcmeTask --fields title,status --order-by updatedAt:desc --limit 20
              max search acme AcmeTask --all -o ndjson | jq .title
            Filters: = != > >= < <= ~= (contains, any case), IN (…), IS [NOT] NULL, AND, OR, NOT, ( ).
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Argument(help: "The entity type, such as AcmeTask (see \"max schema\").") var entityType: String
    @Option(name: .shortAndLong, help: "Which entities: a filter expression.") var filter: String?
    @Option(help: "Fields to show: a,b,c or .props, .meta, .all.") var fields: String?
    @Option(help: "Order: field[:asc|desc],… (_id breaks ties).") var orderBy: String?
    @Option(help: "Page size (1 to \(Query.maximumLimit)).") var limit = 1000
    @Option(help: "Start after this cursor (printed by the previous page).") var after: String?
    @Flag(name: .shortAndLong, help: "Stream every page.") var all = false
    @Option(name: .shortAndLong, help: "Output format: text, json, ndjson or csv.") var output: OutputFormat = .text
    @Flag(help: "Include entities deleted upstream.") var includeDeleted = false

    func validate() throws {
        guard (1...Query.maximumLimit).contains(limit) else {
            throw ValidationError(
                "--limit must be between 1 and \(Query.maximumLimit) (the page size; --all streams every page)")
        }
        if all && output == .json {
            throw ValidationError(
                "--all with -o json would build one huge document; use -o ndjson to stream every page")
        }
    }

    func run() async throws {
        let workspace = try global.workspace()
        let store = try await workspace.openStoreForReading(installation)
        var query = try Query(
            EntityType(entityType), filter: filter, selection: try fields.map(FieldSelection.init(parsing:)) ?? .props,
            ordering: try orderBy.map(Ordering.init(parsing:)) ?? .byID, limit: limit, cursor: after,
            includeDeleted: includeDeleted)
        query.limit = limit
        let checked = try query.checked(against: store.schema)
        let names = checked.fields.map(\.name)
        if all {
            if output == .csv { Terminal.out(names.map(RecordPrinter.csvField).joined(separator: ",")) }
            var rows: [[String]] = []
            for try await record in store.records(checked, batchSize: min(limit, 5000)) {
                switch output {
                case .ndjson: Terminal.out(RecordPrinter.json(record))
                case .csv: Terminal.out(RecordPrinter.csv(record, fields: names))
                default: rows.append(names.map { RecordPrinter.cell(record[$0]) })
                }
            }
            if output == .text { Table.print(headers: names, rows: rows) }
            return
        }
        let page = try await store.page(checked)
        switch output {
        case .json:
            var text = "{\n  \"type\": \(JSONValue.string(entityType).jsonText),\n  \"data\": ["
            text +=
                page.items.isEmpty
                ? ""
                : "\n"
                    + page.items.map { "    " + RecordPrinter.json($0, pretty: true, indent: "    ") }
                    .joined(separator: ",\n") + "\n  "
            text +=
                "],\n  \"hasMore\": \(page.hasMore),\n  \"cursor\": \(page.cursor.map { JSONValue.string($0).jsonText } ?? "null")\n}"
            Terminal.out(text)
        case .ndjson:
            for record in page.items { Terminal.out(RecordPrinter.json(record)) }
            var meta: [String: JSONValue] = ["type": .string(entityType), "hasMore": .bool(page.hasMore)]
            if let cursor = page.cursor { meta["cursor"] = .string(cursor) }
            Terminal.out(JSONValue.object(["_meta": .object(meta)]).jsonText)
        case .csv:
            Terminal.out(names.map(RecordPrinter.csvField).joined(separator: ","))
            for record in page.items { Terminal.out(RecordPrinter.csv(record, fields: names)) }
        case .text:
            Table.print(headers: names, rows: page.items.map { record in names.map { RecordPrinter.cell(record[$0]) } })
            if page.items.isEmpty { Terminal.err("No \(entityType) matches.") }
            if let cursor = page.cursor { Terminal.err("Next page: --after \(cursor)") }
        }
    }
}
