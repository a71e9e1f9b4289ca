public import MaxCore

/// An operation of a connector: its declaration and how it runs against the installation's context.
///
/// ```swift
/// let createTask = try OperationDef<AcmeContext>(
///     OperationInfo("createTask", displayName: "Create a task", description: "…",
///                   input: [...], output: [...], mutating: true, writeThrough: "AcmeTask")
/// ) { call, context in
///     let task = try await context.client.send(.post, "/api/tasks", body: call.input)
///     return OperationOutput(data: task.json, providerStatus: task.status, writes: [try task.entity(.task)])
/// }
/// ```
public struct OperationDef<Context: Sendable>: Sendable {
    /// The declaration.
    public let info: OperationInfo
    /// Runs one call: the input has been validated against ``OperationInfo/input``.
    public let execute: @Sendable (OperationCall, Context) async throws -> OperationOutput

    /// An operation.
    public init(
        _ info: OperationInfo, execute: @escaping @Sendable (OperationCall, Context) async throws -> OperationOutput
    ) {
        self.info = info
        self.execute = execute
    }
}

/// One call of an operation, as the connector receives it.
public struct OperationCall: Sendable {
    /// The input, valid against the operation's input schema.
    public let input: JSONValue
    /// The caller's idempotency key, for sources that take one.
    public let idempotencyKey: String?
    /// The request id, for the source's logs.
    public let requestID: String

    /// A call.
    public init(input: JSONValue, idempotencyKey: String? = nil, requestID: String) {
        self.input = input
        self.idempotencyKey = idempotencyKey
        self.requestID = requestID
    }
}

/// What an operation returns.
public struct OperationOutput: Sendable {
    /// The result, checked against the operation's output schema.
    public var data: JSONValue
    /// The source's HTTP status, when there was one.
    public var providerStatus: Int?
    /// Things the caller should know that are not failures.
    public var warnings: [String]
    /// Entities of the installation's schema the call created or changed: written to the local
    /// store in the same step.
    public var writes: [EntityInput]
    /// Entities the call deleted: marked deleted in the local store.
    public var deletes: [Ref]

    /// An output.
    public init(
        data: JSONValue, providerStatus: Int? = nil, warnings: [String] = [], writes: [EntityInput] = [],
        deletes: [Ref] = []
    ) {
        self.data = data
        self.providerStatus = providerStatus
        self.warnings = warnings
        self.writes = writes
        self.deletes = deletes
    }
}

/// How a connector authenticates, declared for catalogs and agents (never a secret).
public struct ConnectorAuth: Sendable, Hashable {
    /// The strategy.
    public enum Strategy: String, Sendable, Hashable {
        /// No authentication.
        case none
        /// A token or key the user enters.
        case apiKey = "api_key"
        /// OAuth 2.0.
        case oauth2
    }

    /// The strategies the connector offers (Acme: an API key, or OAuth 2.0).
    public let strategies: [Strategy]
    /// Provider details: token URLs, scopes.
    public let metadata: [String: String]

    /// A declaration.
    public init(_ strategies: [Strategy], metadata: [String: String] = [:]) {
        self.strategies = strategies
        self.metadata = metadata
    }

    /// No authentication.
    public static let none = ConnectorAuth([.none])

    /// The declaration as JSON.
    public var json: JSONValue {
        [
            "strategies": .array(strategies.map { .string($0.rawValue) }),
            "metadata": .object(metadata.mapValues(JSONValue.string)),
        ]
    }
}
