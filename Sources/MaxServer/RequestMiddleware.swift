import Foundation
import Hummingbird
import MaxConnector
public import MaxCore
import MaxRuntime

/// Authorises every request with a bearer token of the project, times it, and turns errors into
/// `{"error": {…}}` answers with the status of their category.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let tokens: ServeTokens
    let metrics: ServerMetrics

    // `@concurrent` matches Hummingbird's requirement, which is declared without the
    // NonisolatedNonsendingByDefault feature this package enables.
    @concurrent
    func handle(
        _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let route = Self.route(of: request.uri.path)
        var response: Response
        do {
            // Webhook deliveries prove themselves by their signature (checked by the route).
            if route == "/v1/webhooks/:name" {
                response = try await next(request, context)
                metrics.record(route: route, status: response.status.code, seconds: Self.seconds(since: started))
                return response
            }
            let header = request.headers[.authorization] ?? ""
            guard header.hasPrefix("Bearer "), case let token = String(header.dropFirst(7)), !token.isEmpty else {
                throw MaxError(
                    .serveUnauthorized, "a bearer token is required",
                    hint:
                        "create one with \"max serve tokens create --scope read\" and send Authorization: Bearer <token>"
                )
            }
            guard let scope = try tokens.scope(of: token) else {
                throw MaxError(.serveUnauthorized, "the token is not one of this project's", hint: "create a new one")
            }
            let needed = Self.scope(for: request)
            guard scope >= needed else {
                throw MaxError(
                    .serveForbidden,
                    "the token's scope (\(scope.rawValue)) does not allow this; it needs \(needed.rawValue)",
                    hint: "create a token with --scope \(needed.rawValue)")
            }
            response = try await next(request, context)
        } catch let error as MaxError {
            response = Self.response(for: error)
        } catch let error as HTTPError {
            response = Self.response(
                for: MaxError(.httpClientError, error.body ?? "\(error.status)"), status: error.status)
        }
        metrics.record(route: route, status: response.status.code, seconds: Self.seconds(since: started))
        return response
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// The scope a request needs: reads need `read`; anything else `operate`.
    static func scope(for request: Request) -> ServeTokens.Scope {
        request.method == .get ? .read : .operate
    }

    /// The route template of a path, for metrics (`/v1/installations/:name/search`).
    static func route(of path: String) -> String {
        var parts = path.split(separator: "/").map(String.init)
        if parts.count >= 3, parts[0] == "v1", ["installations", "webhooks"].contains(parts[1]) { parts[2] = ":name" }
        return "/" + parts.joined(separator: "/")
    }

    static func response(for error: MaxError, status: HTTPResponse.Status? = nil) -> Response {
        let status =
            status
            ?? {
                if [.serveUnauthorized, .webhookInvalidSignature].contains(error.code) { return .unauthorized }
                switch error.category {
                case .validationError: return .badRequest
                case .notFound: return .notFound
                case .conflict: return .conflict
                case .policyDenied: return .forbidden
                default: return .internalServerError
                }
            }()
        var object: [String: JSONValue] = ["code": .string(error.code.description), "message": .string(error.message)]
        if let hint = error.hint { object["hint"] = .string(hint) }
        return JSONResponse.make(.object(["error": .object(object)]), status: status)
    }
}

/// JSON answers.
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: value.jsonText)))
    }
}

extension MaxError.Code {
    /// A `max serve` request without a valid token.
    public static let serveUnauthorized = Self(domain: "serve", name: "unauthorized", category: .permanent)
    /// A `max serve` request whose token's scope does not allow it.
    public static let serveForbidden = Self(domain: "serve", name: "forbidden", category: .policyDenied)
}
