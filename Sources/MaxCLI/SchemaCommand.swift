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
        let workspace: MaxWorkspace?
        do {
            workspace = try global.workspace()
        } catch let error as MaxError where error.code == .projectNotFound {
            workspace = nil
        }
        let schema = try await MaxFacade.schema(
            of: target, in: workspace, registry: BuiltInConnectors.registry())
        switch output {
        case .json, .csv:  // csv is refused in validate()
            Terminal.out(MaxFacade.json(schema).prettyJSONText)
        case .ndjson:
            for entity in schema.entities { Terminal.out(MaxFacade.json(entity, in: schema).jsonText) }
        case .text:
            for entity in schema.entities {
                let root = schema.roots.contains(entity.type) ? "  (root)" : ""
                Terminal.out(Terminal.style(entity.name, "1", on: Terminal.colorOnStdout) + root)
                if let summary = entity.summary { Terminal.out("  \(summary)") }
                for field in entity.fields {
                    let index = field.isIndexed ? "  indexed" : ""
                    Terminal.out(
                        "  \(field.name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(field.type.displayName)\(index)"
                    )
                }
                Terminal.out("")
            }
        }
    }
}
