import Foundation
public import MaxConnector
import MaxCore
import MaxQuery
public import MaxStore
import Synchronization

/// Runs syncs: the seeder stores the roots and returns a plan; each plan step expands into tasks
/// persisted in the installation's database; a bounded pool of workers claims and runs them.
///
/// Every page a collection loader returns is committed with the task's progress in one transaction,
/// and a task's last page with its completion, so a crash loses no work and duplicates nothing. A
/// collection that was read to the end tombstones the members it used to have and no longer lists.
///
/// Over a store that workers in other processes share (PostgreSQL), each task is claimed under
/// ``claim``'s lease, renewed while it runs, and a worker that finds nothing to claim waits, every
/// ``pollInterval``, for the tasks the others hold before the run moves to its next step.
public struct SyncEngine: Sendable {
    /// How many tasks run at once.
    public var concurrency: Int
    /// How many entity ids one `load_fields` task covers.
    public var fieldsBatchSize: Int
    /// Who claims tasks, and for how long a claim holds unrenewed.
    public var claim: TaskClaim
    /// How often a worker waiting for other workers' tasks looks again.
    public var pollInterval: Duration
    /// What waits are timed by.
    public var clock: any Clock<Duration>
    /// What cancelling a sync does to its run: records it cancelled (a person stopped it), or, for
    /// a worker that is stopping, hands the run and its tasks back to the other workers.
    public var onCancel: CancellationMode = .cancelRun

    /// What cancelling a sync does to its run.
    public enum CancellationMode: Sendable {
        /// Record the run cancelled, its running tasks pending; the next sync resumes it.
        case cancelRun
        /// Leave the run running for another worker to take over at once, the tasks pending.
        case handBack
    }

    /// Creates an engine.
    public init(
        concurrency: Int = 8, fieldsBatchSize: Int = 200, claim: TaskClaim = .local,
        pollInterval: Duration = .milliseconds(250), clock: any Clock<Duration> = ContinuousClock()
    ) {
        self.concurrency = max(1, concurrency)
        self.fieldsBatchSize = max(1, fieldsBatchSize)
        self.claim = claim
        self.pollInterval = pollInterval
        self.clock = clock
    }

    /// Syncs `installation` into `store`: resumes an unfinished full run; else, when the connector
    /// has a change feed and a full run has completed, applies only the changes since (see
    /// ``syncChanges(_:into:after:observer:)``); else runs a full sync.
    ///
    /// - Parameters:
    ///   - installation: The installation to sync; the engine starts it once the run is recorded, so
    ///     a source that cannot even be reached leaves a failed run behind.
    ///   - store: Its store.
    ///   - resume: Continue the last full run if it is unfinished (running, partial, cancelled or
    ///     failed), retrying its failed tasks, instead of starting a new one.
    ///   - full: Read everything in a new full run, even when changes alone would do.
    ///   - observer: Receives progress events; called from worker tasks, so it must be thread-safe.
    /// - Returns: The summary; its status is `partial` when tasks failed.
    /// - Throws: When the run cannot start (the seeder failed, the store is unwritable), or
    ///   `CancellationError` on cancellation, after recording the run as cancelled with its running
    ///   tasks pending again (what committed stays committed).
    public func sync(
        _ installation: LiveInstallation, into store: some SyncStore, resume: Bool = false, full: Bool = false,
        observer: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) async throws -> SyncSummary {
        let resumable: [SyncRun.Status] = [.running, .partial, .cancelled, .failed]
        let last = try await store.latestRun()
        if resume, let last, last.kind == "full", resumable.contains(last.status) {
            try await store.reopenRun(last.id, claim: claim, at: Date())
            return try await drive(last, resuming: true, installation: installation, store: store, observer: observer)
        }
        if !full, installation.hasChangeFeed, try await store.checkpoint(Self.changesScope) != nil {
            let run = try await store.beginRun(
                id: UUID().uuidString.lowercased(), kind: "incremental", claim: claim, at: Date())
            return try await syncChanges(installation, into: store, run: run, observer: observer)
        }
        let run = try await store.beginRun(id: UUID().uuidString.lowercased(), kind: "full", claim: claim, at: Date())
        return try await drive(run, resuming: false, installation: installation, store: store, observer: observer)
    }

