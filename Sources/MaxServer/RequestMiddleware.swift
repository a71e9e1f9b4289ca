import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MaxConnector
public import MaxCore
import MaxRuntime

/// Gives every request an id, authorises it with a bearer token of the project against the
/// ``PolicyAction`` its route needs, times it, logs it as one structured line, and turns errors
/// into `{"error": …}` answers (``MaxError``'s one wire form) with the status of their category.
struct RequestMiddleware: RouterMiddleware {
    typealias Context = MaxRequestContext

    let tokens: ServeTokens
    let metrics: ServerMetrics
    let logger: Logger
    /// The per-caller limits' buckets.
    var quotas = CallerQuotas()
    /// The project, whose `"limits"` apply (read at each request, as its policy is).
    var project: Project?

    // `@concurrent` matches Hummingbird's requirement, which is declared without the
    // NonisolatedNonsendingByDefault feature this package enables.
    @concurrent
    func handle(
        _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let route = RoutePolicy.route(of: request.uri.path)
        var context = context
        context.requestID = Self.requestID(request.headers[Self.requestIDHeader])
        var response: Response
        var errorCode: String?
        do {
            let methods = RoutePolicy.methods(of: route)
            if !methods.isEmpty, !methods.contains(request.method) {
                throw MaxError(
                    .serveMethodNotAllowed, "\(route) does not answer \(request.method.rawValue)",
                    hint: "use " + methods.map(\.rawValue).joined(separator: " or "),
                    context: ["allow": methods.map(\.rawValue).joined(separator: ", ")])
            }
            if let action = RoutePolicy.action(method: request.method, template: route) {
                let grant = try authorise(request, action: action)
                context.caller = "serve:\(grant.id)"
                context.allowed = grant.scope.actions
                context.principal = grant.principal
                context.scope = grant.scope
            }
            if RoutePolicy.action(method: request.method, template: route) != nil, let project,
                let json = try project.load().otherKeys["limits"]
            {
                let limits = try CallerLimits(json: json)
                try quotas.enter(
                    user: context.principal.user,
                    installation: RoutePolicy.parameter("installation", of: request.uri.path, template: route),
                    limits: limits)
                defer { quotas.leave() }
                response = try await next(request, context)
            } else {
                response = try await next(request, context)
            }
        } catch let error as MaxError {
            errorCode = error.code.description
            if error.code == .quotaExceeded {
                metrics.recordQuotaExceeded(
                    limit: error.context["limit"] ?? "",
                    installation: RoutePolicy.parameter("installation", of: request.uri.path, template: route))
            }
            response = Self.response(for: error)
        } catch let error as any HTTPResponseError {
            // Hummingbird's own refusals (no route, a body over its limit): the same JSON shape.
            errorCode = "http.\(error.status.code)"
            let message =
                switch error.status {
                case .notFound: "there is nothing at \(request.uri.path.prefix(200))"
                case .contentTooLarge: "the request body is too large"
                default: (error as? HTTPError)?.body ?? "\(error.status)"
                }
            response = Self.response(for: MaxError(.httpClientError, message), status: error.status)
        }
        response.headers[Self.requestIDHeader] = context.requestID
        let seconds = Self.seconds(since: started)
        metrics.record(route: route, status: response.status.code, seconds: seconds)
        var metadata: Logger.Metadata = [
            "request.id": "\(context.requestID)", "http.method": "\(request.method.rawValue)",
            "http.route": "\(route)", "http.status": "\(response.status.code)",
            "duration_ms": "\(Int((seconds * 1000).rounded()))", "caller": "\(context.caller)",
        ]
        if let errorCode { metadata["error.code"] = "\(errorCode)" }
        logger.info("request", metadata: metadata)
        return response
    }

    /// The grant of the request's token, if its scope allows `action`.
    ///
    /// The scheme is matched without regard to case (`bearer` is `Bearer`), as RFC 9110 says.
    func authorise(_ request: Request, action: PolicyAction) throws -> ServeTokens.Grant {
        let header = (request.headers[.authorization] ?? "").trimmingCharacters(in: .whitespaces)
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            case let token = parts[1].trimmingCharacters(in: .whitespaces), !token.isEmpty
        else {
            throw MaxError(
                .serveUnauthorized, "a bearer token is required",
                hint: "create one with \"max serve tokens create --scope read\" and send Authorization: Bearer <token>")
        }
        guard let grant = try tokens.grant(for: token) else {
            throw MaxError(
                .serveUnauthorized, "the token is not one of this project's, or it was revoked or expired",
                hint: "create a new one: max serve tokens create")
        }
        guard grant.scope.actions.contains(action) else {
            let needed = ServeTokens.Scope.narrowest(allowing: action)
            throw MaxError(
                .apiForbidden,
                "the token's scope (\(grant.scope.rawValue)) does not allow \(action.rawValue); it needs \(needed.rawValue)",
                hint: "create a token with \"max serve tokens create --scope \(needed.rawValue)\"",
                context: ["action": action.rawValue])
        }
        return grant
    }

    /// `X-Request-Id`.
    static let requestIDHeader: HTTPField.Name = {
        guard let name = HTTPField.Name("X-Request-Id") else { preconditionFailure("X-Request-Id is a valid name") }
        return name
    }()

    /// The client's request id when it is 1 to 64 letters, digits, `-`, `_` or `.`; else a new one.
    static func requestID(_ given: String?) -> String {
        if let given, (1...64).contains(given.utf8.count),
            given.utf8.allSatisfy({ byte in
                (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
                    || [45, 46, 95].contains(byte)
            })
        {
            return given
        }
        return "req_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func response(for error: MaxError, status: HTTPResponse.Status? = nil) -> Response {
        let status =
            status
            ?? {
                if [.serveUnauthorized, .webhookInvalidSignature].contains(error.code) { return .unauthorized }
                if error.code == .serveMethodNotAllowed { return .methodNotAllowed }
                if error.code == .serveRequestTimeout { return .requestTimeout }
                return HTTPResponse.Status(code: error.httpStatus)
            }()
        var response = JSONResponse.make(error.answer, status: status)
        if status == .unauthorized, error.code == .serveUnauthorized {
            response.headers[.wwwAuthenticate] = #"Bearer realm="max""#
        }
        if error.code == .serveMethodNotAllowed, let allow = error.context["allow"] {
            response.headers[.allow] = allow
        }
        if error.code == .quotaExceeded, let seconds = error.context["retryAfter"] {
            response.headers[.retryAfter] = seconds
        }
        return response
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
    /// A form of the explorer did not carry its session's CSRF token.
    public static let serveCSRF = Self(domain: "serve", name: "csrf", category: .policyDenied)
    /// A `max serve` request with a method its route does not answer (405).
    public static let serveMethodNotAllowed = Self(
        domain: "serve", name: "method_not_allowed", category: .validationError)
    /// A `max serve` request whose body did not arrive in time (408).
    public static let serveRequestTimeout = Self(domain: "serve", name: "request_timeout", category: .validationError)
    /// A webhook delivery to a path with no installation behind it.
    public static let serveNoWebhook = Self(domain: "serve", name: "no_webhook", category: .notFound)
}
