import Foundation
import Hummingbird
import Logging
import MaxCore
public import MaxRuntime
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `max serve`: a project as a versioned JSON API (`/v1/…`) over the ``MaxFacade``, bound to
/// loopback by default, every request authorised by a bearer token of ``ServeTokens``.
///
/// Read endpoints (scope `read`): `GET /v1/installations`, `GET /v1/installations/:name/schema`,
/// `GET /v1/installations/:name/search?entityType=&filter=&fields=&orderBy=&limit=&cursor=`,
/// `GET /v1/installations/:name/count?entityType=&filter=`, `GET /v1/installations/:name/runs`, and
/// `GET /metrics` (Prometheus text); scope `operate`: `POST /v1/installations/:name/sync`. Webhook
/// deliveries (`POST /v1/webhooks/:name`) carry a signature instead of a token: an accepted one
/// triggers an incremental sync of the installation. Errors are `{"error": {"code", "message", "hint"}}` with the
/// HTTP status of their category.
public struct MaxHTTPServer: Sendable {
    /// The façade the endpoints call.
    public let facade: MaxFacade
    /// The address to bind: `127.0.0.1` by default.
    public let host: String
    /// The port; 0 picks a free one.
    public let port: Int

    /// A server.
    public init(facade: MaxFacade, host: String = "127.0.0.1", port: Int = 8080) {
        self.facade = facade
        self.host = host
        self.port = port
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    ///
    /// - Parameter onReady: Called once listening, with the URL (the real port when `port` is 0).
    /// - Throws: When the address cannot be bound.
    public func run(onReady: @escaping @Sendable (String) async -> Void) async throws {
        // Standard output carries only the ready line; logs go to standard error.
        var logger = Logger(label: "max.serve", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .notice
        let metrics = ServerMetrics()
        let syncer = WebhookSyncer(workspace: facade.workspace, logger: logger)
        let router = Router(context: BasicRequestContext.self)
        router.add(
            middleware: RequestMiddleware(tokens: ServeTokens(project: facade.workspace.project), metrics: metrics))
        Routes(facade: facade, metrics: metrics, syncer: syncer, logger: logger).add(to: router)
        let host = host
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "max"),
            onServerRunning: { channel in
                await onReady("http://\(host):\(channel.localAddress?.port ?? 0)")
            }, logger: logger)
        let services = ServiceGroup(
            configuration: .init(
                services: [.init(service: syncer), .init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger))
        try await services.run()
    }
}
