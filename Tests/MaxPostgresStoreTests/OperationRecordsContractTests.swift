import Foundation
import MaxCore
import MaxPostgresStore
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

/// The operation records' contract, the same on SQLite (one machine's processes) and PostgreSQL
/// (many machines): idempotency keys, webhook deliveries, and the job queue, with holders that
/// stop (a process that dies, a lease that runs out).
@Suite(.enabled(if: PostgresTestServer.isAvailable, Comment(rawValue: PostgresTestServer.missingMessage)))
struct OperationRecordsContractTests {
    /// The records as two callers see them.
    struct Harness: Sendable {
        /// A caller that finds every holder live.
        let records: any OperationRecords
        /// A caller that finds `lapsing`'s holds gone: on SQLite, one that sees its process dead;
        /// on PostgreSQL, any caller, since `lapsing`'s lease is over as soon as it is taken.
        let afterLapse: any OperationRecords
        let live = TaskClaim(worker: "host-a:1:operations", lease: .seconds(60))
        let other = TaskClaim(worker: "host-b:2:operations", lease: .seconds(60))
        let lapsing = TaskClaim(worker: "host-c:3:operations", lease: .zero)
    }

    enum Backend: String, CaseIterable, Sendable {
        case sqlite, postgres
    }

    @Test(arguments: Backend.allCases)
    func theRecordsKeepTheirContract(_ backend: Backend) async throws {
        switch backend {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "max-operation-records-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let url = folder.appendingPathComponent("operations.db")
            let records = try OperationStore.open(at: url, isAlive: { _ in true })
            let afterLapse = try OperationStore.open(at: url, isAlive: { _ in false })
            try await Self.exercise(Harness(records: records, afterLapse: afterLapse), fenced: false)
        case .postgres:
            try await PostgresTestServer.with { server in
                try await server.psql("CREATE DATABASE operations")
                let settings = PostgresStoreSettings(
                    host: "127.0.0.1", port: server.port, database: "operations", user: server.user,
                    password: server.password, namespace: "_max")
                let store = try await PostgresEntityStore.open(settings, schema: SampleSchema.schema)
                do {
                    let records = try await PostgresOperationStore(store: store)
                    // Opening again over existing tables changes nothing.
                    _ = try await PostgresOperationStore(store: store)
                    try await Self.exercise(Harness(records: records, afterLapse: records), fenced: true)
                } catch {
                    await store.close()
                    throw error
                }
                await store.close()
            }
        }
    }

    static func exercise(_ harness: Harness, fenced: Bool) async throws {
        try await idempotency(harness)
        try await deliveries(harness.records)
        try await jobs(harness, fenced: fenced)
    }

    static func idempotency(_ h: Harness) async throws {
        let records = h.records
        let key = IdempotencyKey(installation: "acme", operation: "createTask", key: "k1")
        #expect(try await records.claim(key, inputHash: "h1", holder: h.live, ttl: 3600) == .run)
        #expect(try await records.claim(key, inputHash: "h1", holder: h.other, ttl: 3600) == .wait)
        #expect(try await records.claim(key, inputHash: "h2", holder: h.other, ttl: 3600) == .conflict)
        try await records.complete(key, result: #"{"ok":true}"#)
        #expect(try await records.claim(key, inputHash: "h1", holder: h.other, ttl: 3600) == .replay(#"{"ok":true}"#))

        // A call whose request had left when its holder stopped: of unknown outcome, never run again.
        let sent = IdempotencyKey(installation: "acme", operation: "createTask", key: "k-sent")
        #expect(try await records.claim(sent, inputHash: "h", holder: h.lapsing, ttl: 3600) == .run)
        try await records.markSent(sent)
        guard
            case .unknown(_, _, _, let first) = try await h.afterLapse.claim(
                sent, inputHash: "h", holder: h.other, ttl: 3600)
        else {
            Issue.record("a sent call whose holder stopped is of unknown outcome")
            return
        }
        #expect(first)
        guard
            case .unknown(_, _, _, let again) = try await h.afterLapse.claim(
                sent, inputHash: "h", holder: h.other, ttl: 3600)
        else {
            Issue.record("and stays so")
            return
        }
        #expect(!again, "only the first caller to find it records the lost attempt")

        // One whose request never left is taken over.
        let unsent = IdempotencyKey(installation: "acme", operation: "createTask", key: "k-unsent")
        #expect(try await records.claim(unsent, inputHash: "h", holder: h.lapsing, ttl: 3600) == .run)
        #expect(try await h.afterLapse.claim(unsent, inputHash: "h", holder: h.other, ttl: 3600) == .run)
        try await records.release(unsent)
        #expect(try await records.claim(unsent, inputHash: "other", holder: h.live, ttl: 3600) == .run)
        try await records.complete(unsent, result: "{}")

        // An expired key counts as absent, whatever input it had.
        let brief = IdempotencyKey(installation: "acme", operation: "createTask", key: "k-brief")
        #expect(try await records.claim(brief, inputHash: "h", holder: h.live, ttl: 0) == .run)
        try await records.complete(brief, result: "{}")
        #expect(try await records.claim(brief, inputHash: "else", holder: h.other, ttl: 3600) == .run)
        try await records.complete(brief, result: "{}")
    }

    static func deliveries(_ records: any OperationRecords) async throws {
        #expect(try await records.recordDelivery(installation: "acme", id: "evt_1"))
        #expect(try await !records.recordDelivery(installation: "acme", id: "evt_1"), "a replay")
        #expect(try await records.recordDelivery(installation: "other", id: "evt_1"), "another installation's")
    }

    static func jobs(_ h: Harness, fenced: Bool) async throws {
        let records = h.records
        #expect(try await records.timeUntilNextJob() == nil)
        let first = try await records.enqueue(
            installation: "acme", operation: "createTask", input: #"{"title":"a"}"#, idempotencyKey: "k",
            maxAttempts: 3)
        #expect(first.state == .pending && first.attempts == 0 && first.holder == nil)
        let elsewhere = try await records.enqueue(
            installation: "beta", operation: "createTask", input: "{}", idempotencyKey: nil, maxAttempts: 3)
        #expect(try await records.timeUntilNextJob() == .zero)

        // Only the installations asked for.
        let claimed = try #require(try await records.claimNextJob(h.live, installations: ["acme"]))
        #expect(claimed.id == first.id && claimed.state == .running && claimed.attempts == 1)
        #expect(claimed.holder != nil)
        #expect(try await records.claimNextJob(h.other, installations: ["acme"]) == nil)

        // A failed attempt is due again after its wait; one without a wait is dead until retried.
        #expect(
            try await records.fail(first.id, error: "source.unavailable: 503", retryIn: .seconds(3600), holder: h.live))
        let waiting = try #require(try await records.job(first.id))
        #expect(waiting.state == .pending && waiting.error == "source.unavailable: 503")
        #expect(try await records.claimNextJob(h.live, installations: ["acme"]) == nil, "not due for an hour")
        let other = try #require(try await records.claimNextJob(h.live, installations: nil))
        #expect(other.id == elsewhere.id)
        #expect(try await records.fail(other.id, error: "operation.invalid_output: no", retryIn: nil, holder: h.live))
        #expect(
            try await records.jobs(installation: nil, state: nil, deadOnly: true, limit: 10).map(\.id) == [other.id])
        let retried = try #require(try await records.retry(other.id))
        #expect(retried.state == .pending && retried.attempts == 0 && !retried.dead && retried.error == nil)

