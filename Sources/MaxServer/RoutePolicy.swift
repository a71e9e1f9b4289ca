import Foundation
import HTTPTypes
import MaxRuntime

/// The routes of `max serve` as templates, and the ``PolicyAction`` each needs: the ``Endpoint``
/// table's, plus the three routes of the server's own.
enum RoutePolicy {
    /// The routes that are not endpoints: the action each needs (`nil`: a webhook delivery, which
    /// proves itself by its signature, or an explorer page, which checks its session) and their
    /// methods.
    static let ownRoutes: [String: (action: PolicyAction?, methods: Set<HTTPRequest.Method>)] = {
        var routes: [String: (action: PolicyAction?, methods: Set<HTTPRequest.Method>)] = [
            "/v1/webhooks/:name": (nil, [.post]),
            // The MCP endpoint checks each tool's own action against the token (see MaxMCPHTTPEndpoint).
            "/mcp": (.catalogRead, [.post, .get, .delete]),
            "/metrics": (.catalogRead, [.get]),
        ]
        // The explorer's pages check their session cookie themselves (see ExplorerRoutes).
        for (route, methods) in ExplorerRoutes.routes { routes[route] = (nil, methods) }
        return routes
    }()

    /// Every route's template and the methods it answers.
    static let routes: [String: Set<HTTPRequest.Method>] = {
        var routes = ownRoutes.mapValues(\.methods)
        for endpoint in Endpoint.allCases {
            routes[endpoint.path, default: []].insert(HTTPRequest.Method(rawValue: endpoint.method) ?? .get)
        }
        return routes
    }()

    /// The label of every path that is no route: metrics and logs never take a client's path as
    /// a label, so unique paths cannot grow them without bound.
    static let unmatched = "unmatched"

    /// The route of a path as its template (`/v1/installations/:installation/search`), or
    /// ``unmatched``.
    static func route(of path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        // Literal segments win over parameters (`/v1/jobs/:id/cancel` is not `/v1/jobs/:id`).
        var best: (template: String, literals: Int)?
        for template in routes.keys {
            let parts = template.split(separator: "/", omittingEmptySubsequences: true)
            guard parts.count == segments.count,
                zip(parts, segments).allSatisfy({ $0.hasPrefix(":") || $0 == $1 })
            else { continue }
            let literals = parts.filter { !$0.hasPrefix(":") }.count
            if best == nil || literals > best?.literals ?? 0 { best = (template, literals) }
        }
        return best?.template ?? unmatched
    }

    /// The value of the path parameter `name` (`installation`) in `path`, which matched `template`.
    static func parameter(_ name: String, of path: String, template: String) -> String? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let parts = template.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == segments.count, let index = parts.firstIndex(of: Substring(":" + name)) else { return nil }
        return String(segments[index]).removingPercentEncoding
    }

    /// The methods a route answers, for a 405's `Allow` header (empty for ``unmatched``).
    static func methods(of route: String) -> [HTTPRequest.Method] {
        (routes[route] ?? []).sorted { $0.rawValue < $1.rawValue }
    }

    /// The action a request to a route needs (`nil`: a webhook delivery).
    ///
    /// A route that is not in the table needs the strictest action there is.
    static func action(method: HTTPRequest.Method, template: String) -> PolicyAction? {
        if let own = ownRoutes[template] { return own.action }
        if let endpoint = Endpoint.allCases.first(where: { $0.path == template && $0.method == method.rawValue }) {
            return endpoint.action
        }
        return .credentialManage
    }
}
