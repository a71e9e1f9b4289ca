public import Foundation
import MaxCore
import MaxQuery
public import MaxStore
import PostgresNIO

/// The rest of the sync state in PostgreSQL, as the SQLite store keeps it: checkpoints, the runs
/// read back, resuming and cancelling a run, and a paginated task's progress.
extension PostgresEntityStore {
    /// The value saved for a checkpoint scope (an incremental-sync cursor), if any.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func checkpoint(_ scope: String) async throws -> String? {
        let rows = try await rows(
            SQLStatement(sql: "SELECT value FROM _max_sync_checkpoints WHERE scope = $1", values: [.text(scope)]))
        return try rows.first?.decode(String.self)
    }

    /// Saves a checkpoint.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func setCheckpoint(_ scope: String, _ value: String, at date: Date = Date()) async throws {
        _ = try await rows(Self.checkpoint(scope, value, now: date.epochMilliseconds))
    }

    static func checkpoint(_ scope: String, _ value: String, now: Int64) -> SQLStatement {
        SQLStatement(
            sql: """
                INSERT INTO _max_sync_checkpoints (scope, value, updated_at) VALUES ($1, $2, $3)
                ON CONFLICT (scope) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """,
            values: [.text(scope), .text(value), .int(now)])
    }

    /// The most recently started run, if any; with `status`, the most recent with that status.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func latestRun(withStatus status: SyncRun.Status? = nil) async throws -> SyncRun? {
        let rows = try await rows(
            SQLStatement(
                sql: """
                    SELECT \(Self.runColumns) FROM _max_sync_runs WHERE $1::text IS NULL OR status = $1
                    ORDER BY started_at DESC, id DESC LIMIT 1
                    """,
                values: [status.map { .text($0.rawValue) } ?? .null]))
        return try rows.first.map(Self.run)
    }

    /// The latest runs, newest first, with their failed-task counts.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func runs(limit: Int = 20) async throws -> [SyncRun] {
        let rows = try await rows(
            SQLStatement(
                sql: """
                    SELECT \(Self.runColumns),
                      (SELECT count(*) FROM _max_sync_tasks t WHERE t.run_id = r.id AND t.state = 'failed')
                    FROM _max_sync_runs r ORDER BY started_at DESC, id DESC LIMIT $1
                    """,
                values: [.int(Int64(limit))]))
        return try rows.map { row in
            var run = try Self.run(row)
            run.tasksFailed = Int(try row.makeRandomAccess()[11].decode(Int64.self))
            return run
        }
    }

    /// A run's tasks, oldest first; with `state`, only those.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func tasks(in runID: String, state: SyncTask.State? = nil) async throws -> [SyncTask] {
        let rows = try await rows(
            SQLStatement(
                sql: """
                    SELECT \(Self.taskColumns) FROM _max_sync_tasks WHERE run_id = $1 AND ($2::text IS NULL OR state = $2)
                    ORDER BY id
                    """,
                values: [.text(runID), state.map { .text($0.rawValue) } ?? .null]))
        return try rows.map(Self.task)
    }

    /// Makes a run's tasks claimable again: running ones whose lease ran out (a live worker's stay
    /// its own) and, when `includingFailed`, failed ones, which a resume retries.
    ///
    /// - Returns: How many tasks were requeued.
    /// - Throws: `storage.postgres_failed`.
    @discardableResult
    public func requeueTasks(in runID: String, includingFailed: Bool, at date: Date = Date()) async throws -> Int {
        let rows = try await rows(
            SQLStatement(
                sql: """
                    UPDATE _max_sync_tasks SET state = 'pending', not_before = NULL, claimed_by = NULL,
                      lease_until = NULL, updated_at = $1
                    WHERE run_id = $2 AND ((state = 'running' AND (lease_until IS NULL OR lease_until < $1))
                      OR ($3 AND state = 'failed')) RETURNING id
                    """,
                values: [.int(date.epochMilliseconds), .text(runID), .bool(includingFailed)]))
        return rows.count
    }

    /// Marks an unfinished run as running again, driven by `claim`'s worker (a sync that resumes
    /// it).
    ///
    /// - Throws: `storage.postgres_failed`, also when there is no such run.
    public func reopenRun(_ runID: String, claim: TaskClaim = .local, at date: Date = Date()) async throws {
        let rows = try await rows(
            SQLStatement(
                sql: """
                    UPDATE _max_sync_runs SET status = 'running', finished_at = NULL, error = NULL, claimed_by = $2,
                      lease_until = $3
                    WHERE id = $1 RETURNING id
                    """,
                values: [.text(runID), .text(claim.worker), .int(date.epochMilliseconds + claim.lease.milliseconds)]))
        guard !rows.isEmpty else {
            throw MaxError(.postgresStoreFailed, "there is no sync run \(runID)", context: ["run": runID])
        }
    }

    /// Marks a run cancelled and puts its running tasks back to pending (their claims dropped), so
    /// a later sync resumes it.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func cancelRun(_ runID: String, at date: Date = Date()) async throws {
        let now = date.epochMilliseconds
        try await transaction([
            SQLStatement(
                sql: """
                    UPDATE _max_sync_tasks SET state = 'pending', claimed_by = NULL, lease_until = NULL, updated_at = $1
                    WHERE run_id = $2 AND state = 'running'
                    """,
                values: [.int(now), .text(runID)]),
            SQLStatement(
                sql: """
                    UPDATE _max_sync_runs SET status = 'cancelled', finished_at = $1,
                      entities_written = (SELECT coalesce(sum(entities_written), 0) FROM _max_sync_tasks WHERE run_id = $2)
                    WHERE id = $2
                    """,
                values: [.int(now), .text(runID)]),
        ])
    }

    /// Commits one page of a claimed task's work, its entities and how far it got, in one
    /// transaction, while `worker` holds the claim; the task stays running.
    ///
    /// - Throws: `storage.lease_lost` (nothing is written); the errors of ``write(_:at:)``.
    public func checkpointTask(
        _ task: SyncTask, worker: String, writing batch: EntityWriteBatch, pageCursor: String?, at date: Date = Date()
    ) async throws {
        let now = date.epochMilliseconds
        let writes = try Self.statements(for: batch, in: schema, now: now)
        let fence = SQLStatement(
            sql: """
                UPDATE _max_sync_tasks SET page_cursor = $1, entities_written = entities_written + $2, updated_at = $3
                WHERE id = $4 AND claimed_by = $5 AND attempts = $6 AND state = 'running' RETURNING id
                """,
            values: [
                pageCursor.map(SQLValue.text) ?? .null, .int(Int64(batch.upserts.count + batch.deletions.count)),
                .int(now), .int(task.id), .text(worker), .int(Int64(task.attempts)),
            ])
        try await fenced(fence, task, worker: worker, writes: writes)
    }

    static let runColumns =
        "id, kind, status, started_at, finished_at, entities_written, error, requests, retries, rate_limited, lease_until"
}
