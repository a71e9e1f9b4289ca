public import Foundation
import MaxCore

/// Maps connector names to their modules, loading each lazily on first use.
///
/// ```swift
/// let registry = ConnectorRegistry(local: ["acme": { AcmeConnector() }])
/// let acme = try await registry.resolve("acme")
/// ```
///
/// A module is validated (``ConnectorDef/validate()``) when it is first resolved, so a connector
/// with an inconsistent definition fails loudly and early.
public actor ConnectorRegistry {
    /// Where a connector comes from.
    public enum Source: String, Sendable, Hashable, Codable {
        /// Compiled into this build.
        case local
        /// Served by another Max node.
        case remote
    }

    private let factories: [String: @Sendable () async throws -> any ConnectorModule]
    private let manifestReader: (@Sendable (URL) async throws -> any ConnectorModule)?
    private var resolved: [String: any ConnectorModule] = [:]

    /// Creates a registry of the connectors compiled into this build, and how a project's own
    /// manifest file (`file:./connectors/my-api.yaml`) becomes a connector, if this build reads them.
    public init(
        local: [String: @Sendable () async throws -> any ConnectorModule],
        manifests: (@Sendable (URL) async throws -> any ConnectorModule)? = nil
    ) {
        self.factories = local
        self.manifestReader = manifests
    }

    /// The connector the manifest file at `url` declares, validated.
    ///
    /// - Throws: `connector.not_found` when this build reads no manifests; what reading it throws
    ///   (`manifest.invalid`, naming each problem); the module's validation error.
    public func manifest(at url: URL, name: String) async throws -> any ConnectorModule {
        guard let manifestReader else {
            throw MaxError(
                .connectorNotFound, "the \(name) connector is a manifest (\(url.path)), which this build cannot read",
                context: ["connector": name])
        }
        let module = try await manifestReader(url)
        try module.validateDefinition()
        return module
    }

    /// The registered names, sorted.
    public var names: [String] { factories.keys.sorted() }

    /// The module registered as `name`.
    ///
    /// - Throws: `connector.not_found` listing the known names; or the module's validation error.
    public func resolve(_ name: String) async throws -> any ConnectorModule {
        if let module = resolved[name] { return module }
        guard let factory = factories[name] else {
            let known = names.isEmpty ? "none" : names.joined(separator: ", ")
            throw MaxError(
                .connectorNotFound, "there is no connector named '\(name)'",
                hint: "known connectors: \(known) (see \"max connectors\")", context: ["connector": name])
        }
        let module = try await factory()
        try module.validateDefinition()
        resolved[name] = module
        return module
    }

    /// An entry per registered connector, sorted by name.
    public func list() async throws -> [Entry] {
        var entries: [Entry] = []
        for name in names {
            let info = try await resolve(name).info
            entries.append(Entry(name: name, displayName: info.displayName, source: .local, info: info))
        }
        return entries
    }

    /// One registered connector.
    public struct Entry: Sendable, Hashable {
        /// The registry name.
        public let name: String
        /// The name people see.
        public let displayName: String
        /// Where it comes from.
        public let source: Source
        /// Its identity and schema.
        public let info: ConnectorInfo
    }
}
