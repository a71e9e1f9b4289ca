import Foundation
import GRDB
import Hummingbird
public import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The Acme sample SaaS: a project-management API served over HTTP, for Max's demo, tests and benchmarks.
///
/// It knows nothing of Max.
///
/// ```swift
/// var options = AcmeOptions()
/// options.port = 0
/// try await AcmeServer.withRunning(options) { ready in
///     print(ready.url, ready.apiKey)   // talk to it over HTTP
/// }
/// ```
public struct AcmeServer: Sendable {
    /// What a running server tells its caller: where it is and the key to use.
    public struct Ready: Sendable, Codable, Hashable {
        /// The base URL, such as `http://127.0.0.1:4567`.
        public let url: String
        /// The tenant's API key (`acme_` and 32 hex digits).
        public let apiKey: String
        /// The tenant.
        public let tenant: String

        /// The one-line JSON announcement `acme-server` prints: `{"url":…,"apiKey":…,"tenant":…}`,
        /// in that order.
        public var readyLine: String {
            func quoted(_ text: String) -> String { Reply.text(text) }
            return "{\"url\":\(quoted(url)),\"apiKey\":\(quoted(apiKey)),\"tenant\":\(quoted(tenant))}"
        }
    }

    /// The options the server runs with.
    public let options: AcmeOptions
    private let logger: Logger

    /// A logger at `notice`: quiet unless something goes wrong.
    public static var quietLogger: Logger {
        var logger = Logger(label: "acme")
        logger.logLevel = .notice
        return logger
    }

    /// Creates a server; nothing happens until ``run(handlingSignals:onReady:)``.
    public init(options: AcmeOptions, logger: Logger = AcmeServer.quietLogger) {
        self.options = options
        self.logger = logger
    }

    /// Opens (or creates) the data, seeds it if it is empty, then serves until the task is cancelled
    /// (or, with `handlingSignals`, until SIGTERM or SIGINT, shutting down gracefully).
    ///
    /// - Parameters:
    ///   - handlingSignals: Whether SIGTERM and SIGINT shut the server down gracefully.
    ///   - onReady: Called once the server listens, with its URL (the real port when `port` is 0).
    /// - Throws: When the data cannot be opened or the address cannot be bound.
    public func run(handlingSignals: Bool = false, onReady: @escaping @Sendable (Ready) async -> Void) async throws {
        let services = try await makeServiceGroup(
            signals: handlingSignals ? [.sigterm, .sigint] : [], onReady: onReady)
        try await services.run()
    }

    /// Runs a server for the duration of `body`, then shuts it down gracefully.
    ///
    /// - Throws: what starting the server threw (a port in use, an unreadable data file), or what
    ///   `body` threw.
    public static func withRunning<T: Sendable>(
        _ options: AcmeOptions, logger: Logger = AcmeServer.quietLogger, _ body: @Sendable (Ready) async throws -> T
    ) async throws -> T {
        let (readiness, continuation) = AsyncStream<Ready>.makeStream()
        let services = try await AcmeServer(options: options, logger: logger).makeServiceGroup(signals: []) { ready in
            continuation.yield(ready)
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await services.run()
            }
            var iterator = readiness.makeAsyncIterator()
            guard let ready = await iterator.next() else {
                // The server stopped before it listened: surface its error.
                try await group.waitForAll()
                throw CancellationError()
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(ready))
            } catch {
                result = .failure(error)
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }

    /// Prepares the data and returns the services (HTTP server and webhook dispatcher) ready to run.
    private func makeServiceGroup(signals: [UnixSignal], onReady: @escaping @Sendable (Ready) async -> Void)
        async throws -> ServiceGroup
    {
        let database = try AcmeDatabase(path: options.dataPath)
        let seeder = AcmeSeeder(seed: options.seed)
        let apiKey = try await seeder.apiKey(in: database)
        let isEmpty = try await database.writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM workspaces") == 0
        }
        if isEmpty {
            let counts = try await seeder.seed(options.seeding, into: database)
            logger.info("seeded", metadata: ["tasks": "\(counts.tasks)", "users": "\(counts.users)"])
        }
        let webhooks = WebhookDispatcher(database: database, logger: logger)
        let state = AcmeState(database: database, options: options, apiKey: apiKey, webhooks: webhooks)
        let host = options.host
        let tenant = options.tenant
        let app = Application(
            router: Self.buildRouter(state: state),
            configuration: .init(address: .hostname(host, port: options.port), serverName: "acme"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let printable = host.contains(":") ? "[\(host)]" : host
                await onReady(Ready(url: "http://\(printable):\(port)", apiKey: apiKey, tenant: tenant))
            },
            logger: logger)
        return ServiceGroup(
            configuration: .init(
                // The holds shut down first (the reverse order), releasing what they hold.
                services: [
                    .init(service: webhooks), .init(service: app), .init(service: state.writeHold),
                    .init(service: state.readHold),
                ],
                gracefulShutdownSignals: signals,
                cancellationSignals: [], logger: logger))
    }

    static func buildRouter(state: AcmeState) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: GateMiddleware(state: state))
        AdminRoutes.add(to: router, state: state)
        FeedRoutes.add(to: router, state: state)
        OAuthRoutes.add(to: router, state: state)
        Resources.workspaces.add(to: router, state: state)
        Resources.users.add(to: router, state: state)
        Resources.projects.add(to: router, state: state)
        Resources.tasks.add(to: router, state: state)
        Resources.files.add(to: router, state: state)
        return router
    }
}
