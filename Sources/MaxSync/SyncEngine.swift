import Foundation
public import MaxConnector
import MaxCore
import MaxQuery
public import MaxStorage
import MaxStore
import Synchronization

/// Runs syncs: the seeder stores the roots and returns a plan; each plan step expands into tasks
/// persisted in the installation's database; a bounded pool of workers claims and runs them.
///
/// Every page a collection loader returns is committed with the task's progress in one transaction,
/// and a task's last page with its completion, so a crash loses no work and duplicates nothing. A
/// collection that was read to the end tombstones the members it used to have and no longer lists.
public struct SyncEngine: Sendable {
    /// How many tasks run at once.
    public var concurrency: Int
    /// How many entity ids one `load_fields` task covers.
    public var fieldsBatchSize: Int

    /// Creates an engine.
    public init(concurrency: Int = 8, fieldsBatchSize: Int = 200) {
        self.concurrency = max(1, concurrency)
        self.fieldsBatchSize = max(1, fieldsBatchSize)
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
        _ installation: LiveInstallation, into store: EntityStore, resume: Bool = false, full: Bool = false,
        observer: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) async throws -> SyncSummary {
        let resumable: [SyncRun.Status] = [.running, .partial, .cancelled, .failed]
        let last = try await store.latestRun()
        let resuming = resume && last.map { $0.kind == "full" && resumable.contains($0.status) } == true
        if !resuming, !full, installation.hasChangeFeed, let position = try await store.checkpoint(Self.changesScope) {
            return try await syncChanges(installation, into: store, after: position, observer: observer)
        }
        let started = Date()
        let tally = Tally()
        var run: SyncRun
        var firstStep = 0
        var current: SyncRun?
        // A first sync loads empty tables without their secondary indexes and builds them at the end.
        var indexesDeferred = false
        do {
            if resuming, let last {
                run = last
                current = last
                // The earliest step with unfinished work: the steps after it ran without that work's
                // entities, so they run again (merging upserts make that safe).
                let unfinished =
                    try await store.tasks(in: run.id, state: .failed) + store.tasks(in: run.id, state: .running)
                    + store.tasks(in: run.id, state: .pending)
                let decoder = JSONDecoder()
                // Every payload names its step, the plan step's own marker task (`{"step":N}`) too.
                struct StepOnly: Decodable { let step: Int }
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
                try await store.reopenRun(run.id)
                try await store.requeueTasks(in: run.id, includingFailed: true)
                observer(.started(runID: run.id, resumed: true))
                try await installation.start()
                try await drain(run: run, installation: installation, store: store, tally: tally, observer: observer)
                firstStep = (steps.min() ?? expanded) + 1
            } else {
                run = try await store.beginRun(kind: "full", at: started)
                current = run
                indexesDeferred = try await !store.deferIndexesOfEmptyTables().isEmpty
                observer(.started(runID: run.id, resumed: false))
                try await installation.start()
                // Where the change feed is now: once this full run completes, incremental syncs
                // start from here, so nothing that changes while it reads falls between.
                if let position = try await installation.changePosition() {
                    try await store.setCheckpoint(Self.startScope(run.id), position)
                }
            }
            let seed = try await installation.seed()
            if firstStep == 0 { try await store.upsert(seed.entities, at: started) }

            let runStart = run.startedAt
            let context = TaskContext(
                installation: installation, store: store, runStart: runStart, tally: tally, observer: observer)
            for (index, step) in seed.plan.steps.enumerated() where index >= firstStep {
                var tasks: [NewSyncTask] = []
                for leaf in step.leaves {
                    tasks += try await expand(leaf, step: index, store: store)
                }
                _ = try await store.enqueue(tasks, in: run.id)
                try await store.completeTask(
                    try await store.enqueue([NewSyncTask(kind: "step", payload: "{\"step\":\(index)}")], in: run.id)[0]
                        .id,
                    checkpoints: [Self.stepScope(run.id): String(index)])
                observer(.stepStarted(index: index, description: Self.describe(step), tasks: tasks.count))
                try await drain(run: run, context: context)
                // The tables this step loaded get their indexes, so later steps merge into them.
                if indexesDeferred { try store.createMissingIndexes(skippingEmptyTables: true) }
            }
            if indexesDeferred { try store.createMissingIndexes() }
        } catch  where error is CancellationError || Task.isCancelled {
            // Cancelled, however the interrupted call reported it.
            if let current { try store.cancelRun(current.id) }
            if indexesDeferred { try store.createMissingIndexes() }
            throw CancellationError()
        } catch {
            // The run could not go on (the seeder failed, the source's breaker gave up, the store
            // failed): record it as failed, so the next sync resumes it, and report the error
            // itself. Recording is best effort: the store may be what failed.
            if let current {
                let reason = (error as? MaxError).map { "\($0.code): \($0.message)" } ?? String(describing: error)
                _ = try? await store.finishRun(current.id, status: .failed, error: reason)
            }
            if indexesDeferred { try? store.createMissingIndexes() }
            throw error
        }
        let counts: [SyncTask.State: Int]
        let failed: Int
        do {
            counts = try await store.taskCounts(in: run.id)
            failed = counts[.failed, default: 0]
            if failed == 0, let position = try await store.checkpoint(Self.startScope(run.id)) {
                try await store.setCheckpoint(Self.changesScope, position)
            }
            // A partial run says why, as a failed one does: the first error this attempt met.
            let first = tally.errors.withLock { $0.first }
            let reason =
                failed == 0
                ? nil
                : "\(failed) task\(failed == 1 ? "" : "s") failed"
                    + (first.map { "; first: \($0.code): \($0.message)" } ?? "")
            run = try await store.finishRun(run.id, status: failed > 0 ? .partial : .completed, error: reason)
        } catch  where error is CancellationError || Task.isCancelled {
            // Cancelled after the last task, before the run was finished: recorded as cancelled
            // (a resume finishes it), not left running.
            try store.cancelRun(run.id)
            throw CancellationError()
        }
        let summary = SyncSummary(
            runID: run.id, status: run.status.rawValue, entitiesWritten: tally.written.withLock { $0 },
            tasksCompleted: counts[.completed, default: 0], tasksFailed: failed, errors: tally.errors.withLock { $0 },
            duration: Date().timeIntervalSince(started))
        observer(.finished(summary))
        return summary
    }

