import ArgumentParser
import Foundation
import MaxCore
import MaxPostgresStore
import MaxStorage
import MaxStore
import MaxTestSupport

/// `max-bench queue`: sync tasks shared by 1, 2 and 4 workers through the PostgreSQL store's
/// queue, beside one process's SQLite store doing the same work.
struct QueueBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Time N workers claiming and completing sync tasks in PostgreSQL, beside SQLite.",
        discussion: """
            Starts a throwaway cluster of the machine's PostgreSQL (Debian's postgresql). For each \
            worker count, queues --tasks tasks in a fresh namespace and runs that many workers, \
            each on its own connection, claiming --claim tasks at a time (FOR UPDATE SKIP LOCKED, \
            30 s leases) and completing each with --entities ten-field entities written in its \
            transaction. The same work in one SQLite store (one writer) is the baseline. Reports \
            tasks and entities per second, this process's CPU time, and the database's size. \
            Build first: swift build -c release
            """)

    @Option(help: "Tasks per run.") var tasks = 2_000
    @Option(help: "Entities each task writes.") var entities = 50
    @Option(help: "Tasks a worker claims at a time.") var claim = 4
    @Option(help: "Worker counts to time, comma-separated.") var workers = "1,2,4"

    func validate() throws {
        guard tasks > 0, entities > 0, claim > 0, !counts.isEmpty, counts.allSatisfy({ (1...64).contains($0) }) else {
            throw ValidationError("--tasks, --entities and --claim must be positive; --workers from 1 to 64 each")
        }
    }

    private var counts: [Int] { workers.split(separator: ",").compactMap { Int($0) } }

    func run() async throws {
        guard PostgresTestServer.isAvailable else { throw ValidationError(PostgresTestServer.missingMessage) }
        print("max-bench queue: \(tasks) tasks × \(entities) BenchTask entities, claimed \(claim) at a time")
        print("store | workers | wall | tasks/s | entities/s | CPU (user + sys) | database")
        try await sqliteBaseline()
        try await PostgresTestServer.with { server in
            try await server.psql("CREATE DATABASE bench")
            for count in counts {
                let settings = PostgresStoreSettings(
                    host: "127.0.0.1", port: server.port, database: "bench", user: server.user,
                    password: server.password, namespace: "bench_\(count)")
                let coordinator = try await PostgresEntityStore.open(settings, schema: BenchSchema.schema)
                let run = try await coordinator.beginRun(kind: "full")
                _ = try await coordinator.enqueue(
                    (0..<tasks).map { NewSyncTask(kind: "page", entityID: String($0)) }, in: run.id)
                var stores: [PostgresEntityStore] = []
                for _ in 0..<count {
                    stores.append(try await PostgresEntityStore.open(settings, schema: BenchSchema.schema))
                }
                let cpu = Measurements.cpuSeconds()
                let started = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, store) in stores.enumerated() {
                        let (claim, entities) = (self.claim, self.entities)
                        group.addTask {
                            let worker = "w\(index)"
                            while true {
                                let claimed = try await store.claimTasks(
                                    in: run.id, limit: claim, worker: worker, lease: .seconds(30))
                                if claimed.isEmpty { return }
                                for task in claimed {
                                    let first = (Int(task.entityID ?? "") ?? 0) * entities
                                    try await store.completeTask(
                                        task, worker: worker,
                                        writing: EntityWriteBatch(
                                            upserts: (first..<(first + entities)).map(BenchSchema.task)))
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let wall = Measurements.seconds(since: started)
                let used = Measurements.cpuSeconds() - cpu
                for store in stores { await store.close() }
                let counts = try await coordinator.taskCounts(in: run.id)
                await coordinator.close()
                guard counts == [.completed: tasks] else {
                    throw ValidationError("the run ended with \(counts), not \(tasks) completed tasks")
                }
                let size = try await server.psql(
                    "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'bench_\(count)'",
                    database: "bench")
                report("PostgreSQL", count, wall, used, size.trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }

    private func sqliteBaseline() async throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory() + "max-bench-queue-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("data.db")
        let store = try EntityStore.open(at: url, schema: BenchSchema.schema)
        let run = try await store.beginRun(kind: "full")
        _ = try await store.enqueue((0..<tasks).map { NewSyncTask(kind: "page", entityID: String($0)) }, in: run.id)
        let cpu = Measurements.cpuSeconds()
        let started = ContinuousClock.now
        while true {
            let claimed = try await store.claimTasks(in: run.id, limit: claim)
            if claimed.isEmpty { break }
            for task in claimed {
                let first = (Int(task.entityID ?? "") ?? 0) * entities
                try await store.completeTask(
                    task.id, writing: EntityWriteBatch(upserts: (first..<(first + entities)).map(BenchSchema.task)))
            }
        }
        let wall = Measurements.seconds(since: started)
        let used = Measurements.cpuSeconds() - cpu
        let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        report("SQLite", 1, wall, used, Measurements.megabytes(bytes))
    }

    private func report(_ store: String, _ workers: Int, _ wall: Double, _ cpu: Double, _ size: String) {
        print(
            "\(store) | \(workers) | \(String(format: "%.2f s", wall)) | \(Measurements.rate(tasks, wall)) | "
                + "\(Measurements.rate(tasks * entities, wall)) | \(String(format: "%.2f s", cpu)) | \(size)")
    }
}
