public import Foundation
import MaxCore

/// Where a connector of the project's `connectors` table comes from (SPEC-max-json §3):
/// `"connectors": {"hello": "file:./connectors/hello"}`.
public enum ConnectorSource: Sendable, Hashable {
    /// An executable that speaks the connector protocol (a script with a `#!` line, or a built
    /// program), by its absolute path.
    case executable(URL)
    /// A source this version of Max cannot run yet (a Swift package to build, a git URL).
    case unsupported(String)

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
                self = .unsupported(text)
            } else {
                self = .executable(url.standardizedFileURL)
            }
        } else if text.hasPrefix("git+") {
            self = .unsupported(text)
        } else {
            throw Self.invalid(
                "'connectors.\(name)' is \"\(text)\"; a source is file:<path> (or git+<url>, which needs max install)")
        }
    }

    static func invalid(_ message: String) -> MaxError {
        MaxError(.invalidProjectFile, "max.json: \(message)", hint: "fix the connectors table in max.json")
    }
}
