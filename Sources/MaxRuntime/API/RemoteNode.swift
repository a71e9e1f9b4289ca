import Foundation
public import MaxConnector
public import MaxCore

/// An installation served by another Max node (`"provider": "remote"` in `max.json`), reached
/// through that node's API: the same ``Endpoint``s, the same types, the same ``MaxError``.
///
/// Its `location.url` is the installation on that node (`http://host:port/v1/installations/acme`);
/// calls about it go to that installation whatever it is named here, and what comes back names it
/// as it is named here. An answer that does not decode as the call's result is `remote.protocol`,
/// never a default.
public struct RemoteNode: MaxAPI {
    /// The installation's name in this project.
    public let localName: String
    /// The installation's name on its node.
    public let remoteName: String
    /// The installation's URL on its node.
    public let url: String
    private let transport: any NodeTransport

    /// The installation `localName`, at `url` on its node, reached through `transport`.
    ///
    /// - Throws: `project.invalid_config` when `url` is not `…/v1/installations/<name>`.
    public init(localName: String, url: String, transport: any NodeTransport) throws {
        let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
        guard let range = trimmed.range(of: "/v1/installations/", options: .backwards),
            case let name = String(trimmed[range.upperBound...]), !name.isEmpty, !name.contains("/")
        else {
            throw MaxError(
                .invalidProjectFile,
                "the remote installation \(localName) has the URL '\(url)', which names no installation of a node",
                hint: "use the installation's URL on its node: http://host:port/v1/installations/<name>",
                context: ["installation": localName, "url": url])
        }
        self.localName = localName
        self.remoteName = name.removingPercentEncoding ?? name
        self.url = trimmed
        self.transport = transport
    }

    /// The node's root URL (`http://host:port`).
    public var nodeURL: String { Self.nodeURL(of: url) }

    /// The root URL of the node an installation's URL is on: all before `/v1/installations/`.
    public static func nodeURL(of url: String) -> String {
        String(url[..<(url.range(of: "/v1/installations/", options: .backwards)?.lowerBound ?? url.endIndex)])
    }

    /// Calls `endpoint` on the node with `request`, whose `installation` is this one's name there.
    func call<Request: Encodable & Sendable, Result: Decodable>(
        _ endpoint: Endpoint, _ request: Request, as type: Result.Type
    ) async throws -> Result {
        var arguments = try APICoding.json(request)
        if case .object(var object) = arguments, object["installation"] != nil {
            object["installation"] = .string(remoteName)
            arguments = .object(object)
        }
        let response = try await transport.send(try endpoint.request(arguments: arguments))
        guard (200..<300).contains(response.status) else { throw error(in: response, of: endpoint) }
        do {
            return try APICoding.decode(type, from: response.body)
        } catch let failure as DecodingError {
            throw MaxError(
                .remoteProtocol,
                "the node serving \(localName) (\(nodeURL)) answered \(endpoint.method) \(endpoint.path) with something that is not a \(type): \(APICoding.describe(failure))",
                hint: "run the same Max version on both nodes, and check that \(url) is a Max node",
                context: ["installation": localName, "url": url, "endpoint": endpoint.rawValue])
        }
    }

    /// The node's error, as it sent it; an answer that is not one is `remote.protocol`.
    private func error(in response: NodeResponse, of endpoint: Endpoint) -> MaxError {
        guard let json = try? JSONValue(parsing: String(decoding: response.body, as: UTF8.self)),
            var error = MaxError(answer: json)
        else {
            return MaxError(
                .remoteProtocol,
                "the node serving \(localName) (\(nodeURL)) answered \(endpoint.method) \(endpoint.path) with status \(response.status) and no Max error",
                hint: "check that \(url) is a Max node (max serve) of the same version",
                context: ["installation": localName, "url": url, "status": String(response.status)])
        }
        error.message = "the Max node at \(nodeURL) answered: " + error.message
        error.context["url"] = url
        return error
    }

    // MARK: MaxAPI

    /// This installation only: a node's other installations are not this project's.
    public func installations(_ request: NoParameters) async throws -> InstallationList {
        InstallationList(installations: [try await installation(InstallationRequest(installation: localName))])
    }

    /// The installation's state on its node, named as it is here.
    public func installation(_ request: InstallationRequest) async throws -> InstallationSummary {
        var summary = try await call(.installation, request, as: InstallationSummary.self)
        summary.name = localName
        return summary
    }

    /// The installation's schema on its node.
    public func schema(_ request: InstallationRequest) async throws -> SchemaDescription {
        try await call(.schema, request, as: SchemaDescription.self)
    }

    /// The node's health check of its source.
    public func status(_ request: StatusRequest) async throws -> InstallationHealth {
        var health = try await call(.status, request, as: InstallationHealth.self)
        health.name = localName
        health.hint = health.hint?.replacing(remoteName, with: localName)
        return health
    }

    /// A page from the node.
    public func search(_ request: SearchRequest) async throws -> SearchPage {
        try await call(.search, request, as: SearchPage.self)
    }

