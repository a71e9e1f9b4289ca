import ArgumentParser
import Foundation
import MaxCore
import MaxRuntime

struct CountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count", abstract: "Print the number of entities that match a filter.",
        discussion: """
            With --group-by, counts per combination of the fields' values, most first, as a table \
            (or JSON: {"count": N, "groups": [{"values": {…}, "count": N}]}). Fields follow refs \
            as in --fields:
              max count acme AcmeTask --group-by status,assignee.displayName
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Argument(help: "The entity type.") var entityType: String
    @Option(name: .shortAndLong, help: "A filter expression.") var filter: String?
    @Flag(help: "Include entities deleted upstream.") var includeDeleted = false
    @Option(help: "Count per value of these comma-separated fields (status,assignee.displayName).")
    var groupBy: String?
    @Option(name: .shortAndLong, help: "Output format: text (the number) or json ({\"count\": N}).")
    var output: OutputFormat = .text

    func validate() throws {
        try output.require(oneOf: [.text, .json], for: "count")
    }

    func run() async throws {
        let result = try await global.api().count(
            CountRequest(
                installation: installation, entityType: entityType, filter: filter, includeDeleted: includeDeleted,
                groupBy: groupBy))
        if output == .json { return try JSONOutput.pretty(result) }
        guard let groups = result.groups, let groupBy else { return Terminal.out(String(result.count)) }
        let names = groupBy.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let rows = groups.map { group in
            names.map { name in
                let value = group.values[name] ?? .null
                return value.stringValue ?? (value == .null ? "" : value.jsonText)
            } + [String(group.count)]
        }
        Table.print(headers: names + ["count"], rows: rows)
    }
}
