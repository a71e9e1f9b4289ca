import Foundation
import Logging
public import MaxConnector
public import MaxCore
import MaxPostgresStore
import MaxStore
import MaxSync
import Synchronization

/// `max worker`: runs the sync work of a project that stores in PostgreSQL, beside any number of
/// other workers on any number of machines, until it is cancelled.
///
/// Each of its ``concurrency`` slots looks, installation by installation, for a run that no one
/// drives (queued by `max sync --detach`, or left by a worker whose lease ran out) and drives it,
/// or else for a task of a running run, and runs it; when there is nothing, it looks again after
/// ``pollInterval``. Before sync work, a slot runs a due job (an async operation call) of those
/// installations, as `max jobs work` does. Claims are renewed every third of ``lease`` (a job's,
/// every third of its 30-second lease); a worker that dies has its run, tasks and jobs taken over
/// when the lease runs out. Cancelled (SIGTERM), it hands its run, tasks and jobs back for the
/// others to take at once; what it committed stays.
public struct SyncWorker: Sendable {
    /// What a worker reports.
    public enum Event: Sendable {
        /// It took over a run of an installation (queued, or left by a worker that stopped).
        case drivingRun(installation: String, runID: String, kind: String)
        /// A run it drove ended.
        case finishedRun(installation: String, summary: SyncSummary)
        /// Something failed; the worker goes on.
        case failed(installation: String, error: MaxError)
        /// A job (an async operation call) it ran moved on.
        case job(JobRunner.Event)
    }

    /// The project.
    public let workspace: MaxWorkspace
    /// The installations it works for.
    public let installations: [String]
    /// Tasks it runs at once.
    public var concurrency: Int
    /// How long its claims hold unrenewed.
    public var lease: Duration
    /// How often an idle slot looks for work.
    public var pollInterval: Duration
    /// What waits are timed by.
    public var clock: any Clock<Duration>
    /// The worker's id among the project's workers.
    public let id: String

    /// A worker for `installations` of `workspace` (every enabled one when empty).
    ///
    /// - Throws: `storage.shared_storage_required` for a project that stores in SQLite;
    ///   `installation.not_found`.
    public init(
        workspace: MaxWorkspace, installations: [String] = [], concurrency: Int = 4, lease: Duration = .seconds(30),
        pollInterval: Duration = .milliseconds(500), clock: any Clock<Duration> = ContinuousClock()
    ) throws {
        guard try workspace.storage().postgres != nil else { throw Self.sqliteProject() }
        let file = try workspace.project.load()
        for name in installations where file.installations[name] == nil {
            _ = try workspace.record(name)  // installation.not_found, with its hint
        }
        self.workspace = workspace
        self.installations =
            installations.isEmpty
            ? file.installations.filter { !$0.value.isDisabled && $0.value.remoteURL == nil }.keys.sorted()
            : installations
        self.concurrency = max(1, concurrency)
        self.lease = lease
        self.pollInterval = pollInterval
        self.clock = clock
        self.id = MaxWorkspace.workerID("worker-\(UUID().uuidString.prefix(8).lowercased())")
    }