    /// A statement run by the node over this installation (named as the node names it, so its
    /// views' unqualified names are the ones to use).
    public func sql(_ request: SQLRequest) async throws -> SQLResult {
        var forwarded = request
        forwarded.installations = remoteName
        return try await call(.sql, forwarded, as: SQLResult.self)
    }

    /// A count from the node.
    public func count(_ request: CountRequest) async throws -> CountResult {
        try await call(.count, request, as: CountResult.self)
    }

    /// The node's runs of the installation.
    public func runs(_ request: RunsRequest) async throws -> RunList {
        try await call(.runs, request, as: RunList.self)
    }

    /// A sync run by the node (which needs a token of scope `operate`), sent once; `observer`
    /// hears nothing until it ends, and the concurrency is the node's.
    public func sync(_ request: SyncRequest, observer: @escaping @Sendable (SyncEvent) -> Void) async throws
        -> SyncSummary
    {
        var request = request
        request.concurrency = nil
        return try await call(.sync, request, as: SyncSummary.self)
    }

    /// The installation's operations on its node.
    public func operations(_ request: InstallationRequest) async throws -> OperationList {
        var list = try await call(.operations, request, as: OperationList.self)
        list.installation = localName
        return list
    }

    /// An operation run by the node, which validates and audits it.
    public func invoke(_ request: InvokeRequest) async throws -> InvokeResult {
        try await call(.invoke, request, as: InvokeResult.self)
    }

    /// Jobs live on the node that queued them: ask it.
    public func jobs(_ request: JobsRequest) async throws -> JobList { throw jobsElsewhere() }

    /// Jobs live on the node that queued them: ask it.
    public func job(_ request: JobRequest) async throws -> JobInfo { throw jobsElsewhere() }

    /// Jobs live on the node that queued them: ask it.
    public func cancelJob(_ request: JobRequest) async throws -> JobInfo { throw jobsElsewhere() }

    /// Jobs live on the node that queued them: ask it.
    public func retryJob(_ request: JobRequest) async throws -> JobInfo { throw jobsElsewhere() }

    /// The audit log lives on the node: ask it.
    public func audit(_ request: AuditRequest) async throws -> SearchPage {
        throw MaxError(
            .remoteUnsupported, "the audit events of \(localName) are kept by its node, \(nodeURL)",
            hint: "ask that node: GET \(nodeURL)/v1/audit?installation=\(remoteName)")
    }

    /// The credentials of a remote installation are the node's; here it has only its token.
    public func credentials(_ request: InstallationRequest) async throws -> CredentialList {
        throw MaxError(
            .remoteUnsupported, "the credentials of \(localName) are kept by its node, \(nodeURL)",
            hint: "this project holds only the token it reaches that node with: max credentials ls shows it")
    }

    /// A node's project is checked on that node.
    public func validate(_ request: NoParameters) async throws -> ProblemList { throw projectElsewhere() }

    /// A node's project is converged on that node.
    public func diff(_ request: ApplyRequest) async throws -> ApplyPlan { throw projectElsewhere() }

    /// A node's project is converged on that node.
    public func apply(_ request: ApplyRequest) async throws -> ApplyPlan { throw projectElsewhere() }

    private func projectElsewhere() -> MaxError {
        MaxError(
            .remoteUnsupported, "the project that serves \(localName) is \(nodeURL)'s own",
            hint: "ask that node: GET \(nodeURL)/v1/project/validate, POST \(nodeURL)/v1/project/apply")
    }

    private func jobsElsewhere() -> MaxError {
        MaxError(
            .remoteUnsupported, "the jobs of \(localName) are kept by its node, \(nodeURL)",
            hint: "ask that node: GET \(nodeURL)/v1/jobs")
    }
}

/// A ``NodeTransport`` over HTTP to a node's `max serve`, with a bearer token.
public struct HTTPNodeTransport: NodeTransport {
    private let root: String
    private let token: Secret
    private let http: ConnectorHTTPClient
    /// How long a call that starts work (a sync, an operation) may take.
    public var workTimeout: Duration = .seconds(3600)

    /// A transport to the node at `root` (`http://host:port`) with `token`.
    public init(root: String, token: Secret, http: ConnectorHTTPClient = ConnectorHTTPClient(timeout: .seconds(30))) {
        self.root = root
        self.token = token
        var http = http
        http.retryPolicy = .interactive
        self.http = http
    }

    /// Sends `request`: a GET retried as for a person waiting, anything else once.
    public func send(_ request: NodeRequest) async throws -> NodeResponse {
        var client = http
        if !request.isRepeatable {
            client.retryPolicy = .none
            client.timeout = workTimeout
        }
        let method: ConnectorHTTPClient.Method = request.method == "POST" ? .post : .get
        let response = try await client.send(
            .init(
                method, root + request.target,
                headers: [("Authorization", "Bearer \(token.revealed)")] + request.headers,
                body: request.body))
        return NodeResponse(status: response.status, headers: response.headers, body: response.body)
    }
}
