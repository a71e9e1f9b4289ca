public import MaxCore

/// An operation: a templated request with a JSON Schema for its input.
public struct OperationSpec: Codable, Sendable, Hashable {
    /// The id (`createIssue`).
    public var id: String
    /// The name people see.
    public var displayName: String
    /// What it does.
    public var description: String
    /// The JSON Schema of its input.
    public var input: JSONValue
    /// The JSON Schema of its output; any JSON when absent.
    public var output: JSONValue?
    /// Whether it changes the source.
    public var mutating: Bool
    /// The request; `{{input.…}}` reads the input.
    public var request: RequestSpec
    /// Where the result is in the answer; the whole answer when absent.
    public var result: String?
    /// The stream whose entity the result is, written to the local store at once.
    public var writeThrough: String?
    /// The written-through record's parent id (a template over `input` and `config`), for a stream
    /// whose id or fields read `{{parent.id}}`.
    public var parent: String?
    /// The header that carries the caller's idempotency key, for sources that take one.
    public var idempotencyHeader: String?
}
