public import Foundation

/// One sync of one installation, as recorded in its database.
public struct SyncRun: Sendable, Hashable {
    /// Where a run stands.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Asked for and waiting for a worker to start it (a detached sync of a shared store).
        case queued
        /// Started and not finished (or interrupted: a run left running by a killed process).
        case running
        /// Every task completed.
        case completed
        /// Finished with some tasks failed: `--resume` retries them.
        case partial
        /// Could not run at all (the seeder failed, the source was unreachable).
        case failed
        /// Stopped by the user.
        case cancelled
        /// Left `running` by a process that is gone (killed, crashed). Never stored: it is how
        /// readers show a running run whose sync lock no process holds.
        case interrupted
    }

    /// The run's id.
    public let id: String
    /// What kind of sync this was (`full`, `incremental`, `resume`…), as the sync engine names it.
    public let kind: String
    /// Where it stands.
    public let status: Status
    /// When it started.
    public let startedAt: Date
    /// When it finished, if it has.
    public let finishedAt: Date?
    /// How many entities its tasks wrote.
    public let entitiesWritten: Int
    /// Why it failed, if it did.
    public let error: String?
    /// Requests sent to the source (retries included), over every resumption of the run.
    public var requests = 0
    /// Requests that were retries.
    public var retries = 0
    /// Answers that were 429 (rate limited).
    public var rateLimited = 0
    /// Tasks that failed (known when read through ``EntityStore/runs(limit:)``).
    public var tasksFailed = 0
    /// Until when the worker driving it holds it, in a store that workers share.
    ///
    /// `nil` elsewhere. A running run whose hold ran out has lost its driver, until another worker
    /// takes it over.
    public var heldUntil: Date?
}

/// One unit of sync work, persisted so a sync can be resumed after a crash.
///
/// Storage treats ``payload`` as opaque JSON that the sync engine owns; the other columns are the
/// ones it queries by.
public struct SyncTask: Sendable, Hashable {
    /// Where a task stands.
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// Waiting to be claimed (possibly not before ``SyncTask/notBefore``).
        case pending
        /// Claimed by a worker.
        case running
        /// Done; its writes are committed.
        case completed
        /// Given up on; its error says why.
        case failed
    }

    /// The task's id, increasing in creation order.
    public let id: Int64
    /// The run it belongs to.
    public let runID: String
    /// The task that created it, if any.
    public let parentID: Int64?
    /// What the task does, as the sync engine names it (`load_fields`, `load_collection`…).
    public let kind: String
    /// The entity type it works on, if any.
    public let entityType: String?
    /// The entity it works on, if any.
    public let entityID: String?
    /// The field it loads, if any.
    public let field: String?
    /// The engine's description of the work, as JSON text.
    public let payload: String
    /// Where it stands.
    public let state: State
    /// How many times it has been claimed.
    public let attempts: Int
    /// The earliest time it may be claimed again (after a retryable failure).
    public let notBefore: Date?
    /// How far a paginated load got: the cursor of the next page to load.
    public let pageCursor: String?
    /// How many entities it has written so far.
    public let entitiesWritten: Int
    /// The code of its last error.
    public let errorCode: String?
    /// The message of its last error.
    public let errorMessage: String?

    /// A task as a store read it.
    public init(
        id: Int64, runID: String, parentID: Int64?, kind: String, entityType: String?, entityID: String?,
        field: String?, payload: String, state: State, attempts: Int, notBefore: Date?, pageCursor: String?,
        entitiesWritten: Int, errorCode: String?, errorMessage: String?
    ) {
        self.id = id
        self.runID = runID
        self.parentID = parentID
        self.kind = kind
        self.entityType = entityType
        self.entityID = entityID
        self.field = field
        self.payload = payload
        self.state = state
        self.attempts = attempts
        self.notBefore = notBefore
        self.pageCursor = pageCursor
        self.entitiesWritten = entitiesWritten
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }
}

/// A task to add to a run.
public struct NewSyncTask: Sendable, Hashable {
    /// What the task does.
    public var kind: String
    /// The entity type it works on, if any.
    public var entityType: String?
    /// The entity it works on, if any.
    public var entityID: String?
    /// The field it loads, if any.
    public var field: String?
    /// The engine's description of the work, as JSON text.
    public var payload: String

    /// Creates a task description.
    public init(
        kind: String, entityType: String? = nil, entityID: String? = nil, field: String? = nil, payload: String = "{}"
    ) {
        self.kind = kind
        self.entityType = entityType
        self.entityID = entityID
        self.field = field
        self.payload = payload
    }
}

extension SyncRun {
    /// This run with another status (an `interrupted` one, as a reader shows it).
    public func with(status: Status) -> SyncRun {
        SyncRun(
            id: id, kind: kind, status: status, startedAt: startedAt, finishedAt: finishedAt, entities: entitiesWritten,
            error: error, requests: requests, retries: retries, rateLimited: rateLimited, tasksFailed: tasksFailed)
    }

    /// A run as a store read it, or as described elsewhere (a remote node's answer).
    public init(
        id: String, kind: String, status: Status, startedAt: Date, finishedAt: Date?, entities: Int,
        error: String?, requests: Int = 0, retries: Int = 0, rateLimited: Int = 0, tasksFailed: Int = 0
    ) {
        self.id = id
        self.kind = kind
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.entitiesWritten = entities
        self.error = error
        self.requests = requests
        self.retries = retries
        self.rateLimited = rateLimited
        self.tasksFailed = tasksFailed
    }
}
