public import Foundation
public import MaxConnector
import MaxCore
public import MaxStorage
public import MaxSync

/// A project and what it can do: connect and disconnect installations, open their stores, sync them.
///
/// The composition root every front end (command line, server, MCP) goes through.
public struct MaxWorkspace: Sendable {
    /// The project on disk.
    public let project: Project
    /// The connectors this build knows.
    public let registry: ConnectorRegistry

    /// A workspace over `project` with the built-in connectors.
    public init(project: Project, registry: ConnectorRegistry = BuiltInConnectors.registry()) {
        self.project = project
        self.registry = registry
    }

    /// The installations in `max.json`, sorted by name.
    public func installations() throws -> [(name: String, record: InstallationRecord)] {
        try project.load().installations.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The installation named `name`.
    ///
    /// - Throws: `installation.not_found`, listing the installations there are.
    public func record(_ name: String) throws -> InstallationRecord {
        let file = try project.load()
        guard let record = file.installations[name] else {
            let known = file.installations.keys.sorted()
            throw MaxError(
                .installationNotFound, "there is no installation named '\(name)' in \(project.fileURL.path)",
                hint: known.isEmpty
                    ? "connect one with \"max connect <connector>\""
                    : "installations: \(known.joined(separator: ", "))",
                context: ["installation": name])
        }
        return record
    }

    /// The credential store of an installation.
    public func credentials(for name: String) -> FileCredentialStore {
        FileCredentialStore(url: project.credentialsURL(name))
    }

    /// The connector of an installation.
    public func module(for record: InstallationRecord) async throws -> any ConnectorModule {
        try await registry.resolve(record.connectorName)
    }

    /// Opens the store of an installation, preparing it for its connector's schema.
    public func openStore(_ name: String) async throws -> EntityStore {
        let module = try await module(for: try record(name))
        return try EntityStore.open(at: project.dataURL(name), schema: module.info.schema)
    }

    /// Builds the live installation (no I/O yet).
    public func live(_ name: String) async throws -> LiveInstallation {
        let record = try record(name)
        let module = try await module(for: record)
        return try module.initialise(config: record.config, credentials: credentials(for: name))
    }

    /// Connects a connector: runs its onboarding, stores the secrets, and records the installation in `max.json`.
    ///
    /// Nothing is written unless onboarding succeeds.
    ///
    /// - Parameters:
    ///   - connector: The connector's registry name.
    ///   - name: The installation's name; by default the connector's, then `-2`, `-3`…
    ///   - runner: How onboarding gets its values.
    ///   - date: The time recorded as `connectedAt`.
    /// - Returns: The name and record.
    /// - Throws: `connector.not_found`, `project.invalid_config`, `installation.invalid_name`,
    ///   `installation.exists`, and onboarding's errors; nothing is written then.
    public func connect(_ connector: String, name: String? = nil, runner: OnboardingRunner, at date: Date = Date())
        async throws -> (name: String, record: InstallationRecord)
    {
        let module = try await registry.resolve(connector)
        let existing = try project.load()  // a malformed max.json fails here, before any question
        let chosen: String
        if let name {
            try Self.validate(name: name)
            guard existing.installations[name] == nil else {
                throw MaxError(
                    .installationExists, "an installation named '\(name)' exists already",
                    hint: "pick another --name, or \"max disconnect \(name)\" first", context: ["installation": name])
            }
            chosen = name
        } else {
            var candidate = connector
            var suffix = 2
            while existing.installations[candidate] != nil {
                candidate = "\(connector)-\(suffix)"
                suffix += 1
            }
            chosen = candidate
        }

        let staging = InMemoryCredentialStore()
        let state = try await runner.run(module.onboarding, store: staging)
        let config = JSONValue.object(state)
        _ = try module.decodeConfig(config)  // the connector accepts what onboarding produced

        let info = module.info
        let record = InstallationRecord(
            id: UUID().uuidString.lowercased(), connector: "\(info.name)@\(info.version)",
            connectedAt: ISO8601.format(date), config: config)
        try await credentials(for: chosen).store(contentsOf: staging)
        do {
            try project.update { file in file.installations[chosen] = record }
        } catch {
            try? FileManager.default.removeItem(at: project.installationURL(chosen))
            throw error
        }
        return (chosen, record)
    }

    /// Removes an installation from `max.json`, wipes its credentials, and deletes its data unless
    /// `keepData`.
    public func disconnect(_ name: String, keepData: Bool) throws {
        _ = try record(name)
        try project.update { file in file.installations[name] = nil }
        let folder = project.installationURL(name)
        if keepData {
            try? FileManager.default.removeItem(at: project.credentialsURL(name))
        } else {
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// Syncs an installation: starts it, runs the engine, stops it.
    public func sync(
        _ name: String, resume: Bool = false, engine: SyncEngine = SyncEngine(),
        observer: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) async throws -> SyncSummary {
        let live = try await live(name)
        let store = try await openStore(name)
        try await live.start()
        do {
            let summary = try await engine.sync(live, into: store, resume: resume, observer: observer)
            await live.stop()
            return summary
        } catch {
            await live.stop()
            throw error
        }
    }

    /// Installation names: lowercase letters, digits, `-` and `_`, starting with a letter or digit.
    static func validate(name: String) throws {
        let valid =
            !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
            } && !(name.first == "-" || name.first == "_")
        guard valid else {
            throw MaxError(
                .invalidInstallationName, "'\(name)' is not a valid installation name",
                hint: "use lowercase letters, digits, '-' and '_', starting with a letter or digit",
                context: ["installation": name])
        }
    }
}
