public import MaxCore

/// What an operation declares: its identity, its input and output schemas, and how the platform
/// must run it (SPEC-hardening §2, §3.3).
public struct OperationInfo: Sendable {
    /// How an operation runs.
    public enum Mode: String, Sendable, Hashable {
        /// Blocking request and response.
        case sync
        /// As a job: `max invoke` returns a job id, and the result comes later.
        case async
    }

    /// The stable identifier (`createTask`).
    public let id: String
    /// The name people see (`Create a task`).
    public let displayName: String
    /// What it does.
    public let description: String
    /// What the input must be.
    public let input: JSONSchema
    /// What the output is; outputs are checked against it before anyone sees them.
    public let output: JSONSchema
    /// Whether it changes the source (then it takes an idempotency key).
    public let mutating: Bool
    /// How it runs by default.
    public let mode: Mode
    /// The longest a call may take, retries included.
    public let maxTimeout: Duration
    /// Whether a repeated idempotency key returns the first result instead of calling again.
    public let supportsIdempotency: Bool
    /// The retry policy of its requests (transient failures only); `nil` for the connector's.
    public let retryPolicy: RetryPolicy?
    /// How often it may be called, as a hint to callers; `nil` for no more than the connector's limit.
    public let rateLimitHint: RateLimit?
    /// The largest output, in bytes of JSON, returned whole; a larger one is truncated.
    public let maxPayloadBytes: Int
    /// JSON Pointers of output values replaced by `"[redacted]"` (`*` matches every array element
    /// or object member: `/members/*/email`).
    public let redactions: [String]
    /// The entity type the output is, when a mutating call returns one of the installation's
    /// entities: it is then written to the local store in the same step.
    public let writeThrough: EntityType?

    /// Declares an operation.
    ///
    /// - Throws: `schema.invalid_json_schema` for a malformed input or output schema.
    public init(
        _ id: String, displayName: String, description: String, input: JSONValue, output: JSONValue,
        mutating: Bool, mode: Mode = .sync, maxTimeout: Duration = .seconds(30), supportsIdempotency: Bool? = nil,
        retryPolicy: RetryPolicy? = nil, rateLimitHint: RateLimit? = nil, maxPayloadBytes: Int = 1 << 20,
        redactions: [String] = [], writeThrough: EntityType? = nil
    ) throws {
        self.id = id
        self.displayName = displayName
        self.description = description
        self.input = try JSONSchema(input)
        self.output = try JSONSchema(output)
        self.mutating = mutating
        self.mode = mode
        self.maxTimeout = maxTimeout
        self.supportsIdempotency = supportsIdempotency ?? mutating
        self.retryPolicy = retryPolicy
        self.rateLimitHint = rateLimitHint
        self.maxPayloadBytes = maxPayloadBytes
        self.redactions = redactions
        self.writeThrough = writeThrough
    }

    /// The declaration as JSON, for `max ops -o json` and agents.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id), "displayName": .string(displayName), "description": .string(description),
            "inputSchema": input.json, "outputSchema": output.json, "mutating": .bool(mutating),
            "mode": .string(mode.rawValue), "maxTimeoutMs": .int(Int(maxTimeout.milliseconds)),
            "supportsIdempotency": .bool(supportsIdempotency), "maxPayloadBytes": .int(maxPayloadBytes),
        ]
        if !redactions.isEmpty { object["redactions"] = .array(redactions.map(JSONValue.string)) }
        if let writeThrough { object["writeThrough"] = .string(writeThrough.name) }
        if let retryPolicy {
            object["retryPolicy"] = ["maxAttempts": .int(retryPolicy.maxAttempts)]
        }
        if let rateLimitHint {
            object["rateLimitHint"] = ["rate": .double(rateLimitHint.rate), "burst": .int(rateLimitHint.burst)]
        }
        return .object(object)
    }
}
