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
                let follows = schema.relationships.filter { $0.from == entity.name }
                if !follows.isEmpty {
                    // What a dotted name can follow: refs in --filter and --fields, collections in --filter.
                    Terminal.out("  follows (name.field in --filter and --fields; a collection in --filter only):")
                    for relationship in follows {
                        let arrow = relationship.cardinality == "many" ? "→ any" : "→"
                        let target = "\(relationship.field) \(arrow) \(relationship.to)"
                        let example = "\(relationship.field).\(Self.example(of: relationship.to, in: schema))"
                        Terminal.out("    \(target.padding(toLength: 30, withPad: " ", startingAt: 0)) e.g. \(example)")
                    }
                }
                Terminal.out("")
            }
        }
    }

    /// A field of `type` to show in a path example: its first text field, else its first field.
    static func example(of type: String, in schema: SchemaDescription) -> String {
        let fields = schema.entities.first { $0.name == type }?.fields ?? []
        return (fields.first { $0.type == "string" } ?? fields.first)?.name ?? "_id"
    }
}
