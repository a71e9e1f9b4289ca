import Foundation
import Hummingbird
import HummingbirdCore
public import Logging
import MaxConnector
import MaxCore
public import MaxRuntime
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `max serve`: a project as a versioned JSON API (`/v1/…`) over the project's nodes (``MaxNodes``), bound to
/// loopback by default.
///
/// Every request gets an id (`X-Request-Id`), is authorised by a bearer token of ``ServeTokens``
/// whose scope must allow the ``PolicyAction`` of its route, and is logged as one structured
/// line. The routes are the ``Endpoint`` table's (`docs/api.md` lists them with their actions):
/// reads need scope `read`; a sync, an operation call and a job's cancel or retry need
/// `operate`; credentials `admin`. Webhook deliveries (`POST /v1/webhooks/:name`) carry a
/// signature instead of a token: an accepted one triggers an incremental sync of the
/// installation. Errors are `{"error": …}`, ``MaxError``'s one wire form, with the HTTP status of
/// their category.
public struct MaxHTTPServer: Sendable {
    /// The nodes the endpoints call.
    public let api: MaxNodes
    /// The address to bind: `127.0.0.1` by default.
    public let host: String
    /// The port; 0 picks a free one.
    public let port: Int
    /// The lowest level logged to standard error: `info` logs one line per request.
    public var logLevel: Logger.Level
    /// How long a connection may send nothing (between requests, in the middle of its headers,
    /// or of a body) before it is closed.
    public var idleTimeout: Duration = .seconds(30)
    /// How long a whole request body may take to arrive (then 408), however it trickles in.
    public var bodyTimeout: Duration = .seconds(30)
    /// The most connections open at once; more wait in the listen queue.
    public var maximumConnections = 512
    /// Whether it runs the installations' schedules (``SyncScheduler``).
    public var schedules = true
    /// The time between two health checks of each installation (``HealthMonitor``); `nil` for none.
    public var healthEvery: Duration? = .seconds(300)

    /// A server.
    public init(api: MaxNodes, host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info) {
        self.api = api
        self.host = host
        self.port = port
        self.logLevel = logLevel
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    ///
    /// - Parameter onReady: Called once listening, with the URL (the real port when `port` is 0).
    /// - Throws: When the address cannot be bound.
    public func run(onReady: @escaping @Sendable (String) async -> Void) async throws {
        // Standard output carries only the ready line; logs go to standard error.
        var logger = Logger(label: "max.serve", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = logLevel
        let workspace = api.workspace
        let metrics = ServerMetrics { installation in
            (try? workspace.record(installation).connectorName) ?? "unknown"
        }
        let syncer = WebhookSyncer(api: api, metrics: metrics, logger: logger)
        let router = Router(context: MaxRequestContext.self)
        let tokens = ServeTokens(project: api.workspace.project)
        var middleware = RequestMiddleware(tokens: tokens, metrics: metrics, logger: logger)
        middleware.project = api.workspace.project
        router.add(middleware: middleware)
        Routes(api: api, metrics: metrics, syncer: syncer, logger: logger, bodyTimeout: bodyTimeout).add(
            to: router)
        ExplorerRoutes(api: api, tokens: tokens, sessions: ExplorerSessions(), bodyTimeout: bodyTimeout).add(to: router)
        let host = host
        let (seconds, attoseconds) = idleTimeout.components
        let app = Application(
            router: router,
            server: .http1(
                configuration: .init(idleTimeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))),
            configuration: .init(
                address: .hostname(host, port: port), serverName: "max",
                availableConnectionsDelegate: MaximumAvailableConnections(maximumConnections)),
            onServerRunning: { channel in
                await onReady("http://\(host):\(channel.localAddress?.port ?? 0)")
            }, logger: logger)
        var running: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: syncer), .init(service: app)]
        if schedules {
            let api = api
            let logger = logger
            running.insert(
                .init(
                    service: SyncScheduler(workspace: api.workspace, clock: ContinuousClock(), logger: logger) {
                        name, full in
                        let summary = try await Routes.sync(
                            name, caller: "schedule", api: api, metrics: metrics, full: full)
                        logger.info(
                            "scheduled sync finished",
                            metadata: [
                                "installation": "\(name)", "sync.kind": "\(summary.kind)",
                                "sync.entities": "\(summary.totalEntities)",
                            ])
                    }), at: 0)
        }
        if let healthEvery {
            let local = api.local
            running.insert(
                .init(
                    service: HealthMonitor(workspace: api.workspace, clock: ContinuousClock(), every: healthEvery) {
                        name in
                        _ = try? await local.status(StatusRequest(installation: name, timeout: 10))
                    }), at: 0)
        }
        running.insert(
            .init(
                service: RetentionSweeper(
                    workspace: api.workspace, clock: ContinuousClock(), every: .seconds(3600), logger: logger)), at: 0)
        let services = ServiceGroup(
            configuration: .init(
                services: running, gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger))
        try await services.run()
    }
}
