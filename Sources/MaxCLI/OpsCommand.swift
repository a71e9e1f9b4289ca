import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

struct OpsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops", abstract: "List the operations an installation offers, with their input schemas.",
        discussion: """
            Each operation: its id (what "max invoke" takes), whether it changes the source \
            (mutating, which takes --idempotency-key), how it runs (sync, or async as a job), its \
            time limit, and the input it accepts. -o json prints the full declarations: input and \
            output JSON Schemas, limits, redactions, the entity type it writes through to.
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "The installation.") var installation: String
    @Option(name: .shortAndLong, help: "Output format: text or json.") var output: OutputFormat = .text

    func validate() throws {
        try output.require(oneOf: [.text, .json], for: "ops")
    }

    func run() async throws {
        let described = try await global.api().operations(InstallationRequest(installation: installation))
        if output == .json {
            try JSONOutput.pretty(described)
            return
        }
        let operations = described.operations
        guard !operations.isEmpty else {
            Terminal.err("\(installation) (\(described.connector)) offers no operations")
            return
        }
        Table.print(
            headers: ["OPERATION", "KIND", "MODE", "TIMEOUT", "INPUT"],
            rows: operations.map { operation in
                [
                    operation["id"]?.stringValue ?? "", operation["mutating"] == true ? "mutating" : "read",
                    operation["mode"]?.stringValue ?? "", "\((operation["maxTimeoutMs"]?.intValue ?? 0) / 1000) s",
                    Self.summary(operation["inputSchema"] ?? [:]),
                ]
            })
        Terminal.err(
            "details: max ops \(installation) -o json; run one: max invoke \(installation) <operation> --input '{…}'")
    }

    /// `projectId*, title*, description, …`: the properties, required ones starred.
    static func summary(_ schema: JSONValue) -> String {
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let names = (schema["properties"]?.objectValue?.keys.sorted() ?? []).sorted {
            (required.contains($0) ? 0 : 1, $0) < (required.contains($1) ? 0 : 1, $1)
        }
        return names.map { required.contains($0) ? "\($0)*" : $0 }.joined(separator: ", ")
    }
}
