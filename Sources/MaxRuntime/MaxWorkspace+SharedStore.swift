import Foundation
import Logging
import MaxConnector
import MaxCore
package import MaxPostgresStore
package import MaxStore
import MaxSync
import Synchronization

extension MaxWorkspace {
    /// Where the project's installations store what they sync, as `max.json` says.
    ///
    /// - Throws: `project.invalid_config`; `credentials.literal_secret` for a password written out.
    public func storage() throws -> ProjectStorage {
        try ProjectStorage(json: project.load().otherKeys["storage"], path: "max.json")
    }

    /// Opens an installation's store in the project's PostgreSQL database.
    ///
    /// Its tables are made when missing. The caller closes it.
    ///
    /// - Throws: `installation.not_found`, `credentials.source_unreadable` for the password,
    ///   `storage.postgres_unreachable`, `storage.postgres_failed`.
    package func openSharedStore(_ name: String, in storage: PostgresStorage, connections: Int = 2)
        async throws -> PostgresEntityStore
    {
        let schema = try await module(for: try record(name)).info.schema
        return try await Self.hintingAtStorage {
            try await PostgresEntityStore.open(
                storage.settings(for: name, connections: connections), schema: schema,
                logger: Logger(label: "max.store.postgres"))
        }
    }

    /// Runs `open`; a server it cannot reach is an error whose hint points at `storage.postgres`.
    static func hintingAtStorage<T>(_ open: () async throws -> T) async throws -> T {
        do {
            return try await open()
        } catch let error as MaxError where error.code == .postgresStoreUnreachable {
            throw MaxError(
                error.code, error.message,
                hint:
                    "check storage.postgres in max.json (host, port, database, user, sslmode) and its password's variable",
                context: error.context)
        }
    }

    /// Runs `body` with an installation's PostgreSQL store, closing it after.
    package func withSharedStore<T>(
        _ name: String, in storage: PostgresStorage, connections: Int = 2,
        _ body: (PostgresEntityStore) async throws -> T
    ) async throws -> T {
        let store = try await openSharedStore(name, in: storage, connections: connections)
        do {
            let value = try await body(store)
            await store.close()
            return value
        } catch {
            await store.close()
            throw error
        }
    }

    /// The store of an installation open for reading: its SQLite file (as
    /// ``openStoreForReading(_:keepingOpen:)``), or its schema in the project's PostgreSQL database,
    /// kept open for the rest of the process.
    ///
    /// - Throws: as ``openStoreForReading(_:keepingOpen:)`` and ``openSharedStore(_:in:connections:)``.
    package func readingStore(_ name: String, keepingOpen readers: Int? = nil) async throws -> any SyncStore {
        guard let shared = try storage().postgres else {
            return try await openStoreForReading(name, keepingOpen: readers)
        }
        let record = try record(name)
        return try await SharedStores.store(of: name, id: record.id, in: shared) {
            try await openSharedStore(name, in: shared, connections: readers ?? 1)
        }
    }

