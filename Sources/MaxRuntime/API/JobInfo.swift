public import Foundation
public import MaxCore

/// An async operation job as `max jobs`, `GET /v1/jobs` and `max_jobs` show it.
public struct JobInfo: Codable, Sendable, Hashable {
    /// The job's id.
    public var id: String
    /// The installation.
    public var installation: String
    /// The operation.
    public var operation: String
    /// `pending`, `running`, `succeeded`, `failed` or `canceled`.
    public var state: String
    /// Attempts made.
    public var attempts: Int
    /// Attempts allowed.
    public var maxAttempts: Int
    /// Whether it failed with no attempt left (the dead-letter list).
    public var dead: Bool
    /// When it was queued.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// Its idempotency key, if it was given one.
    public var idempotencyKey: String?
    /// Why its last attempt failed.
    public var error: String?
    /// Whether someone asked it to stop.
    public var cancelRequested: Bool?
    /// The envelope of its successful attempt.
    public var result: JSONValue?

    /// A job.
    public init(
        id: String, installation: String, operation: String, state: String, attempts: Int, maxAttempts: Int,
        dead: Bool, createdAt: Date, updatedAt: Date, idempotencyKey: String? = nil, error: String? = nil,
        cancelRequested: Bool = false, result: JSONValue? = nil
    ) {
        self.id = id
        self.installation = installation
        self.operation = operation
        self.state = state
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.dead = dead
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.idempotencyKey = idempotencyKey
        self.error = error
        self.cancelRequested = cancelRequested ? true : nil
        self.result = result
    }
}

/// Jobs, newest first.
public struct JobList: Codable, Sendable, Hashable {
    /// The jobs.
    public var jobs: [JobInfo]

    /// A list.
    public init(jobs: [JobInfo]) {
        self.jobs = jobs
    }
}
