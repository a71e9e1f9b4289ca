public import Foundation
public import MaxCore

/// What a sync reports while it runs, for progress bars and logs.
public enum SyncEvent: Sendable {
    /// The run started (or resumed).
    case started(runID: String, resumed: Bool)
    /// A plan step began: its description and how many tasks it expanded to.
    case stepStarted(index: Int, description: String, tasks: Int)
    /// Entities of a type were written.
    case entitiesWritten(EntityType, count: Int)
    /// A task failed for good; the run will end partial.
    case taskFailed(kind: String, entity: String?, error: MaxError)
    /// The HTTP client retried a request or was rate limited.
    case request(HTTPEvent)
    /// The run ended (completed, or partial when tasks failed); always the last event of a run
    /// that did not throw.
    case finished(SyncSummary)
}

/// How a sync ended: what the engine reports, and what every front end and node sends on the wire.
public struct SyncSummary: Sendable {
    /// The run's id.
    public let runID: String
    /// `completed`, `partial` (some tasks failed: resume retries them) or `failed`.
    public let status: String
    /// `full` (everything read) or `incremental` (changes since the last sync).
    public var kind = "full"
    /// Entities written, by type.
    public let entitiesWritten: [EntityType: Int]
    /// Tasks that completed and that failed.
    public let tasksCompleted: Int
    /// Tasks that failed.
    public let tasksFailed: Int
    /// The first errors of failed tasks, for the report.
    public let errors: [MaxError]
    /// How long it took.
    public let duration: TimeInterval
    /// What a person should know about the run beyond its counts (the columns a database source
    /// added or dropped since the last sync).
    public var notes: [String] = []

    /// Every entity written.
    public var totalEntities: Int { entitiesWritten.values.reduce(0, +) }

    /// A summary: the engine's, or a remote Max node's description of a sync that ran there.
    public init(
        runID: String, status: String, kind: String = "full", entitiesWritten: [EntityType: Int],
        tasksCompleted: Int, tasksFailed: Int, errors: [MaxError], duration: TimeInterval
    ) {
        self.runID = runID
        self.status = status
        self.kind = kind
        self.entitiesWritten = entitiesWritten
        self.tasksCompleted = tasksCompleted
        self.tasksFailed = tasksFailed
        self.errors = errors
        self.duration = duration
    }
}