    static func stepScope(_ runID: String) -> String { "run.\(runID).step" }

    /// The change feed's position a full run started at.
    static func startScope(_ runID: String) -> String { "run.\(runID).changes" }

    /// Where incremental syncs continue from.
    static let changesScope = "changes.position"

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
    private func expand(_ leaf: SyncStep, step: Int, store: EntityStore) async throws -> [NewSyncTask] {
        guard let (type, operation) = leaf.target else { return [] }
        var owners: [String] = []
        if case .forRoot(let ref, _) = leaf {
            owners = [ref.id]
        } else {
            let query = try Query(type, selection: FieldSelection([.field(MetaField.id.rawValue)])).checked(
                against: store.schema)
            for try await record in store.records(query, batchSize: 5000) { owners.append(record.ref.id) }
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

    private func drain(
        run: SyncRun, installation: LiveInstallation, store: EntityStore, tally: Tally,
        observer: @escaping @Sendable (SyncEvent) -> Void
    ) async throws {
        try await drain(
            run: run,
            context: TaskContext(
                installation: installation, store: store, runStart: run.startedAt, tally: tally, observer: observer))
    }

    /// Runs the run's pending tasks with `concurrency` workers until none is left.
    private func drain(run: SyncRun, context: TaskContext) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while let task = try await context.store.claimTasks(in: run.id, limit: 1).first {
                        try Task.checkCancellation()
                        try await context.execute(task)
                    }
                }
            }
            try await group.waitForAll()
        }
    }
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
