public import Foundation
import GRDB
public import MaxCore
public import MaxStore

/// The sync state: runs, tasks and checkpoints, kept in the same database as the entities so that a
/// task's completion commits in the same transaction as the entities it wrote.
extension EntityStore {
    /// Records the start of a run.
    public func beginRun(id: String = UUID().uuidString.lowercased(), kind: String, at date: Date = Date())
        async throws -> SyncRun
    {
        try await write("starting a sync run") { db in
            try db.execute(
                sql: "INSERT INTO _max_sync_runs (id, kind, status, started_at) VALUES (?, ?, 'running', ?)",
                arguments: [id, kind, date.storedMilliseconds])
            return try SyncStateRows.run(id, in: db)
        }
    }

    /// Adds tasks to a run, pending, and returns them with their ids.
    public func enqueue(_ tasks: [NewSyncTask], in runID: String, at date: Date = Date()) async throws -> [SyncTask] {
        try await write("queueing sync tasks") { db in
            try SyncStateRows.insert(tasks, run: runID, parent: nil, at: date, in: db)
        }
    }

    /// Claims up to `limit` pending tasks of a run that are due at `date`, oldest first, marking them running and
    /// counting the attempt.
    ///
    /// Two workers never claim the same task.
    public func claimTasks(in runID: String, limit: Int, at date: Date = Date()) async throws -> [SyncTask] {
        try await write("claiming sync tasks") { db in
            let now = date.storedMilliseconds
            let rows = try Row.fetchAll(
                db,
                sql: """
                    UPDATE _max_sync_tasks SET state = 'running', attempts = attempts + 1, updated_at = ?
                    WHERE id IN (
                        SELECT id FROM _max_sync_tasks
                        WHERE run_id = ? AND state = 'pending' AND (not_before IS NULL OR not_before <= ?)
                        ORDER BY id LIMIT ?)
                    RETURNING *
                    """,
                arguments: [now, runID, now, limit])
            return try rows.map(SyncTask.init(row:)).sorted { $0.id < $1.id }
        }
    }

    /// Commits one page of a task's work: its entities and how far it got, in one transaction.
    ///
    /// The task stays running.
    public func checkpointTask(
        _ taskID: Int64, writing batch: EntityWriteBatch, pageCursor: String?, at date: Date = Date()
    ) async throws {
        let writer = entityWriter
        try await write("saving sync progress") { db in
            let written = try writer.apply(batch, in: db, at: date)
            try db.execute(
                sql: """
                    UPDATE _max_sync_tasks SET page_cursor = ?, entities_written = entities_written + ?, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [pageCursor, written, date.storedMilliseconds, taskID])
            try SyncStateRows.requireChange(db, "task \(taskID)")
        }
    }

    /// Completes a task: writes its last entities, queues the tasks it leads to, and saves
    /// checkpoints, all in one transaction, so a crash either keeps all of it or none.
    ///
    /// - Returns: The follow-up tasks, with their ids.
    /// - Throws: the errors of ``write(_:at:)``; then nothing is written and the task stays running.
    @discardableResult
    public func completeTask(
        _ taskID: Int64,
        writing batch: EntityWriteBatch = EntityWriteBatch(),
        followUps: [NewSyncTask] = [],
        checkpoints: [String: String] = [:],
        at date: Date = Date()
    ) async throws -> [SyncTask] {
        let writer = entityWriter
        return try await write("completing a sync task") { db in
            let task = try SyncStateRows.task(taskID, in: db)
            let written = try writer.apply(batch, in: db, at: date)
            let now = date.storedMilliseconds
            try db.execute(
                sql: """
                    UPDATE _max_sync_tasks
                    SET state = 'completed', entities_written = entities_written + ?, error_code = NULL,
                        error_message = NULL, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [written, now, taskID])
            for (scope, value) in checkpoints {
                try SyncStateRows.setCheckpoint(scope, value, at: now, in: db)
            }
            return try SyncStateRows.insert(followUps, run: task.runID, parent: taskID, at: date, in: db)
        }
    }

