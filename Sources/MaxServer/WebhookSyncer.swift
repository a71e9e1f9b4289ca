import Logging
import MaxConnector
import MaxCore
import MaxRuntime
import ServiceLifecycle

/// Runs an incremental sync of an installation after an accepted webhook delivery, as a service
/// of the server: deliveries that arrive while one runs are folded into the next sync, and
/// graceful shutdown lets the current one finish.
final class WebhookSyncer: Service, Sendable {
    private let api: MaxNodes
    private let metrics: ServerMetrics
    private let logger: Logger
    private let requests: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    init(api: MaxNodes, metrics: ServerMetrics, logger: Logger) {
        self.api = api
        self.metrics = metrics
        self.logger = logger
        (requests, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
    }

    /// Asks for a sync of `installation` soon.
    func request(_ installation: String) {
        continuation.yield(installation)
    }

    func run() async throws {
        for await name in requests.cancelOnGracefulShutdown() {
            do {
                let summary = try await Routes.sync(name, caller: "webhook", api: api, metrics: metrics)
                logger.info(
                    "webhook sync finished",
                    metadata: ["installation": "\(name)", "sync.entities": "\(summary.totalEntities)"])
            } catch let error as MaxError {
                logger.notice(
                    "webhook sync failed", metadata: ["installation": "\(name)", "error.code": "\(error.code)"])
            }
        }
    }
}
