import Foundation
import MaxConnector
import MaxCore

extension InstallationRecord {
    /// Whether the installation is disabled (`"disabled": true` in `max.json`): not synced, by
    /// hand or on a schedule, while its data still answers queries.
    public var isDisabled: Bool { otherKeys["disabled"]?.boolValue == true }
}

extension MaxWorkspace {
    /// Disables or enables an installation in `max.json`, under the project's lock, with an audit
    /// event.
    ///
    /// Enabling checks the installation's config first: the connector must accept it (a config
    /// edited by hand into something it rejects stays disabled, with the reason).
    ///
    /// - Parameters:
    ///   - name: The installation.
    ///   - enabled: Enable it, or disable it.
    ///   - caller: Who asked, for the audit event.
    /// - Returns: Whether anything changed (it was not already so).
    /// - Throws: `installation.not_found`; `connector.invalid_config` when enabling an installation
    ///   whose config its connector rejects; `project.*` when `max.json` cannot be written.
    @discardableResult
    public func setEnabled(_ name: String, _ enabled: Bool, caller: String = "cli") async throws -> Bool {
        let record = try record(name)
        guard record.isDisabled == enabled else { return false }
        if enabled, record.remoteURL == nil {
            do {
                let module = try await module(for: record)
                _ = try module.decodeConfig(try config(of: name, record, module: module))
            } catch let error as MaxError {
                throw MaxError(
                    error.code, "\(name) stays disabled: \(error.message)",
                    hint: error.hint ?? "fix installations.\(name).config in max.json, then enable it again",
                    context: error.context.merging(["installation": name]) { _, new in new })
            }
        }
        try project.update { file in
            guard var current = file.installations[name] else { return }
            if enabled {
                current.otherKeys["disabled"] = nil
            } else {
                current.otherKeys["disabled"] = .bool(true)
            }
            file.installations[name] = current
        }
        // Done by command, not by editing max.json: nothing for max apply to record later.
        if appliedState(of: name) != nil { try recordApplied(try self.record(name), of: name) }
        let id = "admin_" + UUID().uuidString.lowercased()
        let event = AuditLog.Event(
            requestID: id, correlationID: id, caller: caller,
            installation: name, operation: enabled ? "enable" : "disable", mode: "admin", outcome: "succeeded",
            durationMs: 0, retryCount: 0, errorCode: nil)
        await AuditLog(project: project).record(event) { _ in }
        return true
    }

    /// The project's catalog (`max.json`'s `"catalog"`).
    ///
    /// - Throws: `project.invalid_config`.
    public func catalog() throws -> ConnectorCatalog {
        try ConnectorCatalog(json: project.load().otherKeys["catalog"])
    }

    /// Refuses to sync a disabled installation, or one whose connector the project's catalog
    /// retired or turned syncing off for (``ConnectorCatalog``).
    ///
    /// - Throws: `installation.disabled`, with the command that enables it; `connector.retired`;
    ///   `connector.feature_disabled`; as ``record(_:)``.
    public func requireEnabled(_ name: String) throws {
        let record = try record(name)
        try catalog().require(.sync, of: record.connectorName, installation: name)
        guard record.isDisabled else { return }
        throw MaxError(
            .installationDisabled, "\(name) is disabled: it is not synced until it is enabled again",
            hint: "enable it: max enable \(name) (its synced data still answers queries meanwhile)",
            context: ["installation": name])
    }
}
