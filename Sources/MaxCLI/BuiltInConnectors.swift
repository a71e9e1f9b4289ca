import AcmeConnector
import DeclarativeConnector
import FilesConnector
import GitConnector
import MaxConnector
import PostgresConnector

/// The connectors compiled into this build of Max: the `max` executable composes them; the
/// runtime only sees the registry it is given.
enum BuiltInConnectors {
    /// A registry of them: the Swift ones, the bundled manifests, and a reader for a project's own
    /// manifests (`"connectors": {"my-api": "file:./connectors/my-api.yaml"}`).
    static func registry() -> ConnectorRegistry {
        var local: [String: @Sendable () async throws -> any ConnectorModule] = [
            "acme": { AcmeConnector() }, "git": { GitConnector() }, "files": { FilesConnector() },
            "postgres": { PostgresConnector() },
        ]
        for name in BundledManifests.names {
            local[name] = { try BundledManifests.connector(named: name) }
        }
        return ConnectorRegistry(local: local) { url in
            ManifestConnector(try ManifestLoader.load(contentsOf: url))
        }
    }
}
