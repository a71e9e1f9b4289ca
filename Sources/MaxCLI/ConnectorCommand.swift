import ArgumentParser
import DeclarativeConnector
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

/// `max connector`: working with connectors as programs.
struct ConnectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector", abstract: "Write, check and run connectors of your own.",
        discussion: """
            A connector can be a manifest: one JSON or YAML file that declares the source's config, \
            auth, streams and operations, run by Max's engine with no code (see \
            docs/declarative-connectors.md). "max connector new <name> --manifest" starts one; \
            "max connector validate <file>" checks it.

            A connector can also run out of process, speaking the connector protocol (JSON-RPC 2.0, \
            one message per line, over its standard input and output; see \
            docs/connector-protocol.md). An installation with "provider": "subprocess" in max.json \
            runs its built-in connector that way, through "max connector host".
            """,
        subcommands: [
            New.self, Validate.self, ManifestSchemaCommand.self, Host.self, ConnectorKeygen.self, ConnectorSign.self,
            ConnectorApprove.self, ConnectorCertify.self,
        ])

    /// `max connector new <name>`: a Swift package for a new connector.
    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new", abstract: "Start a new connector: a manifest, or a Swift package.",
            discussion: """
                With --manifest, writes <dir>/<name>.yaml (default ./connectors/<name>.yaml of the \
                project): a working manifest for a REST API with a token, to edit (its base URL, \
                paths, records, fields), and adds "<name>": "file:./connectors/<name>.yaml" to \
                max.json's connectors table. Then: max connector validate <file>, max connect \
                <name>, max sync <name>. No build step.

                Without it, writes a package (Package.swift, the connector with a schema, an onboarding step, \
                a collection loader and an operation, an executable that serves it with \
                ConnectorHost.run, a passing test, a README) into <dir>/<name> (default \
                ./connectors/<name> of the project), and adds "<name>": "file:…" to max.json's \
                connectors table. Then: max install (builds it), max connect <name>, \
                max sync <name>.

                The package depends on Max's MaxConnector library by path: the source tree this \
                max was built from, or --max-package.
                """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The connector's name: lowercase letters, digits and dashes.") var name: String
        @Option(help: "The folder to create the package in (default: ./connectors of the project).") var dir: String?
        @Option(help: "Max's source tree (the folder of its Package.swift).") var maxPackage: String?
        @Flag(help: "Write a declarative manifest (YAML) instead of a Swift package.") var manifest = false

        func validate() throws {
            if manifest && maxPackage != nil {
                throw ValidationError("--max-package is for a Swift package, not --manifest")
            }
        }

        func run() async throws {
            if manifest { return try writeManifest() }
            let scaffold = try ConnectorScaffold(name: name, maxPackage: try Self.maxPackage(maxPackage))
            let project = try? Project.find(from: global.startURL)
            let folder = base(project).appendingPathComponent(name, isDirectory: true).standardizedFileURL
            try scaffold.write(to: folder)
            Terminal.out("Created the \(name) connector package in \(folder.path)")
            guard let relative = try list(folder, in: project) else { return }
            Terminal.err(
                "added \"\(name)\": \"file:\(relative)\" to max.json; next: max install, then max connect \(name)")
        }

        /// Where new connectors go: `--dir`, else `./connectors` of the project (or of here).
        private func base(_ project: Project?) -> URL {
            dir.map { URL(fileURLWithPath: $0, relativeTo: global.startURL) }
                ?? (project?.root ?? global.startURL).appendingPathComponent("connectors")
        }

        /// Adds `"<name>": "file:<path>"` to the project's connectors table; returns the path as
        /// written (relative to the project when inside it), or `nil` outside a project, saying what
        /// to add by hand.
        private func list(_ url: URL, in project: Project?) throws -> String? {
            guard let project else {
                Terminal.err(
                    "not in a Max project: add \"\(name)\": \"file:\(url.path)\" to the connectors table of its max.json"
                )
                return nil
            }
            let relative =
                url.path.hasPrefix(project.root.path + "/")
                ? "./" + url.path.dropFirst(project.root.path.count + 1) : url.path
            try project.update { file in
                var table = file.otherKeys["connectors"]?.objectValue ?? [:]
                table[name] = .string("file:\(relative)")
                file.otherKeys["connectors"] = .object(table)
                // Your own new connector is trusted unsigned, explicitly.
                var trust = file.otherKeys["trust"]?.objectValue ?? [:]
                let unsigned = trust["unsigned"]?.arrayValue ?? []
                if !unsigned.contains(.string(name)) { trust["unsigned"] = .array(unsigned + [.string(name)]) }
                file.otherKeys["trust"] = .object(trust)
            }
            Terminal.err("trusted \(name) unsigned (\"trust\": {\"unsigned\": [...]} in max.json): it is yours")
            return relative
        }

        /// Writes `<name>.yaml` and lists it in the project's connectors table.
        private func writeManifest() throws {
            let project = try? Project.find(from: global.startURL)
            let base = base(project)
            guard name.range(of: "^[a-z][a-z0-9-]{0,39}$", options: .regularExpression) != nil else {
                throw MaxError(
                    .invalidConnectorName,
                    "'\(name)' is not a connector name: use lowercase letters, digits and dashes, starting with a letter",
                    hint: "for example: max connector new my-api --manifest")
            }
            let file = base.appendingPathComponent("\(name).yaml").standardizedFileURL
            guard !FileManager.default.fileExists(atPath: file.path) else {
                throw MaxError(
                    .connectorExists, "\(file.path) exists already",
                    hint: "pick another name or --dir, or edit that file")
            }
            try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
            let text = ManifestScaffold.text(name: name)
            _ = try ManifestLoader.load(text, source: file.path)  // what it writes is valid
            try Data(text.utf8).write(to: file)
            Terminal.out("Created the \(name) manifest \(file.path)")
            guard let relative = try list(file, in: project) else { return }
            Terminal.err(
                "added \"\(name)\": \"file:\(relative)\" to max.json; edit it, then: max connector validate \(relative), max connect \(name)"
            )
        }

        /// Max's source tree: the flag's, else the tree this executable was built from.
        static func maxPackage(_ given: String?) throws -> URL {
            let candidate =
                given.map { URL(fileURLWithPath: $0) }
                ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            let manifest = candidate.appendingPathComponent("Package.swift")
            guard let text = try? String(contentsOf: manifest, encoding: .utf8), text.contains("\"MaxConnector\"")
            else {
                throw MaxError(
                    .connectorBuildFailed,
                    "\(candidate.path) is not Max's source tree (no Package.swift with MaxConnector)",
                    hint: "pass --max-package <folder of Max's Package.swift>")
            }
            return candidate.standardizedFileURL
        }
    }

    /// `max connector validate <file>`: checks a manifest.
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate", abstract: "Check a connector manifest against the manifest schema.",
            discussion: """
                Reads the JSON or YAML file and checks it: its shape against the manifest's JSON \
                Schema (max connector schema), then what a schema cannot say (parents, refs, \
                templates, pagination). Every problem is listed with its path in the file \
                (streams[2].pagination.param). Exits 0 when valid, 2 when not.
                """)

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @Argument(help: "The manifest file (.yaml, .yml or .json).") var file: String
        @Option(name: .shortAndLong, help: "Output: text or json.") var output: OutputFormat = .text

        func run() async throws {
            let url = URL(fileURLWithPath: file, relativeTo: global.startURL).standardizedFileURL
            let compiled = try ManifestLoader.load(contentsOf: url)
            let manifest = compiled.manifest
            let connector = ManifestConnector(compiled)
            try connector.validateDefinition()
            let streams = manifest.streams.map { "\($0.name) (\($0.entity))" }
            switch output {
            case .json, .ndjson:
                Terminal.out(
                    JSONValue.object([
                        "valid": true, "manifest": .string(url.path), "name": .string(manifest.name),
                        "version": .string(manifest.version),
                        "streams": .array(
                            manifest.streams.map { ["name": .string($0.name), "entity": .string($0.entity)] }),
                        "operations": .array((manifest.operations ?? []).map { .string($0.id) }),
                        "incremental": .bool(connector.def.changeFeed != nil),
                    ]).jsonText)
            default:
                Terminal.out(
                    "\(url.path): a valid manifest for \(manifest.name) \(manifest.version): \(streams.count) streams "
                        + "(\(streams.joined(separator: ", "))), \((manifest.operations ?? []).count) operations, "
                        + (connector.def.changeFeed != nil ? "incremental syncs" : "full syncs only"))
            }
        }
    }

    /// `max connector schema`: the manifest's JSON Schema.
    struct ManifestSchemaCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "schema", abstract: "Print the JSON Schema connector manifests are checked against.",
            discussion:
                "The same document as docs/declarative-connector.schema.json; editors can use it to complete manifests."
        )

        func run() async throws {
            Terminal.out(ManifestSchema.schema.prettyJSONText)
        }
    }

    /// `max connector host <name>`: a built-in connector as a protocol server (what Max starts for
    /// a subprocess installation; not for people).
    struct Host: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "host", abstract: "Serve a built-in connector over the connector protocol on stdio.",
            shouldDisplay: false)

        @Argument(help: "The built-in connector.") var name: String

        func run() async throws {
            let module = try await BuiltInConnectors.registry().resolve(name)
            try await Self.host(module)
        }

        static func host(_ module: some ConnectorModule) async throws {
            try await ConnectorHost.run(module)
        }
    }
}
