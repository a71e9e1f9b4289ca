public import Foundation

/// A sync run as `max runs`, `GET …/runs` and `max_runs` show it.
public struct RunInfo: Codable, Sendable, Hashable {
    /// The run's id.
    public var id: String
    /// `full` or `incremental`.
    public var kind: String
    /// `running`, `completed`, `partial`, `failed`, `cancelled` or `interrupted`.
    public var status: String
    /// When it started.
    public var startedAt: Date
    /// When it ended.
    public var finishedAt: Date?
    /// How long it took, once finished.
    public var durationMs: Int?
    /// Entities written.
    public var entities: Int
    /// Requests made to the source.
    public var requests: Int
    /// Requests retried.
    public var retries: Int
    /// Answers that said the rate limit was reached.
    public var rateLimited: Int
    /// Tasks that failed for good.
    public var tasksFailed: Int
    /// The error that stopped it.
    public var error: String?

    /// A run.
    public init(
        id: String, kind: String, status: String, startedAt: Date, finishedAt: Date?, entities: Int,
        requests: Int = 0, retries: Int = 0, rateLimited: Int = 0, tasksFailed: Int = 0, error: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationMs = finishedAt.map { Int($0.timeIntervalSince(startedAt) * 1000) }
        self.entities = entities
        self.requests = requests
        self.retries = retries
        self.rateLimited = rateLimited
        self.tasksFailed = tasksFailed
        self.error = error
    }
}

/// An installation's runs, newest first.
public struct RunList: Codable, Sendable, Hashable {
    /// The runs.
    public var runs: [RunInfo]

    /// A list.
    public init(runs: [RunInfo]) {
        self.runs = runs
    }
}
