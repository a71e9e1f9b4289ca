public import MaxCore

/// The request of `max apply` and `max diff`: what to converge, and documents to merge first.
public struct ApplyRequest: Codable, Sendable, Hashable {
    /// Remove what `max.json` no longer declares.
    public var prune: Bool?
    /// Check each enabled installation's source after applying (apply only; true when absent).
    public var verify: Bool?
    /// Connector documents to merge into `max.json` first: one document, or
    /// `{"kind": "List", "items": [...]}`.
    public var spec: JSONValue?

    /// A request.
    public init(prune: Bool? = nil, verify: Bool? = nil, spec: JSONValue? = nil) {
        self.prune = prune
        self.verify = verify
        self.spec = spec
    }
}

/// What `max validate` found: every problem, and how many installations were checked.
public struct ProblemList: Codable, Sendable, Hashable {
    /// The problems, in installation order; none when the project is ready.
    public var problems: [ProjectProblem]
    /// The installations checked.
    public var installations: Int

    /// A list.
    public init(problems: [ProjectProblem], installations: Int) {
        self.problems = problems
        self.installations = installations
    }
}
