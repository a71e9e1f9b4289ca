import HTTPTypes
import MaxRuntime

/// The routes of `max serve` as templates, and the ``PolicyAction`` each needs.
enum RoutePolicy {
    /// The template of a path, for metrics, logs and the policy (`/v1/installations/:name/search`).
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
