import Hummingbird
import Logging
import MaxRuntime

/// A request's context: Hummingbird's core, plus who is asking and the request's id, set by
/// ``RequestMiddleware`` before a route runs.
struct MaxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The request's id: the client's `X-Request-Id` when it is a sane one, else a new one.
    ///
    /// It is echoed in the response, logged, and recorded as the request id of the audit events the
    /// request causes.
    var requestID = ""
    /// Who is asking, for the audit log: `serve:<token id>`.
    var caller = "serve"
    /// What the request's token may do (nothing for a webhook delivery, which has none).
    var allowed: Set<PolicyAction> = []
    /// Who the request's token belongs to.
    var principal = Principal(user: "anonymous")
    /// The request's token's scope.
    var scope = ServeTokens.Scope.read

    init(source: Source) {
        coreContext = .init(source: source)
    }
}
