import Foundation
import Logging
import MaxCore
package import MaxPostgresStore
import MaxStorage
package import MaxStore
import Synchronization

extension MaxWorkspace {
    /// The namespace of the project's own tables in its PostgreSQL database (operation records and
    /// audit events); no installation can be named so, since names start with a letter or digit.
    static let projectNamespace = "_max"

    /// The project's operation records: `.max/operations.db`, or, on a project that stores in
    /// PostgreSQL, tables of the database every machine shares (so a worker anywhere runs a job
    /// enqueued here, and a key is honoured whichever machine is called).
    ///
    /// Kept open for the rest of the process.
    ///
    /// - Throws: `storage.database_error`; `storage.postgres_unreachable`, `storage.postgres_failed`.
    package func operationRecords() async throws -> any OperationRecords {
        guard let shared = try storage().postgres else {
            return try OpenStores.operationStore(at: try project.runtimeFileURL("operations.db"))
        }
        return try await ProjectTables.operations(in: shared)
    }

    /// Forgets an installation's idempotency records and jobs (their results hold its data), where
    /// the project keeps any: no `.max/operations.db` is made for nothing.
    ///
    /// - Throws: the records' store's errors.
    func forgetOperationRecords(of installation: String) async throws {
        guard
            try storage().postgres != nil
                || FileManager.default.fileExists(
                    atPath: project.runtimeURL.appendingPathComponent("operations.db").path)
        else { return }
        try await operationRecords().purge(installation: installation)
    }

    /// Whether a job queued for `installation` needs a runner started for it: always on a SQLite
    /// project; on a PostgreSQL project, only when no live `max worker` works for it.
    package func jobsNeedARunner(_ installation: String) async -> Bool {
        guard let shared = try? storage().postgres,
            let records = try? await ProjectTables.operations(in: shared),
            let workers = try? await records.liveWorkers(for: installation)
        else { return true }
        return workers.isEmpty
    }

    /// The project's operation records in PostgreSQL (for a worker's registration).
    package func sharedOperationRecords(in storage: PostgresStorage) async throws -> PostgresOperationStore {
        try await ProjectTables.operations(in: storage)
    }

    /// A holder of operation records for this process: its id among the project's processes, and
    /// the lease a shared store gives it (renewed every third of it while it holds anything).
    static let recordHolder = TaskClaim(worker: workerID("operations"), lease: .seconds(30))
}

/// The project-wide PostgreSQL tables this process uses, by server and database: opened once and
/// kept for the life of the process.
///
/// They live in the namespace ``MaxWorkspace/projectNamespace``: the audit events (an entity store
/// of ``AuditLog/schema``) and the operation records.
enum ProjectTables {
    private static let stores = Mutex<[String: PostgresEntityStore]>([:])
    private static let records = Mutex<[String: PostgresOperationStore]>([:])

    /// The project's namespace in `storage`, its tables made the first time.
    ///
    /// - Throws: `credentials.source_unreadable` for the password; `storage.postgres_unreachable`,
    ///   `storage.postgres_failed`.
    static func store(in storage: PostgresStorage) async throws -> PostgresEntityStore {
        let key = storage.address
        if let store = stores.withLock({ $0[key] }) { return store }
        let store = try await MaxWorkspace.hintingAtStorage {
            try await PostgresEntityStore.open(
                storage.settings(for: MaxWorkspace.projectNamespace, connections: 2), schema: AuditLog.schema,
                logger: Logger(label: "max.store.postgres"))
        }
        let (kept, extra) = stores.withLock { cache -> (PostgresEntityStore, PostgresEntityStore?) in
            if let existing = cache[key] { return (existing, store) }
            cache[key] = store
            return (store, nil)
        }
        await extra?.close()
        return kept
    }

    /// The operation records in `storage`, their tables made the first time.
    static func operations(in storage: PostgresStorage) async throws -> PostgresOperationStore {
        let key = storage.address
        if let records = records.withLock({ $0[key] }) { return records }
        let opened = try await PostgresOperationStore(store: try await store(in: storage))
        return records.withLock { cache in
            if let existing = cache[key] { return existing }
            cache[key] = opened
            return opened
        }
    }
}
