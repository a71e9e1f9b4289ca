import MaxConnector
import MaxCore
import MaxRuntime

/// The tools Max offers agents: one per ``Endpoint`` that has a tool, with the endpoint's
/// description, input schema and ``PolicyAction``.
///
/// A caller is offered the tools whose action it holds; the others are withheld (called anyway,
/// `api.forbidden`). There is no list of tools or permissions here to forget to update.
struct MaxTools: Sendable {
    /// One tool.
    struct Tool: Sendable {
        /// The endpoint it calls.
        let endpoint: Endpoint
        /// Its name.
        var name: String { endpoint.toolName ?? endpoint.rawValue }
        /// The action a caller needs for it: its endpoint's.
        var action: PolicyAction { endpoint.action }
    }

    /// The actions the caller holds.
    let allowed: Set<PolicyAction>

    /// Every tool there is.
    static let all: [Tool] = Endpoint.allCases.filter { $0.toolName != nil }.map(Tool.init)

    /// The tools this caller is offered.
    var offered: [Tool] { Self.all.filter { allowed.contains($0.action) } }

    /// The tools this caller is not offered.
    var withheld: [Tool] { Self.all.filter { !allowed.contains($0.action) } }

    /// What `max mcp` allows: reading always; syncing with `allowSync`; operations and jobs with
    /// `allowOperations`.
    static func allowed(sync: Bool, operations: Bool) -> Set<PolicyAction> {
        var actions: Set<PolicyAction> = [.catalogRead, .operationRead]
        if sync { actions.insert(.instanceManage) }
        if operations { actions.insert(.operationInvoke) }
        return actions
    }
}
