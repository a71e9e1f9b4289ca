public import Foundation
import MaxCore
import MaxQuery
public import MaxStore
import PostgresNIO

/// The project's record of operations in PostgreSQL, shared by every machine's processes:
/// idempotency keys, async jobs and webhook deliveries, in tables of the project's own namespace.
///
/// A record is held under a lease, timed by the server's clock (the machines' clocks need not
/// agree): the holder renews it with ``renew(_:)``, and one whose holder stopped renewing (killed,
/// its machine lost) is settled by the next caller. Jobs are claimed with `FOR UPDATE SKIP LOCKED`,
/// so any number of runners share the queue; a runner's writes to its job are fenced by its hold.
public struct PostgresOperationStore: OperationRecords {
    /// The store whose connections and namespace the records use.
    public let store: PostgresEntityStore

    /// Many machines share the records: holds are leases, renewed.
    public var isShared: Bool { true }

    /// The records in `store`'s namespace, whose tables are made when missing.
    ///
    /// - Throws: `storage.postgres_failed`.
    public init(store: PostgresEntityStore) async throws {
        self.store = store
        try await store.inTransaction {
            _ = try await store.rows(
                SQLStatement(
                    sql: "SELECT pg_advisory_xact_lock(hashtext($1))",
                    values: [.text(store.settings.namespace + "/operations")]))
            for statement in Self.tables { try await store.execute(statement) }
        }
    }

    private static let tables = [
        """
        CREATE TABLE IF NOT EXISTS _max_idempotency (
          installation text NOT NULL, operation text NOT NULL, key text NOT NULL, input_hash text NOT NULL,
          state text NOT NULL, result text, holder text NOT NULL, lease_until bigint NOT NULL,
          created_at bigint NOT NULL, expires_at bigint NOT NULL, sent_at bigint,
          PRIMARY KEY (installation, operation, key))
        """,
        """
        CREATE TABLE IF NOT EXISTS _max_jobs (
          id text PRIMARY KEY, installation text NOT NULL, operation text NOT NULL, input text NOT NULL,
          idempotency_key text, state text NOT NULL, attempts integer NOT NULL DEFAULT 0,
          max_attempts integer NOT NULL, result text, error text, dead boolean NOT NULL DEFAULT false,
          cancel_requested boolean NOT NULL DEFAULT false, holder text, lease_until bigint,
          created_at bigint NOT NULL, updated_at bigint NOT NULL, next_attempt_at bigint NOT NULL, sent_at bigint)
        """,
        "CREATE INDEX IF NOT EXISTS _max_jobs_due ON _max_jobs (state, next_attempt_at)",
        """
        CREATE TABLE IF NOT EXISTS _max_workers (
          id text PRIMARY KEY, installations text NOT NULL, started_at bigint NOT NULL, lease_until bigint NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS _max_webhook_deliveries (
          installation text NOT NULL, id text NOT NULL, received_at bigint NOT NULL,
          PRIMARY KEY (installation, id))
        """,
    ]

    /// The server's time in epoch milliseconds, as SQL.
    private static let now = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"

    private func rows(_ sql: String, _ values: [SQLValue] = []) async throws -> [PostgresRow] {
        try await store.rows(SQLStatement(sql: sql, values: values))
    }

    private static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    // MARK: Idempotency

