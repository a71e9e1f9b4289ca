public import Foundation
import GRDB
import MaxCore

/// The project's record of operations, in one SQLite file (`.max/operations.db`) every process
/// shares: idempotency keys with the results they produced, and async jobs.
///
/// Every change is one write transaction, so two processes claiming the same idempotency key or
/// the same job never both win.
public final class OperationStore: Sendable {
    private let pool: DatabasePool

    private init(pool: DatabasePool) {
        self.pool = pool
    }

    /// Opens (creating if needed) the store at `url`, private to its owner.
    ///
    /// - Throws: `storage.database_error`.
    public static func open(at url: URL, busyTimeout: TimeInterval = 15) throws -> OperationStore {
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
                return OperationStore(pool: pool)
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
    /// What a call holding an idempotency key should do.
    public enum Claim: Sendable, Equatable {
        /// Run the operation: the key is now this process's.
        case run
        /// Return this result (the envelope the first call returned) without calling the source.
        case replay(String)
        /// Another process is running the first call: ask again shortly.
        case wait
        /// The key was used with another input.
        case conflict
        /// The first call's request had left for the source when its process died: whether the
        /// source acted on it is unknown. `firstSeen` is true for the call that discovers it (which
        /// records the lost attempt); later ones get the same answer until the key expires.
        case unknown(owner: Int32, sentAt: Date, expiresAt: Date, firstSeen: Bool)
    }

    /// One idempotency key of one operation of one installation.
    public struct IdempotencyKey: Sendable, Hashable {
        /// The installation.
        public let installation: String
        /// The operation.
        public let operation: String
        /// The caller's key.
        public let key: String

        /// A key.
        public init(installation: String, operation: String, key: String) {
            self.installation = installation
            self.operation = operation
            self.key = key
        }
    }

    /// Claims `key` for a call whose input hashes to `inputHash`, in one transaction.
    ///
    /// A record past its expiry counts as absent. A running record whose owner process is gone
    /// (`isAlive` says so) is taken over if its request never left; if it had left (``markSent(_:)``),
    /// the outcome is ``Claim/unknown(owner:sentAt:expiresAt:firstSeen:)`` and nothing is sent again.
    ///
    /// - Parameters:
    ///   - key: The key.
    ///   - inputHash: A digest of the input.
    ///   - owner: This process's id.
    ///   - ttl: How long the record lives from now.
    ///   - now: The time.
    ///   - isAlive: Whether a process id still runs.
    /// - Returns: What to do.
    /// - Throws: `storage.database_error`, `storage.busy`.
    public func claim(
        _ key: IdempotencyKey, inputHash: String, owner: Int32, ttl: TimeInterval, now: Date = Date(),
        isAlive: (Int32) -> Bool
    ) throws -> Claim {
        try write("claiming the idempotency key \(key.key)") { db in
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
                let owner = try row.value(Column("owner"), as: Int32.self, in: table)
                if let sent = try row.value(Column("sent_at"), as: Double?.self, in: table),
                    state == "unknown" || (state == "sent" && !isAlive(owner))
                {
                    if state == "sent" {
                        try db.execute(
                            sql:
                                "UPDATE idempotency SET state = 'unknown' WHERE installation = ? AND operation = ? AND key = ?",
                            arguments: arguments)
                    }
                    return .unknown(
                        owner: owner, sentAt: Date(timeIntervalSince1970: sent),
                        expiresAt: Date(timeIntervalSince1970: expires), firstSeen: state == "sent")
                }
                if isAlive(owner) { return .wait }
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
    public func markSent(_ key: IdempotencyKey, now: Date = Date()) throws {
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
    public func complete(_ key: IdempotencyKey, result: String) throws {
        try write("recording the result of \(key.key)") { db in
            try db.execute(
                sql:
                    "UPDATE idempotency SET state = 'done', result = ? WHERE installation = ? AND operation = ? AND key = ?",
                arguments: [result, key.installation, key.operation, key.key])
        }
    }

    /// Frees `key` after its call failed: the next call with it runs again.
    public func release(_ key: IdempotencyKey) throws {
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
    public func recordDelivery(installation: String, id: String, now: Date = Date()) throws -> Bool {
        try write("recording webhook delivery \(id)") { db in
            let time = now.timeIntervalSince1970
            try db.execute(sql: "DELETE FROM webhook_deliveries WHERE received_at < ?", arguments: [time - 86_400])
            try db.execute(
                sql: "INSERT OR IGNORE INTO webhook_deliveries (installation, id, received_at) VALUES (?, ?, ?)",
                arguments: [installation, id, time])
            return db.changesCount == 1
        }
    }

    /// Forgets expired records and everything of `installation` (when it is disconnected).
    public func purge(installation: String? = nil, now: Date = Date()) throws {
        try write("purging operation records") { db in
            try db.execute(sql: "DELETE FROM idempotency WHERE expires_at <= ?", arguments: [now.timeIntervalSince1970])
            if let installation {
                try db.execute(sql: "DELETE FROM idempotency WHERE installation = ?", arguments: [installation])
                try db.execute(sql: "DELETE FROM jobs WHERE installation = ?", arguments: [installation])
            }
        }
    }
}
