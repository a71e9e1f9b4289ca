public import Foundation
import GRDB
import MaxCore

/// An async job: one operation call run in the background, persisted from enqueue to result.
public struct JobRecord: Sendable, Equatable {
    /// Where a job is: `pending → running → succeeded | failed | canceled`.
    public enum State: String, Sendable, CaseIterable {
        /// Waiting for a worker (at first, and between attempts).
        case pending
        /// A worker is running it.
        case running
        /// Done; ``JobRecord/result`` holds the envelope.
        case succeeded
        /// Out of attempts, or failed for good; it is in the dead-letter list.
        case failed
        /// Canceled before it finished.
        case canceled
    }

    /// `job_…`.
    public let id: String
    /// The installation.
    public let installation: String
    /// The operation.
    public let operation: String
    /// The input, as JSON text.
    public let input: String
    /// The idempotency key it was enqueued with.
    public let idempotencyKey: String?
    /// Where it is.
    public let state: State
    /// The attempts made.
    public let attempts: Int
    /// The attempts it may make.
    public let maxAttempts: Int
    /// The result envelope (JSON text) once it succeeded.
    public let result: String?
    /// The last error (`code: message`).
    public let error: String?
    /// Whether it is in the dead-letter list (failed after its attempts).
    public let dead: Bool
    /// Whether someone asked to cancel it while it ran.
    public let cancelRequested: Bool
    /// The process running it.
    public let worker: Int32?
    /// When it was enqueued.
    public let createdAt: Date
    /// When it last changed.
    public let updatedAt: Date

    /// The columns of the `jobs` table.
    enum Columns {
        static let id = Column("id")
        static let installation = Column("installation")
        static let operation = Column("operation")
        static let input = Column("input")
        static let idempotencyKey = Column("idempotency_key")
        static let state = Column("state")
        static let attempts = Column("attempts")
        static let maxAttempts = Column("max_attempts")
        static let result = Column("result")
        static let error = Column("error")
        static let dead = Column("dead")
        static let cancelRequested = Column("cancel_requested")
        static let worker = Column("worker")
        static let createdAt = Column("created_at")
        static let updatedAt = Column("updated_at")
    }

    /// Reads a stored job.
    ///
    /// - Throws: `storage.database_error` for a value of the wrong type or a state this Max does not know.
    init(row: Row) throws {
        let table = "jobs"
        id = try row.value(Columns.id, in: table)
        installation = try row.value(Columns.installation, in: table)
        operation = try row.value(Columns.operation, in: table)
        input = try row.value(Columns.input, in: table)
        idempotencyKey = try row.value(Columns.idempotencyKey, in: table)
        state = try row.state(Columns.state, as: State.self, in: table)
        attempts = try row.value(Columns.attempts, in: table)
        maxAttempts = try row.value(Columns.maxAttempts, in: table)
        result = try row.value(Columns.result, in: table)
        error = try row.value(Columns.error, in: table)
        dead = try row.value(Columns.dead, in: table)
        cancelRequested = try row.value(Columns.cancelRequested, in: table)
        worker = try row.value(Columns.worker, in: table)
        createdAt = Date(timeIntervalSince1970: try row.value(Columns.createdAt, in: table))
        updatedAt = Date(timeIntervalSince1970: try row.value(Columns.updatedAt, in: table))
    }
}

