public import Foundation

/// The project's record of operations, shared by every process that calls them: idempotency keys
/// with the results they produced, async jobs, and the webhook deliveries already seen.
///
/// Every change is one transaction, so two callers claiming the same key or the same job never
/// both win. A record held by a caller (a key whose call runs, a running job) is held by a
/// ``TaskClaim``'s worker:
/// - in a store one machine shares (SQLite), while that worker's process lives;
/// - in a store many machines share (PostgreSQL), while its lease lasts: ``isShared`` is true and
///   the holder renews its records with ``renew(_:)`` well within ``TaskClaim/lease``.
///
/// A holder found gone leaves its record to the next caller: a job goes back to pending, or, when
/// its request had left for the source, fails as of unknown outcome; a key's call is then of
/// unknown outcome too, and never sent again blindly.
public protocol OperationRecords: Sendable {
    /// Whether processes on other machines share the records: then a holder's lease must be renewed.
    var isShared: Bool { get }

    // MARK: Idempotency

    /// Claims `key` for a call whose input hashes to `inputHash`, for `ttl` seconds from now.
    func claim(_ key: IdempotencyKey, inputHash: String, holder: TaskClaim, ttl: TimeInterval) async throws
        -> IdempotencyClaim
    /// Records that the request of the call holding `key` is about to leave for the source.
    func markSent(_ key: IdempotencyKey) async throws
    /// Records the result of the call holding `key`: later calls with it get `result`.
    func complete(_ key: IdempotencyKey, result: String) async throws
    /// Frees `key` after its call failed: the next call with it runs again.
    func release(_ key: IdempotencyKey) async throws

    // MARK: Webhooks

    /// Records that the webhook delivery `id` of `installation` arrived; `false` when it had
    /// arrived before (a replay). Deliveries older than a day are forgotten.
    func recordDelivery(installation: String, id: String) async throws -> Bool
    /// Forgets expired keys, and everything of `installation` when one is given (it was disconnected).
    func purge(installation: String?) async throws

    // MARK: Jobs

    /// Enqueues a job, due at once.
    func enqueue(installation: String, operation: String, input: String, idempotencyKey: String?, maxAttempts: Int)
        async throws -> JobRecord
    /// The job `id`, if there is one.
    func job(_ id: String) async throws -> JobRecord?
    /// Jobs, newest first: of one installation, in one state, or only the dead-letter list.
    func jobs(installation: String?, state: JobRecord.State?, deadOnly: Bool, limit: Int) async throws -> [JobRecord]
    /// Takes the oldest due job (of `installations`, when given) for `holder`, after settling the
    /// jobs of holders that are gone.
    ///
    /// - Returns: The job, now running with one more attempt, or `nil` when none is due.
    func claimNextJob(_ holder: TaskClaim, installations: [String]?) async throws -> JobRecord?
    /// Gives back `holder`'s running job `id` (its runner is stopping): settled at once as a job
    /// whose holder is gone is, back to pending if its request never left, else of unknown outcome.
    func handBack(_ id: String, holder: TaskClaim) async throws
    /// Settles the running jobs whose holders are gone; returns how many.
    func recoverOrphans() async throws -> Int
    /// How long until the next pending job is due (zero when one is due now), or `nil` when none
    /// is pending.
    func timeUntilNextJob() async throws -> Duration?
    /// Records that the current attempt of job `id` is about to send its request to the source.
    func markJobSent(_ id: String, holder: TaskClaim) async throws
    /// Renews `holder`'s hold on its running keys and jobs, and returns the ids of its running
    /// jobs someone asked to cancel.
    func renew(_ holder: TaskClaim) async throws -> Set<String>
    /// Records that `holder`'s job `id` succeeded with `result`; `false` when `holder` no longer
    /// holds it (its lease ran out and another took it).
    @discardableResult
    func succeed(_ id: String, result: String, holder: TaskClaim) async throws -> Bool
    /// Records that an attempt of `holder`'s job `id` failed: it is due again after `retryIn`, or,
    /// without one, fails for good and joins the dead-letter list.
    @discardableResult
    func fail(_ id: String, error: String, retryIn: Duration?, holder: TaskClaim) async throws -> Bool
    /// Records that `holder`'s job `id` stopped because it was canceled.
    @discardableResult
    func markCanceled(_ id: String, holder: TaskClaim) async throws -> Bool
    /// Cancels job `id`: a pending one at once, a running one by asking its holder.
    ///
    /// - Returns: The job after the change, or `nil` when there is no such job.
    func cancel(_ id: String) async throws -> JobRecord?
    /// Puts a failed or canceled job back in the queue with its attempts reset.
    ///
    /// - Returns: The job after the change, or `nil` when there is no such job.
    func retry(_ id: String) async throws -> JobRecord?
}

