public import Foundation
import MaxConnector
public import MaxCore

/// What `max install` found for one installation.
public struct InstallationReadiness: Sendable {
    /// Where one required credential comes from, and whether it is there.
    public struct Credential: Sendable {
        /// The credential's name.
        public let name: String
        /// `store` (sealed in `.max/`) or the `max.json` reference as shown (`env:ACME_TOKEN`).
        public let source: String
        /// Whether it is there (stored, or the variable set).
        public let present: Bool
    }

    /// The installation's name.
    public let name: String
    /// Its connector, as `max.json` records it.
    public let connector: String
    /// The credentials it needs.
    public let credentials: [Credential]
    /// Why it cannot be used even with its credentials (an unknown connector, an unreadable
    /// credential file), if so.
    public let error: MaxError?

    /// Whether it is ready to sync.
    public var isReady: Bool { error == nil && credentials.allSatisfy(\.present) }

    /// The credentials that are missing.
    public var missing: [Credential] { credentials.filter { !$0.present } }

    /// The commands that make it ready, one per kind of gap.
    public var fixes: [String] {
        if let error { return [error.hint ?? error.message] }
        var fixes: [String] = []
        for credential in missing where credential.source.hasPrefix("env:") && credential.source != "env:…" {
            fixes.append("export \(credential.source.dropFirst(4))=…")
        }
        if missing.contains(where: { $0.source == "store" || $0.source == "env:…" }) {
            fixes.append(MaxError.reauthenticateCommand(name))
        }
        return fixes
    }
}

extension MaxWorkspace {
    /// Rebuilds `.max/` from `max.json` and reports whether each installation is ready.
    ///
    /// Makes the runtime folder, the `.gitignore` entry and each installation's private folder,
    /// then checks that each installation's connector is known and its credentials are present.
    /// Idempotent: what exists is kept.
    ///
    /// Presence is read without opening a secret, except that a stored credential file is opened
    /// once to prove the master key reads it; an environment reference counts as present when its
    /// variable is set.
    ///
    /// - Returns: One report per installation, sorted by name.
    /// - Throws: `project.invalid_config`, `project.write_failed`, `project.unsafe_path`.
    public func install(environment: [String: String] = ProcessInfo.processInfo.environment) async throws
        -> [InstallationReadiness]
    {
        try Project.initialise(at: project.root, force: true)
        var reports: [InstallationReadiness] = []
        for (name, record) in try installations() {
            try project.prepareInstallationFolder(name)
            reports.append(await readiness(name, record, environment: environment))
        }
        return reports
    }

    private func readiness(_ name: String, _ record: InstallationRecord, environment: [String: String]) async
        -> InstallationReadiness
    {
        do {
            let module = try await module(for: record)
            let store = try credentials(for: name, installation: record.id)
            let listed = Set(try store.listing().map(\.name))
            if !listed.isEmpty { _ = try await store.names() }  // the master key opens it
            let required = module.onboarding.requiredCredentialNames(for: record.config.objectValue ?? [:])
            let credentials = required.map { key in
                if let reference = record.credentialReferences[key] {
                    guard case .environment(let variable) = reference else {
                        return InstallationReadiness.Credential(name: key, source: reference.shown, present: false)
                    }
                    return .init(name: key, source: reference.shown, present: !(environment[variable] ?? "").isEmpty)
                }
                return .init(name: key, source: "store", present: listed.contains(key))
            }
            return InstallationReadiness(
                name: name, connector: record.connector, credentials: credentials, error: nil)
        } catch {
            return InstallationReadiness(
                name: name, connector: record.connector, credentials: [],
                error: ((error as? MaxError) ?? MaxError(.internalError, "unexpected failure: \(error)"))
                    .naming(installation: name))
        }
    }
}
