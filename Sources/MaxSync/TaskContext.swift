import Foundation
import MaxConnector
import MaxCore
import MaxStore
import Synchronization

/// Everything a worker needs to run one task.
struct TaskContext: Sendable {
    let installation: LiveInstallation
    let store: any SyncStore
    let claim: TaskClaim
    let runStart: Date
    let tally: Tally
    let observer: @Sendable (SyncEvent) -> Void

    /// Runs `task`; a failure is recorded on the task (and reported), not thrown, unless it is a
    /// cancellation or the store itself failing.
    func execute(_ task: SyncTask) async throws {
        do {
            // Only loads carry a full payload; a plan step's marker (`{"step":N}`) just completes.
            func payload() throws -> SyncTaskPayload {
                try JSONDecoder().decode(SyncTaskPayload.self, from: Data(task.payload.utf8))
            }
            switch task.kind {
            case SyncTaskPayload.loadCollection: try await loadCollection(task, try payload())
            case SyncTaskPayload.loadFields: try await loadFields(task, try payload())
            default: try await store.completeTask(task, claim: claim, writing: .init(), checkpoints: [:], at: Date())
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch  where Task.isCancelled {
            // A request cut short by the cancellation fails as a network error: not the task's fault.
            throw CancellationError()
        } catch {
            let maxError = (error as? MaxError) ?? MaxError(.internalError, String(describing: error))
            // Another worker took the task over when this one's lease ran out: it is theirs now.
            if maxError.code == .leaseLost { return }
            // The store failing, the source's breaker giving up, or the credentials being refused
            // stops the whole run: other tasks would fail the same way.
            if maxError.code == .circuitOpen || maxError.code.domain == "credentials"
                || maxError.code == .httpUnauthorized
                || (maxError.code.domain == "storage" && maxError.code != .storageTypeMismatch
                    && maxError.code != .storageUnknownField)
            {
                throw maxError
            }
            try await store.failTask(task, claim: claim, error: maxError, retryAt: nil, at: Date())
            tally.errors.withLock { if $0.count < 20 { $0.append(maxError) } }
            observer(.taskFailed(kind: task.kind, entity: task.entityID, error: maxError))
        }
    }

    private func report(_ counts: [EntityType: Int]) {
        for (type, count) in counts { observer(.entitiesWritten(type, count: count)) }
    }

    private func loadCollection(_ task: SyncTask, _ payload: SyncTaskPayload) async throws {
        guard let typeName = task.entityType, let ownerID = task.entityID, let field = task.field else {
            throw MaxError(.internalError, "collection task \(task.id) lacks its owner or field")
        }
        let owner = Ref(EntityType(typeName), ownerID)
        let loader = try installation.collectionLoader(for: owner.type, field: field)
        var request = PageRequest(limit: loader.pageSize, cursor: task.pageCursor)
        while true {
            try Task.checkCancellation()
            let page = try await loader.load(owner, request)
            // A page may carry entities of other types beside the members (the users a page of
            // issues names): they are stored, not linked.
            let members = page.items.compactMap { $0.ref.type == loader.target ? $0.ref : nil }
            let batch = EntityWriteBatch(
                upserts: page.items, links: [.init(owner: owner, field: field, targets: members)])
            if page.hasMore, let cursor = page.cursor {
                try await store.checkpointTask(task, claim: claim, writing: batch, pageCursor: cursor, at: Date())
                report(tally.add(page.items))
                request.cursor = cursor
            } else {
                var final = batch
                // The whole collection was read: members it no longer lists were deleted upstream.
                final.sweeps = [.init(owner: owner, field: field, notSyncedSince: runStart)]
                try await store.completeTask(task, claim: claim, writing: final, checkpoints: [:], at: Date())
                report(tally.add(page.items))
                return
            }
        }
    }

    private func loadFields(_ task: SyncTask, _ payload: SyncTaskPayload) async throws {
        guard let typeName = task.entityType, let fields = payload.fields else {
            throw MaxError(.internalError, "fields task \(task.id) lacks its type or fields")
        }
        let type = EntityType(typeName)
        var inputs: [EntityInput] = []
        for (loader, _) in try installation.loaders(for: type, fields: fields) {
            for start in stride(from: 0, to: payload.ids.count, by: loader.batchSize) {
                let refs = payload.ids[start..<min(start + loader.batchSize, payload.ids.count)].map { Ref(type, $0) }
                inputs += try await loader.load(Array(refs))
            }
        }
        try await store.completeTask(
            task, claim: claim, writing: EntityWriteBatch(upserts: inputs), checkpoints: [:], at: Date())
        report(tally.add(inputs))
    }
}
