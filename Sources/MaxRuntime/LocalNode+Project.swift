import MaxCore

extension LocalNode {
    /// Every problem of `max.json` and its installations (``MaxWorkspace/validate(environment:)``).
    public func validate(_ request: NoParameters) async throws -> ProblemList {
        let problems = await workspace.validate()
        return ProblemList(problems: problems, installations: (try? workspace.installations().count) ?? 0)
    }

    /// What applying would change (``MaxWorkspace/plan(prune:merging:environment:)``).
    ///
    /// - Throws: `project.invalid_config`; `spec.*` and `connector.*` for the request's documents.
    public func diff(_ request: ApplyRequest) async throws -> ApplyPlan {
        try await workspace.plan(prune: request.prune ?? false, merging: try Self.specs(request.spec))
    }

    /// Converges the project (``MaxWorkspace/apply(prune:merging:verify:caller:environment:)``),
    /// audited as this node's caller.
    ///
    /// - Throws: as ``MaxWorkspace/apply(prune:merging:verify:caller:environment:)``.
    public func apply(_ request: ApplyRequest) async throws -> ApplyPlan {
        try await workspace.apply(
            prune: request.prune ?? false, merging: try Self.specs(request.spec), verify: request.verify ?? true,
            caller: caller)
    }

    private static func specs(_ json: JSONValue?) throws -> [ConnectorSpec] {
        guard let json, json != .object([:]) else { return [] }
        return try ConnectorSpec.documents(in: json, source: "the request's spec")
    }
}
