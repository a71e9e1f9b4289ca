import ArgumentParser
import MaxConnector
import MaxCore
import MaxRuntime

struct ConnectorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connectors", abstract: "List the connectors this build of Max knows.")

    @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text

    func validate() throws {
        try output.require(oneOf: [.text, .json, .ndjson], for: "connectors")
    }

    func run() async throws {
        let entries = try await BuiltInConnectors.registry().list()
        switch output {
        case .json, .ndjson:
            let items = entries.map { entry -> JSONValue in
                [
                    "name": .string(entry.name), "displayName": .string(entry.displayName),
                    "version": .string(entry.info.version),
                    "description": .string(entry.info.description),
                ]
            }
            if output == .json {
                Terminal.out(JSONValue.array(items).prettyJSONText)
            } else {
                items.forEach { Terminal.out($0.jsonText) }
            }
        default:
            Table.print(
                headers: ["NAME", "DISPLAY NAME", "VERSION", "DESCRIPTION"],
                rows: entries.map { [$0.name, $0.displayName, $0.info.version, $0.info.description] })
        }
    }
}
