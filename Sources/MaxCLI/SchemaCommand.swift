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
        let schema = try await MaxFacade.schema(of: target, in: workspace)
        switch output {
        case .json, .csv:  // csv is refused in validate()
            Terminal.out(schemaJSON(schema).prettyJSONText)
        case .ndjson:
            for entity in schema.entities { Terminal.out(entityJSON(entity, schema).jsonText) }
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

    private func entityJSON(_ entity: EntityDef, _ schema: Schema) -> JSONValue {
        var fields: [JSONValue] = []
        for field in entity.fields {
            var object: [String: JSONValue] = ["name": .string(field.name), "type": .string(field.type.displayName)]
            if field.isIndexed { object["indexed"] = true }
            if let summary = field.summary { object["summary"] = .string(summary) }
            fields.append(.object(object))
        }
        var object: [String: JSONValue] = [
            "name": .string(entity.name), "fields": .array(fields), "root": .bool(schema.roots.contains(entity.type)),
        ]
        if let summary = entity.summary { object["summary"] = .string(summary) }
        return .object(object)
    }

    private func schemaJSON(_ schema: Schema) -> JSONValue {
        [
            "namespace": .string(schema.namespace), "entities": .array(schema.entities.map { entityJSON($0, schema) }),
            "roots": .array(schema.roots.map { .string($0.name) }),
            "relationships": .array(
                schema.relationships.map {
                    [
                        "from": .string($0.from.name), "field": .string($0.field), "to": .string($0.to.name),
                        "cardinality": .string($0.cardinality.rawValue),
                    ]
                }),
        ]
    }
}
