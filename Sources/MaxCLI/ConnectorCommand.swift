import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

/// `max connector`: working with connectors as programs.
struct ConnectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector", abstract: "Run connectors as programs of their own.",
        discussion: """
            A connector can run out of process, speaking the connector protocol (JSON-RPC 2.0, one \
            message per line, over its standard input and output; see docs/connector-protocol.md). \
            An installation with "provider": "subprocess" in max.json runs its built-in connector \
            that way, through "max connector host".
            """,
        subcommands: [New.self, Host.self])

    /// `max connector new <name>`: a Swift package for a new connector.
    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new", abstract: "Make a Swift package for a new connector that runs out of process.",
            discussion: """
                Writes a package (Package.swift, the connector with a schema, an onboarding step, \
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

        func run() async throws {
            let scaffold = try ConnectorScaffold(name: name, maxPackage: try Self.maxPackage(maxPackage))
            let project = try? Project.find(from: global.startURL)
            let base =
                dir.map { URL(fileURLWithPath: $0, relativeTo: global.startURL) }
                ?? (project?.root ?? global.startURL).appendingPathComponent("connectors")
            let folder = base.appendingPathComponent(name, isDirectory: true).standardizedFileURL
            try scaffold.write(to: folder)
            Terminal.out("Created the \(name) connector package in \(folder.path)")
            guard let project else {
                Terminal.err(
                    "not in a Max project: add \"\(name)\": \"file:\(folder.path)\" to the connectors table of its max.json"
                )
                return
            }
            let relative =
                folder.path.hasPrefix(project.root.path + "/")
                ? "./" + folder.path.dropFirst(project.root.path.count + 1) : folder.path
            try project.update { file in
                var table = file.otherKeys["connectors"]?.objectValue ?? [:]
                table[name] = .string("file:\(relative)")
                file.otherKeys["connectors"] = .object(table)
            }
            Terminal.err(
                "added \"\(name)\": \"file:\(relative)\" to max.json; next: max install, then max connect \(name)")
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
