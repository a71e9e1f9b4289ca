import Foundation
public import MaxCore

/// Answers API requests with a node, as `max serve` does over HTTP: the endpoint its method and
/// path name, its arguments read from the request, the typed result or `{"error": …}` as JSON.
///
/// `max serve` adds what is HTTP's own (tokens, limits, metrics); ``InProcessTransport`` uses it
/// as it is, so a ``RemoteNode`` can be tested against a ``LocalNode`` without a socket.
public struct NodeHandler: Sendable {
    /// The node that answers.
    public let node: any MaxAPI
    /// The actions callers may take; an endpoint needing another is `api.forbidden`.
    public let allowed: Set<PolicyAction>

    /// A handler answering with `node`, allowing `allowed`.
    public init(node: any MaxAPI, allowed: Set<PolicyAction> = Set(PolicyAction.allCases)) {
        self.node = node
        self.allowed = allowed
    }

    /// The answer to `request`.
    public func respond(to request: NodeRequest) async -> NodeResponse {
        do {
            guard let (endpoint, path) = Endpoint.match(method: request.method, path: request.path) else {
                throw MaxError(.apiNoEndpoint, "there is no endpoint \(request.method) \(request.path)")
            }
            guard allowed.contains(endpoint.action) else { throw MaxError.forbidden(endpoint) }
            let arguments = try endpoint.arguments(
                path: path, query: request.query,
                header: { name in request.headers.first { $0.0.lowercased() == name.lowercased() }?.1 },
                body: request.body)
            let answer = try await endpoint.call(on: node, arguments: arguments)
            return NodeResponse(
                status: answer.status, headers: answer.location.map { [("Location", $0)] } ?? [],
                body: try answer.data())
        } catch {
            let error = MaxError.wrapping(error)
            return NodeResponse(status: error.httpStatus, body: Data(error.answer.jsonBytes))
        }
    }
}

/// A ``NodeTransport`` that hands each request to a ``NodeHandler`` in this process.
public struct InProcessTransport: NodeTransport {
    /// The handler.
    public let handler: NodeHandler

    /// A transport to `handler`.
    public init(_ handler: NodeHandler) {
        self.handler = handler
    }

    /// The handler's answer.
    public func send(_ request: NodeRequest) async throws -> NodeResponse {
        await handler.respond(to: request)
    }
}

extension MaxError.Code {
    /// A request named no endpoint of the API.
    public static let apiNoEndpoint = Self(domain: "api", name: "no_endpoint", category: .notFound)
    /// A caller asked for an endpoint whose action it does not hold (a read token, an MCP server
    /// started without `--allow-*`).
    public static let apiForbidden = Self(domain: "api", name: "forbidden", category: .policyDenied)
}

extension MaxError {
    /// The error for a caller that may not use `endpoint`.
    public static func forbidden(_ endpoint: Endpoint) -> MaxError {
        MaxError(
            .apiForbidden,
            "\(endpoint.toolName ?? endpoint.rawValue) needs \(endpoint.action.rawValue), which this caller does not hold",
            hint:
                "use a token whose scope allows it (max serve tokens create --scope …), or start max mcp with --allow-sync or --allow-operations",
            context: ["action": endpoint.action.rawValue, "endpoint": endpoint.rawValue])
    }
}