extension OperationStore {
    /// Enqueues a job.
    public func enqueue(
        installation: String, operation: String, input: String, idempotencyKey: String?, maxAttempts: Int,
        now: Date = Date()
    ) throws -> JobRecord {
        let id = "job_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return try write("enqueuing a job of \(operation)") { db in
            let time = now.timeIntervalSince1970
            try db.execute(
                sql: """
                    INSERT INTO jobs (id, installation, operation, input, idempotency_key, state, max_attempts,
                                      created_at, updated_at, next_attempt_at)
                    VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)
                    """, arguments: [id, installation, operation, input, idempotencyKey, maxAttempts, time, time, time])
            guard let job = try Self.job(id, in: db) else {
                throw MaxError(.databaseError, "the job \(id) just enqueued cannot be read back")
            }
            return job
        }
    }

    /// The job `id`, if there is one.
    public func job(_ id: String) throws -> JobRecord? {
        try read("reading job \(id)") { db in try Self.job(id, in: db) }
    }

    private static func job(_ id: String, in db: Database) throws -> JobRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).map(JobRecord.init(row:))
    }

    /// Jobs, newest first: of one installation, in one state, or only the dead-letter list.
    public func jobs(
        installation: String? = nil, state: JobRecord.State? = nil, deadOnly: Bool = false, limit: Int = 1000
    )
        throws -> [JobRecord]
    {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let installation {
            conditions.append("installation = ?")
            arguments += [installation]
        }
        if let state {
            conditions.append("state = ?")
            arguments += [state.rawValue]
        }
        if deadOnly { conditions.append("dead = 1") }
        let clause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try read("listing jobs") { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM jobs \(clause) ORDER BY created_at DESC, id LIMIT \(limit)",
                arguments: arguments
            ).map(JobRecord.init(row:))
        }
    }

    /// Takes the oldest job due to run, for `worker`, in one transaction; first puts back to
    /// pending every running job whose worker process is gone (a crash or a restart of Max).
    ///
    /// - Returns: The job, now running with one more attempt, or `nil` when none is due.
    public func claimNextJob(worker: Int32, now: Date = Date(), isAlive: (Int32) -> Bool) throws -> JobRecord? {
        try write("claiming a job") { db in
            let time = now.timeIntervalSince1970
            try Self.recoverOrphans(in: db, now: now, isAlive: isAlive)
            guard
                let id = try String.fetchOne(
                    db,
                    sql:
                        "SELECT id FROM jobs WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, created_at LIMIT 1",
                    arguments: [time])
            else { return nil }
            try db.execute(
                sql:
                    "UPDATE jobs SET state = 'running', worker = ?, attempts = attempts + 1, sent_at = NULL, updated_at = ? WHERE id = ?",
                arguments: [worker, time, id])
            return try Self.job(id, in: db)
        }
    }

    /// Settles the running jobs whose worker process is gone (a crash, `kill -9`, a reboot), and
    /// returns how many: one whose attempt never sent its request goes back to pending; one whose
    /// request had left for the source failed with `operation.outcome_unknown` (dead-lettered:
    /// `max jobs retry` sends it again once someone has checked the source).
    @discardableResult
    public func recoverOrphans(now: Date = Date(), isAlive: (Int32) -> Bool) throws -> Int {
        try write("recovering the jobs of runners that died") { db in
            try Self.recoverOrphans(in: db, now: now, isAlive: isAlive)
        }
    }

    @discardableResult
    private static func recoverOrphans(in db: Database, now: Date, isAlive: (Int32) -> Bool) throws -> Int {
        let time = now.timeIntervalSince1970
        let orphans = try Row.fetchAll(db, sql: "SELECT id, worker, sent_at FROM jobs WHERE state = 'running'")
        var recovered = 0
        for row in orphans {
            let worker = try row.value(JobRecord.Columns.worker, as: Int32?.self, in: "jobs") ?? 0
            guard !isAlive(worker) else { continue }
            recovered += 1
            let id = try row.value(JobRecord.Columns.id, as: String.self, in: "jobs")
            if let sent = try row.value(Column("sent_at"), as: Double?.self, in: "jobs") {
                let at = Date(timeIntervalSince1970: sent).formatted(.iso8601)
                try db.execute(
                    sql:
                        "UPDATE jobs SET state = 'failed', dead = 1, error = ?, worker = NULL, updated_at = ? WHERE id = ?",
                    arguments: [
                        "operation.outcome_unknown: its runner (pid \(worker)) died after the request left for the "
                            + "source at \(at); whether the source acted on it is unknown", time, id,
                    ])
            } else {
                try db.execute(
                    sql: "UPDATE jobs SET state = 'pending', worker = NULL, updated_at = ? WHERE id = ?",
                    arguments: [time, id])
            }
        }
        return recovered
    }

    /// Records that the current attempt of job `id` is about to send its request to the source.
    public func markJobSent(_ id: String, now: Date = Date()) throws {
        try write("recording that job \(id) is being sent") { db in
            try db.execute(
                sql: "UPDATE jobs SET sent_at = ? WHERE id = ?", arguments: [now.timeIntervalSince1970, id])
        }
    }

    /// When the next pending job is due, if any is pending.
    public func nextDueJob() throws -> Date? {
        try read("reading the job queue") { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM jobs WHERE state = 'pending'")
                .map(Date.init(timeIntervalSince1970:))
        }
    }

    /// Records that job `id` succeeded with `result`.
    public func succeed(_ id: String, result: String, now: Date = Date()) throws {
        try write("finishing job \(id)") { db in
            try db.execute(
                sql:
                    "UPDATE jobs SET state = 'succeeded', result = ?, error = NULL, worker = NULL, updated_at = ? WHERE id = ?",
                arguments: [result, now.timeIntervalSince1970, id])
        }
    }

    /// Records that an attempt of job `id` failed: it goes back to pending until `retryAt`, or,
    /// without one, fails for good and joins the dead-letter list.
    public func fail(_ id: String, error: String, retryAt: Date?, now: Date = Date()) throws {
        try write("recording the failure of job \(id)") { db in
            if let retryAt {
                try db.execute(
                    sql:
                        "UPDATE jobs SET state = 'pending', error = ?, worker = NULL, next_attempt_at = ?, updated_at = ? WHERE id = ?",
                    arguments: [error, retryAt.timeIntervalSince1970, now.timeIntervalSince1970, id])
            } else {
                try db.execute(
                    sql:
                        "UPDATE jobs SET state = 'failed', dead = 1, error = ?, worker = NULL, updated_at = ? WHERE id = ?",
                    arguments: [error, now.timeIntervalSince1970, id])
            }
        }
    }

    /// Records that job `id` stopped because it was canceled.
    public func markCanceled(_ id: String, now: Date = Date()) throws {
        try write("canceling job \(id)") { db in
            try db.execute(
                sql: "UPDATE jobs SET state = 'canceled', worker = NULL, updated_at = ? WHERE id = ?",
                arguments: [now.timeIntervalSince1970, id])
        }
    }

    /// Cancels job `id`: a pending one at once, a running one by asking its worker.
    ///
    /// - Returns: The job after the change, or `nil` when there is no such job.
    public func cancel(_ id: String, now: Date = Date()) throws -> JobRecord? {
        try write("canceling job \(id)") { db in
            try db.execute(
                sql: "UPDATE jobs SET state = 'canceled', updated_at = ? WHERE id = ? AND state = 'pending'",
                arguments: [now.timeIntervalSince1970, id])
            try db.execute(
                sql: "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ? AND state = 'running'",
                arguments: [now.timeIntervalSince1970, id])
            return try Self.job(id, in: db)
        }
    }

    /// Puts a failed or canceled job back in the queue with its attempts reset (out of the
    /// dead-letter list).
    ///
    /// - Returns: The job after the change, or `nil` when there is no such job.
    public func retry(_ id: String, now: Date = Date()) throws -> JobRecord? {
        try write("retrying job \(id)") { db in
            let time = now.timeIntervalSince1970
            try db.execute(
                sql: """
                    UPDATE jobs SET state = 'pending', attempts = 0, dead = 0, cancel_requested = 0, error = NULL,
                        next_attempt_at = ?, updated_at = ?
                    WHERE id = ? AND state IN ('failed', 'canceled')
                    """, arguments: [time, time, id])
            return try Self.job(id, in: db)
        }
    }
}
