import Foundation
import GRDB
import MaxCore
public import MaxStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The columns of the `jobs` table.
enum JobColumns {
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

extension JobRecord {
    /// Reads a stored job.
    ///
    /// - Throws: `storage.database_error` for a value of the wrong type or a state this Max does not know.
    init(row: Row) throws {
        let table = "jobs"
        let worker: Int32? = try row.value(JobColumns.worker, in: table)
        self.init(
            id: try row.value(JobColumns.id, in: table),
            installation: try row.value(JobColumns.installation, in: table),
            operation: try row.value(JobColumns.operation, in: table),
            input: try row.value(JobColumns.input, in: table),
            idempotencyKey: try row.value(JobColumns.idempotencyKey, in: table),
            state: try row.state(JobColumns.state, as: State.self, in: table),
            attempts: try row.value(JobColumns.attempts, in: table),
            maxAttempts: try row.value(JobColumns.maxAttempts, in: table),
            result: try row.value(JobColumns.result, in: table), error: try row.value(JobColumns.error, in: table),
            dead: try row.value(JobColumns.dead, in: table),
            cancelRequested: try row.value(JobColumns.cancelRequested, in: table), holder: worker.map(String.init),
            createdAt: Date(timeIntervalSince1970: try row.value(JobColumns.createdAt, in: table)),
            updatedAt: Date(timeIntervalSince1970: try row.value(JobColumns.updatedAt, in: table)))
    }
}

extension OperationStore {
    /// Enqueues a job.
    public func enqueue(
        installation: String, operation: String, input: String, idempotencyKey: String?, maxAttempts: Int
    ) async throws -> JobRecord {
        let id = JobRecord.newID()
        let time = now().timeIntervalSince1970
        return try write("enqueuing a job of \(operation)") { db in
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
    public func job(_ id: String) async throws -> JobRecord? {
        try read("reading job \(id)") { db in try Self.job(id, in: db) }
    }

    private static func job(_ id: String, in db: Database) throws -> JobRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM jobs WHERE id = ?", arguments: [id]).map(JobRecord.init(row:))
    }

    /// Jobs, newest first: of one installation, in one state, or only the dead-letter list.
    public func jobs(installation: String?, state: JobRecord.State?, deadOnly: Bool, limit: Int) async throws
        -> [JobRecord]
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
                db, sql: "SELECT * FROM jobs \(clause) ORDER BY created_at DESC, id LIMIT \(max(1, limit))",
                arguments: arguments
            ).map(JobRecord.init(row:))
        }
    }

    /// Takes the oldest job due to run, for this process, in one transaction; first puts back to
    /// pending every running job whose process is gone (a crash or a restart of Max).
    ///
    /// - Returns: The job, now running with one more attempt, or `nil` when none is due.
    public func claimNextJob(_ holder: TaskClaim, installations: [String]?) async throws -> JobRecord? {
        let now = now()
        var arguments: StatementArguments = [now.timeIntervalSince1970]
        var among = ""
        if let installations {
            among = " AND installation IN (\(installations.map { _ in "?" }.joined(separator: ", ")))"
            arguments += StatementArguments(installations)
        }
        return try write("claiming a job") { db in
            let time = now.timeIntervalSince1970
            try recoverOrphans(in: db, now: now)
            guard
                let id = try String.fetchOne(
                    db,
                    sql:
                        "SELECT id FROM jobs WHERE state = 'pending' AND next_attempt_at <= ?\(among) ORDER BY next_attempt_at, created_at LIMIT 1",
                    arguments: arguments)
            else { return nil }
            try db.execute(
                sql:
                    "UPDATE jobs SET state = 'running', worker = ?, attempts = attempts + 1, sent_at = NULL, updated_at = ? WHERE id = ?",
                arguments: [getpid(), time, id])
            return try Self.job(id, in: db)
        }
    }

    /// Settles the running jobs whose process is gone (a crash, `kill -9`, a reboot), and returns
    /// how many: one whose attempt never sent its request goes back to pending; one whose request
    /// had left for the source failed with `operation.outcome_unknown` (dead-lettered: `max jobs
    /// retry` sends it again once someone has checked the source).
    @discardableResult
    public func recoverOrphans() async throws -> Int {
        let now = now()
        return try write("recovering the jobs of runners that died") { db in try recoverOrphans(in: db, now: now) }
    }

    /// Gives back this process's running job `id`, settled as one whose process died.
    public func handBack(_ id: String, holder: TaskClaim) async throws {
        let now = now()
        _ = try write("handing back job \(id)") { db in
            try recoverOrphans(in: db, now: now, only: id)
        }
    }

    @discardableResult
    private func recoverOrphans(in db: Database, now: Date, only given: String? = nil) throws -> Int {
        let time = now.timeIntervalSince1970
        let orphans = try Row.fetchAll(db, sql: "SELECT id, worker, sent_at FROM jobs WHERE state = 'running'")
        var recovered = 0
        for row in orphans {
            let worker = try row.value(JobColumns.worker, as: Int32?.self, in: "jobs") ?? 0
            let id = try row.value(JobColumns.id, as: String.self, in: "jobs")
            if let given { guard id == given else { continue } } else { guard !isAlive(worker) else { continue } }
            recovered += 1
            if let sent = try row.value(Column("sent_at"), as: Double?.self, in: "jobs") {
                try db.execute(
                    sql:
                        "UPDATE jobs SET state = 'failed', dead = 1, error = ?, worker = NULL, updated_at = ? WHERE id = ?",
                    arguments: [
                        JobRecord.outcomeUnknown(
                            holder: "process \(worker)", sentAt: Date(timeIntervalSince1970: sent)),
                        time, id,
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
    public func markJobSent(_ id: String, holder: TaskClaim) async throws {
        let time = now().timeIntervalSince1970
        try write("recording that job \(id) is being sent") { db in
            try db.execute(sql: "UPDATE jobs SET sent_at = ? WHERE id = ?", arguments: [time, id])
        }
    }

    /// How long until the next pending job is due, if any is pending.
    public func timeUntilNextJob() async throws -> Duration? {
        let time = now().timeIntervalSince1970
        return try read("reading the job queue") { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM jobs WHERE state = 'pending'")
                .map { .milliseconds(Int64((max(0, $0 - time) * 1000).rounded(.up))) }
        }
    }

    /// Returns this process's running jobs someone asked to cancel.
    ///
    /// Nothing needs renewing: this process holds its records while it lives.
    public func renew(_ holder: TaskClaim) async throws -> Set<String> {
        try read("reading the jobs asked to cancel") { db in
            Set(
                try String.fetchAll(
                    db, sql: "SELECT id FROM jobs WHERE state = 'running' AND cancel_requested = 1 AND worker = ?",
                    arguments: [getpid()]))
        }
    }

    /// Records that job `id` succeeded with `result`.
    @discardableResult
    public func succeed(_ id: String, result: String, holder: TaskClaim) async throws -> Bool {
        let time = now().timeIntervalSince1970
        return try write("finishing job \(id)") { db in
            try db.execute(
                sql:
                    "UPDATE jobs SET state = 'succeeded', result = ?, error = NULL, worker = NULL, updated_at = ? WHERE id = ? AND state = 'running'",
                arguments: [result, time, id])
            return db.changesCount == 1
        }
    }

    /// Records that an attempt of job `id` failed: it goes back to pending until `retryIn` has
    /// passed, or, without one, fails for good and joins the dead-letter list.
    @discardableResult
    public func fail(_ id: String, error: String, retryIn: Duration?, holder: TaskClaim) async throws -> Bool {
        let time = now().timeIntervalSince1970
        return try write("recording the failure of job \(id)") { db in
            if let retryIn {
                try db.execute(
                    sql:
                        "UPDATE jobs SET state = 'pending', error = ?, worker = NULL, next_attempt_at = ?, updated_at = ? WHERE id = ? AND state = 'running'",
                    arguments: [error, time + Double(retryIn.milliseconds) / 1000, time, id])
            } else {
                try db.execute(
                    sql:
                        "UPDATE jobs SET state = 'failed', dead = 1, error = ?, worker = NULL, updated_at = ? WHERE id = ? AND state = 'running'",
                    arguments: [error, time, id])
            }
            return db.changesCount == 1
        }
    }

    /// Records that job `id` stopped because it was canceled.
    @discardableResult
    public func markCanceled(_ id: String, holder: TaskClaim) async throws -> Bool {
        let time = now().timeIntervalSince1970
        return try write("canceling job \(id)") { db in
            try db.execute(
                sql:
                    "UPDATE jobs SET state = 'canceled', worker = NULL, updated_at = ? WHERE id = ? AND state = 'running'",
                arguments: [time, id])
            return db.changesCount == 1
        }
    }

    /// Cancels job `id`: a pending one at once, a running one by asking its worker.
    ///
    /// - Returns: The job after the change, or `nil` when there is no such job.
    public func cancel(_ id: String) async throws -> JobRecord? {
        let time = now().timeIntervalSince1970
        return try write("canceling job \(id)") { db in
            try db.execute(
                sql: "UPDATE jobs SET state = 'canceled', updated_at = ? WHERE id = ? AND state = 'pending'",
                arguments: [time, id])
            try db.execute(
                sql: "UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ? AND state = 'running'",
                arguments: [time, id])
            return try Self.job(id, in: db)
        }
    }

    /// Puts a failed or canceled job back in the queue with its attempts reset (out of the
    /// dead-letter list).
    ///
    /// - Returns: The job after the change, or `nil` when there is no such job.
    public func retry(_ id: String) async throws -> JobRecord? {
        let time = now().timeIntervalSince1970
        return try write("retrying job \(id)") { db in
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
