import ArgumentParser
import Foundation
import MaxCore
import MaxQuery
import MaxStorage

/// `max-bench store`: upsert throughput and query latency of the SQLite store.
struct StoreBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Upsert N ten-field entities in batches, then time filtered, ordered, limited queries.",
        discussion: """
            Writes to a fresh database file in a temporary folder (or --directory), removed afterwards
            unless --keep is given. Reports upserts per second, query latency percentiles and the
            process's peak resident memory.
            """
    )

    @Option(help: "How many entities to upsert.")
    var entities = 1_000_000

    @Option(help: "How many entities per upsert call (one transaction each).")
    var batch = 10_000

    @Option(help: "How many times each query runs (after one warm-up run).")
    var repetitions = 50

    @Option(help: "The folder to put the database in (default: a new temporary folder).")
    var directory: String?

    @Flag(help: "Keep the database file afterwards.")
    var keep = false

    @Flag(help: "Use the same ten fields with no secondary indexes (shows what indexes cost writes).")
    var withoutIndexes = false

    func validate() throws {
        guard entities > 0, batch > 0, repetitions > 0 else {
            throw ValidationError("--entities, --batch and --repetitions must be positive")
        }
    }

    func run() async throws {
        let folder = URL(
            fileURLWithPath: directory ?? NSTemporaryDirectory() + "max-bench-\(UUID().uuidString.prefix(8))",
            isDirectory: true)
        let url = folder.appendingPathComponent("data.db")
        if FileManager.default.fileExists(atPath: url.path) {
            throw ValidationError("\(url.path) exists already; pass a new --directory")
        }
        defer { if !keep { try? FileManager.default.removeItem(at: folder) } }

        let store = try EntityStore.open(at: url, schema: withoutIndexes ? BenchSchema.plainSchema : BenchSchema.schema)
        let makeTask = withoutIndexes ? BenchSchema.plainTask : BenchSchema.task
        let indexes = withoutIndexes ? "no secondary indexes" : "indexes: assignee (ref), (status, updatedAt)"
        print("max-bench store: \(entities) BenchTask entities (10 fields; \(indexes)), batches of \(batch)")
        print("database: \(url.path)\n")

        // Inserts: every entity new.
        var upsertSeconds = 0.0
        var generateSeconds = 0.0
        var next = 0
        while next < entities {
            let count = min(batch, entities - next)
            let generated = ContinuousClock.now
            let inputs = (next..<(next + count)).map(makeTask)
            generateSeconds += Measurements.seconds(since: generated)
            let started = ContinuousClock.now
            try await store.upsert(inputs)
            upsertSeconds += Measurements.seconds(since: started)
            next += count
        }
        // Merges: partial updates of existing entities (two fields each).
        let updates = min(entities, 200_000)
        var updateSeconds = 0.0
        next = 0
        while next < updates {
            let count = min(batch, updates - next)
            let inputs = (next..<(next + count)).map { index in
                let base = makeTask(index)
                let status = BenchSchema.statuses[(index + 1) % BenchSchema.statuses.count]
                return EntityInput(base.ref, fields: ["status": .string(status), "priority": .int(index % 5)])
            }
            let started = ContinuousClock.now
            try await store.upsert(inputs)
            updateSeconds += Measurements.seconds(since: started)
            next += count
        }

        print("| write | entities | seconds | rate |")
        print("|---|---:|---:|---:|")
        print(
            "| insert (\(batch)/batch) | \(entities) | \(String(format: "%.2f", upsertSeconds)) | \(Measurements.rate(entities, upsertSeconds)) |"
        )
        print(
            "| merge 2 fields (\(batch)/batch) | \(updates) | \(String(format: "%.2f", updateSeconds)) | \(Measurements.rate(updates, updateSeconds)) |"
        )
        print("(generating the inputs took another \(String(format: "%.2f", generateSeconds)) s, not counted)\n")

        let queries: [(String, String?, String, Bool)] = [
            ("indexed filter, ordered by the composite index", #"status = "todo""#, "updatedAt:desc", false),
            ("indexed filter + residual, ordered", #"status = "todo" AND priority >= 3"#, "updatedAt:desc", false),
            ("indexed filter, page 2 (cursor)", #"status = "in_review""#, "updatedAt:desc", true),
            ("unindexed filter, ordered by id", #"title ~= "bench" AND done = true"#, "_id", false),
            ("unindexed filter + sort on an unindexed field", "estimate > 9.5", "priority:desc", false),
        ]
        print("| query (limit 100) | p50 | p95 | max | rows |")
        print("|---|---:|---:|---:|---:|")
        for (label, filter, order, secondPage) in queries {
            var query = try Query("BenchTask", filter: filter, ordering: try Ordering(parsing: order), limit: 100)
            if secondPage { query.cursor = try await store.page(query).cursor }
            var timings: [Double] = []
            var rows = 0
            for repetition in 0...repetitions {
                let started = ContinuousClock.now
                let page = try await store.page(query)
                if repetition > 0 { timings.append(Measurements.seconds(since: started)) }
                rows = page.items.count
            }
            print(
                "| \(label): `\(filter ?? "")` by `\(order)` | \(Measurements.milliseconds(Measurements.percentile(timings, 0.5))) | \(Measurements.milliseconds(Measurements.percentile(timings, 0.95))) | \(Measurements.milliseconds(timings.max() ?? 0)) | \(rows) |"
            )
        }
        var countTimings: [Double] = []
        var counted = 0
        let countQuery = try Query("BenchTask", filter: #"status = "todo""#)
        for repetition in 0...min(repetitions, 10) {
            let started = ContinuousClock.now
            counted = try await store.count(countQuery)
            if repetition > 0 { countTimings.append(Measurements.seconds(since: started)) }
        }
        print(
            "| count `status = \"todo\"` | \(Measurements.milliseconds(Measurements.percentile(countTimings, 0.5))) | \(Measurements.milliseconds(Measurements.percentile(countTimings, 0.95))) | \(Measurements.milliseconds(countTimings.max() ?? 0)) | \(counted) |"
        )

        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        print("\npeak resident memory: \(Measurements.megabytes(Measurements.peakResidentBytes()))")
        print("database file: \(Measurements.megabytes(size))")
    }
}
