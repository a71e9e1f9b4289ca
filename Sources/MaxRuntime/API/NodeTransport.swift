public import Foundation
public import MaxCore

/// How a ``RemoteNode`` reaches another node: HTTP to its `max serve` (``HTTPNodeTransport``), or
/// in tests a ``LocalNode`` in the same process (``InProcessTransport``).
public protocol NodeTransport: Sendable {
    /// Sends one request and returns the node's answer, whatever its status.
    ///
    /// - Throws: `http.*` when the node cannot be reached.
    func send(_ request: NodeRequest) async throws -> NodeResponse
}

/// A request to a node's API.
public struct NodeRequest: Sendable {
    /// `GET` or `POST`.
    public var method: String
    /// The path from the node's root, with its percent-encoded query (`/v1/installations/acme/count?entityType=AcmeTask`).
    public var target: String
    /// Headers besides the token.
    public var headers: [(String, String)]
    /// The JSON body.
    public var body: Data?
    /// Whether the request may be sent again after a failure (a GET) or only once (a sync, a call).
    public var isRepeatable: Bool { method == "GET" }

    /// A request.
    public init(method: String, target: String, headers: [(String, String)] = [], body: Data? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    /// The path without its query.
    public var path: String { String(target.prefix { $0 != "?" }) }

    /// The query's parameters, decoded.
    public var query: [(String, String)] {
        guard let components = URLComponents(string: "http://node" + target) else { return [] }
        return (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }
    }
}

/// A node's answer.
public struct NodeResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// Headers worth keeping (`Location`).
    public var headers: [(String, String)]
    /// The JSON body.
    public var body: Data

    /// An answer.
    public init(status: Int, headers: [(String, String)] = [], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension MaxError {
    /// The HTTP status a node answers this error with.
    public var httpStatus: Int {
        switch category {
        case .validationError: 400
        case .notFound: 404
        case .conflict: 409
        case .policyDenied: 403
        case .quotaExceeded: 429
        case .transient, .permanent, .internal: 500
        }
    }
}
