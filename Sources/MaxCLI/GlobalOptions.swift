import ArgumentParser
import Foundation
import MaxRuntime

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customShort("C"), help: "Run as if started in <dir> (the project is found from there upward).")
    var directory: String?

    /// The folder the project search starts from.
    var startURL: URL {
        URL(fileURLWithPath: directory ?? FileManager.default.currentDirectoryPath, isDirectory: true)
    }

    /// The project found from the start folder.
    func workspace() throws -> MaxWorkspace {
        MaxWorkspace(project: try Project.find(from: startURL), registry: BuiltInConnectors.registry())
    }

    /// The project's installations, each through its node, called as ``caller``.
    func api() throws -> MaxNodes {
        MaxNodes(workspace: try workspace(), caller: Self.caller)
    }

    /// Who is asking, for the audit log: `cli:<user>`.
    static var caller: String {
        "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? String(getuid()))
    }
}

/// An output format.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, ndjson, csv

    /// Throws the usage error for a format `command` does not print.
    func require(oneOf allowed: [OutputFormat], for command: String) throws {
        guard !allowed.contains(self) else { return }
        throw ValidationError(
            "max \(command) cannot print -o \(rawValue); use "
                + allowed.map(\.rawValue).joined(separator: ", "))
    }
}
