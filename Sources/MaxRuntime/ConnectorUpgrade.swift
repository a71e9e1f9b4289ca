public import MaxConnector
public import MaxCore

/// How an installation moves from the connector version `max.json` records to the one this Max
/// has: the versions, the config migrated to the installed connector's config schema, and the
/// migrations' notes.
///
/// Within a major version (additive changes only) Max uses the newer connector at once, with the
/// config migrated in memory, and `max apply` records the move. A new major version may change the
/// config and the data, so the installation waits for `max apply` (which `max diff` shows first).
public struct ConnectorUpgrade: Sendable, Codable, Hashable {
    /// The connector's registry name.
    public var connector: String
    /// The version recorded on the installation, if one is.
    public var fromVersion: String?
    /// The version installed.
    public var toVersion: String
    /// The config schema version recorded on the installation.
    public var fromConfigVersion: Int
    /// The installed connector's config schema version.
    public var toConfigVersion: Int
    /// The config, migrated to `toConfigVersion`.
    public var config: JSONValue
    /// What each migration changed, in order.
    public var notes: [String]

    /// Whether the major version changes (or an unversioned installation meets a versioned
    /// connector whose version cannot be compared): the installation waits for `max apply`.
    public var isMajor: Bool {
        guard let fromVersion else { return false }
        guard let from = OperationCompatibility.Version(fromVersion),
            let to = OperationCompatibility.Version(toVersion)
        else { return fromVersion != toVersion }
        return from.major != to.major
    }

    /// One line for a person: `acme 1.0.0 → 2.0.0; config v1 → v2: url is now baseURL`.
    public var summary: String {
        var text = "\(connector) \(fromVersion ?? "(no version)") → \(toVersion)"
        if !notes.isEmpty { text += "; " + notes.joined(separator: "; ") }
        return text
    }

    /// What moving `record` to `module` takes; `nil` when it is already current.
    ///
    /// - Parameters:
    ///   - record: The installation as `max.json` records it.
    ///   - module: The connector this Max has.
    /// - Returns: The upgrade, or `nil`.
    /// - Throws: `connector.not_installed` when the installation was connected with a newer
    ///   version than this Max has; `connector.invalid_config` when its config cannot be migrated.
    public static func of(_ record: InstallationRecord, to module: any ConnectorModule) throws -> ConnectorUpgrade? {
        let installed = module.info.version
        let schema = module.configSchema
        let recorded = record.connectorVersion
        if let recorded, let from = OperationCompatibility.Version(recorded),
            let to = OperationCompatibility.Version(installed), to < from
        {
            throw MaxError(
                .connectorNotInstalled,
                "\(record.connector) is not installed: this Max has \(record.connectorName) \(installed), older than the version the installation was connected with",
                hint: "use a Max (or install a connector) with \(record.connectorName) \(recorded) or later",
                context: ["connector": record.connectorName, "version": recorded])
        }
        guard recorded != installed || record.configVersion != schema.version else { return nil }
        let (config, notes) = try schema.migrate(
            record.config, from: record.configVersion, connector: record.connectorName)
        return ConnectorUpgrade(
            connector: record.connectorName, fromVersion: recorded, toVersion: installed,
            fromConfigVersion: record.configVersion, toConfigVersion: schema.version, config: config, notes: notes)
    }
}

extension MaxWorkspace {
    /// The config an installation runs with: its recorded config, migrated in memory when its
    /// connector moved within a major version.
    ///
    /// - Parameters:
    ///   - name: The installation, for messages.
    ///   - record: Its `max.json` entry.
    ///   - module: Its connector.
    /// - Returns: The config.
    /// - Throws: `connector.not_installed` when the recorded version is not installed (a newer
    ///   one, or an older major one waiting for `max apply`); `connector.invalid_config` when the
    ///   config cannot be migrated.
    public func config(of name: String, _ record: InstallationRecord, module: any ConnectorModule) throws -> JSONValue {
        guard let upgrade = try ConnectorUpgrade.of(record, to: module) else { return record.config }
        guard !upgrade.isMajor else {
            throw MaxError(
                .connectorNotInstalled,
                "\(name) was connected with \(record.connector), which is not installed: this Max has \(upgrade.connector) \(upgrade.toVersion), a new major version",
                hint: "see what changes with max diff, then move \(name) to it with max apply",
                context: ["installation": name, "connector": upgrade.connector, "version": upgrade.fromVersion ?? ""])
        }
        return upgrade.config
    }
}
