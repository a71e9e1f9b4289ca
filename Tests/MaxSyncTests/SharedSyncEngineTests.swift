import Foundation
import MaxConnector
import MaxCore
import MaxPostgresStore
import MaxQuery
import MaxStorage
import MaxStore
import MaxSync
import MaxTestSupport
import Synchronization
import Testing

/// The sync engine over the PostgreSQL store: the same results as over SQLite, and workers
/// sharing one run's tasks.
@Suite(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
struct SharedSyncEngineTests {
    /// A library of `shelves` shelves of 7 books.
    static func library(shelves: Int) -> Library {
        let library = Library()
        library.books.withLock { books in
            books = [:]
            for shelf in 1...shelves { books[String(format: "s%02d", shelf)] = (1...7).map { "b\(shelf)-\($0)" } }
        }
        return library
    }

    /// Runs `body` with `count` stores on one namespace of a throwaway server: workers' own connections.
    static func withStores(_ count: Int, _ body: ([PostgresEntityStore]) async throws -> Void) async throws {
        try await PostgresTestServer.with { server in
            try await server.psql("CREATE DATABASE engine")
            let settings = PostgresStoreSettings(
                host: "127.0.0.1", port: server.port, database: "engine", user: server.user, password: server.password,
                namespace: "library")
            var stores: [PostgresEntityStore] = []
            do {
                for _ in 0..<count {
                    stores.append(try await PostgresEntityStore.open(settings, schema: LibraryConnector.schema))
                }
                try await body(stores)
            } catch {
                for store in stores { await store.close() }
                throw error
            }
            for store in stores { await store.close() }
        }
    }

    /// Every live record of `type`, as a store answers them.
    static func records(_ type: EntityType, in store: some EntityStoring) async throws -> [EntityRecord] {
        var all: [EntityRecord] = []
        for try await record in store.pages(of: try Query(type, selection: .props), batchSize: 7) { all.append(record) }
        return all
    }

    @Test func aSyncStoresWhatItStoresInSQLite() async throws {
        let library = Self.library(shelves: 5)
        let live = try LibraryConnector(library: library).initialise(
            config: [:], credentials: InMemoryCredentialStore())
        let sqlite = try EntityStore.inMemory(schema: LibraryConnector.schema)
        let local = try await SyncEngine(concurrency: 3).sync(live, into: sqlite)
        try await Self.withStores(1) { stores in
            let engine = SyncEngine(
                concurrency: 3, claim: TaskClaim(worker: "one", lease: .seconds(30)), pollInterval: .milliseconds(10))
            let shared = try await engine.sync(live, into: stores[0])
            #expect(shared.status == "completed" && local.status == "completed")
            #expect(shared.entitiesWritten == local.entitiesWritten)
            for type: EntityType in ["Library", "Shelf", "Book"] {
                let there = try await Self.records(type, in: stores[0])
                #expect(there.count == (try await Self.records(type, in: sqlite)).count, "\(type)")
                #expect(there == (try await Self.records(type, in: sqlite)), "\(type)")
            }
            #expect(try await stores[0].latestRun()?.status == .completed)
            #expect(try await stores[0].taskCounts(in: shared.runID) == sqlite.taskCounts(in: local.runID))
        }
    }

    @Test func aWorkerHelpsWithTheTasksOfARunAnotherDrives() async throws {
        let library = Self.library(shelves: 40)
        let live = try LibraryConnector(library: library).initialise(
            config: [:], credentials: InMemoryCredentialStore())
        try await Self.withStores(2) { stores in
            let driver = SyncEngine(
                concurrency: 1, claim: TaskClaim(worker: "driver", lease: .seconds(30)), pollInterval: .milliseconds(5))
            let helper = SyncEngine(
                concurrency: 1, claim: TaskClaim(worker: "helper", lease: .seconds(30)), pollInterval: .milliseconds(5))
            let done = DriverDone()
            let helped = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    _ = try await driver.sync(live, into: stores[0])
                    done.value.withLock { $0 = true }
                    return 0
                }
                group.addTask {
                    var count = 0
                    while !done.value.withLock({ $0 }) {
                        if let task = try await stores[1].claimTasksOfAnyRun(limit: 1, claim: helper.claim).first {
                            try await helper.execute(task, of: live, in: stores[1])
                            count += 1
                        } else {
                            try await Task.sleep(for: .milliseconds(2))  // nothing claimable yet
                        }
                    }
                    return count
                }
                var total = 0
                for try await count in group { total += count }
                return total
            }
            let run = try #require(try await stores[0].latestRun())
            #expect(run.status == .completed)
            #expect(helped > 0, "the helper ran tasks of the driver's run")
            let tasks = try await stores[0].tasks(in: run.id, state: nil)
            #expect(tasks.allSatisfy { $0.state == .completed })
            #expect(try await Self.records("Book", in: stores[0]).count == 280)
            #expect(try await stores[0].count(try Query("Book", filter: "title IS NULL")) == 0)
        }
    }
}

/// Whether the driver's sync returned, for the helper to stop.
final class DriverDone: Sendable {
    let value = Mutex(false)
}
