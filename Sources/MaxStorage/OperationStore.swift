public import Foundation
import GRDB
import MaxCore
public import MaxStore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The project's record of operations in one SQLite file (`.max/operations.db`) that every process
/// of one machine shares: idempotency keys with the results they produced, async jobs, webhook
/// deliveries.
///
/// Every change is one write transaction, so two processes claiming the same idempotency key or
/// the same job never both win. A record is held by a process (its id is stored), for as long as
/// that process lives: nothing needs renewing.
public final class OperationStore: OperationRecords {
    private let pool: DatabasePool
    /// The time, injected for tests.
    let now: @Sendable () -> Date
    /// Whether a process id still runs, injected for tests.
    let isAlive: @Sendable (Int32) -> Bool

    private init(pool: DatabasePool, now: @escaping @Sendable () -> Date, isAlive: @escaping @Sendable (Int32) -> Bool)
    {
        self.pool = pool
        self.now = now
        self.isAlive = isAlive
    }

    /// A SQLite store is shared by the processes of one machine only.
    public var isShared: Bool { false }

    /// Opens (creating if needed) the store at `url`, private to its owner.
    ///
    /// - Parameters:
    ///   - url: The file.
    ///   - busyTimeout: How long a write waits for another process's.
    ///   - now: The time.
    ///   - isAlive: Whether a process id still runs (a holder that does not is gone).
    /// - Returns: The store.
    /// - Throws: `storage.database_error`.
    public static func open(
        at url: URL, busyTimeout: TimeInterval = 15, now: @escaping @Sendable () -> Date = Date.init,
        isAlive: @escaping @Sendable (Int32) -> Bool = ProcessLiveness.isAlive
    ) throws -> OperationStore {
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw MaxError(.databaseError, "cannot create the folder for \(url.path)", context: ["path": url.path])
        }
        return try DirectoryLock.withLock(on: url.deletingLastPathComponent(), shared: false) {
            createPrivateFile(at: url.path)
            var configuration = Configuration()
            configuration.busyMode = .timeout(busyTimeout)
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            do {
                let pool = try DatabasePool(path: url.path, configuration: configuration)
                try migrator.migrate(pool)
                return OperationStore(pool: pool, now: now, isAlive: isAlive)
            } catch {
                throw MaxError.storage(error, while: "opening \(url.path)")
            }
        }
    }

    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: idempotency keys and jobs") { db in
            try db.execute(
                sql: """
                    CREATE TABLE idempotency (
                        installation TEXT NOT NULL,
                        operation TEXT NOT NULL,
                        key TEXT NOT NULL,
                        input_hash TEXT NOT NULL,
                        state TEXT NOT NULL,
                        result TEXT,
                        owner INTEGER NOT NULL,
                        created_at REAL NOT NULL,
                        expires_at REAL NOT NULL,
                        PRIMARY KEY (installation, operation, key)
                    ) WITHOUT ROWID;
                    CREATE TABLE jobs (
                        id TEXT PRIMARY KEY NOT NULL,
                        installation TEXT NOT NULL,
                        operation TEXT NOT NULL,
                        input TEXT NOT NULL,
                        idempotency_key TEXT,
                        state TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        max_attempts INTEGER NOT NULL,
                        result TEXT,
                        error TEXT,
                        dead INTEGER NOT NULL DEFAULT 0,
                        cancel_requested INTEGER NOT NULL DEFAULT 0,
                        worker INTEGER,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        next_attempt_at REAL NOT NULL
                    );
                    CREATE INDEX jobs_by_state ON jobs (state, next_attempt_at);
                    """)
        }
        migrator.registerMigration("v2: webhook deliveries seen") { db in
            try db.execute(
                sql: """
                    CREATE TABLE webhook_deliveries (
                        installation TEXT NOT NULL,
                        id TEXT NOT NULL,
                        received_at REAL NOT NULL,
                        PRIMARY KEY (installation, id)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v3: when a request left for the source") { db in
            // Set just before a call's request leaves (and cleared when a job's attempt begins):
            // a call whose process died after it is of unknown outcome, never sent again blindly.
            try db.execute(
                sql: """
                    ALTER TABLE idempotency ADD COLUMN sent_at REAL;
                    ALTER TABLE jobs ADD COLUMN sent_at REAL;
                    """)
        }
        return migrator
    }()

    /// Runs `body` in a write transaction.
    func write<T>(_ action: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.write(body)
        } catch {
            throw MaxError.storage(error, while: action)
        }
    }

    /// Runs `body` on a snapshot.
    func read<T>(_ action: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try pool.read(body)
        } catch {
            throw MaxError.storage(error, while: action)
        }
    }
}

// MARK: - Idempotency

extension OperationStore {
    /// Claims `key` for this process, in one transaction.
    ///
    /// A record past its expiry counts as absent. A running record whose process is gone is taken
    /// over if its request never left; if it had left (``markSent(_:)``), the outcome is
    /// ``IdempotencyClaim/unknown(holder:sentAt:expiresAt:firstSeen:)`` and nothing is sent again.
    ///
    /// - Throws: `storage.database_error`, `storage.busy`.
    public func claim(_ key: IdempotencyKey, inputHash: String, holder: TaskClaim, ttl: TimeInterval) async throws
        -> IdempotencyClaim
    {
        let now = now()
        let owner = getpid()
        return try write("claiming the idempotency key \(key.key)") { db in
            let arguments: StatementArguments = [key.installation, key.operation, key.key]
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT input_hash, state, result, owner, expires_at, sent_at FROM idempotency
                    WHERE installation = ? AND operation = ? AND key = ?
                    """, arguments: arguments)
            let table = "idempotency"
            let expires = try row?.value(Column("expires_at"), as: Double.self, in: table) ?? 0
            if let row, expires > now.timeIntervalSince1970 {
                if try row.value(Column("input_hash"), as: String.self, in: table) != inputHash { return .conflict }
                let state = try row.value(Column("state"), as: String.self, in: table)
                if state == "done", let result = try row.value(Column("result"), as: String?.self, in: table) {
                    return .replay(result)
                }
                let holder = try row.value(Column("owner"), as: Int32.self, in: table)
                if let sent = try row.value(Column("sent_at"), as: Double?.self, in: table),
                    state == "unknown" || (state == "sent" && !isAlive(holder))
                {
                    if state == "sent" {
                        try db.execute(
                            sql:
                                "UPDATE idempotency SET state = 'unknown' WHERE installation = ? AND operation = ? AND key = ?",
                            arguments: arguments)
                    }
                    return .unknown(
                        holder: "process \(holder)", sentAt: Date(timeIntervalSince1970: sent),
                        expiresAt: Date(timeIntervalSince1970: expires), firstSeen: state == "sent")
                }
                if isAlive(holder) { return .wait }
            }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO idempotency
                    (installation, operation, key, input_hash, state, result, owner, created_at, expires_at)
                    VALUES (?, ?, ?, ?, 'running', NULL, ?, ?, ?)
                    """,
                arguments: arguments + [
                    inputHash, owner, now.timeIntervalSince1970, now.timeIntervalSince1970 + ttl,
                ])
            return .run
        }
    }

    /// Records that the request of the call holding `key` is about to leave for the source: from
    /// now on, if this process dies, the call's outcome is unknown rather than safe to repeat.
    public func markSent(_ key: IdempotencyKey) async throws {
        let now = now()
        try write("recording that \(key.key) is being sent") { db in
            try db.execute(
                sql: """
                    UPDATE idempotency SET state = 'sent', sent_at = ?
                    WHERE installation = ? AND operation = ? AND key = ?
                    """,
                arguments: [now.timeIntervalSince1970, key.installation, key.operation, key.key])
        }
    }

    /// Records the result of the call that holds `key`: later calls with it get `result`.
    public func complete(_ key: IdempotencyKey, result: String) async throws {
        try write("recording the result of \(key.key)") { db in
            try db.execute(
                sql:
                    "UPDATE idempotency SET state = 'done', result = ? WHERE installation = ? AND operation = ? AND key = ?",
                arguments: [result, key.installation, key.operation, key.key])
        }
    }

    /// Frees `key` after its call failed: the next call with it runs again.
    public func release(_ key: IdempotencyKey) async throws {
        try write("releasing \(key.key)") { db in
            try db.execute(
                sql: "DELETE FROM idempotency WHERE installation = ? AND operation = ? AND key = ?",
                arguments: [key.installation, key.operation, key.key])
        }
    }

    /// Records that the webhook delivery `id` of `installation` arrived.
    ///
    /// Deliveries older than a day are forgotten: a replay that old is refused by its timestamp
    /// anyway.
    ///
    /// - Returns: `false` when it had arrived before (a replay).
    public func recordDelivery(installation: String, id: String) async throws -> Bool {
        let time = now().timeIntervalSince1970
        return try write("recording webhook delivery \(id)") { db in
            try db.execute(sql: "DELETE FROM webhook_deliveries WHERE received_at < ?", arguments: [time - 86_400])
            try db.execute(
                sql: "INSERT OR IGNORE INTO webhook_deliveries (installation, id, received_at) VALUES (?, ?, ?)",
                arguments: [installation, id, time])
            return db.changesCount == 1
        }
    }

    /// Forgets expired records and everything of `installation` (when it is disconnected).
    public func purge(installation: String?) async throws {
        let time = now().timeIntervalSince1970
        try write("purging operation records") { db in
            try db.execute(sql: "DELETE FROM idempotency WHERE expires_at <= ?", arguments: [time])
            if let installation {
                try db.execute(sql: "DELETE FROM idempotency WHERE installation = ?", arguments: [installation])
                try db.execute(sql: "DELETE FROM jobs WHERE installation = ?", arguments: [installation])
            }
        }
    }
}