/// One idempotency key of one operation of one installation.
public struct IdempotencyKey: Sendable, Hashable {
    /// The installation.
    public let installation: String
    /// The operation.
    public let operation: String
    /// The caller's key.
    public let key: String

    /// A key.
    public init(installation: String, operation: String, key: String) {
        self.installation = installation
        self.operation = operation
        self.key = key
    }
}

/// What a call holding an idempotency key should do.
public enum IdempotencyClaim: Sendable, Equatable {
    /// Run the operation: the key is now the caller's.
    case run
    /// Return this result (the envelope the first call returned) without calling the source.
    case replay(String)
    /// Another caller is running the first call: ask again shortly.
    case wait
    /// The key was used with another input.
    case conflict
    /// The first call's request had left for the source when its holder stopped (its process
    /// died, or its lease ran out): whether the source acted on it is unknown. `firstSeen` is true
    /// for the call that discovers it (which records the lost attempt); later ones get the same
    /// answer until the key expires.
    case unknown(holder: String, sentAt: Date, expiresAt: Date, firstSeen: Bool)
}

/// An async job: one operation call run in the background, persisted from enqueue to result.
public struct JobRecord: Sendable, Equatable {
    /// Where a job is: `pending → running → succeeded | failed | canceled`.
    public enum State: String, Sendable, CaseIterable {
        /// Waiting for a runner (at first, and between attempts).
        case pending
        /// A runner is running it.
        case running
        /// Done; ``JobRecord/result`` holds the envelope.
        case succeeded
        /// Out of attempts, or failed for good; it is in the dead-letter list.
        case failed
        /// Canceled before it finished.
        case canceled
    }

    /// `job_…`.
    public var id: String
    /// The installation.
    public var installation: String
    /// The operation.
    public var operation: String
    /// The input, as JSON text.
    public var input: String
    /// The idempotency key it was enqueued with.
    public var idempotencyKey: String?
    /// Where it is.
    public var state: State
    /// The attempts made.
    public var attempts: Int
    /// The attempts it may make.
    public var maxAttempts: Int
    /// The result envelope (JSON text) once it succeeded.
    public var result: String?
    /// The last error (`code: message`).
    public var error: String?
    /// Whether it is in the dead-letter list (failed after its attempts).
    public var dead: Bool
    /// Whether someone asked to cancel it while it ran.
    public var cancelRequested: Bool
    /// Who runs it: a process id in a SQLite store, a worker id (`host:pid:…`) in a shared one.
    public var holder: String?
    /// When it was enqueued.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date

    /// A job as stored.
    public init(
        id: String, installation: String, operation: String, input: String, idempotencyKey: String?, state: State,
        attempts: Int, maxAttempts: Int, result: String?, error: String?, dead: Bool, cancelRequested: Bool,
        holder: String?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.installation = installation
        self.operation = operation
        self.input = input
        self.idempotencyKey = idempotencyKey
        self.state = state
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.result = result
        self.error = error
        self.dead = dead
        self.cancelRequested = cancelRequested
        self.holder = holder
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// A new job's id.
    public static func newID() -> String {
        "job_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
    }

    /// The error of a job whose holder stopped after its request left for the source at `sentAt`.
    public static func outcomeUnknown(holder: String, sentAt: Date) -> String {
        "operation.outcome_unknown: its runner (\(holder)) stopped after the request left for the source at "
            + "\(sentAt.formatted(.iso8601)); whether the source acted on it is unknown"
    }
}