    /// Drives a run a worker claimed from a shared store (``TaskClaim``): a queued one it starts, or
    /// one whose driver stopped renewing its lease, which it resumes where that one left off.
    ///
    /// - Throws: as ``sync(_:into:resume:full:observer:)``.
    public func takeOver(
        _ run: SyncRun, of installation: LiveInstallation, in store: some SyncStore,
        observer: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) async throws -> SyncSummary {
        if run.kind == "incremental" {
            return try await syncChanges(installation, into: store, run: run, observer: observer)
        }
        let started = try await !store.tasks(in: run.id, state: nil).isEmpty
        return try await drive(run, resuming: started, installation: installation, store: store, observer: observer)
    }

    /// Runs one task a helping worker claimed (of whichever run has work), renewing its lease
    /// while it runs; its failure is recorded on it, as in a sync.
    ///
    /// - Throws: `CancellationError`; errors that stop a whole run (the store failing, the
    ///   credentials refused), which the run's driver meets too.
    public func execute(
        _ task: SyncTask, of installation: LiveInstallation, in store: some SyncStore,
        observer: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) async throws {
        guard let run = try await store.run(task.runID) else { return }
        let context = TaskContext(
            installation: installation, store: store, claim: claim, runStart: run.startedAt, tally: Tally(),
            observer: observer)
        let leases = Leases()
        leases.hold(task)
        do {
            try await keepingLeases(leases, in: store) { try await context.execute(task) }
        } catch  where error is CancellationError || Task.isCancelled {
            try await store.handBack(run: nil, tasks: [task], claim: claim, at: Date())
            throw CancellationError()
        }
    }

    /// Records what cancelling left: the run cancelled, or handed back with `tasks`.
    func stopped(_ runID: String, tasks: [SyncTask], in store: some SyncStore) async throws {
        switch onCancel {
        case .cancelRun: try await store.cancelRun(runID, at: Date())
        case .handBack: try await store.handBack(run: runID, tasks: tasks, claim: claim, at: Date())
        }
    }

    /// Runs a full run: the seeder, then each plan step's tasks, from the first step with work left
    /// when `resuming`.
    private func drive(
        _ initial: SyncRun, resuming: Bool, installation: LiveInstallation, store: some SyncStore,
        observer: @escaping @Sendable (SyncEvent) -> Void
    ) async throws -> SyncSummary {
        let started = Date()
        let tally = Tally()
        let leases = Leases()
        leases.hold(run: initial.id)
        var run = initial
        // A first sync loads empty tables without their secondary indexes and builds them at the end.
        var indexesDeferred = false
        do {
            if !resuming { indexesDeferred = try await store.beginBulkLoad() }
            try await keepingLeases(leases, in: store) { [run, indexesDeferred] in
                var firstStep = 0
                let context = TaskContext(
                    installation: installation, store: store, claim: claim, runStart: run.startedAt, tally: tally,
                    observer: observer)
                if resuming {
                    firstStep = try await firstStepToResume(run, in: store)
                    try await store.requeueTasks(in: run.id, includingFailed: true, at: Date())
                    observer(.started(runID: run.id, resumed: true))
                    try await installation.start()
                    try await drain(run: run, context: context, leases: leases)
                } else {
                    observer(.started(runID: run.id, resumed: false))
                    try await installation.start()
                    // Where the change feed is now: once this full run completes, incremental syncs
                    // start from here, so nothing that changes while it reads falls between.
                    if let position = try await installation.changePosition() {
                        try await store.setCheckpoint(Self.startScope(run.id), position, at: Date())
                    }
                }
                let seed = try await installation.seed()
                if firstStep == 0 { try await store.upsert(seed.entities, at: started) }
                for (index, step) in seed.plan.steps.enumerated() where index >= firstStep {
                    var tasks: [NewSyncTask] = []
                    for leaf in step.leaves {
                        tasks += try await expand(leaf, step: index, store: store)
                    }
                    try await store.enqueueStep(
                        tasks, marker: NewSyncTask(kind: "step", payload: "{\"step\":\(index)}"),
                        checkpoints: [Self.stepScope(run.id): String(index)], in: run.id, claim: claim, at: Date())
                    observer(.stepStarted(index: index, description: Self.describe(step), tasks: tasks.count))
                    try await drain(run: run, context: context, leases: leases)
                    // The tables this step loaded get their indexes, so later steps merge into them.
                    if indexesDeferred { try await store.finishBulkLoad(partially: true) }
                }
                // A run taken over from a driver that died mid-load builds what that one deferred.
                if indexesDeferred || resuming { try await store.finishBulkLoad(partially: false) }
            }
        } catch  where error is CancellationError || Task.isCancelled {
            // Cancelled, however the interrupted call reported it.
            try await stopped(run.id, tasks: leases.tasks, in: store)
            if indexesDeferred { try await store.finishBulkLoad(partially: false) }
            throw CancellationError()
        } catch let error as MaxError where error.code == .leaseLost {
            // Another worker drives the run now: it finishes it.
            throw error
        } catch {
            // The run could not go on (the seeder failed, the source's breaker gave up, the store
            // failed): record it as failed, so the next sync resumes it, and report the error
            // itself. Recording is best effort: the store may be what failed.
            let reason = (error as? MaxError).map { "\($0.code): \($0.message)" } ?? String(describing: error)
            _ = try? await store.finishRun(
                run.id, status: .failed, error: reason, entitiesWritten: nil, claim: claim, at: Date())
            if indexesDeferred { try? await store.finishBulkLoad(partially: false) }
            throw error
        }
        let counts: [SyncTask.State: Int]
        let failed: Int
        do {
            counts = try await store.taskCounts(in: run.id)
            failed = counts[.failed, default: 0]
            if failed == 0, let position = try await store.checkpoint(Self.startScope(run.id)) {
                try await store.setCheckpoint(Self.changesScope, position, at: Date())
            }
            // A partial run says why, as a failed one does: the first error this attempt met.
            let first = tally.errors.withLock { $0.first }
            let reason =
                failed == 0
                ? nil
                : "\(failed) task\(failed == 1 ? "" : "s") failed"
                    + (first.map { "; first: \($0.code): \($0.message)" } ?? "")
            run = try await store.finishRun(
                run.id, status: failed > 0 ? .partial : .completed, error: reason, entitiesWritten: nil, claim: claim,
                at: Date())
        } catch  where error is CancellationError || Task.isCancelled {
            // Cancelled after the last task, before the run was finished: recorded as cancelled
            // (a resume finishes it), not left running.
            try await stopped(run.id, tasks: [], in: store)
            throw CancellationError()
        }
        let summary = SyncSummary(
            runID: run.id, status: run.status.rawValue, entitiesWritten: tally.written.withLock { $0 },
            tasksCompleted: counts[.completed, default: 0], tasksFailed: failed, errors: tally.errors.withLock { $0 },
            duration: Date().timeIntervalSince(started))
        observer(.finished(summary))
        return summary
    }

