public import MaxCore

/// A call of an installation's operation.
public struct InvokeRequest: Codable, Sendable, Hashable {
    /// The installation.
    public var installation: String
    /// The operation's id.
    public var operation: String
    /// The input, valid against the operation's input schema.
    public var input: JSONValue
    /// A key that makes a repeated call return the first call's result instead of acting twice.
    public var idempotencyKey: String?
    /// Queue the call as a job and return at once.
    public var async: Bool?

    /// A call.
    public init(
        installation: String, operation: String, input: JSONValue = [:], idempotencyKey: String? = nil,
        async: Bool = false
    ) {
        self.installation = installation
        self.operation = operation
        self.input = input
        self.idempotencyKey = idempotencyKey
        self.async = async
    }
}

/// Async jobs, newest first.
public struct JobsRequest: Codable, Sendable, Hashable {
    /// Only this installation's.
    public var installation: String?
    /// Only jobs in this state: `pending`, `running`, `succeeded`, `failed`, `canceled`.
    public var state: String?
    /// Only the dead-letter list (failed with no attempt left).
    public var dead: Bool?

    /// A request.
    public init(installation: String? = nil, state: String? = nil, dead: Bool = false) {
        self.installation = installation
        self.state = state
        self.dead = dead
    }
}

/// One job.
public struct JobRequest: Codable, Sendable, Hashable {
    /// The job's id.
    public var id: String

    /// The job `id`.
    public init(id: String) {
        self.id = id
    }
}
