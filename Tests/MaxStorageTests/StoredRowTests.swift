import Foundation
import GRDB
import MaxCore
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

/// Rows another program (or a newer Max) wrote: read as clear errors, never as a guess or a crash.
struct StoredRowTests {
    /// A store on disk with one finished run and one task, damaged by `sql` through a second connection.
    static func damagedStore(_ sql: String, in folder: TemporaryDirectory) async throws -> (EntityStore, SyncRun) {
        let url = folder.url.appendingPathComponent("data.db")
        let store = try EntityStore.open(at: url, schema: SampleSchema.schema)
        let run = try await store.beginRun(kind: "full")
        _ = try await store.enqueue([NewSyncTask(kind: "seed")], in: run.id)
        _ = try await store.finishRun(run.id, status: .partial)
        let other = try DatabaseQueue(path: url.path)
        try await other.write { db in try db.execute(sql: sql) }
        try other.close()
        return (store, run)
    }

    @Test func anUnknownRunStatusIsADatabaseErrorNamingIt() async throws {
        let folder = try TemporaryDirectory(prefix: "stored-row")
        let (store, run) = try await Self.damagedStore("UPDATE _max_sync_runs SET status = 'paused'", in: folder)
        for read in [
            { try await store.latestRun() }, { try await store.run(run.id) }, { try await store.runs().first },
        ] {
            let error = try await #require(throws: MaxError.self) { _ = try await read() }
            #expect(error.code == .databaseError)
            #expect(error.message == "_max_sync_runs.status holds 'paused', a state this version of Max does not know")
            #expect(error.hint == "a newer version of Max, or another program, may have written it")
        }
    }

    @Test func anUnknownTaskStateIsADatabaseErrorNamingIt() async throws {
        let folder = try TemporaryDirectory(prefix: "stored-row")
        let (store, run) = try await Self.damagedStore("UPDATE _max_sync_tasks SET state = 'parked'", in: folder)
        for read in [{ try await store.tasks(in: run.id).count }, { try await store.taskCounts(in: run.id).count }] {
            let error = try await #require(throws: MaxError.self) { _ = try await read() }
            #expect(error.message == "_max_sync_tasks.state holds 'parked', a state this version of Max does not know")
        }
    }

    @Test func aValueOfTheWrongTypeIsADatabaseErrorNotACrash() async throws {
        let folder = try TemporaryDirectory(prefix: "stored-row")
        let (store, _) = try await Self.damagedStore("UPDATE _max_sync_runs SET entities_written = 'many'", in: folder)
        let error = try await #require(throws: MaxError.self) { _ = try await store.latestRun() }
        #expect(error.code == .databaseError)
        #expect(error.message == "_max_sync_runs.entities_written holds a value Max cannot read as Int")
    }
}