    /// The step a resumed run goes on from: the earliest step with unfinished work (the steps
    /// after it ran without that work's entities, so they run again; merging upserts make that
    /// safe), else the one after the last step queued.
    private func firstStepToResume(_ run: SyncRun, in store: some SyncStore) async throws -> Int {
        let unfinished =
            try await store.tasks(in: run.id, state: .failed) + store.tasks(in: run.id, state: .running)
            + store.tasks(in: run.id, state: .pending)
        let decoder = JSONDecoder()
        let steps = try unfinished.map { task in
            do {
                return try decoder.decode(StepOnly.self, from: Data(task.payload.utf8)).step
            } catch {
                throw MaxError(
                    .internalError, "the stored payload of sync task \(task.id) is damaged",
                    hint: "start over with \"max sync <installation> --restart\"",
                    context: ["task": String(task.id)])
            }
        }
        let expanded = Int(try await store.checkpoint(Self.stepScope(run.id)) ?? "") ?? -1
        return (steps.min() ?? expanded) + 1
    }

    static func stepScope(_ runID: String) -> String { "run.\(runID).step" }

    /// The change feed's position a full run started at.
    static func startScope(_ runID: String) -> String { "run.\(runID).changes" }

    /// The checkpoint incremental syncs continue from.
    public static let changesScope = "changes.position"

    static func describe(_ step: SyncStep) -> String {
        switch step {
        case .forRoot(let ref, let operation): "\(ref.type) \(describe(operation))"
        case .forAll(let type, let operation): "every \(type): \(describe(operation))"
        case .concurrent(let steps): steps.map(describe).joined(separator: " | ")
        }
    }

    private static func describe(_ operation: SyncOperation) -> String {
        switch operation {
        case .loadFields(let fields): "load \(fields.joined(separator: ", "))"
        case .loadCollection(let field): "list \(field)"
        }
    }

