import Foundation
import MaxCore
import MaxPostgresStore
import MaxQuery
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

/// Tasks shared by workers on separate connections.
///
/// Claims never overlap, a lease that runs out passes a task to another worker, and a late
/// completion is refused. Time is the `at:` given.
@Suite(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
struct WorkQueueTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// Two stores on two connections to one namespace: two workers.
    static func withWorkers(_ body: (PostgresEntityStore, PostgresEntityStore) async throws -> Void) async throws {
        try await PostgresTestServer.with { server in
            try await server.psql("CREATE DATABASE queue")
            let settings = PostgresStoreSettings(
                host: "127.0.0.1", port: server.port, database: "queue", user: server.user, password: server.password,
                namespace: "inst_q")
            let one = try await PostgresEntityStore.open(settings, schema: SampleSchema.schema)
            let other = try await PostgresEntityStore.open(settings, schema: SampleSchema.schema)
            do {
                try await body(one, other)
            } catch {
                await one.close()
                await other.close()
                throw error
            }
            await one.close()
            await other.close()
        }
    }

    @Test func claimsAtOnceNeverOverlapAndLeasesPassToAnotherWorker() async throws {
        try await Self.withWorkers { one, other in
            let run = try await one.beginRun(kind: "full", at: Self.start)
            let tasks = (0..<120).map { NewSyncTask(kind: "load_page", entityID: "itm_\($0)") }
            _ = try await one.enqueue(tasks, in: run.id, at: Self.start)

            // Both claim in a loop at once until nothing is left.
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for (store, worker) in [(one, "a"), (other, "b")] {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await store.claimTasks(
                                in: run.id, limit: 7, worker: worker, lease: .seconds(30), at: Self.start)
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                var all: [[Int64]] = []
                for try await ids in group { all.append(ids) }
                return all
            }
            let ids = claimed.flatMap { $0 }
            #expect(ids.count == 120 && Set(ids).count == 120, "each task claimed once")
            #expect(claimed.allSatisfy { !$0.isEmpty }, "both workers took work: \(claimed.map(\.count))")
            #expect(try await one.taskCounts(in: run.id) == [.running: 120])

            // A lease passes only when it runs out, and a renewed one does not.
            let second = try await one.beginRun(kind: "full", at: Self.start)
            _ = try await one.enqueue(
                (0..<4).map { NewSyncTask(kind: "load_page", entityID: "itm_\($0)") }, in: second.id)
            let held = try await one.claimTasks(
                in: second.id, limit: 10, worker: "a", lease: .seconds(30), at: Self.start)
            #expect(held.count == 4 && held.allSatisfy { $0.attempts == 1 })
            let early = try await other.claimTasks(
                in: second.id, limit: 10, worker: "b", lease: .seconds(30), at: Self.start + 20)
            #expect(early.isEmpty, "a's lease still runs")
            let renewed = try await one.heartbeat(
                Array(held.prefix(1)), worker: "a", lease: .seconds(30), at: Self.start + 25)
            #expect(renewed == [held[0].id])
            let taken = try await other.claimTasks(
                in: second.id, limit: 10, worker: "b", lease: .seconds(30), at: Self.start + 31)
            #expect(taken.map(\.id) == held.dropFirst().map(\.id), "the three a stopped renewing")
            #expect(taken.allSatisfy { $0.attempts == 2 })

            // a's late completion is refused and writes nothing; b's commits with its writes.
            let late = await #expect(throws: MaxError.self) {
                try await one.completeTask(
                    held[1], worker: "a", writing: EntityWriteBatch(upserts: [SampleSchema.item(1)]),
                    at: Self.start + 32)
            }
            #expect(late?.code == .leaseLost)
            #expect(try await one.count(try Query("Item")) == 0, "nothing of a's was committed")
            #expect(try await one.heartbeat(Array(held.dropFirst()), worker: "a", lease: .seconds(30)).isEmpty)
            for task in taken {
                let index = Int(task.entityID?.dropFirst(4) ?? "") ?? 0
                try await other.completeTask(
                    task, worker: "b", writing: EntityWriteBatch(upserts: [SampleSchema.item(index)]),
                    at: Self.start + 33)
            }
            try await one.completeTask(held[0], worker: "a", at: Self.start + 34)
            #expect(try await one.taskCounts(in: second.id) == [.completed: 4])
            #expect(try await one.count(try Query("Item")) == 3)
            let finished = try await one.finishRun(second.id, status: .completed, at: Self.start + 35)
            #expect(finished.status == .completed && finished.entitiesWritten == 3)
        }
    }

    @Test func aBatchWritesAsInSQLite() async throws {
        try await Self.withWorkers { store, _ in
            let sqlite = try EntityStore.inMemory(schema: SampleSchema.schema)
            let day = Self.start
            let items = (0..<8).map { SampleSchema.item($0) }
            let batches = [
                EntityWriteBatch(
                    upserts: items + [EntityInput("Project", id: "prj_a", fields: ["name": "A"])],
                    links: [.init(owner: Ref("Project", "prj_a"), field: "tasks", targets: items.prefix(5).map(\.ref))]),
                EntityWriteBatch(
                    upserts: [EntityInput("Project", id: "prj_b", fields: ["name": "B"])],
                    memberships: [
                        .init(member: items[0].ref, ownerType: "Project", field: "tasks", owners: ["prj_b"])
                    ]),
                EntityWriteBatch(
                    upserts: [SampleSchema.item(1), SampleSchema.item(2)],
                    sweeps: [.init(owner: Ref("Project", "prj_a"), field: "tasks", notSyncedSince: day + 60)]),
            ]
            for (index, batch) in batches.enumerated() {
                try await sqlite.write(batch, at: day + Double(index) * 60)
                try await store.write(batch, at: day + Double(index) * 60)
            }
            var exact = EntityWriteBatch()
            exact.exactSets = [.init(type: "Item", ids: ["itm_000001", "itm_000002", "itm_000006", "itm_000007"])]
            try await sqlite.write(exact, at: day + 240)
            try await store.write(exact, at: day + 240)
            for type in ["Item", "Project"] {
                let query = try Query(EntityType(type), selection: .all, includeDeleted: true)
                #expect(try await store.page(query).items == (try await sqlite.page(query)).items, "\(type)")
                #expect(
                    try await store.count(try Query(EntityType(type)))
                        == (try await sqlite.count(try Query(EntityType(type)))))
            }
        }
    }

    @Test func aRunsStateReadsBackAsInSQLite() async throws {
        try await Self.withWorkers { store, _ in
            let sqlite = try EntityStore.inMemory(schema: SampleSchema.schema)
            let failure = MaxError(.internalError, "the source failed")
            for (index, day) in [Self.start, Self.start + 3600].enumerated() {
                let id = "run_\(index)"
                _ = try await sqlite.beginRun(id: id, kind: "full", at: day)
                _ = try await store.beginRun(id: id, kind: "full", at: day)
                let new = (0..<5).map { NewSyncTask(kind: "load_page", entityType: "Item", entityID: "itm_\($0)") }
                _ = try await sqlite.enqueue(new, in: id, at: day)
                _ = try await store.enqueue(new, in: id, at: day)
                let left = try await sqlite.claimTasks(in: id, limit: 3, at: day)
                let right = try await store.claimTasks(in: id, limit: 3, worker: "w", lease: .seconds(30), at: day)
                #expect(left == right, "the claims")
                let page = EntityWriteBatch(upserts: [SampleSchema.item(index)])
                try await sqlite.checkpointTask(left[0].id, writing: page, pageCursor: "p2", at: day)
                try await store.checkpointTask(right[0], worker: "w", writing: page, pageCursor: "p2", at: day)
                try await sqlite.failTask(left[1].id, error: failure, retryAt: nil, at: day)
                try await store.failTask(right[1], worker: "w", error: failure, retryAt: nil, at: day)
                try await sqlite.completeTask(left[2].id, at: day)
                try await store.completeTask(right[2], worker: "w", at: day)
                try await sqlite.setCheckpoint("changes", "pos_\(index)", at: day)
                try await store.setCheckpoint("changes", "pos_\(index)", at: day)
                if index == 0 {
                    try sqlite.cancelRun(id, at: day + 60)
                    try await store.cancelRun(id, at: day + 60)
                    try await sqlite.reopenRun(id)
                    try await store.reopenRun(id)
                    // Cancelling put the running task back; the failed one is what a resume requeues.
                    #expect(try await sqlite.requeueTasks(in: id, includingFailed: true) == 1)
                    #expect(try await store.requeueTasks(in: id, includingFailed: true) == 1)
                }
                #expect(try await store.tasks(in: id) == (try await sqlite.tasks(in: id)), "the tasks of \(id)")
                #expect(
                    try await store.tasks(in: id, state: .pending) == (try await sqlite.tasks(in: id, state: .pending)))
                _ = try await sqlite.finishRun(id, status: index == 0 ? .completed : .partial, at: day + 120)
                _ = try await store.finishRun(id, status: index == 0 ? .completed : .partial, at: day + 120)
            }
            #expect(try await store.runs() == (try await sqlite.runs()))
            #expect(try await store.latestRun() == (try await sqlite.latestRun()))
            #expect(
                try await store.latestRun(withStatus: .completed)
                    == (try await sqlite.latestRun(withStatus: .completed)))
            #expect(try await store.checkpoint("changes") == "pos_1")
            #expect(try await store.checkpoint("nothing") == nil)
        }
    }
}