    /// Claims `key` for `holder`, in one transaction: a new or expired key is the caller's; a held
    /// one is waited for while its holder's lease lasts; one whose holder stopped renewing is taken
    /// over if its request never left, and is of unknown outcome if it had.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func claim(_ key: IdempotencyKey, inputHash: String, holder: TaskClaim, ttl: TimeInterval) async throws
        -> IdempotencyClaim
    {
        let keyValues: [SQLValue] = [.text(key.installation), .text(key.operation), .text(key.key)]
        let take: [SQLValue] =
            keyValues + [
                .text(inputHash), .text(holder.worker), .int(holder.lease.milliseconds), .int(Int64(ttl * 1000)),
            ]
        return try await store.inTransaction {
            let inserted = try await rows(
                """
                INSERT INTO _max_idempotency
                  (installation, operation, key, input_hash, state, holder, lease_until, created_at, expires_at)
                SELECT $1, $2, $3, $4, 'running', $5, \(Self.now) + $6, \(Self.now), \(Self.now) + $7
                ON CONFLICT DO NOTHING RETURNING 1
                """, take)
            if !inserted.isEmpty { return .run }
            guard
                let row = try await rows(
                    """
                    SELECT input_hash, state, result, holder, expires_at, sent_at,
                      expires_at <= \(Self.now), lease_until <= \(Self.now)
                    FROM _max_idempotency WHERE installation = $1 AND operation = $2 AND key = $3 FOR UPDATE
                    """, keyValues
                ).first
            else { return .wait }  // deleted since the insert: ask again
            let (hash, state, result, owner, expires, sent, expired, lapsed) = try row.decode(
                (String, String, String?, String, Int64, Int64?, Bool, Bool).self)
            let retake = """
                UPDATE _max_idempotency SET input_hash = $4, state = 'running', result = NULL, holder = $5,
                  lease_until = \(Self.now) + $6, created_at = \(Self.now), expires_at = \(Self.now) + $7, sent_at = NULL
                WHERE installation = $1 AND operation = $2 AND key = $3
                """
            if expired {
                _ = try await rows(retake, take)
                return .run
            }
            if hash != inputHash { return .conflict }
            if state == "done", let result { return .replay(result) }
            if let sent, state == "unknown" || (state == "sent" && lapsed) {
                if state == "sent" {
                    _ = try await rows(
                        "UPDATE _max_idempotency SET state = 'unknown' WHERE installation = $1 AND operation = $2 AND key = $3",
                        keyValues)
                }
                return .unknown(
                    holder: owner, sentAt: Self.date(sent), expiresAt: Self.date(expires), firstSeen: state == "sent")
            }
            guard lapsed else { return .wait }
            _ = try await rows(retake, take)
            return .run
        }
    }

    /// Records that the request of the call holding `key` is about to leave for the source.
    public func markSent(_ key: IdempotencyKey) async throws {
        _ = try await rows(
            """
            UPDATE _max_idempotency SET state = 'sent', sent_at = \(Self.now)
            WHERE installation = $1 AND operation = $2 AND key = $3
            """, [.text(key.installation), .text(key.operation), .text(key.key)])
    }

    /// Records the result of the call holding `key`.
    public func complete(_ key: IdempotencyKey, result: String) async throws {
        _ = try await rows(
            """
            UPDATE _max_idempotency SET state = 'done', result = $4
            WHERE installation = $1 AND operation = $2 AND key = $3
            """, [.text(key.installation), .text(key.operation), .text(key.key), .text(result)])
    }

    /// Frees `key` after its call failed.
    public func release(_ key: IdempotencyKey) async throws {
        _ = try await rows(
            "DELETE FROM _max_idempotency WHERE installation = $1 AND operation = $2 AND key = $3",
            [.text(key.installation), .text(key.operation), .text(key.key)])
    }

    // MARK: Webhooks

