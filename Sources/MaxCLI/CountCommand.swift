import ArgumentParser
import MaxCore
import MaxRuntime

struct CountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count", abstract: "Print the number of entities that match a filter.")

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Argument(help: "The entity type.") var entityType: String
    @Option(name: .shortAndLong, help: "A filter expression.") var filter: String?
    @Flag(help: "Include entities deleted upstream.") var includeDeleted = false
    @Option(name: .shortAndLong, help: "Output format: text (the number) or json ({\"count\": N}).")
    var output: OutputFormat = .text

    func validate() throws {
        try output.require(oneOf: [.text, .json], for: "count")
    }

    func run() async throws {
        let result = try await global.api().count(
            CountRequest(
                installation: installation, entityType: entityType, filter: filter, includeDeleted: includeDeleted))
        if output == .json { try JSONOutput.pretty(result) } else { Terminal.out(String(result.count)) }
    }
}
