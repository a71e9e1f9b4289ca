import Foundation
import MaxCore
import MaxQuery
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

struct SyncStateTests {
    let store: EntityStore
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        store = try EntityStore.inMemory(schema: SampleSchema.schema)
    }

    @Test func aTaskCompletesWithItsEntitiesAndFollowUpsInOneTransaction() async throws {
        let run = try await store.beginRun(kind: "full", at: t0)
        #expect(run.status == .running)
        let root = try #require(try await store.enqueue([NewSyncTask(kind: "seed")], in: run.id, at: t0).first)
        let claimed = try await store.claimTasks(in: run.id, limit: 10, at: t0)
        #expect(claimed.map(\.id) == [root.id])
        #expect(claimed.first?.state == .running)
        #expect(claimed.first?.attempts == 1)

        let followUps = try await store.completeTask(
            root.id, writing: EntityWriteBatch(upserts: [SampleSchema.item(1), SampleSchema.item(2)]),
            followUps: [NewSyncTask(kind: "load_collection", entityType: "Project", entityID: "p", field: "tasks")],
            checkpoints: ["changes": "42"], at: t0)
        #expect(followUps.map(\.parentID) == [root.id])
        #expect(followUps.first?.state == .pending)
        #expect(try await store.count(try Query("Item")) == 2)
        #expect(try await store.checkpoint("changes") == "42")
        let counts = try await store.taskCounts(in: run.id)
        #expect(counts == [.completed: 1, .pending: 1])
    }

    @Test func aFailedCompletionWritesNothing() async throws {
        let run = try await store.beginRun(kind: "full", at: t0)
        let task = try #require(try await store.enqueue([NewSyncTask(kind: "page")], in: run.id).first)
        _ = try await store.claimTasks(in: run.id, limit: 1, at: t0)
        let bad = EntityInput("Item", id: "bad", fields: ["priority": "high"])
        let error = try await #require(throws: MaxError.self) {
            try await store.completeTask(
                task.id, writing: EntityWriteBatch(upserts: [SampleSchema.item(1), bad]),
                followUps: [NewSyncTask(kind: "next")], checkpoints: ["changes": "1"])
        }
        #expect(error.code == .storageTypeMismatch)
        #expect(try await store.count(try Query("Item")) == 0)
        #expect(try await store.checkpoint("changes") == nil)
        #expect(try await store.tasks(in: run.id).map(\.state) == [.running])
    }

    @Test func checkpointsSaveProgressOfAPaginatedTask() async throws {
        let run = try await store.beginRun(kind: "full", at: t0)
        let task = try #require(try await store.enqueue([NewSyncTask(kind: "page")], in: run.id).first)
        _ = try await store.claimTasks(in: run.id, limit: 1, at: t0)
        try await store.checkpointTask(
            task.id, writing: EntityWriteBatch(upserts: [SampleSchema.item(1)]), pageCursor: "after-1")
        try await store.checkpointTask(
            task.id, writing: EntityWriteBatch(upserts: [SampleSchema.item(2), SampleSchema.item(3)]),
            pageCursor: "after-3")
        let saved = try #require(try await store.tasks(in: run.id).first)
        #expect(saved.pageCursor == "after-3")
        #expect(saved.entitiesWritten == 3)
        #expect(saved.state == .running)
        try await store.completeTask(task.id)
        let finished = try await store.finishRun(run.id, status: .completed, at: t0.addingTimeInterval(5))
        #expect(finished.entitiesWritten == 3)
        #expect(finished.finishedAt == t0.addingTimeInterval(5))
        #expect(try await store.latestRun()?.id == run.id)
    }

    @Test func retryableFailuresWaitAndFinalOnesStay() async throws {
        let run = try await store.beginRun(kind: "full", at: t0)
        let tasks = try await store.enqueue([NewSyncTask(kind: "a"), NewSyncTask(kind: "b")], in: run.id, at: t0)
        _ = try await store.claimTasks(in: run.id, limit: 2, at: t0)
        let transient = MaxError(.databaseBusy, "busy")
        try await store.failTask(tasks[0].id, error: transient, retryAt: t0.addingTimeInterval(30), at: t0)
        try await store.failTask(tasks[1].id, error: MaxError(.invalidSchema, "bad"), retryAt: nil, at: t0)
        #expect(try await store.claimTasks(in: run.id, limit: 5, at: t0.addingTimeInterval(10)).isEmpty)
        let retried = try await store.claimTasks(in: run.id, limit: 5, at: t0.addingTimeInterval(30))
        #expect(retried.map(\.id) == [tasks[0].id])
        #expect(retried.first?.attempts == 2)
        #expect(retried.first?.errorCode == "storage.busy")
        let failed = try await store.tasks(in: run.id, state: .failed)
        #expect(failed.map(\.errorMessage) == ["bad"])

        #expect(try await store.requeueTasks(in: run.id, includingFailed: true, at: t0) == 2)
        #expect(try await store.taskCounts(in: run.id) == [.pending: 2])
    }

    @Test func concurrentClaimersNeverShareATask() async throws {
        let run = try await store.beginRun(kind: "full", at: t0)
        _ = try await store.enqueue((0..<200).map { NewSyncTask(kind: "t\($0)") }, in: run.id, at: t0)
        let store = self.store
        let claims = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let batch = try await store.claimTasks(in: run.id, limit: 3, at: Date())
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        #expect(claims.count == 200)
        #expect(Set(claims).count == 200)
    }

    @Test func unknownRecordsAreNotFound() async throws {
        let error = try await #require(throws: MaxError.self) {
            try await store.finishRun("nope", status: .completed)
        }
        #expect(error.code == .syncRecordNotFound)
        #expect(try await store.run("nope") == nil)
    }
}