    /// A worker id unique among the project's workers: the host, the process and `role`.
    static func workerID(_ role: String) -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(role)"
    }

    /// Syncs an installation whose store is in the project's PostgreSQL database.
    ///
    /// With `detach`, the run is queued for `max worker` processes and this returns at once (a
    /// `queued` summary). Else this process drives the run, with `concurrency` tasks at once, while
    /// any running workers help with its tasks; a run already under way (driven by a worker) is
    /// waited for instead of started again. Every request of every process draws on one budget,
    /// the installation's rate limit.
    func syncShared(
        _ name: String, in storage: PostgresStorage, restart: Bool, full: Bool, detach: Bool, concurrency: Int,
        caller: String, observer: @escaping @Sendable (SyncEvent) -> Void
    ) async throws -> SyncSummary {
        let clockStarted = ContinuousClock.now
        var logger = try? project.logger(for: name, label: "max.sync")
        // Every sync this process drives or queues is an audit event, however it ends.
        func audit(_ runID: String?, outcome: String, retries: Int, error: (any Error)?) async {
            let id = runID ?? "run_" + UUID().uuidString.lowercased()
            let event = AuditLog.Event.sync(
                requestID: (detach ? "queue_" : "sync_") + id, runID: id, caller: caller, installation: name,
                mode: detach ? "sync-queued" : "sync-run", outcome: outcome, since: clockStarted, retries: retries,
                error: error)
            await AuditLog(project: project).record(event) { failure in
                logger?.warning("audit event not recorded", metadata: ["error.code": "\(failure.code)"])
            }
        }
        let runID = Mutex<String?>(nil)
        let statistics = RequestStatistics()
        let recording: @Sendable (SyncEvent) -> Void = { event in
            if case .started(let id, _) = event { runID.withLock { $0 = id } }
            observer(event)
        }
        logger?.info("sync started", metadata: ["sync.storage": "postgres", "sync.detach": "\(detach)"])
        do {
            let summary = try await syncShared(
                name, in: storage, restart: restart, full: full, detach: detach, concurrency: concurrency,
                statistics: statistics, observer: recording)
            logger?[metadataKey: "sync.run"] = "\(summary.runID)"
            logger?.info("sync finished", metadata: ["sync.status": "\(summary.status)"])
            let outcome: String
            switch summary.status {
            case "completed": outcome = "succeeded"
            case "partial": outcome = "partial"
            default: outcome = summary.status  // queued, running (waited for elsewhere), failed, cancelled
            }
            await audit(summary.runID, outcome: outcome, retries: statistics.retries, error: nil)
            return summary
        } catch {
            let code = (error as? MaxError)?.code.description ?? (error is CancellationError ? "cancelled" : "internal")
            logger?.notice("sync stopped", metadata: ["error.code": "\(code)"])
            await audit(
                runID.withLock { $0 }, outcome: error is CancellationError ? "canceled" : "failed",
                retries: statistics.retries, error: error)
            throw error
        }
    }

    private func syncShared(
        _ name: String, in storage: PostgresStorage, restart: Bool, full: Bool, detach: Bool, concurrency: Int,
        statistics: RequestStatistics, observer: @escaping @Sendable (SyncEvent) -> Void
    ) async throws -> SyncSummary {
        try await withSharedStore(name, in: storage, connections: concurrency + 2) { store in
            let started = Date()
            if let active = try await store.activeRun() {
                if detach { return Self.summary(of: active, since: started) }
                observer(.started(runID: active.id, resumed: true))
                return try await waitFor(active, in: store, since: started, observer: observer)
            }
            let live = try await live(
                name, observer: { observer(.request($0)) }, statistics: statistics,
                sharedBudget: PostgresRequestBudget(store: store))
            if detach {
                var incremental = false
                if !full, !restart, live.hasChangeFeed {
                    incremental = try await store.checkpoint(SyncEngine.changesScope) != nil
                }
                return Self.summary(
                    of: try await store.queueRun(kind: incremental ? "incremental" : "full"), since: started)
            }
            let engine = SyncEngine(
                concurrency: concurrency, claim: TaskClaim(worker: Self.workerID("sync"), lease: .seconds(30)))
            do {
                let summary = try await engine.sync(
                    live, into: store, resume: !restart && !full, full: full || restart, observer: observer)
                try? await store.addRequestCounts(
                    to: summary.runID, requests: statistics.requests, retries: statistics.retries,
                    rateLimited: statistics.rateLimited)
                await live.stop()
                return summary
            } catch {
                await live.stop()
                throw error
            }
        }
    }

    /// Waits until `run` (driven by another process) finishes, and describes how it ended.
    private func waitFor(
        _ run: SyncRun, in store: PostgresEntityStore, since started: Date,
        observer: @escaping @Sendable (SyncEvent) -> Void
    ) async throws -> SyncSummary {
        var current = run
        while current.status == .queued || current.status == .running {
            try await Task.sleep(for: .milliseconds(500))  // a real wait: another process's run
            guard let latest = try await store.run(run.id) else { break }
            current = latest
        }
        let summary = Self.summary(of: current, since: started)
        observer(.finished(summary))
        return summary
    }

    /// A run recorded in the store, as a sync's summary (its entities as one total: the store
    /// keeps no count by type).
    static func summary(of run: SyncRun, since started: Date) -> SyncSummary {
        var summary = SyncSummary(
            runID: run.id, status: run.status.rawValue, kind: run.kind, entitiesWritten: [:], tasksCompleted: 0,
            tasksFailed: run.tasksFailed, errors: [], duration: Date().timeIntervalSince(started))
        switch run.status {
        case .queued: summary.notes = ["run \(run.id) is queued: a max worker of this project starts it"]
        case .running: summary.notes = ["run \(run.id) is under way on a worker"]
        default:
            summary.notes = ["run \(run.id) \(run.status.rawValue): \(run.entitiesWritten) entities written"]
        }
        return summary
    }
}

/// An installation's request budget in its PostgreSQL store, shared by every process that syncs it.
struct PostgresRequestBudget: SharedRequestBudget {
    let store: PostgresEntityStore

    func take(_ limit: RateLimit) async throws -> Duration {
        try await store.takeToken("requests", rate: limit.rate, burst: limit.burst)
    }
}

/// The PostgreSQL stores this process reads, by installation: opened once, kept for its life.
enum SharedStores {
    private static let open = Mutex<[String: PostgresEntityStore]>([:])

    /// The store of installation `id` (named `name`) in `storage`, opened by `opening` the first time.
    static func store(
        of name: String, id: String, in storage: PostgresStorage, _ opening: () async throws -> PostgresEntityStore
    ) async throws -> PostgresEntityStore {
        let key = "\(storage.address)/\(name)/\(id)"
        if let store = open.withLock({ $0[key] }) { return store }
        let store = try await opening()
        let (kept, extra) = open.withLock { cache -> (PostgresEntityStore, PostgresEntityStore?) in
            if let existing = cache[key] { return (existing, store) }
            cache[key] = store
            return (store, nil)
        }
        await extra?.close()
        return kept
    }
}
