public import Foundation
public import MaxCore
import MaxQuery
public import MaxStore
import PostgresNIO

/// The sync state in PostgreSQL, shared by any number of workers: runs, and tasks claimed with
/// `FOR UPDATE SKIP LOCKED` under a lease.
///
/// A worker claims tasks for `lease`, renews the lease with ``heartbeat(_:worker:lease:at:)``
/// while it works, and completes each in one transaction with its writes. A worker that stops
/// renewing (killed, its machine lost) loses its tasks when the lease runs out: another worker's
/// claim takes them, with a new attempt, and the first worker's late completion is refused
/// (`storage.lease_lost`), so no task's work is committed twice.
extension PostgresEntityStore {
    /// Records the start of a run.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func beginRun(id: String = UUID().uuidString.lowercased(), kind: String, at date: Date = Date())
        async throws -> SyncRun
    {
        try await insertRun(id: id, kind: kind, status: .running, claim: nil, at: date)
    }

    /// Inserts a run with `status`, driven by `claim`'s worker when there is one.
    func insertRun(id: String, kind: String, status: SyncRun.Status, claim: TaskClaim?, at date: Date)
        async throws -> SyncRun
    {
        let now = date.epochMilliseconds
        let rows = try await rows(
            SQLStatement(
                sql: """
                    INSERT INTO _max_sync_runs (id, kind, status, started_at, claimed_by, lease_until)
                    VALUES ($1, $2, $3, $4, $5, $6) RETURNING \(Self.runColumns)
                    """,
                values: [
                    .text(id), .text(kind), .text(status.rawValue), .int(now), claim.map { .text($0.worker) } ?? .null,
                    claim.map { .int(now + $0.lease.milliseconds) } ?? .null,
                ]))
        return try Self.run(rows[0])
    }

