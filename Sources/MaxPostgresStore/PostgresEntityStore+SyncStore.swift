public import Foundation
public import MaxCore
import MaxQuery
public import MaxStore
import PostgresNIO

/// The PostgreSQL store as the sync engine sees it: shared by every worker of the project, each
/// task's writes fenced by its claim, and each run driven by one worker under a lease.
extension PostgresEntityStore: SyncStore {
    /// Workers in other processes share it.
    public nonisolated var isShared: Bool { true }

    /// Records the start of a run, driven by `claim`'s worker.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func beginRun(id: String, kind: String, claim: TaskClaim, at date: Date) async throws -> SyncRun {
        try await insertRun(id: id, kind: kind, status: .running, claim: claim, at: date)
    }

    /// Records a run for a worker to start: `queued`, driven by no one yet.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func queueRun(id: String = UUID().uuidString.lowercased(), kind: String, at date: Date = Date())
        async throws -> SyncRun
    {
        try await insertRun(id: id, kind: kind, status: .queued, claim: nil, at: date)
    }

    /// Takes the oldest run no one drives, for `claim`'s worker to drive: a queued one, or a running
    /// one whose driver stopped renewing its lease (killed, its machine lost).
    ///
    /// - Returns: The run, `running` now; `nil` when there is none.
    /// - Throws: `storage.postgres_failed`.
    public func claimRun(claim: TaskClaim, at date: Date = Date()) async throws -> SyncRun? {
        let now = date.epochMilliseconds
        let rows = try await rows(
            SQLStatement(
                sql: """
                    UPDATE _max_sync_runs SET status = 'running', claimed_by = $1, lease_until = $2
                    WHERE id IN (
                      SELECT id FROM _max_sync_runs
                      WHERE status = 'queued' OR (status = 'running' AND lease_until < $3)
                      ORDER BY started_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
                    RETURNING \(Self.runColumns)
                    """,
                values: [.text(claim.worker), .int(now + claim.lease.milliseconds), .int(now)]))
        return try rows.first.map(Self.run)
    }

    /// Renews `claim`'s hold on driving a run.
    ///
    /// - Returns: `false` when the run is finished or another worker took it over.
    /// - Throws: `storage.postgres_failed`.
    public func holdRun(_ runID: String, claim: TaskClaim, at date: Date) async throws -> Bool {
        let now = date.epochMilliseconds
        let rows = try await rows(
            SQLStatement(
                sql: """
                    UPDATE _max_sync_runs SET lease_until = $1
                    WHERE id = $2 AND status = 'running' AND (claimed_by = $3 OR claimed_by IS NULL) RETURNING id
                    """,
                values: [.int(now + claim.lease.milliseconds), .text(runID), .text(claim.worker)]))
        return !rows.isEmpty
    }

    /// Gives back the run `claim`'s worker drives and the tasks it runs: the run stays running,
    /// claimable by another worker at once; the tasks are pending again.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func handBack(run runID: String?, tasks: [SyncTask], claim: TaskClaim, at date: Date) async throws {
        var statements: [SQLStatement] = []
        if let runID {
            statements.append(
                SQLStatement(
                    sql: "UPDATE _max_sync_runs SET lease_until = 0 WHERE id = $1 AND claimed_by = $2",
                    values: [.text(runID), .text(claim.worker)]))
        }
        for task in tasks {
            statements.append(
                SQLStatement(
                    sql: """
                        UPDATE _max_sync_tasks SET state = 'pending', claimed_by = NULL, lease_until = NULL, updated_at = $1
                        WHERE id = $2 AND claimed_by = $3 AND attempts = $4 AND state = 'running'
                        """,
                    values: [
                        .int(date.epochMilliseconds), .int(task.id), .text(claim.worker), .int(Int64(task.attempts)),
                    ]
                ))
        }
        try await transaction(statements)
    }

    /// Records the end of a run `claim`'s worker drives.
    ///
    /// - Throws: `storage.lease_lost` when another worker drives it now (nothing is written);
    ///   `storage.postgres_failed`.
    public func finishRun(
        _ runID: String, status: SyncRun.Status, error: String?, entitiesWritten: Int?, claim: TaskClaim, at date: Date
    ) async throws -> SyncRun {
        try await inTransaction {
            try await fenceRun(runID, claim: claim, at: date)
            return try await finishRun(runID, status: status, error: error, entitiesWritten: entitiesWritten, at: date)
        }
    }

    /// Renews `claim`'s hold on a run inside a transaction, locking its row till the end of it.
    ///
    /// - Throws: `storage.lease_lost` when another worker drives the run, or it is finished.
    func fenceRun(_ runID: String, claim: TaskClaim, at date: Date) async throws {
        guard try await holdRun(runID, claim: claim, at: date) else {
            throw MaxError(
                .leaseLost, "sync run \(runID) is no longer driven by \(claim.worker): another worker took it over",
                hint: "nothing to do: that worker finishes it", context: ["run": runID])
        }
    }

    /// Readies an empty store for a first sync: the secondary indexes of empty tables are dropped,
    /// so rows go in without them, and ``finishBulkLoad(partially:)`` builds each once.
    ///
    /// Queries stay right meanwhile, only slower. A driver that dies mid-load leaves them to the
    /// worker that takes its run over, which builds every missing index when the run ends.
    ///
    /// - Returns: Whether any index was dropped.
    /// - Throws: `storage.postgres_failed`.
    public func beginBulkLoad() async throws -> Bool {
        var dropped = false
        for def in schema.entities {
            let indexes = PostgresTables.indexes(of: def, namespace: settings.namespace)
            guard !indexes.isEmpty, try await isEmpty(def) else { continue }
            // Each in a transaction of its own, run again if it deadlocks with a writer.
            for index in indexes { try await transaction([SQLStatement(sql: index.drop, values: [])]) }
            dropped = true
        }
        return dropped
    }

    /// Builds the secondary indexes that are missing; `partially` leaves empty tables without.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func finishBulkLoad(partially: Bool) async throws {
        for def in schema.entities {
            if partially, try await isEmpty(def) { continue }
            for index in PostgresTables.indexes(of: def, namespace: settings.namespace) {
                try await transaction([SQLStatement(sql: index.create, values: [])])
            }
        }
    }

    private func isEmpty(_ def: EntityDef) async throws -> Bool {
        try await rows(SQLStatement(sql: "SELECT 1 FROM \(Self.dialect.quote(def.name)) LIMIT 1", values: [])).isEmpty
    }

    /// The run under way, if any: a queued one, or a running one whose driver still renews its
    /// lease at `date`.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func activeRun(at date: Date = Date()) async throws -> SyncRun? {
        let rows = try await rows(
            SQLStatement(
                sql: """
                    SELECT \(Self.runColumns) FROM _max_sync_runs
                    WHERE status = 'queued' OR (status = 'running' AND lease_until >= $1)
                    ORDER BY started_at DESC, id DESC LIMIT 1
                    """,
                values: [.int(date.epochMilliseconds)]))
        return try rows.first.map(Self.run)
    }

    /// The most recently started run, if any.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func latestRun() async throws -> SyncRun? {
        try await latestRun(withStatus: nil)
    }

    /// The most recently started run that completed, if any.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func lastCompletedRun() async throws -> SyncRun? {
        try await latestRun(withStatus: .completed)
    }

    /// The run with id `runID`, if recorded.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func run(_ runID: String) async throws -> SyncRun? {
        let rows = try await rows(
            SQLStatement(sql: "SELECT \(Self.runColumns) FROM _max_sync_runs WHERE id = $1", values: [.text(runID)]))
        return try rows.first.map(Self.run)
    }

    /// Adds what a sync asked of its source to a run's totals.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func addRequestCounts(to runID: String, requests: Int, retries: Int, rateLimited: Int) async throws {
        _ = try await rows(
            SQLStatement(
                sql: """
                    UPDATE _max_sync_runs SET requests = requests + $1, retries = retries + $2,
                      rate_limited = rate_limited + $3 WHERE id = $4
                    """,
                values: [.int(Int64(requests)), .int(Int64(retries)), .int(Int64(rateLimited)), .text(runID)]))
    }

    /// Adds a plan step's tasks and its completed marker with `checkpoints`, in one transaction.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func enqueueStep(
        _ tasks: [NewSyncTask], marker: NewSyncTask, checkpoints: [String: String], in runID: String,
        claim: TaskClaim, at date: Date
    ) async throws {
        let now = date.epochMilliseconds
        try await inTransaction {
            try await fenceRun(runID, claim: claim, at: date)
            for task in tasks { _ = try await rows(Self.insert(task, run: runID, parent: nil, now: now)) }
            let id = try Self.task(try await rows(Self.insert(marker, run: runID, parent: nil, now: now))[0]).id
            _ = try await rows(
                SQLStatement(
                    sql: "UPDATE _max_sync_tasks SET state = 'completed', attempts = 1 WHERE id = $1",
                    values: [.int(id)]))
            for (scope, value) in checkpoints.sorted(by: { $0.key < $1.key }) {
                _ = try await rows(Self.checkpoint(scope, value, now: now))
            }
        }
    }

    /// Claims up to `limit` tasks of a run for `claim`'s worker.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func claimTasks(in runID: String, limit: Int, claim: TaskClaim, at date: Date) async throws -> [SyncTask] {
        try await claimTasks(in: runID, limit: limit, worker: claim.worker, lease: claim.lease, at: date)
    }

    /// Claims up to `limit` tasks of any running run, for a worker helping whichever run has work.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func claimTasksOfAnyRun(limit: Int, claim: TaskClaim, at date: Date = Date()) async throws -> [SyncTask] {
        try await claimTasks(where: "r.status = 'running'", [], limit: limit, claim: claim, at: date)
    }

    /// Renews the claim on `tasks`; returns the ids still held.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func heartbeat(_ tasks: [SyncTask], claim: TaskClaim, at date: Date) async throws -> Set<Int64> {
        try await heartbeat(tasks, worker: claim.worker, lease: claim.lease, at: date)
    }

    /// Commits one page of a claimed task's work.
    ///
    /// - Throws: `storage.lease_lost` (nothing is written); `storage.postgres_failed`.
    public func checkpointTask(
        _ task: SyncTask, claim: TaskClaim, writing batch: EntityWriteBatch, pageCursor: String?, at date: Date
    ) async throws {
        try await checkpointTask(task, worker: claim.worker, writing: batch, pageCursor: pageCursor, at: date)
    }

    /// Completes a claimed task with its last writes and `checkpoints`.
    ///
    /// - Throws: `storage.lease_lost` (nothing is written); `storage.postgres_failed`.
    public func completeTask(
        _ task: SyncTask, claim: TaskClaim, writing batch: EntityWriteBatch, checkpoints: [String: String],
        at date: Date
    ) async throws {
        try await completeTask(task, worker: claim.worker, writing: batch, checkpoints: checkpoints, at: date)
    }

    /// Records a claimed task's failure.
    ///
    /// - Throws: `storage.lease_lost`; `storage.postgres_failed`.
    public func failTask(_ task: SyncTask, claim: TaskClaim, error: MaxError, retryAt: Date?, at date: Date)
        async throws
    {
        try await failTask(task, worker: claim.worker, error: error, retryAt: retryAt, at: date)
    }

    /// Applies a batch and saves `checkpoints` in one transaction.
    ///
    /// - Throws: as ``write(_:at:)``.
    public func write(_ batch: EntityWriteBatch, checkpoints: [String: String], at date: Date) async throws {
        let now = date.epochMilliseconds
        try await transaction(
            try Self.statements(for: batch, in: schema, now: now)
                + checkpoints.sorted { $0.key < $1.key }.map { Self.checkpoint($0.key, $0.value, now: now) })
    }
}