extension WorkQueueTests {
    @Test func aRunIsDrivenByOneWorkerAtATime() async throws {
        try await Self.withWorkers { one, other in
            let a = TaskClaim(worker: "a", lease: .seconds(30))
            let b = TaskClaim(worker: "b", lease: .seconds(30))
            let queued = try await one.queueRun(kind: "full", at: Self.start)
            #expect(queued.status == .queued)
            #expect(try await one.activeRun(at: Self.start)?.id == queued.id)
            let taken = try #require(try await one.claimRun(claim: a, at: Self.start))
            #expect(taken.id == queued.id && taken.status == .running)
            #expect(try await other.claimRun(claim: b, at: Self.start + 10) == nil, "a drives it")
            #expect(try await one.holdRun(queued.id, claim: a, at: Self.start + 20))
            #expect(try await other.claimRun(claim: b, at: Self.start + 45) == nil, "renewed at 20: held till 50")
            let takenOver = try await other.claimRun(claim: b, at: Self.start + 51)
            #expect(takenOver?.id == queued.id, "a stopped renewing")
            #expect(try await one.holdRun(queued.id, claim: a, at: Self.start + 52) == false)
            // a can neither queue a step nor finish the run now; b can.
            let step = await #expect(throws: MaxError.self) {
                try await one.enqueueStep(
                    [NewSyncTask(kind: "load")], marker: NewSyncTask(kind: "step"), checkpoints: [:], in: queued.id,
                    claim: a, at: Self.start + 53)
            }
            #expect(step?.code == .leaseLost)
            #expect(try await one.tasks(in: queued.id, state: nil).isEmpty, "nothing of a's step was queued")
            let finish = await #expect(throws: MaxError.self) {
                try await one.finishRun(
                    queued.id, status: .failed, error: "a's view", entitiesWritten: nil, claim: a, at: Self.start + 54)
            }
            #expect(finish?.code == .leaseLost)
            let finished = try await other.finishRun(
                queued.id, status: .completed, error: nil, entitiesWritten: nil, claim: b, at: Self.start + 55)
            #expect(finished.status == .completed)
            #expect(try await one.activeRun(at: Self.start + 56) == nil)
        }
    }

    @Test func aStoppingWorkerHandsItsRunAndTasksBack() async throws {
        try await Self.withWorkers { one, other in
            let a = TaskClaim(worker: "a", lease: .seconds(30))
            let b = TaskClaim(worker: "b", lease: .seconds(30))
            let run = try await one.beginRun(id: "r", kind: "full", claim: a, at: Self.start)
            _ = try await one.enqueue((0..<3).map { NewSyncTask(kind: "load", entityID: "\($0)") }, in: run.id)
            let held = try await one.claimTasks(in: run.id, limit: 2, claim: a, at: Self.start)
            try await one.handBack(run: run.id, tasks: held, claim: a, at: Self.start + 1)
            // At once, not when the lease would have run out.
            #expect(try await other.claimRun(claim: b, at: Self.start + 2)?.id == run.id)
            let again = try await other.claimTasks(in: run.id, limit: 5, claim: b, at: Self.start + 2)
            #expect(again.count == 3)
            #expect(again.filter { held.map(\.id).contains($0.id) }.allSatisfy { $0.attempts == 2 })
        }
    }
}
