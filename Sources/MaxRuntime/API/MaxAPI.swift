public import MaxConnector
import MaxCore

/// What a front end (the command line, `max serve`, MCP) can ask of a Max node, as typed requests
/// and results.
///
/// Two nodes implement it: ``LocalNode`` (this project) and ``RemoteNode`` (another node's
/// `max serve`, over HTTP). ``MaxNodes`` picks the node of each installation, so a front end never
/// asks where an installation lives. Every call is one ``Endpoint``: its route, its MCP tool and
/// the ``PolicyAction`` it needs come from that one table.
public protocol MaxAPI: Sendable {
    /// The installations, with their local state.
    func installations(_ request: NoParameters) async throws -> InstallationList
    /// One installation's local state.
    func installation(_ request: InstallationRequest) async throws -> InstallationSummary
    /// An installation's (or, on a local node, a connector's) entity types and fields.
    func schema(_ request: InstallationRequest) async throws -> SchemaDescription
    /// Whether an installation's source answers and accepts its credentials, beside its local state.
    func status(_ request: StatusRequest) async throws -> InstallationHealth
    /// One page of an installation's local data.
    func search(_ request: SearchRequest) async throws -> SearchPage
    /// Every match, streamed `batchSize` at a time (a page at a time from a remote node).
    func searchAll(_ request: SearchRequest, batchSize: Int) async throws -> SearchStream
    /// The number of an installation's entities that match a filter.
    func count(_ request: CountRequest) async throws -> CountResult
    /// One read-only SQL statement over installations' local data, through views named after
    /// their entity types.
    func sql(_ request: SQLRequest) async throws -> SQLResult
    /// An installation's syncs, newest first.
    func runs(_ request: RunsRequest) async throws -> RunList
    /// Syncs an installation; `observer` hears its events when the sync runs in this process.
    func sync(_ request: SyncRequest, observer: @escaping @Sendable (SyncEvent) -> Void) async throws -> SyncSummary
    /// The operations an installation offers.
    func operations(_ request: InstallationRequest) async throws -> OperationList
    /// Runs an operation: validated, idempotent, audited.
    func invoke(_ request: InvokeRequest) async throws -> InvokeResult
    /// Async jobs, newest first.
    func jobs(_ request: JobsRequest) async throws -> JobList
    /// One job.
    func job(_ request: JobRequest) async throws -> JobInfo
    /// Asks a job to stop (at once when pending; a running one ends as canceled between attempts).
    func cancelJob(_ request: JobRequest) async throws -> JobInfo
    /// Queues a failed or canceled job again with a fresh set of attempts.
    func retryJob(_ request: JobRequest) async throws -> JobInfo
    /// Audit events, newest first.
    func audit(_ request: AuditRequest) async throws -> SearchPage
    /// The names of an installation's stored credentials and where each comes from, never a value.
    func credentials(_ request: InstallationRequest) async throws -> CredentialList
    /// Every problem of the project's `max.json` and installations, changing nothing.
    func validate(_ request: NoParameters) async throws -> ProblemList
    /// What ``apply(_:)`` would change, changing nothing.
    func diff(_ request: ApplyRequest) async throws -> ApplyPlan
    /// Converges the project to `max.json` (after merging the request's documents into it).
    func apply(_ request: ApplyRequest) async throws -> ApplyPlan
}

extension MaxAPI {
    /// Syncs an installation without listening to its events.
    public func sync(_ request: SyncRequest) async throws -> SyncSummary {
        try await sync(request, observer: { _ in })
    }
}