    static func sqliteProject() -> MaxError {
        MaxError(
            .sharedStorageRequired, "this project stores in SQLite: its syncs run in the process that starts them",
            hint: #"use "max sync"; for workers, set "storage": {"postgres": {…}} in max.json"#)
    }

    /// One installation as the worker holds it: its store, its live connector, and what that
    /// asked of the source since it was last recorded.
    private struct Open: Sendable {
        let name: String
        let store: PostgresEntityStore
        let live: LiveInstallation
        let statistics: RequestStatistics

        /// Adds the requests made since the last call to `runID`'s totals (`max runs`): an
        /// installation has one run under way at a time, so they are its.
        func recordRequests(to runID: String) async {
            let taken = statistics.take()
            guard taken.requests > 0 else { return }
            // Best effort: the counts inform `max runs`, and a failure here must not stop the work.
            try? await store.addRequestCounts(
                to: runID, requests: taken.requests, retries: taken.retries, rateLimited: taken.rateLimited)
        }
    }

    /// Works until cancelled, then hands back what it holds and stops its installations.
    ///
    /// - Throws: what opening an installation throws (the store unreachable, a credential
    ///   missing); nothing once it works: failures are reported and it goes on.
    public func run(observer: @escaping @Sendable (Event) -> Void = { _ in }) async throws {
        guard let storage = try workspace.storage().postgres else { throw Self.sqliteProject() }
        var opened: [Open] = []
        do {
            for name in installations {
                let store = try await workspace.openSharedStore(name, in: storage, connections: concurrency + 1)
                do {
                    let statistics = RequestStatistics()
                    let live = try await workspace.live(
                        name, statistics: statistics, sharedBudget: PostgresRequestBudget(store: store))
                    opened.append(Open(name: name, store: store, live: live, statistics: statistics))
                } catch {
                    await store.close()
                    throw error
                }
            }
            let records = try await workspace.sharedOperationRecords(in: storage)
            try await work(opened, records: records, observer: observer)
        } catch {
            for open in opened {
                await open.live.stop()
                await open.store.close()
            }
            throw error
        }
        for open in opened {
            await open.live.stop()
            await open.store.close()
        }
    }

    private func work(
        _ opened: [Open], records: PostgresOperationStore, observer: @escaping @Sendable (Event) -> Void
    ) async throws {
        let jobs = JobRunner(invoker: OperationInvoker(workspace: workspace, caller: "worker:\(id)"))
        let names = opened.map(\.name)
        // Registered while it works, so a call queued as a job leaves it to this worker rather than
        // starting a runner of its own.
        let registration = TaskClaim(worker: id, lease: lease)
        try await records.registerWorker(registration, installations: names)
        let claim = TaskClaim(worker: id, lease: lease)
        var driver = SyncEngine(concurrency: 1, claim: claim, pollInterval: pollInterval, clock: clock)
        driver.onCancel = .handBack
        let engine = driver
        let started = StartedInstallations()
        // Unregistered as it stops; a worker that dies is gone when its registration's lease runs out.
        do {
            try await slots(opened, records: records, jobs: jobs, engine: engine, started: started, observer: observer)
        } catch {
            try? await records.unregisterWorker(registration)
            throw error
        }
        try? await records.unregisterWorker(registration)
    }

    private func slots(
        _ opened: [Open], records: PostgresOperationStore, jobs: JobRunner, engine: SyncEngine,
        started: StartedInstallations, observer: @escaping @Sendable (Event) -> Void
    ) async throws {
        let names = opened.map(\.name)
        let registration = TaskClaim(worker: id, lease: lease)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                while true {
                    do { try await clock.sleep(for: lease / 3) } catch { return }
                    try? await records.registerWorker(registration, installations: names)
                }
            }
            for slot in 0..<concurrency {
                group.addTask {
                    while !Task.isCancelled {
                        var worked = false
                        do {
                            worked = try await jobs.runNext(records, installations: names) { observer(.job($0)) }
                        } catch  where error is CancellationError || Task.isCancelled {
                            return
                        } catch {
                            observer(.failed(installation: "jobs", error: MaxError.wrapping(error)))
                        }
                        // Each slot starts its round at another installation, so all get served.
                        for offset in opened.indices where !worked {
                            let open = opened[(slot + offset) % opened.count]
                            do {
                                worked = try await step(open, engine: engine, started: started, observer: observer)
                            } catch  where error is CancellationError || Task.isCancelled {
                                return
                            } catch {
                                observer(.failed(installation: open.name, error: MaxError.wrapping(error)))
                                worked = false
                            }
                            if worked { break }
                        }
                        if !worked {
                            do { try await clock.sleep(for: pollInterval) } catch { return }
                        }
                    }
                }
            }
        }
    }

    /// Records the end of a run this worker drove as an audit event in this machine's log, as
    /// `max sync` does for its own runs; its caller is `worker:<id>`.
    private func audit(
        _ runID: String, of installation: String, outcome: String, since started: ContinuousClock.Instant,
        error: (any Error)? = nil
    ) async {
        // One event per worker that ends a run: several may have driven it in turn.
        let event = AuditLog.Event.sync(
            requestID: "sync_\(runID)_\(id)", runID: runID, caller: "worker:\(id)", installation: installation,
            outcome: outcome, since: started, error: error)
        // Best effort, as for every audit event: a log that cannot be written does not stop the work.
        await AuditLog(project: workspace.project).record(event) { _ in }
    }

    /// Drives one run or runs one task of `open`; `false` when it has no work.
    private func step(
        _ open: Open, engine: SyncEngine, started: StartedInstallations,
        observer: @escaping @Sendable (Event) -> Void
    ) async throws -> Bool {
        let claim = engine.claim
        if let run = try await open.store.claimRun(claim: claim) {
            observer(.drivingRun(installation: open.name, runID: run.id, kind: run.kind))
            let started = ContinuousClock.now
            do {
                let summary = try await engine.takeOver(run, of: open.live, in: open.store)
                await open.recordRequests(to: run.id)
                await audit(
                    run.id, of: open.name, outcome: summary.tasksFailed > 0 ? "partial" : "succeeded", since: started)
                observer(.finishedRun(installation: open.name, summary: summary))
            } catch let error as MaxError where error.code == .leaseLost {
                // Another worker drives it now, and records its end.
                await open.recordRequests(to: run.id)
                return true
            } catch {
                await open.recordRequests(to: run.id)
                // Stopped (SIGTERM): handed back, not ended, so no event.
                guard !(error is CancellationError || Task.isCancelled) else { throw error }
                await audit(run.id, of: open.name, outcome: "failed", since: started, error: error)
                throw error
            }
            return true
        }
        guard let task = try await open.store.claimTasksOfAnyRun(limit: 1, claim: claim).first else { return false }
        // A run's driver starts the installation; a helper starts it once, before its first task.
        if started.first(open.name) {
            do {
                try await open.live.start()
            } catch {
                started.forget(open.name)
                try await open.store.handBack(run: nil, tasks: [task], claim: claim, at: Date())
                throw error
            }
        }
        do {
            try await engine.execute(task, of: open.live, in: open.store)
        } catch {
            await open.recordRequests(to: task.runID)
            throw error
        }
        await open.recordRequests(to: task.runID)
        return true
    }
}

/// The installations a worker has started, so each starts once.
private final class StartedInstallations: Sendable {
    private let names = Mutex<Set<String>>([])

    /// Whether `name` is to be started now (the first time it is asked).
    func first(_ name: String) -> Bool { names.withLock { $0.insert(name).inserted } }

    /// Forgets `name`, whose start failed, so the next task starts it again.
    func forget(_ name: String) { names.withLock { _ = $0.remove(name) } }
}
