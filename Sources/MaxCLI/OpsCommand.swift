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
        let workspace = try global.workspace()
        let live = try await MaxFacade(workspace: workspace).operations(of: installation)
        if output == .json {
            Terminal.out(MaxFacade.json(operationsOf: live, installation: installation).prettyJSONText)
            return
        }
        guard !live.operations.isEmpty else {
            Terminal.err("\(installation) (\(live.info.name)) offers no operations")
            return
        }
        Table.print(
            headers: ["OPERATION", "KIND", "MODE", "TIMEOUT", "INPUT"],
            rows: live.operations.map { operation in
                [
                    operation.id, operation.mutating ? "mutating" : "read", operation.mode.rawValue,
                    "\(operation.maxTimeout.components.seconds) s", Self.summary(operation.input.json),
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