    /// Records a task's failure: pending again from `retryAt` when it may be retried, else failed.
    public func failTask(_ taskID: Int64, error: MaxError, retryAt: Date?, at date: Date = Date()) async throws {
        try await write("recording a task failure") { db in
            try db.execute(
                sql: """
                    UPDATE _max_sync_tasks
                    SET state = ?, not_before = ?, error_code = ?, error_message = ?, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [
                    retryAt == nil ? "failed" : "pending", retryAt?.storedMilliseconds, error.code.description,
                    error.message, date.storedMilliseconds, taskID,
                ])
            try SyncStateRows.requireChange(db, "task \(taskID)")
        }
    }

    /// Makes a run's tasks claimable again: running ones (left by a process that died) and, when
    /// `includingFailed`, failed ones, which `--resume` retries.
    ///
    /// - Returns: How many tasks were requeued.
    @discardableResult
    public func requeueTasks(in runID: String, includingFailed: Bool, at date: Date = Date()) async throws -> Int {
        try await write("requeueing sync tasks") { db in
            let states = includingFailed ? "('running', 'failed')" : "('running')"
            try db.execute(
                sql: """
                    UPDATE _max_sync_tasks SET state = 'pending', not_before = NULL, updated_at = ?
                    WHERE run_id = ? AND state IN \(states)
                    """,
                arguments: [date.storedMilliseconds, runID])
            return db.changesCount
        }
    }

    /// Records the end of a run, totalling the entities its tasks wrote, or recording
    /// `entitiesWritten` for a run without tasks (an incremental one applies pages of changes).
    public func finishRun(
        _ runID: String, status: SyncRun.Status, error: String? = nil, entitiesWritten: Int? = nil,
        at date: Date = Date()
    ) async throws -> SyncRun {
        try await write("finishing a sync run") { db in
            try db.execute(
                sql: """
                    UPDATE _max_sync_runs
                    SET status = ?, error = ?, finished_at = ?,
                        entities_written = coalesce(?,
                            (SELECT coalesce(sum(entities_written), 0) FROM _max_sync_tasks WHERE run_id = ?))
                    WHERE id = ?
                    """,
                arguments: [status.rawValue, error, date.storedMilliseconds, entitiesWritten, runID, runID])
            try SyncStateRows.requireChange(db, "run \(runID)")
            return try SyncStateRows.run(runID, in: db)
        }
    }

    /// Marks an unfinished run as running again, for a sync that resumes it.
    public func reopenRun(_ runID: String) async throws {
        try await write("resuming a sync run") { db in
            try db.execute(
                sql: "UPDATE _max_sync_runs SET status = 'running', finished_at = NULL, error = NULL WHERE id = ?",
                arguments: [runID])
            try SyncStateRows.requireChange(db, "run \(runID)")
        }
    }

    /// Marks a run cancelled and puts its running tasks back to pending, so a later sync resumes it.
    ///
    /// Synchronous on purpose: it is called when the sync's task has been cancelled, where an async
    /// database access would give up before it starts.
    public func cancelRun(_ runID: String, at date: Date = Date()) throws {
        do {
            try writer.write { db in
                try db.execute(
                    sql: """
                        UPDATE _max_sync_tasks SET state = 'pending', updated_at = ? WHERE run_id = ? AND state = 'running'
                        """,
                    arguments: [date.storedMilliseconds, runID])
                try db.execute(
                    sql: """
                        UPDATE _max_sync_runs
                        SET status = 'cancelled', finished_at = ?,
                            entities_written = (SELECT coalesce(sum(entities_written), 0) FROM _max_sync_tasks WHERE run_id = ?)
                        WHERE id = ?
                        """,
                    arguments: [date.storedMilliseconds, runID, runID])
            }
        } catch {
            throw MaxError.storage(error, while: "cancelling a sync run")
        }
    }

    /// The most recently started run with `status`, if any (the last good sync, say).
    public func latestRun(withStatus status: SyncRun.Status) async throws -> SyncRun? {
        try await read("reading sync runs") { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM _max_sync_runs WHERE status = ? ORDER BY started_at DESC, rowid DESC LIMIT 1",
                arguments: [status.rawValue]
            ).map(SyncRun.init(row:))
        }
    }

    /// The run with id `runID`, if recorded.
    public func run(_ runID: String) async throws -> SyncRun? {
        try await read("reading a sync run") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM _max_sync_runs WHERE id = ?", arguments: [runID])
                .map(SyncRun.init(row:))
        }
    }

    /// The most recently started run, if any.
    public func latestRun() async throws -> SyncRun? {
        try await read("reading sync runs") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM _max_sync_runs ORDER BY started_at DESC, rowid DESC LIMIT 1")
                .map(SyncRun.init(row:))
        }
    }

    /// The tasks of a run, optionally only those in `state`, in creation order.
    public func tasks(in runID: String, state: SyncTask.State? = nil) async throws -> [SyncTask] {
        try await read("reading sync tasks") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM _max_sync_tasks WHERE run_id = ? AND (? IS NULL OR state = ?) ORDER BY id",
                arguments: [runID, state?.rawValue, state?.rawValue]
            ).map(SyncTask.init(row:))
        }
    }

    /// How many tasks of a run are in each state.
    public func taskCounts(in runID: String) async throws -> [SyncTask.State: Int] {
        try await read("counting sync tasks") { db in
            var counts: [SyncTask.State: Int] = [:]
            let rows = try Row.fetchAll(
                db, sql: "SELECT state, count(*) AS n FROM _max_sync_tasks WHERE run_id = ? GROUP BY state",
                arguments: [runID])
            for row in rows {
                let state = try row.state(SyncTask.Columns.state, as: SyncTask.State.self, in: SyncTask.table)
                counts[state] = try row.value(Column("n"), in: SyncTask.table)
            }
            return counts
        }
    }

    /// Adds what a sync asked of its source to a run's totals.
    ///
    /// Synchronous, like ``cancelRun(_:at:)``, so it is recorded even for a cancelled sync.
    public func addRequestCounts(to runID: String, requests: Int, retries: Int, rateLimited: Int) throws {
        do {
            try writer.write { db in
                try db.execute(
                    sql: """
                        UPDATE _max_sync_runs
                        SET requests = requests + ?, retries = retries + ?, rate_limited = rate_limited + ?
                        WHERE id = ?
                        """,
                    arguments: [requests, retries, rateLimited, runID])
            }
        } catch {
            throw MaxError.storage(error, while: "recording a sync run's requests")
        }
    }

    /// The latest runs, newest first, with their failed-task counts.
    public func runs(limit: Int = 20) async throws -> [SyncRun] {
        try await read("reading sync runs") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT r.*, (SELECT count(*) FROM _max_sync_tasks t WHERE t.run_id = r.id AND t.state = 'failed')
                        AS tasks_failed
                    FROM _max_sync_runs r ORDER BY r.started_at DESC, r.rowid DESC LIMIT ?
                    """,
                arguments: [limit]
            ).map(SyncRun.init(row:))
        }
    }

