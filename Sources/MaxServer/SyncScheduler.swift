public import Foundation
public import Logging
import MaxCore
public import MaxRuntime
public import ServiceLifecycle
import Synchronization

/// Runs the installations' schedules (``SyncSchedule``, `"sync": {"every": …}` in `max.json`), as a
/// service of `max serve`.
///
/// One loop per scheduled installation, so it never starts two syncs of one installation; it
/// waits for the next run on its clock, skips a disabled installation, counts failures for the
/// backoff, and starts from what the store says of the last runs, so a restarted node carries on
/// where it was. Every `refresh` it reads `max.json` again for installations newly scheduled; a
/// loop reads its installation's schedule again before each run.
public final class SyncScheduler<C: Clock>: Service, Sendable where C.Duration == Duration {
    /// Syncs an installation (full or not); throws what the sync throws.
    public typealias Sync = @Sendable (_ installation: String, _ full: Bool) async throws -> Void

    private let workspace: MaxWorkspace
    private let clock: C
    private let origin: (date: Date, instant: C.Instant)
    private let refresh: Duration
    private let logger: Logger
    private let sync: Sync

    /// A scheduler.
    ///
    /// - Parameters:
    ///   - workspace: The project whose installations it runs.
    ///   - clock: What it waits on; its time, counted from `start`, is the scheduler's now.
    ///   - start: The date the clock's present instant stands for.
    ///   - refresh: How often `max.json` is read again for newly scheduled installations.
    ///   - logger: Where each run is reported.
    ///   - sync: Runs one sync.
    public init(
        workspace: MaxWorkspace, clock: C, start: Date = Date(), refresh: Duration = .seconds(30), logger: Logger,
        sync: @escaping Sync
    ) {
        self.workspace = workspace
        self.clock = clock
        self.origin = (start, clock.now)
        self.refresh = refresh
        self.logger = logger
        self.sync = sync
    }

    /// The scheduler's now.
    public var now: Date { origin.date.addingTimeInterval(origin.instant.duration(to: clock.now).timeInterval) }

    /// Runs the loops until graceful shutdown: a sync under way is cancelled (recorded so, and
    /// resumed by the next).
    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await self.loops() }
    }

    private func loops() async throws {
        await withDiscardingTaskGroup { group in
            var running: Set<String> = []
            while !Task.isCancelled {
                for (name, record) in (try? workspace.installations()) ?? [] where !running.contains(name) {
                    guard (try? record.schedule(named: name)) != nil else { continue }
                    running.insert(name)
                    group.addTask { await self.loop(name) }
                }
                guard (try? await self.clock.sleep(for: self.refresh)) != nil else { break }
            }
            group.cancelAll()
        }
    }

    private func loop(_ name: String) async {
        var state = await workspace.scheduleHistory(of: name)
        var id = try? workspace.record(name).id
        while !Task.isCancelled {
            // The schedule as max.json says now: a loop whose installation lost its schedule (or
            // was removed) waits and looks again.
            guard let record = try? workspace.record(name), let schedule = try? record.schedule(named: name) else {
                guard (try? await clock.sleep(for: refresh)) != nil else { return }
                continue
            }
            // Removed and connected again under the same name: another installation, its own history.
            if record.id != id {
                id = record.id
                state = await workspace.scheduleHistory(of: name)
            }
            let now = self.now
            let next = schedule.nextRun(lastEnded: state.lastEnded, failures: state.failures, seed: name, now: now)
            if next > now {
                // Whole milliseconds, rounded up: a wait that rounds to zero would never reach
                // `next` on a clock that does not move by itself.
                let wait = max(1, Int64((next.timeIntervalSince(now) * 1000).rounded(.up)))
                guard (try? await clock.sleep(for: .milliseconds(wait))) != nil else { return }
                continue
            }
            if record.isDisabled {
                logger.info("scheduled sync skipped: disabled", metadata: ["installation": "\(name)"])
                state.lastEnded = now
                continue
            }
            let full = schedule.isFullDue(lastFull: state.lastFull, now: now)
            do {
                try await sync(name, full)
                state.failures = 0
                if full || state.lastFull == nil { state.lastFull = self.now }
            } catch is CancellationError {
                return
            } catch let error as MaxError where error.code == .syncAlreadyRunning {
                // Another sync of it (by hand, or a webhook's) is under way: not a failure.
                logger.info("scheduled sync skipped: already syncing", metadata: ["installation": "\(name)"])
            } catch {
                state.failures += 1
                let code = (error as? MaxError)?.code.description ?? "internal"
                logger.notice(
                    "scheduled sync failed",
                    metadata: ["installation": "\(name)", "error.code": "\(code)", "failures": "\(state.failures)"])
            }
            if Task.isCancelled { return }
            state.lastEnded = self.now
        }
    }
}
