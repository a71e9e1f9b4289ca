import AcmeConnector
import GitConnector
public import MaxConnector

/// The connectors compiled into this build of Max.
public enum BuiltInConnectors {
    /// A registry of them.
    public static func registry() -> ConnectorRegistry {
        ConnectorRegistry(local: ["acme": { AcmeConnector() }, "git": { GitConnector() }])
    }
}