    /// Saves a checkpoint by itself.
    public func setCheckpoint(_ scope: String, _ value: String, at date: Date = Date()) async throws {
        try await write("saving a checkpoint") { db in
            try SyncStateRows.setCheckpoint(scope, value, at: date.storedMilliseconds, in: db)
        }
    }

    /// The value saved for a checkpoint scope (an incremental-sync cursor), if any.
    public func checkpoint(_ scope: String) async throws -> String? {
        try await read("reading a checkpoint") { db in
            try String.fetchOne(db, sql: "SELECT value FROM _max_sync_checkpoints WHERE scope = ?", arguments: [scope])
        }
    }
}

/// Row-level helpers for the sync tables, used inside transactions.
enum SyncStateRows {
    static func run(_ id: String, in db: Database) throws -> SyncRun {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM _max_sync_runs WHERE id = ?", arguments: [id]) else {
            throw MaxError(.syncRecordNotFound, "there is no sync run '\(id)'", context: ["run": id])
        }
        return try SyncRun(row: row)
    }

    static func task(_ id: Int64, in db: Database) throws -> SyncTask {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM _max_sync_tasks WHERE id = ?", arguments: [id]) else {
            throw MaxError(.syncRecordNotFound, "there is no sync task \(id)", context: ["task": String(id)])
        }
        return try SyncTask(row: row)
    }

    static func requireChange(_ db: Database, _ what: String) throws {
        if db.changesCount == 0 {
            throw MaxError(.syncRecordNotFound, "there is no sync \(what)", context: ["record": what])
        }
    }

    static func insert(_ tasks: [NewSyncTask], run: String, parent: Int64?, at date: Date, in db: Database) throws
        -> [SyncTask]
    {
        let now = date.storedMilliseconds
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO _max_sync_tasks
                    (run_id, parent_id, kind, entity_type, entity_id, field, payload, state, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *
                """)
        return try tasks.map { task in
            let arguments: StatementArguments = [
                run, parent, task.kind, task.entityType, task.entityID, task.field, task.payload, now, now,
            ]
            guard let row = try Row.fetchOne(statement, arguments: arguments) else {
                throw MaxError(.internalError, "inserting a sync task returned no row")
            }
            return try SyncTask(row: row)
        }
    }

    static func setCheckpoint(_ scope: String, _ value: String, at now: Int64, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO _max_sync_checkpoints (scope, value, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(scope) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """,
            arguments: [scope, value, now])
    }
}
