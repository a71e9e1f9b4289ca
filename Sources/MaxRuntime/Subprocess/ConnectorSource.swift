public import Foundation
import MaxCore

/// Where a connector of the project's `connectors` table comes from (SPEC-max-json §3):
/// `"connectors": {"hello": "file:./connectors/hello"}`.
public enum ConnectorSource: Sendable, Hashable {
    /// An executable that speaks the connector protocol (a script with a `#!` line, or a built
    /// program), by its absolute path.
    case executable(URL)
    /// A declarative connector: a manifest file (`.yaml`, `.yml` or `.json`) the engine runs in process.
    case manifest(URL)
    /// A Swift package (a folder with a `Package.swift`) that `max install` builds.
    case package(URL)
    /// A git repository holding a Swift package, at a tag or commit (`git+https://…#v1.2.0`), that
    /// `max install` clones and builds.
    case git(url: String, reference: String?)

    /// The table of `file`: connector name to source, paths resolved against `root`.
    ///
    /// - Throws: `project.invalid_config` for a table that is not an object of strings, or an
    ///   entry that is neither `file:` nor `git+`.
    public static func table(in file: ProjectFile, root: URL) throws -> [String: ConnectorSource] {
        guard let value = file.otherKeys["connectors"] else { return [:] }
        guard let entries = value.objectValue else {
            throw invalid("'connectors' must be an object of connector name to source")
        }
        var table: [String: ConnectorSource] = [:]
        for (name, entry) in entries {
            guard let text = entry.stringValue else {
                throw invalid("'connectors.\(name)' must be a string such as \"file:./connectors/\(name)\"")
            }
            table[name] = try ConnectorSource(parsing: text, root: root, name: name)
        }
        return table
    }

    /// A source from its text.
    ///
    /// - Throws: `project.invalid_config` for anything but `file:` and `git+`.
    public init(parsing text: String, root: URL, name: String) throws {
        if text.hasPrefix("file:") {
            let path = String(text.dropFirst("file:".count))
            guard !path.isEmpty else { throw Self.invalid("'connectors.\(name)' has an empty file: path") }
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : root.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                self = .package(url.standardizedFileURL)
            } else if ["yaml", "yml", "json"].contains(url.pathExtension.lowercased()) {
                self = .manifest(url.standardizedFileURL)
            } else {
                self = .executable(url.standardizedFileURL)
            }
        } else if text.hasPrefix("git+") {
            let rest = text.dropFirst("git+".count)
            let parts = rest.split(separator: "#", maxSplits: 1).map(String.init)
            guard let url = parts.first, !url.isEmpty else {
                throw Self.invalid("'connectors.\(name)' has an empty git+ URL")
            }
            self = .git(url: url, reference: parts.count > 1 ? parts[1] : nil)
        } else {
            throw Self.invalid(
                "'connectors.\(name)' is \"\(text)\"; a source is file:<path> or git+<url>[#tag]")
        }
    }

    static func invalid(_ message: String) -> MaxError {
        MaxError(.invalidProjectFile, "max.json: \(message)", hint: "fix the connectors table in max.json")
    }
}
