import AcmeConnector
import GitConnector
import MaxConnector

/// The connectors compiled into this build of Max: the `max` executable composes them; the
/// runtime only sees the registry it is given.
enum BuiltInConnectors {
    /// A registry of them.
    static func registry() -> ConnectorRegistry {
        ConnectorRegistry(local: ["acme": { AcmeConnector() }, "git": { GitConnector() }])
    }
}
