import ArgumentParser
import DeclarativeConnector
import MaxConnector
import MaxCore
import MaxRuntime

struct ConnectorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connectors",
        abstract: "List the connectors this build of Max knows, and those of the project's connectors table.",
        discussion: """
            With a connector's name, shows that connector's version and its config schema: the keys an \
            installation's "config" in max.json may hold (what max validate checks), with the schema's \
            version (recorded on each installation as "configVersion").
            """)

    @OptionGroup(title: "Global Options") var global: GlobalOptions
    @Argument(help: "A connector whose config schema to show.") var name: String?
    @Option(name: .shortAndLong, help: "Output format: text, json or ndjson.") var output: OutputFormat = .text

    func validate() throws {
        try output.require(oneOf: [.text, .json, .ndjson], for: "connectors")
    }

    func run() async throws {
        if let name {
            return try await show(name)
        }
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
        // What the project's catalog says of each: its lifecycle, and the features it turns off.
        if let project = try? Project.find(from: global.startURL) {
            let catalog = try MaxWorkspace(project: project, registry: BuiltInConnectors.registry()).catalog()
            items = items.map { item in
                guard case .object(var fields) = item, let name = fields["name"]?.stringValue else { return item }
                let entry = catalog.entry(of: name)
                fields["lifecycle"] = .string(entry.lifecycle.rawValue)
                fields["replacement"] = entry.replacement.map(JSONValue.string)
                if !entry.disabled.isEmpty {
                    fields["disabledFeatures"] = .array(entry.disabled.map(\.rawValue).sorted().map(JSONValue.string))
                }
                return .object(fields)
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
                headers: ["NAME", "DISPLAY NAME", "VERSION", "SOURCE", "STATUS", "DESCRIPTION"],
                rows: items.map { item in
                    let text = { (key: String) in item[key]?.stringValue ?? "-" }
                    var status = item["lifecycle"]?.stringValue ?? "active"
                    if let replacement = item["replacement"]?.stringValue { status += " → \(replacement)" }
                    if let off = item["disabledFeatures"]?.arrayValue, !off.isEmpty {
                        status += " (off: \(off.compactMap(\.stringValue).joined(separator: ", ")))"
                    }
                    return [
                        text("name"), text("displayName"), text("version"), text("source"), status,
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

    /// One connector: its version and config schema.
    private func show(_ name: String) async throws {
        let module: any ConnectorModule
        if let project = try? Project.find(from: global.startURL) {
            module = try await MaxWorkspace(project: project, registry: BuiltInConnectors.registry())
                .connectorModule(named: name)
        } else {
            module = try await BuiltInConnectors.registry().resolve(name)
        }
        let info = module.info
        let schema = module.configSchema
        guard output == .text else {
            let item: JSONValue = [
                "name": .string(info.name), "displayName": .string(info.displayName), "version": .string(info.version),
                "description": .string(info.description), "configSchema": schema.json,
            ]
            return Terminal.out(output == .json ? item.prettyJSONText : item.jsonText)
        }
        Terminal.out("\(info.displayName) (\(info.name) \(info.version)): \(info.description)")
        let object = schema.schema.json
        let required = Set(object["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let properties = object["properties"]?.objectValue ?? [:]
        Terminal.out("config schema version \(schema.version); the keys of an installation's config:")
        Table.print(
            headers: ["KEY", "TYPE", "REQUIRED", "ABOUT"],
            rows: properties.keys.sorted().map { key in
                let property = properties[key] ?? [:]
                return [
                    key, Self.type(of: property), required.contains(key) ? "yes" : "no",
                    property["title"]?.stringValue ?? property["description"]?.stringValue ?? "",
                ]
            })
        if object["additionalProperties"] == .bool(false) {
            Terminal.out("no other key is allowed")
        }
    }

    /// A property's type for a person: `string`, `string (uri)`, `one of: a, b`, `string or array`.
    static func type(of property: JSONValue) -> String {
        if let values = property["enum"]?.arrayValue {
            return "one of: " + values.map { $0.stringValue ?? $0.jsonText }.joined(separator: ", ")
        }
        let types = property["type"]?.arrayValue?.compactMap(\.stringValue) ?? [property["type"]?.stringValue ?? "any"]
        let format = property["format"]?.stringValue.map { " (\($0))" } ?? ""
        return types.joined(separator: " or ") + format
    }
}
