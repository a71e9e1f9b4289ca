import Foundation
public import MaxCore

/// What `max apply` last made of an installation's `max.json` entry, kept in
/// `.max/installations/<name>/applied.json`: what `max diff` compares `max.json` with to find a
/// config changed by hand, an installation disabled or enabled in the file, or a connector moved.
public struct AppliedState: Codable, Sendable, Hashable {
    /// The connector, as `name@version`.
    public var connector: String
    /// The config schema version of `config`.
    public var configVersion: Int
    /// The config.
    public var config: JSONValue
    /// Whether it was disabled.
    public var disabled: Bool

    /// The state of `record`.
    public init(_ record: InstallationRecord) {
        connector = record.connector
        configVersion = record.configVersion
        config = record.config
        disabled = record.isDisabled
    }
}

extension MaxWorkspace {
    /// The state apply last recorded for `name`; `nil` before the first apply.
    public func appliedState(of name: String) -> AppliedState? {
        guard let url = try? appliedURL(name), let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(AppliedState.self, from: data)
    }

    /// Records `record` as applied for `name` (when its folder exists).
    ///
    /// - Throws: `project.write_failed` when the file cannot be written.
    func recordApplied(_ record: InstallationRecord, of name: String) throws {
        let url = try appliedURL(name)
        guard FileManager.default.fileExists(atPath: url.deletingLastPathComponent().path) else { return }
        guard appliedState(of: name) != AppliedState(record) else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(AppliedState(record)).write(to: url, options: .atomic)
        } catch {
            throw MaxError(
                .projectWriteFailed, "cannot write \(url.path): \(error.localizedDescription)",
                hint: "check the permissions of .max/", context: ["path": url.path])
        }
    }

    private func appliedURL(_ name: String) throws -> URL {
        try project.installationURL(name).appendingPathComponent("applied.json")
    }
}
