public import Logging
public import MaxRuntime
public import ServiceLifecycle

/// Purges what is past its retention (deleted installations, old audit events: see
/// ``MaxWorkspace/purge(now:everything:dryRun:caller:)``) at once and then at an interval, as a
/// service of `max serve`.
public final class RetentionSweeper<C: Clock>: Service, Sendable where C.Duration == Duration {
    private let workspace: MaxWorkspace
    private let clock: C
    private let every: Duration
    private let logger: Logger

    /// A sweeper.
    ///
    /// - Parameters:
    ///   - workspace: The project.
    ///   - clock: What it waits on.
    ///   - every: The time between two purges.
    ///   - logger: Where each purge that removed something, and each failure, is logged.
    public init(workspace: MaxWorkspace, clock: C, every: Duration, logger: Logger) {
        self.workspace = workspace
        self.clock = clock
        self.every = every
        self.logger = logger
    }

    /// Purges, then waits `every`, until graceful shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let report = try await self.workspace.purge(caller: "serve")
                    if !report.installations.isEmpty || report.auditEvents > 0 {
                        self.logger.notice(
                            "purged what is past its retention",
                            metadata: [
                                "purge.installations": "\(report.installations.map(\.name).joined(separator: ","))",
                                "purge.audit_events": "\(report.auditEvents)",
                            ])
                    }
                } catch {
                    self.logger.error("the retention purge failed", metadata: ["error": "\(error)"])
                }
                guard (try? await self.clock.sleep(for: self.every)) != nil else { return }
            }
        }
    }
}
