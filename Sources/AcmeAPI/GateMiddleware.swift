import Foundation
import GRDB
import HTTPTypes
import Hummingbird

/// Guards `/api/*`: checks the bearer key (401 when missing, 403 when wrong or inactive), then the rate limit (429 with
/// `Retry-After`), then adds latency and injected failures when asked to.
///
/// `/api/health` and `/api/meta` are open.
struct GateMiddleware<Context: RequestContext>: RouterMiddleware {
    let state: AcmeState

    // `@concurrent` matches Hummingbird's requirement, which is declared without the
    // NonisolatedNonsendingByDefault feature this package enables.
    @concurrent
    func handle(
        _ request: Request, context: Context, next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/api/"), path != "/api/health", path != "/api/meta" else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7 else {
            throw AcmeHTTPError(status: .unauthorized, message: "Missing API key")
        }
        let key = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard try await isValid(key) else {
            throw AcmeHTTPError(status: .forbidden, message: "Invalid API key")
        }
        if path != "/api/stats" { state.count(method: request.method.rawValue, path: path) }
        if let retryAfter = state.rateLimitDelay(for: key) {
            var fields = HTTPFields()
            fields[.retryAfter] = String(retryAfter)
            throw AcmeHTTPError(status: .tooManyRequests, message: "Rate limit exceeded", headers: fields)
        }
        if state.options.latencyMilliseconds > 0 {
            try await Task.sleep(for: .milliseconds(state.options.latencyMilliseconds))
        }
        if request.method != .get, path != "/api/holds/release" { await state.writeHold.pass() }
        if request.method == .get, path != "/api/stats" { await state.passRead() }
        if let status = state.injectedFailure() {
            throw AcmeHTTPError(
                status: HTTPResponse.Status(code: status),
                message: status == 500 ? "Injected failure" : "Service unavailable")
        }
        return try await next(request, context)
    }

    private func isValid(_ key: String) async throws -> Bool {
        if key == state.apiKey { return true }
        if state.oauth.isValidAccessToken(key) { return true }
        return try await state.database.writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT active FROM apiKeys WHERE key = ?", arguments: [key]) ?? false
        }
    }
}