    /// The tasks one leaf step expands to, for the entities stored now.
    private func expand(_ leaf: SyncStep, step: Int, store: some SyncStore) async throws -> [NewSyncTask] {
        guard let (type, operation) = leaf.target else { return [] }
        var owners: [String] = []
        if case .forRoot(let ref, _) = leaf {
            owners = [ref.id]
        } else {
            let query = try Query(type, selection: FieldSelection([.field(MetaField.id.rawValue)]))
            for try await record in store.pages(of: query, batchSize: 5000) { owners.append(record.ref.id) }
        }
        let encoder = JSONEncoder()
        func payload(_ ids: [String], fields: [String]?) throws -> String {
            String(decoding: try encoder.encode(SyncTaskPayload(step: step, ids: ids, fields: fields)), as: UTF8.self)
        }
        switch operation {
        case .loadCollection(let field):
            return try owners.map {
                NewSyncTask(
                    kind: SyncTaskPayload.loadCollection, entityType: type.name, entityID: $0, field: field,
                    payload: try payload([$0], fields: nil))
            }
        case .loadFields(let fields):
            return try stride(from: 0, to: owners.count, by: fieldsBatchSize).map { start in
                let ids = Array(owners[start..<min(start + fieldsBatchSize, owners.count)])
                return NewSyncTask(
                    kind: SyncTaskPayload.loadFields, entityType: type.name, entityID: ids.first,
                    payload: try payload(ids, fields: fields))
            }
        }
    }

    /// Runs the run's pending tasks with `concurrency` workers until none is left: in a shared
    /// store, until no other worker holds one either.
    private func drain(run: SyncRun, context: TaskContext, leases: Leases) async throws {
        let store = context.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while true {
                        try Task.checkCancellation()
                        if let task = try await store.claimTasks(in: run.id, limit: 1, claim: claim, at: Date()).first {
                            leases.hold(task)
                            // Kept when the task is cancelled, for a stopping worker to hand back.
                            try await context.execute(task)
                            leases.release(task)
                            continue
                        }
                        guard store.isShared else { return }
                        let counts = try await store.taskCounts(in: run.id)
                        guard counts[.running, default: 0] + counts[.pending, default: 0] > 0 else { return }
                        try await clock.sleep(for: pollInterval)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Runs `body` while renewing, every third of the lease, the claims `leases` holds; in a store
    /// only this process writes, just runs it.
    ///
    /// - Throws: `storage.lease_lost` when another worker took over the run being driven (`body`
    ///   is cancelled then); what `body` throws.
    func keepingLeases<T: Sendable>(
        _ leases: Leases, in store: some SyncStore, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard store.isShared else { return try await body() }
        let claim = claim
        let clock = clock
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                while true {
                    try await clock.sleep(for: claim.lease / 3)
                    let now = Date()
                    for runID in leases.runs {
                        guard try await store.holdRun(runID, claim: claim, at: now) else {
                            throw MaxError(
                                .leaseLost, "sync run \(runID) is driven by another worker now",
                                hint: "nothing to do: that worker finishes it", context: ["run": runID])
                        }
                    }
                    let held = leases.tasks
                    if !held.isEmpty { _ = try await store.heartbeat(held, claim: claim, at: now) }
                }
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }
}

/// What every task payload names: its plan step (a step's own marker task, `{"step":N}`, too).
private struct StepOnly: Decodable {
    let step: Int
}

/// The claims a worker holds and renews: the runs it drives and the tasks it runs.
final class Leases: Sendable {
    private let state = Mutex<(runs: Set<String>, tasks: [Int64: SyncTask])>(([], [:]))

    func hold(run: String) { state.withLock { _ = $0.runs.insert(run) } }
    func hold(_ task: SyncTask) { state.withLock { $0.tasks[task.id] = task } }
    func release(_ task: SyncTask) { state.withLock { _ = $0.tasks.removeValue(forKey: task.id) } }
    var runs: Set<String> { state.withLock { $0.runs } }
    var tasks: [SyncTask] { state.withLock { Array($0.tasks.values) } }
}

/// Counters shared by the workers of one sync.
final class Tally: Sendable {
    let written = Mutex<[EntityType: Int]>([:])
    let errors = Mutex<[MaxError]>([])

    func add(_ inputs: [EntityInput]) -> [EntityType: Int] {
        var counts: [EntityType: Int] = [:]
        for input in inputs { counts[input.ref.type, default: 0] += 1 }
        written.withLock { totals in
            for (type, count) in counts { totals[type, default: 0] += count }
        }
        return counts
    }
}
