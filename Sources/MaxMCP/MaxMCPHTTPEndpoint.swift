public import Foundation
import Logging
import MCP
public import MaxRuntime

/// The MCP tools over HTTP, for `max serve` (the Streamable HTTP transport, stateless: every POST
/// is one JSON-RPC message answered with JSON, with no session and no server-sent events).
///
/// Each request gets an MCP server of its own offering the tools whose ``PolicyAction`` the
/// caller's token holds (its endpoint's): a `read` token sees and calls only the read tools, an
/// `operate` token also `max_sync`, `max_invoke` and the job changes. So concurrent clients never
/// share JSON-RPC ids, and nothing outlives the request.
public struct MaxMCPHTTPEndpoint: Sendable {
    /// The nodes the tools call.
    public let api: MaxNodes

    /// An endpoint over `api`.
    public init(api: MaxNodes) {
        self.api = api
    }

    /// An HTTP answer.
    public struct Answer: Sendable {
        /// The status code.
        public let status: Int
        /// The headers to send.
        public let headers: [String: String]
        /// The body, if any.
        public let body: Data?
    }

    /// Answers one HTTP request to the endpoint.
    ///
    /// - Parameters:
    ///   - method: The HTTP method (only POST carries messages; others are 405).
    ///   - headers: The request's headers.
    ///   - body: The JSON-RPC message.
    ///   - allowed: The actions the caller may take; tools needing others are not offered.
    ///   - caller: Who is asking, for the audit log of syncs and operations.
    ///   - principal: Who the token belongs to: each tool call is decided by the project's policy.
    ///   - scope: The token's scope.
    /// - Returns: The answer to send.
    public func handle(
        method: String, headers: [String: String], body: Data?, allowed: Set<PolicyAction>, caller: String,
        principal: Principal, scope: ServeTokens.Scope
    ) async -> Answer {
        let nodes = MaxNodes(local: api.local.calling(as: caller))
        let server = await MaxMCPServer(api: nodes, allowed: allowed, caller: (principal, scope, caller)).server()
        let transport = StatelessHTTPServerTransport()
        do {
            try await server.start(transport: transport)
        } catch {
            return Answer(status: 500, headers: [:], body: nil)
        }
        let response = await transport.handleRequest(
            HTTPRequest(method: method, headers: headers, body: body, path: "/mcp"))
        await server.stop()
        return Answer(status: response.statusCode, headers: response.headers, body: response.bodyData)
    }
}
