import Foundation
public import MaxConnector
import MaxCore
public import MaxStore
import Synchronization

extension SyncEngine {
    /// An incremental sync, recorded as `run`: applies the connector's changes after the stored
    /// position, page by page, each page committed with the new position in one transaction, so a
    /// crash or Ctrl-C loses nothing and the next sync continues from the last committed page.
    ///
    /// Upserts merge into what is stored and set the collections that hold them; an upsert whose
    /// memberships name no stored owner (nor one created earlier in the same page) is outside the
    /// installation and skipped; deletions become tombstones and leave every collection, and so do
    /// the stored entities an ``Change/exactly(_:ids:)`` does not list.
    ///
    /// - Returns: The summary of an `incremental` run.
    /// - Throws: As ``sync(_:into:resume:full:observer:)``; `storage.lease_lost` when another
    ///   worker took the run over.
    public func syncChanges(
        _ installation: LiveInstallation, into store: some SyncStore, run: SyncRun,
        observer: @escaping @Sendable (SyncEvent) -> Void = { _ in }
    ) async throws -> SyncSummary {
        let started = Date()
        let tally = Tally()
        let leases = Leases()
        leases.hold(run: run.id)
        observer(.started(runID: run.id, resumed: false))
        var pages = 0
        do {
            pages = try await keepingLeases(leases, in: store) {
                guard var position = try await store.checkpoint(Self.changesScope) else {
                    throw MaxError(
                        .internalError, "incremental run \(run.id) has no position to continue from",
                        hint: "run \"max sync <installation> --full\"", context: ["run": run.id])
                }
                try await installation.start()
                observer(.stepStarted(index: 0, description: "changes since \(position)", tasks: 0))
                var pages = 0
                while true {
                    try Task.checkCancellation()
                    guard let page = try await installation.changes(after: position) else { break }
                    let batch = try await Self.batch(for: page.changes, in: store)
                    try await store.write(batch, checkpoints: [Self.changesScope: page.position], at: Date())
                    for (type, count) in tally.add(batch.upserts) { observer(.entitiesWritten(type, count: count)) }
                    pages += 1
                    position = page.position
                    if !page.hasMore { break }
                }
                return pages
            }
        } catch  where error is CancellationError || Task.isCancelled {
            // Cancelled, however the interrupted call reported it.
            try await stopped(run.id, tasks: [], in: store)
            throw CancellationError()
        } catch let error as MaxError where error.code == .leaseLost {
            // Another worker drives the run now: it finishes it.
            throw error
        } catch {
            let reason = (error as? MaxError).map { "\($0.code): \($0.message)" } ?? String(describing: error)
            _ = try? await store.finishRun(
                run.id, status: .failed, error: reason,
                entitiesWritten: tally.written.withLock { $0.values.reduce(0, +) }, claim: claim, at: Date())
            throw error
        }
        let finished = try await store.finishRun(
            run.id, status: .completed, error: nil, entitiesWritten: tally.written.withLock { $0.values.reduce(0, +) },
            claim: claim, at: Date())
        let summary = SyncSummary(
            runID: finished.id, status: finished.status.rawValue, kind: "incremental",
            entitiesWritten: tally.written.withLock { $0 }, tasksCompleted: pages, tasksFailed: 0, errors: [],
            duration: Date().timeIntervalSince(started))
        observer(.finished(summary))
        return summary
    }

    /// The write batch for one page of changes, without the upserts outside the installation.
    static func batch(for changes: [Change], in store: some SyncStore) async throws -> EntityWriteBatch {
        // Owners that exist: stored ones, and those this page creates before their members.
        var wanted: [EntityType: Set<String>] = [:]
        for case .upsert(_, let memberships) in changes {
            for membership in memberships { wanted[membership.ownerType, default: []].formUnion(membership.owners) }
        }
        var known: [EntityType: Set<String>] = [:]
        for (type, ids) in wanted { known[type] = try await store.existingIDs(of: type, among: Array(ids)) }
        var batch = EntityWriteBatch()
        for change in changes {
            switch change {
            case .upsert(let input, let memberships):
                let inScope =
                    memberships.isEmpty
                    || memberships.contains { membership in
                        membership.owners.contains { known[membership.ownerType]?.contains($0) == true }
                    }
                guard inScope else { continue }
                batch.upserts.append(input)
                known[input.ref.type, default: []].insert(input.ref.id)
                batch.memberships += memberships.map {
                    .init(member: input.ref, ownerType: $0.ownerType, field: $0.field, owners: $0.owners)
                }
            case .delete(let ref):
                batch.deletions.append(ref)
            case .exactly(let type, let ids):
                batch.exactSets.append(.init(type: type, ids: ids))
            }
        }
        return batch
    }
}