    /// Adds pending tasks to a run and returns them with their ids.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func enqueue(_ tasks: [NewSyncTask], in runID: String, at date: Date = Date()) async throws -> [SyncTask] {
        var created: [SyncTask] = []
        for task in tasks {
            let rows = try await rows(Self.insert(task, run: runID, parent: nil, now: date.epochMilliseconds))
            created.append(try Self.task(rows[0]))
        }
        return created
    }

    /// Claims up to `limit` tasks of a run for `worker` until `date + lease`, oldest first.
    ///
    /// It takes pending tasks that are due, and running ones whose lease ran out (their worker is
    /// gone). Each claim counts an attempt. Workers claiming at once skip each other's rows, never waiting and never
    /// taking the same task.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func claimTasks(
        in runID: String, limit: Int, worker: String, lease: Duration, at date: Date = Date()
    ) async throws -> [SyncTask] {
        try await claimTasks(
            where: "t.run_id = $5", [.text(runID)], limit: limit, claim: TaskClaim(worker: worker, lease: lease),
            at: date)
    }

    /// Claims up to `limit` claimable tasks (due pending ones, and running ones whose lease ran
    /// out) among those `condition` keeps, oldest first; the condition sees the task as `t` and its
    /// run as `r`, and its values are bound from `$5`.
    func claimTasks(
        where condition: String, _ values: [SQLValue], limit: Int, claim: TaskClaim, at date: Date
    ) async throws -> [SyncTask] {
        let now = date.epochMilliseconds
        let rows = try await rows(
            SQLStatement(
                sql: """
                    UPDATE _max_sync_tasks SET state = 'running', attempts = attempts + 1, claimed_by = $1,
                      lease_until = $2, updated_at = $3
                    WHERE id IN (
                      SELECT t.id FROM _max_sync_tasks t JOIN _max_sync_runs r ON r.id = t.run_id
                      WHERE \(condition) AND ((t.state = 'pending' AND (t.not_before IS NULL OR t.not_before <= $3))
                        OR (t.state = 'running' AND t.lease_until < $3))
                      ORDER BY t.id LIMIT $4 FOR UPDATE OF t SKIP LOCKED)
                    RETURNING \(Self.taskColumns)
                    """,
                values: [.text(claim.worker), .int(now + claim.lease.milliseconds), .int(now), .int(Int64(limit))]
                    + values))
        return try rows.map(Self.task).sorted { $0.id < $1.id }
    }

    /// Renews `worker`'s lease on `tasks` until `date + lease`.
    ///
    /// - Returns: The tasks it still holds; one it lost (its lease ran out and another worker
    ///   claimed it) is not among them, and its work should stop.
    /// - Throws: `storage.postgres_failed`.
    public func heartbeat(_ tasks: [SyncTask], worker: String, lease: Duration, at date: Date = Date()) async throws
        -> Set<Int64>
    {
        var held: Set<Int64> = []
        let until = date.epochMilliseconds + lease.milliseconds
        for task in tasks {
            let rows = try await rows(
                SQLStatement(
                    sql: """
                        UPDATE _max_sync_tasks SET lease_until = $1
                        WHERE id = $2 AND claimed_by = $3 AND attempts = $4 AND state = 'running' RETURNING id
                        """,
                    values: [.int(until), .int(task.id), .text(worker), .int(Int64(task.attempts))]))
            if !rows.isEmpty { held.insert(task.id) }
        }
        return held
    }

    /// Completes a claimed task in one transaction: its writes, the tasks it leads to, checkpoints,
    /// and its state, only while `worker` still holds this claim of it.
    ///
    /// - Returns: The follow-up tasks, with their ids.
    /// - Throws: `storage.lease_lost` when the claim is no longer `worker`'s (nothing is written);
    ///   the errors of ``write(_:at:)``.
    @discardableResult
    public func completeTask(
        _ task: SyncTask, worker: String, writing batch: EntityWriteBatch = EntityWriteBatch(),
        followUps: [NewSyncTask] = [], checkpoints: [String: String] = [:], at date: Date = Date()
    ) async throws -> [SyncTask] {
        let now = date.epochMilliseconds
        let writes =
            try Self.statements(for: batch, in: schema, now: now)
            + checkpoints.sorted { $0.key < $1.key }.map { Self.checkpoint($0.key, $0.value, now: now) }
        let fence = SQLStatement(
            sql: """
                UPDATE _max_sync_tasks SET state = 'completed', entities_written = entities_written + $1,
                  error_code = NULL, error_message = NULL, lease_until = NULL, updated_at = $2
                WHERE id = $3 AND claimed_by = $4 AND attempts = $5 AND state = 'running' RETURNING id
                """,
            values: [
                .int(Int64(batch.upserts.count + batch.deletions.count)), .int(now), .int(task.id), .text(worker),
                .int(Int64(task.attempts)),
            ])
        return try await fenced(fence, task, worker: worker, writes: writes) {
            var created: [SyncTask] = []
            for followUp in followUps {
                created.append(
                    try Self.task(try await rows(Self.insert(followUp, run: task.runID, parent: task.id, now: now))[0]))
            }
            return created
        }
    }

    /// Runs `fence` (an update of `task` that returns its id only while `worker` holds its claim),
    /// then `writes` and `body`, in one transaction.
    ///
    /// - Throws: `storage.lease_lost` when the fence updates nothing (nothing is written).
    func fenced<T>(
        _ fence: SQLStatement, _ task: SyncTask, worker: String, writes: [SQLStatement],
        then body: () async throws -> T = { () }
    ) async throws -> T {
        try await inTransaction {
            guard try await !rows(fence).isEmpty else { throw Self.leaseLost(task, worker: worker) }
            for statement in writes { _ = try await rows(statement) }
            return try await body()
        }
    }

    /// Records a claimed task's failure: pending again from `retryAt` when it may be retried, else
    /// failed; only while `worker` holds the claim.
    ///
    /// - Throws: `storage.lease_lost`; `storage.postgres_failed`.
    public func failTask(
        _ task: SyncTask, worker: String, error: MaxError, retryAt: Date?, at date: Date = Date()
    ) async throws {
        let rows = try await rows(
            SQLStatement(
                sql: """
                    UPDATE _max_sync_tasks SET state = $1, not_before = $2, error_code = $3, error_message = $4,
                      claimed_by = NULL, lease_until = NULL, updated_at = $5
                    WHERE id = $6 AND claimed_by = $7 AND attempts = $8 AND state = 'running' RETURNING id
                    """,
                values: [
                    .text(retryAt == nil ? "failed" : "pending"), retryAt.map { .int($0.epochMilliseconds) } ?? .null,
                    .text(error.code.description), .text(error.message), .int(date.epochMilliseconds), .int(task.id),
                    .text(worker), .int(Int64(task.attempts)),
                ]))
        guard !rows.isEmpty else { throw Self.leaseLost(task, worker: worker) }
    }

    /// How many of a run's tasks are in each state.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func taskCounts(in runID: String) async throws -> [SyncTask.State: Int] {
        let rows = try await rows(
            SQLStatement(
                sql: "SELECT state, count(*) FROM _max_sync_tasks WHERE run_id = $1 GROUP BY state",
                values: [.text(runID)]))
        var counts: [SyncTask.State: Int] = [:]
        for row in rows {
            let (state, count) = try row.decode((String, Int64).self)
            if let state = SyncTask.State(rawValue: state) { counts[state] = Int(count) }
        }
        return counts
    }

    /// Records the end of a run, totalling the entities its tasks wrote, or recording
    /// `entitiesWritten` for a run without tasks (an incremental one).
    ///
    /// - Throws: `storage.postgres_failed`.
    public func finishRun(
        _ runID: String, status: SyncRun.Status, error: String? = nil, entitiesWritten: Int? = nil,
        at date: Date = Date()
    ) async throws -> SyncRun {
        let rows = try await rows(
            SQLStatement(
                sql: """
                    UPDATE _max_sync_runs SET status = $1, error = $2, finished_at = $3, claimed_by = NULL,
                      lease_until = NULL, entities_written = coalesce($5,
                        (SELECT coalesce(sum(entities_written), 0) FROM _max_sync_tasks WHERE run_id = $4))
                    WHERE id = $4 RETURNING \(Self.runColumns)
                    """,
                values: [
                    .text(status.rawValue), error.map(SQLValue.text) ?? .null, .int(date.epochMilliseconds),
                    .text(runID), entitiesWritten.map { .int(Int64($0)) } ?? .null,
                ]))
        guard let row = rows.first else {
            throw MaxError(.postgresStoreFailed, "there is no sync run \(runID)", context: ["run": runID])
        }
        return try Self.run(row)
    }

    static let taskColumns = """
        id, run_id, parent_id, kind, entity_type, entity_id, field, payload, state, attempts, not_before, page_cursor,
        entities_written, error_code, error_message
        """

    static func insert(_ task: NewSyncTask, run: String, parent: Int64?, now: Int64) -> SQLStatement {
        SQLStatement(
            sql: """
                INSERT INTO _max_sync_tasks (run_id, parent_id, kind, entity_type, entity_id, field, payload, state, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8) RETURNING \(taskColumns)
                """,
            values: [
                .text(run), parent.map(SQLValue.int) ?? .null, .text(task.kind),
                task.entityType.map(SQLValue.text) ?? .null,
                task.entityID.map(SQLValue.text) ?? .null, task.field.map(SQLValue.text) ?? .null, .text(task.payload),
                .int(now),
            ])
    }

    static func task(_ row: PostgresRow) throws -> SyncTask {
        let cells = row.makeRandomAccess()
        let state = try cells[8].decode(String.self)
        return SyncTask(
            id: try cells[0].decode(Int64.self), runID: try cells[1].decode(String.self),
            parentID: try cells[2].decode(Int64?.self), kind: try cells[3].decode(String.self),
            entityType: try cells[4].decode(String?.self), entityID: try cells[5].decode(String?.self),
            field: try cells[6].decode(String?.self), payload: try cells[7].decode(String.self),
            state: SyncTask.State(rawValue: state) ?? .failed, attempts: Int(try cells[9].decode(Int32.self)),
            notBefore: try cells[10].decode(Int64?.self).map { Date(epochMilliseconds: $0) },
            pageCursor: try cells[11].decode(String?.self), entitiesWritten: Int(try cells[12].decode(Int64.self)),
            errorCode: try cells[13].decode(String?.self), errorMessage: try cells[14].decode(String?.self))
    }

    static func run(_ row: PostgresRow) throws -> SyncRun {
        let cells = row.makeRandomAccess()
        var run = SyncRun(
            id: try cells[0].decode(String.self), kind: try cells[1].decode(String.self),
            status: SyncRun.Status(rawValue: try cells[2].decode(String.self)) ?? .failed,
            startedAt: Date(epochMilliseconds: try cells[3].decode(Int64.self)),
            finishedAt: try cells[4].decode(Int64?.self).map { Date(epochMilliseconds: $0) },
            entities: Int(try cells[5].decode(Int64.self)), error: try cells[6].decode(String?.self),
            requests: Int(try cells[7].decode(Int64.self)), retries: Int(try cells[8].decode(Int64.self)),
            rateLimited: Int(try cells[9].decode(Int64.self)))
        run.heldUntil = try cells[10].decode(Int64?.self).map { Date(epochMilliseconds: $0) }
        return run
    }

    static func leaseLost(_ task: SyncTask, worker: String) -> MaxError {
        MaxError(
            .leaseLost,
            "task \(task.id) is no longer \(worker)'s: its lease ran out and another worker claimed it; its work was not committed",
            hint: "nothing to do: the other worker does the task again",
            context: ["task": String(task.id), "worker": worker])
    }
}
