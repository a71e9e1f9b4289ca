public import Foundation
import MaxConnector
public import MaxCore
import MaxCredentials

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
    /// credential file, a node that cannot be reached or refuses the token), if so.
    public let error: MaxError?
    /// Whether another Max node serves it.
    public var isRemote = false
    /// Where a person authorizes Max, when an OAuth authorization is what is missing.
    public var authorizationURL: String?

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
            if isRemote {
                fixes.append("add \"credentials\": {\"token\": \"env:VAR\"} to its entry in max.json")
            } else if let authorizationURL {
                fixes.append("authorize Max at \(authorizationURL): \(MaxError.reauthenticateCommand(name))")
            } else {
                fixes.append(MaxError.reauthenticateCommand(name))
            }
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
    /// variable is set. A remote installation is checked by calling its node with its token (the
    /// installation's state and schema): one whose node cannot be reached or refuses the token is
    /// reported with that error.
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

    /// Checks each manifest of the project's `connectors` table as `max install` loads it: signed
    /// by a trusted signer (or trusted unsigned), and approved at its version when the project
    /// requires approval (``ConnectorTrust``).
    ///
    /// - Parameter progress: Hears what each check found.
    /// - Throws: `connector.unsigned`, `connector.signature_invalid`, `connector.not_approved`,
    ///   `connector.not_certified`; the manifest's own errors.
    public func checkManifests(progress: @Sendable (String) -> Void) async throws {
        let file = try project.load()
        let trust = try ConnectorTrust(json: file.otherKeys["trust"])
        for (name, source) in try ConnectorSource.table(in: file, root: project.root).sorted(by: { $0.key < $1.key }) {
            guard case .manifest(let url) = source else { continue }
            let signer = try trust.verify(name, source: url)
            try trust.requireCertified(name, source: url, reports: project.certificationURL)
            let module = try await registry.manifest(at: url, name: name)
            try trust.requireApproved(name, version: module.info.version)
            progress(
                "\(name) \(module.info.version): "
                    + (signer.map { "signed by \($0)" } ?? "unsigned, trusted by max.json"))
        }
    }

    func readiness(
        _ name: String, _ record: InstallationRecord, environment: [String: String], openingSecrets: Bool = true
    ) async -> InstallationReadiness {
        if record.remoteURL != nil {
            var report = await remoteReadiness(name, record, environment: environment)
            report.isRemote = true
            return report
        }
        do {
            let module = try await module(for: record)
            // No credential file (a clone without .max/): nothing stored, and nothing created by
            // looking (max diff and max validate change nothing).
            var listed: Set<String> = []
            if FileManager.default.fileExists(atPath: try project.credentialsURL(name).path) {
                let store = try credentials(for: name, installation: record.id)
                listed = Set(try store.listing().map(\.name))
                // The master key opens it (not for a listing: opening a secret is an audit event).
                if openingSecrets, !listed.isEmpty { _ = try await store.names() }
            }
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
            var readiness = InstallationReadiness(
                name: name, connector: record.connector, credentials: credentials, error: nil)
            let config = record.config.objectValue ?? [:]
            if let oauth = module.onboarding.oauthSteps(for: config).first(where: { step in
                readiness.missing.contains { $0.name == step.credential.name }
            }) {
                readiness.authorizationURL = OAuth2Step.resolve(oauth.authorizationURL, with: config)
            }
            return readiness
        } catch {
            return InstallationReadiness(
                name: name, connector: record.connector, credentials: [],
                error: ((error as? MaxError) ?? MaxError(.internalError, "unexpected failure: \(error)"))
                    .naming(installation: name))
        }
    }

    /// A remote installation is ready when its token is there and its node answers with it.
    private func remoteReadiness(_ name: String, _ record: InstallationRecord, environment: [String: String]) async
        -> InstallationReadiness
    {
        let token: InstallationReadiness.Credential
        do {
            if let reference = record.credentialReferences["token"] {
                var present = false
                if case .environment(let variable) = reference { present = !(environment[variable] ?? "").isEmpty }
                token = .init(name: "token", source: reference.shown, present: present)
            } else {
                let stored = try credentials(for: name, installation: record.id).listing().map(\.name)
                token = .init(name: "token", source: "store", present: stored.contains("token"))
            }
            guard token.present else {
                return InstallationReadiness(name: name, connector: record.connector, credentials: [token], error: nil)
            }
            guard let node = try await remote(name) else {
                throw MaxError(.internalError, "\(name) is not a remote installation")
            }
            // The node answers for the installation, and with its schema.
            _ = try await node.installation(InstallationRequest(installation: name))
            _ = try await node.schema(InstallationRequest(installation: name))
            return InstallationReadiness(name: name, connector: record.connector, credentials: [token], error: nil)
        } catch {
            return InstallationReadiness(
                name: name, connector: record.connector, credentials: [],
                error: MaxError.wrapping(error).naming(installation: name))
        }
    }
}