extension PostgresEntityStore {
    /// Renames an installation's schema (a deletion kept for its retention, and its restore);
    /// a schema that does not exist is left alone.
    ///
    /// - Returns: Whether the schema existed and was renamed.
    /// - Throws: `storage.postgres_unreachable`, `storage.postgres_failed` (a schema named `name`
    ///   exists already, say).
    public static func renameNamespace(_ settings: PostgresStoreSettings, to name: String) async throws -> Bool {
        var one = settings
        one.connections = 1
        let store = try await PostgresEntityStore.open(one, schema: Schema(namespace: "none", entities: []))
        do {
            let exists = try await store.rows(
                SQLStatement(
                    sql: "SELECT 1 FROM pg_namespace WHERE nspname = $1", values: [.text(settings.namespace)]))
            if !exists.isEmpty {
                try await store.execute(
                    "ALTER SCHEMA \(SQLDialect.postgres.quote(settings.namespace)) RENAME TO \(SQLDialect.postgres.quote(name))"
                )
            }
            await store.close()
            return !exists.isEmpty
        } catch {
            await store.close()
            throw error
        }
    }

    /// Drops an installation's schema and everything in it (`max storage migrate --replace`).
    ///
    /// - Throws: `storage.postgres_unreachable`, `storage.postgres_failed`.
    public static func dropNamespace(_ settings: PostgresStoreSettings) async throws {
        var empty = settings
        empty.connections = 1
        let store = try await PostgresEntityStore.open(empty, schema: Schema(namespace: "none", entities: []))
        do {
            try await store.execute("DROP SCHEMA IF EXISTS \(SQLDialect.postgres.quote(settings.namespace)) CASCADE")
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