        // Cancel: a pending job at once; a running one by asking its holder, who learns it when renewing.
        let canceled = try #require(try await records.cancel(first.id))
        #expect(canceled.state == .canceled)
        let running = try #require(try await records.claimNextJob(h.live, installations: nil))
        #expect(try await records.renew(h.live).isEmpty)
        #expect(try await records.cancel(running.id)?.cancelRequested == true)
        #expect(try await records.renew(h.live) == [running.id])
        #expect(try await records.markCanceled(running.id, holder: h.live))
        #expect(try await records.job(running.id)?.state == .canceled)

        // Success.
        _ = try await records.retry(running.id)
        let again = try #require(try await records.claimNextJob(h.live, installations: nil))
        #expect(try await records.succeed(again.id, result: #"{"data":1}"#, holder: h.live))
        let done = try #require(try await records.job(again.id))
        #expect(done.state == .succeeded && done.result == #"{"data":1}"# && done.holder == nil)

        // A holder that stops: before sending, its job is run again; after, it fails as of unknown outcome.
        let lost = try await records.enqueue(
            installation: "acme", operation: "closeTask", input: "{}", idempotencyKey: nil, maxAttempts: 3)
        _ = try #require(try await records.claimNextJob(h.lapsing, installations: nil))
        let taken = try #require(try await h.afterLapse.claimNextJob(h.other, installations: nil))
        #expect(taken.id == lost.id && taken.attempts == 2)
        if fenced {
            #expect(try await !records.succeed(lost.id, result: "{}", holder: h.lapsing), "a lapsed holder is fenced")
        }
        try await records.markJobSent(lost.id, holder: h.other)
        #expect(try await records.succeed(lost.id, result: "{}", holder: h.other))

        let unknown = try await records.enqueue(
            installation: "acme", operation: "closeTask", input: "{}", idempotencyKey: nil, maxAttempts: 3)
        _ = try #require(try await records.claimNextJob(h.lapsing, installations: nil))
        try await records.markJobSent(unknown.id, holder: h.lapsing)
        #expect(try await h.afterLapse.recoverOrphans() == 1)
        let settled = try #require(try await records.job(unknown.id))
        #expect(settled.state == .failed && settled.dead)
        #expect(settled.error?.hasPrefix("operation.outcome_unknown") == true, "\(settled.error ?? "")")

        // A runner that stops hands its job back at once.
        let handed = try await records.enqueue(
            installation: "acme", operation: "closeTask", input: "{}", idempotencyKey: nil, maxAttempts: 3)
        _ = try #require(try await records.claimNextJob(h.live, installations: nil))
        try await records.handBack(handed.id, holder: h.live)
        #expect(try await records.job(handed.id)?.state == .pending)

        // Disconnecting an installation forgets its jobs and keys.
        try await records.purge(installation: "acme")
        #expect(try await records.jobs(installation: "acme", state: nil, deadOnly: false, limit: 100).isEmpty)
        #expect(try await records.jobs(installation: "beta", state: nil, deadOnly: false, limit: 100).count == 1)
        let key = IdempotencyKey(installation: "acme", operation: "createTask", key: "k1")
        #expect(try await records.claim(key, inputHash: "new", holder: h.live, ttl: 3600) == .run)
    }
}
