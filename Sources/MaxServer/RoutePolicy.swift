import HTTPTypes
import MaxRuntime

/// The routes of `max serve` as templates, and the ``PolicyAction`` each needs.
enum RoutePolicy {
    /// Every route's template and the methods it answers.
    static let routes: [String: Set<HTTPRequest.Method>] = [
        "/v1/webhooks/:name": [.post], "/mcp": [.post, .get, .delete], "/metrics": [.get],
        "/v1/installations": [.get], "/v1/installations/:name": [.get], "/v1/installations/:name/schema": [.get],
        "/v1/installations/:name/search": [.get], "/v1/installations/:name/count": [.get],
        "/v1/installations/:name/runs": [.get], "/v1/installations/:name/sync": [.post],
        "/v1/installations/:name/operations": [.get], "/v1/installations/:name/operations/:operation": [.post],
        "/v1/jobs": [.get], "/v1/jobs/:id": [.get],
    ]

    /// The label of every path that is no route: metrics and logs never take a client's path as
    /// a label, so unique paths cannot grow them without bound.
    static let unmatched = "unmatched"

    /// The route of a path as its template (`/v1/installations/:name/search`), or ``unmatched``.
    static func route(of path: String) -> String {
        let template = template(of: path)
        return routes[template] == nil ? unmatched : template
    }

    /// The methods a route answers, for a 405's `Allow` header (empty for ``unmatched``).
    static func methods(of route: String) -> [HTTPRequest.Method] {
        (routes[route] ?? []).sorted { $0.rawValue < $1.rawValue }
    }

    /// The template of a path (`/v1/installations/:name/search`), whether or not it is a route.
    static func template(of path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts.count >= 3, parts[0] == "v1" {
            switch parts[1] {
            case "installations", "webhooks": parts[2] = ":name"
            case "jobs": parts[2] = ":id"
            default: break
            }
            if parts.count >= 5, parts[1] == "installations", parts[3] == "operations" { parts[4] = ":operation" }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The action a request needs; `nil` for a webhook delivery, which proves itself by its
    /// signature instead of a token.
    static func action(method: HTTPRequest.Method, template: String) -> PolicyAction? {
        switch (method, template) {
        case (.post, "/v1/webhooks/:name"): nil
        case (.post, "/v1/installations/:name/sync"): .instanceManage
        case (.post, "/v1/installations/:name/operations/:operation"): .operationInvoke
        case (_, "/v1/installations/:name/search"), (_, "/v1/installations/:name/count"),
            (_, "/v1/installations/:name/runs"), (_, "/v1/jobs"), (_, "/v1/jobs/:id"):
            .operationRead
        // The MCP endpoint checks each tool's own action against the token (see MCPEndpoint).
        case (_, "/mcp"): .catalogRead
        case (.get, _), (.head, _): .catalogRead
        // Anything else that changes something and is not listed: the strictest.
        default: .credentialManage
        }
    }
}