    /// Records a webhook delivery, and returns `false` for one seen before.
    ///
    /// Deliveries older than a day are forgotten.
    public func recordDelivery(installation: String, id: String) async throws -> Bool {
        try await store.inTransaction {
            _ = try await rows("DELETE FROM _max_webhook_deliveries WHERE received_at < \(Self.now) - 86400000")
            return
                !(try await rows(
                    """
                    INSERT INTO _max_webhook_deliveries (installation, id, received_at) SELECT $1, $2, \(Self.now)
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, [.text(installation), .text(id)]
                )
                .isEmpty)
        }
    }

    /// Forgets expired keys, and everything of `installation` when one is given.
    public func purge(installation: String?) async throws {
        try await store.inTransaction {
            _ = try await rows("DELETE FROM _max_idempotency WHERE expires_at <= \(Self.now)")
            if let installation {
                for table in ["_max_idempotency", "_max_jobs", "_max_webhook_deliveries"] {
                    _ = try await rows("DELETE FROM \(table) WHERE installation = $1", [.text(installation)])
                }
            }
        }
    }

    // MARK: Jobs

    private static let jobColumns = """
        id, installation, operation, input, idempotency_key, state, attempts, max_attempts, result, error, dead,
        cancel_requested, holder, created_at, updated_at
        """

    private static func job(_ row: PostgresRow) throws -> JobRecord {
        let columns = row.makeRandomAccess()
        let state = try columns[5].decode(String.self)
        guard let parsed = JobRecord.State(rawValue: state) else {
            throw MaxError(
                .postgresStoreFailed, "a stored job has the state \"\(state)\", which this Max does not know")
        }
        return JobRecord(
            id: try columns[0].decode(String.self), installation: try columns[1].decode(String.self),
            operation: try columns[2].decode(String.self), input: try columns[3].decode(String.self),
            idempotencyKey: try columns[4].decode(String?.self), state: parsed,
            attempts: Int(try columns[6].decode(Int32.self)), maxAttempts: Int(try columns[7].decode(Int32.self)),
            result: try columns[8].decode(String?.self), error: try columns[9].decode(String?.self),
            dead: try columns[10].decode(Bool.self), cancelRequested: try columns[11].decode(Bool.self),
            holder: try columns[12].decode(String?.self), createdAt: date(try columns[13].decode(Int64.self)),
            updatedAt: date(try columns[14].decode(Int64.self)))
    }

    /// Enqueues a job, due at once.
    public func enqueue(
        installation: String, operation: String, input: String, idempotencyKey: String?, maxAttempts: Int
    ) async throws -> JobRecord {
        let rows = try await rows(
            """
            INSERT INTO _max_jobs (id, installation, operation, input, idempotency_key, state, max_attempts,
                                   created_at, updated_at, next_attempt_at)
            SELECT $1, $2, $3, $4, $5, 'pending', $6, \(Self.now), \(Self.now), \(Self.now)
            RETURNING \(Self.jobColumns)
            """,
            [
                .text(JobRecord.newID()), .text(installation), .text(operation), .text(input),
                idempotencyKey.map(SQLValue.text) ?? .null, .int(Int64(maxAttempts)),
            ])
        guard let row = rows.first else {
            throw MaxError(.postgresStoreFailed, "a job of \(operation) just enqueued cannot be read back")
        }
        return try Self.job(row)
    }

    /// The job `id`, if there is one.
    public func job(_ id: String) async throws -> JobRecord? {
        try await rows("SELECT \(Self.jobColumns) FROM _max_jobs WHERE id = $1", [.text(id)]).first.map(Self.job)
    }

    /// Jobs, newest first: of one installation, in one state, or only the dead-letter list.
    public func jobs(installation: String?, state: JobRecord.State?, deadOnly: Bool, limit: Int) async throws
        -> [JobRecord]
    {
        try await rows(
            """
            SELECT \(Self.jobColumns) FROM _max_jobs
            WHERE ($1::text IS NULL OR installation = $1) AND ($2::text IS NULL OR state = $2) AND (NOT $3 OR dead)
            ORDER BY created_at DESC, id LIMIT $4
            """,
            [
                installation.map(SQLValue.text) ?? .null, state.map { .text($0.rawValue) } ?? .null, .bool(deadOnly),
                .int(Int64(max(1, limit))),
            ]
        ).map(Self.job)
    }

    /// Takes the oldest due job for `holder` until its lease runs out, skipping jobs other runners
    /// are claiming; first settles the jobs whose holders stopped renewing.
    public func claimNextJob(_ holder: TaskClaim, installations: [String]?) async throws -> JobRecord? {
        try await store.inTransaction {
            _ = try await settleOrphans()
            return try await rows(
                """
                UPDATE _max_jobs SET state = 'running', holder = $1, lease_until = \(Self.now) + $2,
                  attempts = attempts + 1, sent_at = NULL, updated_at = \(Self.now)
                WHERE id = (SELECT id FROM _max_jobs WHERE state = 'pending' AND next_attempt_at <= \(Self.now)
                              AND ($3::text IS NULL OR installation = ANY(string_to_array($3, '/')))
                            ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING \(Self.jobColumns)
                """,
                [
                    .text(holder.worker), .int(holder.lease.milliseconds),
                    installations.map { .text($0.joined(separator: "/")) } ?? .null,
                ]
            ).first.map(Self.job)
        }
    }

    /// Settles the running jobs whose holders stopped renewing: back to pending when the request
    /// never left, failed as of unknown outcome (dead-lettered) when it had.
    @discardableResult
    public func recoverOrphans() async throws -> Int {
        try await store.inTransaction { try await settleOrphans() }
    }

    private func settleOrphans() async throws -> Int {
        let orphans = try await rows(
            """
            SELECT id, holder, sent_at FROM _max_jobs WHERE state = 'running' AND lease_until <= \(Self.now)
            FOR UPDATE SKIP LOCKED
            """)
        for row in orphans {
            let (id, holder, sent) = try row.decode((String, String?, Int64?).self)
            if let sent {
                _ = try await rows(
                    """
                    UPDATE _max_jobs SET state = 'failed', dead = true, error = $2, holder = NULL,
                      updated_at = \(Self.now) WHERE id = $1
                    """,
                    [.text(id), .text(JobRecord.outcomeUnknown(holder: holder ?? "unknown", sentAt: Self.date(sent)))])
            } else {
                _ = try await rows(
                    "UPDATE _max_jobs SET state = 'pending', holder = NULL, updated_at = \(Self.now) WHERE id = $1",
                    [.text(id)])
            }
        }
        return orphans.count
    }

    /// Gives back `holder`'s running job `id`: its lease ends now, and it is settled at once.
    public func handBack(_ id: String, holder: TaskClaim) async throws {
        try await store.inTransaction {
            _ = try await rows(
                "UPDATE _max_jobs SET lease_until = 0 WHERE id = $1 AND holder = $2 AND state = 'running'",
                [.text(id), .text(holder.worker)])
            _ = try await settleOrphans()
        }
    }

    /// How long until the next pending job is due, if any is pending.
    public func timeUntilNextJob() async throws -> Duration? {
        let rows = try await rows(
            "SELECT min(next_attempt_at) - \(Self.now) FROM _max_jobs WHERE state = 'pending'")
        return try rows.first?.decode(Int64?.self).map { .milliseconds(max(0, $0)) }
    }

    /// Records that `holder`'s job `id` is about to send its request.
    public func markJobSent(_ id: String, holder: TaskClaim) async throws {
        _ = try await rows(
            "UPDATE _max_jobs SET sent_at = \(Self.now) WHERE id = $1 AND holder = $2 AND state = 'running'",
            [.text(id), .text(holder.worker)])
    }

    /// Renews `holder`'s leases on its running keys and jobs; returns its jobs asked to cancel.
    public func renew(_ holder: TaskClaim) async throws -> Set<String> {
        let values: [SQLValue] = [.text(holder.worker), .int(holder.lease.milliseconds)]
        return try await store.inTransaction {
            _ = try await rows(
                """
                UPDATE _max_idempotency SET lease_until = \(Self.now) + $2
                WHERE holder = $1 AND state IN ('running', 'sent')
                """, values)
            let jobs = try await rows(
                """
                UPDATE _max_jobs SET lease_until = \(Self.now) + $2 WHERE holder = $1 AND state = 'running'
                RETURNING id, cancel_requested
                """, values)
            return Set(try jobs.map { try $0.decode((String, Bool).self) }.filter(\.1).map(\.0))
        }
    }

    /// Records that `holder`'s job `id` succeeded.
    @discardableResult
    public func succeed(_ id: String, result: String, holder: TaskClaim) async throws -> Bool {
        try await !rows(
            """
            UPDATE _max_jobs SET state = 'succeeded', result = $3, error = NULL, holder = NULL, updated_at = \(Self.now)
            WHERE id = $1 AND holder = $2 AND state = 'running' RETURNING 1
            """, [.text(id), .text(holder.worker), .text(result)]
        ).isEmpty
    }

    /// Records a failed attempt of `holder`'s job `id`: due again after `retryIn`, or dead.
    @discardableResult
    public func fail(_ id: String, error: String, retryIn: Duration?, holder: TaskClaim) async throws -> Bool {
        let values: [SQLValue] = [.text(id), .text(holder.worker), .text(error)]
        guard let retryIn else {
            return try await !rows(
                """
                UPDATE _max_jobs SET state = 'failed', dead = true, error = $3, holder = NULL, updated_at = \(Self.now)
                WHERE id = $1 AND holder = $2 AND state = 'running' RETURNING 1
                """, values
            ).isEmpty
        }
        return try await !rows(
            """
            UPDATE _max_jobs SET state = 'pending', error = $3, holder = NULL, next_attempt_at = \(Self.now) + $4,
              updated_at = \(Self.now)
            WHERE id = $1 AND holder = $2 AND state = 'running' RETURNING 1
            """, values + [.int(retryIn.milliseconds)]
        ).isEmpty
    }

    /// Records that `holder`'s job `id` stopped because it was canceled.
    @discardableResult
    public func markCanceled(_ id: String, holder: TaskClaim) async throws -> Bool {
        try await !rows(
            """
            UPDATE _max_jobs SET state = 'canceled', holder = NULL, updated_at = \(Self.now)
            WHERE id = $1 AND holder = $2 AND state = 'running' RETURNING 1
            """, [.text(id), .text(holder.worker)]
        ).isEmpty
    }

    /// Cancels job `id`: a pending one at once, a running one by asking its holder.
    public func cancel(_ id: String) async throws -> JobRecord? {
        try await rows(
            """
            UPDATE _max_jobs SET
              state = CASE WHEN state = 'pending' THEN 'canceled' ELSE state END,
              cancel_requested = cancel_requested OR state = 'running',
              updated_at = CASE WHEN state IN ('pending', 'running') THEN \(Self.now) ELSE updated_at END
            WHERE id = $1 RETURNING \(Self.jobColumns)
            """, [.text(id)]
        ).first.map(Self.job)
    }

    /// Puts a failed or canceled job back in the queue with its attempts reset.
    public func retry(_ id: String) async throws -> JobRecord? {
        _ = try await rows(
            """
            UPDATE _max_jobs SET state = 'pending', attempts = 0, dead = false, cancel_requested = false, error = NULL,
              next_attempt_at = \(Self.now), updated_at = \(Self.now)
            WHERE id = $1 AND state IN ('failed', 'canceled')
            """, [.text(id)])
        return try await job(id)
    }

    // MARK: Workers

    /// Records (or renews) that worker `holder` runs the work of `installations` until its lease
    /// runs out.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func registerWorker(_ holder: TaskClaim, installations: [String]) async throws {
        _ = try await rows(
            """
            INSERT INTO _max_workers (id, installations, started_at, lease_until)
            SELECT $1, $2, \(Self.now), \(Self.now) + $3
            ON CONFLICT (id) DO UPDATE SET installations = excluded.installations, lease_until = excluded.lease_until
            """, [.text(holder.worker), .text(installations.joined(separator: "/")), .int(holder.lease.milliseconds)])
    }

    /// Records that worker `holder` stopped.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func unregisterWorker(_ holder: TaskClaim) async throws {
        _ = try await rows("DELETE FROM _max_workers WHERE id = $1", [.text(holder.worker)])
    }

    /// The workers whose lease lasts that work for `installation`, by id.
    ///
    /// - Throws: `storage.postgres_failed`.
    public func liveWorkers(for installation: String) async throws -> [String] {
        try await rows(
            """
            SELECT id FROM _max_workers
            WHERE lease_until > \(Self.now) AND $1 = ANY(string_to_array(installations, '/')) ORDER BY id
            """, [.text(installation)]
        ).map { try $0.decode(String.self) }
    }
}
