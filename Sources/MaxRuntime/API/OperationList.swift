public import MaxCore

/// The operations an installation offers, with its connector's identity and auth.
public struct OperationList: Codable, Sendable, Hashable {
    /// The installation.
    public var installation: String
    /// Its connector.
    public var connector: String
    /// The connector's version.
    public var connectorVersion: String
    /// The version of the operations' declarations, which changes when any of them changes.
    public var operationSchemaVersion: String
    /// How the connector authenticates.
    public var auth: JSONValue
    /// The JSON Schema of the installation's configuration.
    public var inputSchema: JSONValue
    /// Each operation's declaration, with its input and output JSON Schemas.
    public var operations: [JSONValue]

    /// A list.
    public init(
        installation: String, connector: String, connectorVersion: String, operationSchemaVersion: String,
        auth: JSONValue, inputSchema: JSONValue, operations: [JSONValue]
    ) {
        self.installation = installation
        self.connector = connector
        self.connectorVersion = connectorVersion
        self.operationSchemaVersion = operationSchemaVersion
        self.auth = auth
        self.inputSchema = inputSchema
        self.operations = operations
    }
}

/// What an operation call gave: the envelope of a completed call, or the job of a queued one.
public enum InvokeResult: Codable, Sendable, Hashable {
    /// The call completed: its envelope (`metadata`, `data`, `warnings`, `redactionsApplied`,
    /// `truncated`).
    case completed(envelope: JSONValue)
    /// The call was queued as a job.
    case enqueued(JobInfo)

    /// Reads a job (it has a `state`) or an envelope (it has `metadata` and `data`).
    ///
    /// - Throws: `DecodingError` for anything else.
    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        if value["state"] != nil {
            self = .enqueued(try JobInfo(from: decoder))
        } else if value["metadata"]?.objectValue != nil, value["data"] != nil {
            self = .completed(envelope: value)
        } else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "neither an envelope nor a job"))
        }
    }

    /// Writes the envelope or the job, as it is.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .completed(let envelope): try envelope.encode(to: encoder)
        case .enqueued(let job): try job.encode(to: encoder)
        }
    }
}
