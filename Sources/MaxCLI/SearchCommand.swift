import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Query an installation's local data.",
        discussion: """
            Examples:
              max search acme AcmeTask \\
                --filter 'status = "todo" AND priority IN ("high", "critical")'
              max search acme AcmeTask --fields title,status --order-by updatedAt:desc \\
                --limit 20
              max search acme AcmeTask --all -o ndjson | jq .title
              max search acme AcmeTask --fields title,assignee.displayName \\
                --filter 'project.name = "Launch" AND assignee.role = "admin"'
            Filters: = != > >= < <= ~= (contains, any case), IN (…), IS [NOT] NULL, AND, OR, NOT, ( ).
            A name with dots follows refs (one or more hops; "max schema" lists them): in --filter, \
            through refs and collections (any member); in --fields, through refs. A ref whose \
            target is not stored, or deleted, is followed to nothing.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Argument(help: "The entity type, such as AcmeTask (see \"max schema\").") var entityType: String
    @Option(name: .shortAndLong, help: "Which entities: a filter expression.") var filter: String?
    @Option(help: "Fields to show: a,b,c (a ref's field: assignee.displayName) or .props, .meta, .all.")
    var fields: String?
    @Option(help: "Order: field[:asc|desc],… (_id breaks ties).") var orderBy: String?
    @Option(help: "Page size (1 to \(SearchPage.maximumLimit)).") var limit = 1000
    @Option(help: "Start after this cursor (printed by the previous page).") var after: String?
    @Flag(name: .shortAndLong, help: "Stream every page.") var all = false
    @Option(name: .shortAndLong, help: "Output format: text, json, ndjson or csv.") var output: OutputFormat = .text
    @Flag(help: "Include entities deleted upstream.") var includeDeleted = false

    func validate() throws {
        guard (1...SearchPage.maximumLimit).contains(limit) else {
            throw ValidationError(
                "--limit must be between 1 and \(SearchPage.maximumLimit) (the page size; --all streams every page)")
        }
        if all && output == .json {
            throw ValidationError(
                "--all with -o json would build one huge document; use -o ndjson to stream every page")
        }
    }

    func run() async throws {
        let api = try global.api()
        let request = SearchRequest(
            installation: installation, entityType: entityType, filter: filter, fields: fields, orderBy: orderBy,
            limit: limit, cursor: after, includeDeleted: includeDeleted)
        if all {
            let stream = try await api.searchAll(request, batchSize: 5000)
            let names = stream.fields
            if output == .csv { Terminal.out(names.map(RecordPrinter.csvField).joined(separator: ",")) }
            var rows: [[String]] = []
            for try await record in stream.records {
                switch output {
                case .ndjson: Terminal.out(RecordPrinter.json(record))
                case .csv: Terminal.out(RecordPrinter.csv(record, fields: names))
                default: rows.append(names.map { RecordPrinter.cell(record[$0]) })
                }
            }
            if output == .text { Table.print(headers: names, rows: rows) }
            return
        }
        let page = try await api.search(request)
        let names = page.fields
        switch output {
        case .json:
            // The page object every front end and node answers with (`type`, `fields`, `data`,
            // `hasMore`, `cursor`), with each record's fields in their order.
            var text = "{\n  \"type\": \(JSONValue.string(page.entityType).jsonText),\n"
            text += "  \"fields\": \(JSONValue.array(names.map(JSONValue.string)).jsonText),\n  \"data\": ["
            text +=
                page.records.isEmpty
                ? ""
                : "\n"
                    + page.records.map { "    " + RecordPrinter.json($0, pretty: true, indent: "    ") }
                    .joined(separator: ",\n") + "\n  "
            text +=
                "],\n  \"hasMore\": \(page.hasMore),\n  \"cursor\": \(page.cursor.map { JSONValue.string($0).jsonText } ?? "null")\n}"
            Terminal.out(text)
        case .ndjson:
            for record in page.records { Terminal.out(RecordPrinter.json(record)) }
            var meta: [String: JSONValue] = ["type": .string(entityType), "hasMore": .bool(page.hasMore)]
            if let cursor = page.cursor { meta["cursor"] = .string(cursor) }
            Terminal.out(JSONValue.object(["_meta": .object(meta)]).jsonText)
        case .csv:
            Terminal.out(names.map(RecordPrinter.csvField).joined(separator: ","))
            for record in page.records { Terminal.out(RecordPrinter.csv(record, fields: names)) }
        case .text:
            Table.print(
                headers: names, rows: page.records.map { record in names.map { RecordPrinter.cell(record[$0]) } })
            if page.records.isEmpty { Terminal.err("No \(entityType) matches.") }
            if let cursor = page.cursor { Terminal.err("Next page: --after \(cursor)") }
        }
    }
}
