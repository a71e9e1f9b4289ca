import ArgumentParser
import DeclarativeConnector
import MaxConnector
import MaxCore
import MaxRuntime

struct ConnectorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connectors",
        abstract: "List the connectors this build of Max knows, and those of the project's connectors table.")

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text

    func validate() throws {
        try output.require(oneOf: [.text, .json, .ndjson], for: "connectors")
    }

    func run() async throws {
        var items: [JSONValue] = try await BuiltInConnectors.registry().list().map { entry in
            [
                "name": .string(entry.name), "displayName": .string(entry.displayName),
                "version": .string(entry.info.version), "description": .string(entry.info.description),
                "source": BundledManifests.texts[entry.name] == nil ? "built-in" : "built-in manifest",
            ]
        }
        // Outside a project there is no table: the built-ins are the list.
        if let project = try? Project.find(from: global.startURL) {
            let workspace = MaxWorkspace(project: project, registry: BuiltInConnectors.registry())
            for row in try await workspace.tableConnectors() {
                switch row.info {
                case .success(let info):
                    items.append([
                        "name": .string(row.name), "displayName": .string(info.displayName),
                        "version": .string(info.version), "description": .string(info.description),
                        "source": .string(row.source),
                    ])
                case .failure(let error):
                    var described: [String: JSONValue] = [
                        "code": .string(error.code.description), "message": .string(error.message),
                    ]
                    if let hint = error.hint { described["hint"] = .string(hint) }
                    items.append([
                        "name": .string(row.name), "source": .string(row.source), "error": .object(described),
                    ])
                }
            }
        }
        switch output {
        case .json, .ndjson:
            if output == .json {
                Terminal.out(JSONValue.array(items).prettyJSONText)
            } else {
                items.forEach { Terminal.out($0.jsonText) }
            }
        default:
            Table.print(
                headers: ["NAME", "DISPLAY NAME", "VERSION", "SOURCE", "DESCRIPTION"],
                rows: items.map { item in
                    let text = { (key: String) in item[key]?.stringValue ?? "-" }
                    return [
                        text("name"), text("displayName"), text("version"), text("source"),
                        item["error"] == nil ? text("description") : "cannot run: see below",
                    ]
                })
            // The table cuts long cells: each connector that cannot run gets its whole reason.
            for item in items {
                guard let error = item["error"], let name = item["name"]?.stringValue else { continue }
                Terminal.out(
                    "\(name): error[\(error["code"]?.stringValue ?? "")]: \(error["message"]?.stringValue ?? "")")
                if let hint = error["hint"]?.stringValue { Terminal.out("  hint: \(hint)") }
            }
        }
    }
}
