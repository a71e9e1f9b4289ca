public import MaxConnector
import MaxCore

/// The ``MaxAPI`` front ends call: each installation's calls go to its node, this project's
/// (``LocalNode``) or the remote one `max.json` names (``RemoteNode``), so no front end has a
/// local/remote branch of its own.
public struct MaxNodes: MaxAPI {
    /// This project's node.
    public let local: LocalNode

    /// The nodes of `local`'s project.
    public init(local: LocalNode) {
        self.local = local
    }

    /// The nodes of `workspace`, called by `caller`.
    public init(workspace: MaxWorkspace, caller: String) {
        self.local = LocalNode(workspace: workspace, caller: caller)
    }

    /// The project.
    public var workspace: MaxWorkspace { local.workspace }

    /// The node of installation `name`.
    ///
    /// - Throws: `installation.not_found`; `credentials.*` when a remote installation's token
    ///   cannot be read.
    public func node(of name: String) async throws -> any MaxAPI {
        try await local.workspace.remote(name) ?? local
    }

    /// Every installation, each from its node; one that cannot be read is listed with its error.
    public func installations(_ request: NoParameters) async throws -> InstallationList {
        try await LocalNode.list(local.workspace) { try await installation(InstallationRequest(installation: $0)) }
    }

    /// From the installation's node.
    public func installation(_ request: InstallationRequest) async throws -> InstallationSummary {
        var summary = try await node(of: request.installation).installation(request)
        summary.id = try local.workspace.record(request.installation).id
        return summary
    }

    /// From the installation's node; a connector's schema when no installation has the name.
    public func schema(_ request: InstallationRequest) async throws -> SchemaDescription {
        let installed = try local.workspace.installations().contains { $0.name == request.installation }
        return try await (installed ? node(of: request.installation) : local).schema(request)
    }

    /// From the installation's node.
    public func status(_ request: StatusRequest) async throws -> InstallationHealth {
        try await node(of: request.installation).status(request)
    }

    /// From the installation's node.
    public func search(_ request: SearchRequest) async throws -> SearchPage {
        try await node(of: request.installation).search(request)
    }

    /// From the installation's node: a local store streams, a remote node pages.
    public func searchAll(_ request: SearchRequest, batchSize: Int) async throws -> SearchStream {
        try await node(of: request.installation).searchAll(request, batchSize: batchSize)
    }

    /// From the installation's node.
    public func count(_ request: CountRequest) async throws -> CountResult {
        try await node(of: request.installation).count(request)
    }

    /// On this node, or on the node of the one installation it reads.
    ///
    /// Installations of different nodes cannot be joined: `remote.unsupported`.
    public func sql(_ request: SQLRequest) async throws -> SQLResult {
        let names = request.installationNames
        var remote: [String] = []
        for name in names where try workspace.record(name).remoteURL != nil { remote.append(name) }
        guard let first = remote.first else { return try await local.sql(request) }
        guard names.count == 1 else {
            throw MaxError(
                .remoteUnsupported,
                "max sql reads installations of one node at a time, and \(remote.joined(separator: ", ")) \(remote.count == 1 ? "is" : "are") served by another",
                hint: "query \(first) alone (max sql \(first) \"…\"), or sync its data to this node")
        }
        return try await node(of: first).sql(request)
    }

    /// From the installation's node.
    public func runs(_ request: RunsRequest) async throws -> RunList {
        try await node(of: request.installation).runs(request)
    }

    /// On the installation's node.
    public func sync(_ request: SyncRequest, observer: @escaping @Sendable (SyncEvent) -> Void) async throws
        -> SyncSummary
    {
        // A disabled installation is refused here too when another node serves it.
        try workspace.requireEnabled(request.installation)
        return try await node(of: request.installation).sync(request, observer: observer)
    }

    /// From the installation's node.
    public func operations(_ request: InstallationRequest) async throws -> OperationList {
        try await node(of: request.installation).operations(request)
    }

    /// On the installation's node.
    public func invoke(_ request: InvokeRequest) async throws -> InvokeResult {
        // The catalog may turn a connector's operations off, wherever its installation lives.
        let record = try workspace.record(request.installation)
        try workspace.catalog().require(.operations, of: record.connectorName, installation: request.installation)
        return try await node(of: request.installation).invoke(request)
    }

    /// This project's jobs (a remote installation's are its node's).
    public func jobs(_ request: JobsRequest) async throws -> JobList {
        if let installation = request.installation { return try await node(of: installation).jobs(request) }
        return try await local.jobs(request)
    }

    /// This project's job.
    public func job(_ request: JobRequest) async throws -> JobInfo { try await local.job(request) }

    /// This project's job.
    public func cancelJob(_ request: JobRequest) async throws -> JobInfo { try await local.cancelJob(request) }

    /// This project's job.
    public func retryJob(_ request: JobRequest) async throws -> JobInfo { try await local.retryJob(request) }

    /// This project's audit log.
    public func audit(_ request: AuditRequest) async throws -> SearchPage { try await local.audit(request) }

    /// This project's record of the installation's credentials (for a remote one, its token).
    public func credentials(_ request: InstallationRequest) async throws -> CredentialList {
        try await local.credentials(request)
    }

    /// This project's problems (a remote installation's node is asked whether it answers).
    public func validate(_ request: NoParameters) async throws -> ProblemList { try await local.validate(request) }

    /// What applying this project would change.
    public func diff(_ request: ApplyRequest) async throws -> ApplyPlan { try await local.diff(request) }

    /// Converges this project.
    public func apply(_ request: ApplyRequest) async throws -> ApplyPlan { try await local.apply(request) }
}
