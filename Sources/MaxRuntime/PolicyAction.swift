/// The actions a caller may be allowed (SPEC-hardening §9.1): what `max serve` checks a token's
/// scope against before a request reaches the API (see ``Endpoint/action``).
public enum PolicyAction: String, Sendable, CaseIterable, Hashable {
    /// Know what is there: installations, their status and schema, the operations they offer,
    /// the server's metrics.
    case catalogRead = "connector.catalog.read"
    /// Read synced data and what was done: search, count, sync runs, jobs.
    case operationRead = "connector.operation.read"
    /// Run an operation (it may change the source).
    case operationInvoke = "connector.operation.invoke"
    /// Manage an installation: sync it.
    case instanceManage = "connector.instance.manage"
    /// Manage credentials. No endpoint offers this yet; only `admin` tokens hold it.
    case credentialManage = "connector.credential.manage"
}
