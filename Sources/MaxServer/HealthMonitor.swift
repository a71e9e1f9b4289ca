public import MaxRuntime
public import ServiceLifecycle

/// Checks the health of every enabled local installation at an interval, as a service of
/// `max serve`: each check is kept in the installation's history (`max status --history`, and
/// `health` and `healthCheckedAt` in `max ls -o json`).
public final class HealthMonitor<C: Clock>: Service, Sendable where C.Duration == Duration {
    /// Checks one installation (and records the result).
    public typealias Check = @Sendable (_ installation: String) async -> Void

    private let workspace: MaxWorkspace
    private let clock: C
    private let every: Duration
    private let check: Check

    /// A monitor.
    ///
    /// - Parameters:
    ///   - workspace: The project whose installations it checks.
    ///   - clock: What it waits on.
    ///   - every: The time between two rounds of checks.
    ///   - check: Checks one installation.
    public init(workspace: MaxWorkspace, clock: C, every: Duration, check: @escaping Check) {
        self.workspace = workspace
        self.clock = clock
        self.every = every
        self.check = check
    }

    /// Checks every enabled local installation at once, then waits `every`, until graceful
    /// shutdown.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let names = ((try? self.workspace.installations()) ?? []).filter { _, record in
                    !record.isDisabled && record.remoteURL == nil
                }.map(\.name)
                await withDiscardingTaskGroup { group in
                    for name in names { group.addTask { await self.check(name) } }
                }
                // Cancelled at graceful shutdown: the service then ends normally.
                guard (try? await self.clock.sleep(for: self.every)) != nil else { return }
            }
        }
    }
}
