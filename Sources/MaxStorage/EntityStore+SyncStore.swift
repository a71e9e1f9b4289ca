public import Foundation
import GRDB
public import MaxCore
public import MaxStore

/// The SQLite store as the sync engine sees it. One process writes it, behind the installation's
/// lock, so claims need no lease: a task left running by a process that died is requeued by the
/// next sync, and the claim passed here is ignored.
extension EntityStore: SyncStore {
    /// Only this process writes it.
    public var isShared: Bool { false }

    /// Records the start of a run.
    public func beginRun(id: String, kind: String, claim: TaskClaim, at date: Date) async throws -> SyncRun {
        try await beginRun(id: id, kind: kind, at: date)
    }

    /// Marks an unfinished run as running again.
    public func reopenRun(_ runID: String, claim: TaskClaim, at date: Date) async throws {
        try await reopenRun(runID)
    }

    /// Records the run cancelled, its running tasks pending: no other worker takes over a store
    /// that only one process writes, and the next sync resumes it.
    public func handBack(run runID: String?, tasks: [SyncTask], claim: TaskClaim, at date: Date) async throws {
        if let runID { try cancelRun(runID, at: date) }
    }

    /// The most recently started run that completed, if any.
    public func lastCompletedRun() async throws -> SyncRun? {
        try await latestRun(withStatus: .completed)
    }

    /// Records the end of a run (only this process drives the store's runs).
    public func finishRun(
        _ runID: String, status: SyncRun.Status, error: String?, entitiesWritten: Int?, claim: TaskClaim, at date: Date
    ) async throws -> SyncRun {
        try await finishRun(runID, status: status, error: error, entitiesWritten: entitiesWritten, at: date)
    }

    /// Always held: no other process drives the store's runs.
    public func holdRun(_ runID: String, claim: TaskClaim, at date: Date) async throws -> Bool { true }

    /// Claims up to `limit` due tasks of a run; the claim is not recorded.
    public func claimTasks(in runID: String, limit: Int, claim: TaskClaim, at date: Date) async throws -> [SyncTask] {
        try await claimTasks(in: runID, limit: limit, at: date)
    }

    /// Adds a plan step's tasks and its completed marker with `checkpoints`, in one transaction.
    public func enqueueStep(
        _ tasks: [NewSyncTask], marker: NewSyncTask, checkpoints: [String: String], in runID: String,
        claim: TaskClaim, at date: Date
    ) async throws {
        try await write("queueing a sync step") { db in
            _ = try SyncStateRows.insert(tasks, run: runID, parent: nil, at: date, in: db)
            let markers = try SyncStateRows.insert([marker], run: runID, parent: nil, at: date, in: db)
            try db.execute(
                sql: "UPDATE _max_sync_tasks SET state = 'completed', attempts = 1 WHERE id = ?",
                arguments: [markers[0].id])
            for (scope, value) in checkpoints {
                try SyncStateRows.setCheckpoint(scope, value, at: date.storedMilliseconds, in: db)
            }
        }
    }

    /// Every task is still held: no other process takes them.
    public func heartbeat(_ tasks: [SyncTask], claim: TaskClaim, at date: Date) async throws -> Set<Int64> {
        Set(tasks.map(\.id))
    }

    /// Commits one page of a task's work and how far it got.
    public func checkpointTask(
        _ task: SyncTask, claim: TaskClaim, writing batch: EntityWriteBatch, pageCursor: String?, at date: Date
    ) async throws {
        try await checkpointTask(task.id, writing: batch, pageCursor: pageCursor, at: date)
    }

    /// Completes a task with its last writes and `checkpoints`, in one transaction.
    public func completeTask(
        _ task: SyncTask, claim: TaskClaim, writing batch: EntityWriteBatch, checkpoints: [String: String],
        at date: Date
    ) async throws {
        try await completeTask(task.id, writing: batch, checkpoints: checkpoints, at: date)
    }

    /// Records a task's failure.
    public func failTask(_ task: SyncTask, claim: TaskClaim, error: MaxError, retryAt: Date?, at date: Date)
        async throws
    {
        try await failTask(task.id, error: error, retryAt: retryAt, at: date)
    }

    /// Drops the indexes of empty tables for a first load (see ``deferIndexesOfEmptyTables()``).
    public func beginBulkLoad() async throws -> Bool {
        try await !deferIndexesOfEmptyTables().isEmpty
    }

    /// Builds the indexes a bulk load deferred (see ``createMissingIndexes(skippingEmptyTables:)``).
    public func finishBulkLoad(partially: Bool) async throws {
        try createMissingIndexes(skippingEmptyTables: partially)
    }
}
