public import Foundation
public import MaxCore

/// Who works on claimed sync tasks, and for how long a claim holds without being renewed.
///
/// A store shared by several workers (PostgreSQL) fences every write of a task with its claim: a
/// worker whose lease ran out, and whose task another worker took over, has its late writes refused
/// (`storage.lease_lost`). A store one process writes (SQLite, behind the installation's lock) has
/// no one to fence against and ignores the claim.
public struct TaskClaim: Sendable, Hashable {
    /// The worker's id, unique among the workers of a project (`host:pid:…`).
    public var worker: String
    /// How long a claim holds after it is taken or renewed.
    public var lease: Duration

    /// A claim by `worker` for `lease`.
    public init(worker: String, lease: Duration) {
        self.worker = worker
        self.lease = lease
    }

    /// A claim for a store that only this process writes.
    public static let local = TaskClaim(worker: "local", lease: .seconds(3600))
}

/// The sync state a store keeps beside its entities: runs, their tasks, and checkpoints, each task
/// committed in one transaction with the entities it wrote.
///
/// The sync engine works through this protocol, so a sync runs the same over the SQLite store of one
/// process and over a PostgreSQL store that many workers share.
public protocol SyncStore: EntityStoring {
    /// Whether workers in other processes share the store: then a claim's lease must be renewed
    /// while its task runs, and a worker that finds nothing to claim waits for the others' tasks.
    var isShared: Bool { get }

    /// Records the start of a run, driven by `claim`'s worker (it renews that with
    /// ``holdRun(_:claim:at:)``; a run whose driver stops renewing is taken over).
    func beginRun(id: String, kind: String, claim: TaskClaim, at date: Date) async throws -> SyncRun
    /// Renews `claim`'s hold on driving a run; `false` when another worker drives it now.
    func holdRun(_ runID: String, claim: TaskClaim, at date: Date) async throws -> Bool
    /// The most recently started run, if any.
    func latestRun() async throws -> SyncRun?
    /// The run with id `runID`, if recorded.
    func run(_ runID: String) async throws -> SyncRun?
    /// The latest runs, newest first, with their failed-task counts.
    func runs(limit: Int) async throws -> [SyncRun]
    /// The most recently started run that completed, if any (the last good sync).
    func lastCompletedRun() async throws -> SyncRun?
    /// Marks an unfinished run as running again, driven by `claim`'s worker.
    func reopenRun(_ runID: String, claim: TaskClaim, at date: Date) async throws
    /// Records the end of a run that `claim`'s worker drives; `entitiesWritten` for a run without
    /// tasks, else the tasks' total.
    ///
    /// A worker that no longer drives the run (its lease ran out and another took it over) is
    /// refused with `storage.lease_lost`, and the run is left to the one that does.
    func finishRun(
        _ runID: String, status: SyncRun.Status, error: String?, entitiesWritten: Int?, claim: TaskClaim, at date: Date
    ) async throws -> SyncRun
    /// Marks a run cancelled and puts its running tasks back to pending.
    ///
    /// Called when the sync's task is cancelled: an implementation must not give up because of
    /// that cancellation.
    func cancelRun(_ runID: String, at date: Date) async throws
    /// Gives back what a worker that is stopping holds, for another worker to take at once: the
    /// run it drives (left running, driven by no one) and the tasks it runs (pending again).
    ///
    /// Called when the worker's task is cancelled: an implementation must not give up because of
    /// that cancellation.
    func handBack(run runID: String?, tasks: [SyncTask], claim: TaskClaim, at date: Date) async throws
    /// Adds what a sync asked of its source to a run's totals.
    func addRequestCounts(to runID: String, requests: Int, retries: Int, rateLimited: Int) async throws

    /// Adds pending tasks to a run and returns them with their ids.
    func enqueue(_ tasks: [NewSyncTask], in runID: String, at date: Date) async throws -> [SyncTask]
    /// Adds a plan step's tasks, pending, and its marker task already completed with
    /// `checkpoints`, in one transaction: a step is either queued whole or not at all, and only by
    /// the worker that drives the run (else `storage.lease_lost`).
    func enqueueStep(
        _ tasks: [NewSyncTask], marker: NewSyncTask, checkpoints: [String: String], in runID: String,
        claim: TaskClaim, at date: Date) async throws
    /// Claims up to `limit` due tasks of a run (and, in a shared store, tasks whose lease ran out).
    func claimTasks(in runID: String, limit: Int, claim: TaskClaim, at date: Date) async throws -> [SyncTask]
    /// Renews the claim on `tasks`; returns the ids still held.
    func heartbeat(_ tasks: [SyncTask], claim: TaskClaim, at date: Date) async throws -> Set<Int64>
    /// Commits one page of a task's work and how far it got; the task stays running.
    func checkpointTask(
        _ task: SyncTask, claim: TaskClaim, writing batch: EntityWriteBatch, pageCursor: String?, at date: Date)
        async throws
    /// Completes a task with its last writes and `checkpoints`, in one transaction.
    func completeTask(
        _ task: SyncTask, claim: TaskClaim, writing batch: EntityWriteBatch, checkpoints: [String: String],
        at date: Date) async throws
    /// Records a task's failure: pending again from `retryAt`, else failed.
    func failTask(_ task: SyncTask, claim: TaskClaim, error: MaxError, retryAt: Date?, at date: Date) async throws
    /// Makes a run's running tasks (and, when `includingFailed`, its failed ones) pending again.
    @discardableResult
    func requeueTasks(in runID: String, includingFailed: Bool, at date: Date) async throws -> Int
    /// A run's tasks, oldest first; with `state`, only those.
    func tasks(in runID: String, state: SyncTask.State?) async throws -> [SyncTask]
    /// How many of a run's tasks are in each state.
    func taskCounts(in runID: String) async throws -> [SyncTask.State: Int]

    /// The value saved for a checkpoint scope, if any.
    func checkpoint(_ scope: String) async throws -> String?
    /// Saves a checkpoint.
    func setCheckpoint(_ scope: String, _ value: String, at date: Date) async throws
    /// Applies a batch and saves `checkpoints` in one transaction (a page of changes).
    func write(_ batch: EntityWriteBatch, checkpoints: [String: String], at date: Date) async throws

    /// Readies an empty store for a first, bulk load; returns whether anything was deferred (SQLite
    /// drops the indexes of empty tables), which ``finishBulkLoad(partially:)`` then builds.
    func beginBulkLoad() async throws -> Bool
    /// Builds what ``beginBulkLoad()`` deferred; `partially` leaves the tables still empty alone.
    func finishBulkLoad(partially: Bool) async throws
}

extension SyncStore {
    /// Nothing to defer.
    public func beginBulkLoad() async throws -> Bool { false }
    /// Nothing deferred.
    public func finishBulkLoad(partially: Bool) async throws {}
}

extension MaxError.Code {
    /// A worker's claim on a task or a run ran out and another worker took it over.
    public static let leaseLost = Self(domain: "storage", name: "lease_lost", category: .conflict)
}
