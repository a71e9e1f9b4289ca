import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxQuery
import MaxRuntime
import MaxStorage

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ls", abstract: "List installations: name, connector, status, last sync, entity count.")

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Output format: text or json.") var output: OutputFormat = .text

    func run() async throws {
        let workspace = try global.workspace()
        var rows: [[String: JSONValue]] = []
        for (name, record) in try workspace.installations() {
            var row: [String: JSONValue] = [
                "name": .string(name), "connector": .string(record.connector), "id": .string(record.id),
            ]
            var status = "never synced"
            var entities = 0
            if FileManager.default.fileExists(atPath: workspace.project.dataURL(name).path) {
                let store = try await workspace.openStore(name)
                if let run = try await store.latestRun() {
                    status = run.status.rawValue
                    if let finished = run.finishedAt { row["lastSync"] = .string(ISO8601.format(finished)) }
                }
                for type in store.schema.entityTypes {
                    entities += try await store.count(try Query(type))
                }
            }
            row["status"] = .string(status)
            row["entities"] = .int(entities)
            rows.append(row)
        }
        switch output {
        case .json, .ndjson:
            Terminal.out(JSONValue.array(rows.map(JSONValue.object)).prettyJSONText)
        default:
            if rows.isEmpty {
                Terminal.err("No installations. Connect one with \"max connect <connector>\".")
                return
            }
            Table.print(
                headers: ["NAME", "CONNECTOR", "STATUS", "LAST SYNC", "ENTITIES"],
                rows: rows.map {
                    [
                        $0["name"]?.stringValue ?? "", $0["connector"]?.stringValue ?? "",
                        $0["status"]?.stringValue ?? "",
                        $0["lastSync"]?.stringValue ?? "-", String($0["entities"]?.intValue ?? 0),
                    ]
                })
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Check the health of the project's installations (or one).")

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "One installation (default: all).") var installation: String?
    @Option(name: .shortAndLong, help: "Output format: text or json.") var output: OutputFormat = .text
    @Option(help: "Seconds to wait for each health check.") var timeout = 10

    func run() async throws {
        let workspace = try global.workspace()
        let names =
            try installation.map { [try workspace.record($0)].isEmpty ? [] : [$0] }
            ?? workspace.installations().map(\.name)
        var results: [JSONValue] = []
        var allHealthy = true
        for name in names {
            let live = try await workspace.live(name)
            let seconds = timeout
            let health = await withTaskGroup(of: HealthStatus?.self) { group in
                group.addTask { await live.health() }
                group.addTask {
                    try? await Task.sleep(for: .seconds(seconds))
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first ?? .unhealthy("no answer within \(seconds) s")
            }
            if health != .healthy { allHealthy = false }
            var object: [String: JSONValue] = ["name": .string(name), "status": .string(health.name)]
            if let reason = health.reason { object["reason"] = .string(reason) }
            results.append(.object(object))
        }
        if output == .json || output == .ndjson {
            Terminal.out(JSONValue.array(results).prettyJSONText)
        } else {
            Table.print(
                headers: ["NAME", "STATUS", "REASON"],
                rows: results.map {
                    [$0["name"]?.stringValue ?? "", $0["status"]?.stringValue ?? "", $0["reason"]?.stringValue ?? ""]
                })
        }
        if !allHealthy { throw PartialSuccess(code: 1) }
    }
}

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Show the entities, fields, roots and relationships of an installation or connector.")

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "An installation, or a connector name.") var target: String
    @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text

    func run() async throws {
        let registry = BuiltInConnectors.registry()
        let schema: Schema
        if let workspace = try? global.workspace(), let record = try? workspace.record(target) {
            schema = try await workspace.module(for: record).info.schema
        } else {
            do {
                schema = try await registry.resolve(target).info.schema
            } catch let error as MaxError where error.code == .connectorNotFound {
                throw MaxError(
                    .installationNotFound, "'\(target)' is neither an installation of this project nor a connector",
                    hint: "see \"max ls\" and \"max connectors\"", context: ["target": target])
            }
        }
        switch output {
        case .json, .csv:
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
