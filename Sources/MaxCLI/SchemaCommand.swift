import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Show the entities, fields, roots and relationships of an installation or connector.")

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "An installation, or a connector name.") var target: String
    @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text

    func validate() throws {
        try output.require(oneOf: [.text, .json, .ndjson], for: "schema")
    }

    func run() async throws {
        // Outside a project only connectors are looked up; inside one, a max.json that cannot be
        // read is reported rather than skipped.
        let schema: SchemaDescription
        do {
            schema = try await global.api().schema(InstallationRequest(installation: target))
        } catch let error as MaxError where error.code == .projectNotFound {
            schema = SchemaDescription(
                try await LocalNode.schema(of: target, in: nil, registry: BuiltInConnectors.registry()))
        }
        switch output {
        case .json, .csv:  // csv is refused in validate()
            try JSONOutput.pretty(schema)
        case .ndjson:
            try JSONOutput.lines(schema.entities)
        case .text:
            for entity in schema.entities {
                let root = entity.root ? "  (root)" : ""
                Terminal.out(Terminal.style(entity.name, "1", on: Terminal.colorOnStdout) + root)
                if let summary = entity.summary { Terminal.out("  \(summary)") }
                for field in entity.fields {
                    let index = field.indexed == true ? "  indexed" : ""
                    Terminal.out(
                        "  \(field.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(field.type)\(index)")
                }
                Terminal.out("")
            }
        }
    }
}
