import Foundation
public import MaxCore

/// The one place a request is allowed or denied: the token's scope caps what it may do, then the
/// project's policy (``ProjectPolicy``, when `max.json` has one) decides, and every denial is an
/// error (`policy.denied`, naming the action and the rule) and an audit event with its context.
public struct AccessControl: Sendable {
    /// The project.
    public let workspace: MaxWorkspace

    /// Access control for `workspace`.
    public init(workspace: MaxWorkspace) {
        self.workspace = workspace
    }

    /// The project's policy, or `nil` when `max.json` has none and no installation is scoped to a
    /// group (a token's scope alone decides).
    ///
    /// - Throws: `project.invalid_config` for a malformed policy.
    public func policy() throws -> ProjectPolicy? {
        let file = try workspace.project.load()
        let tenants = file.installations.compactMapValues(\.group)
        if let json = file.otherKeys["policy"] { return try ProjectPolicy(json: json, tenants: tenants) }
        return tenants.isEmpty ? nil : ProjectPolicy(tenants: tenants)
    }

    /// Allows `request` for `principal` holding a token of `scope`, or throws.
    ///
    /// - Parameters:
    ///   - request: The action, installation and operation.
    ///   - principal: Who asks.
    ///   - scope: Their token's scope.
    ///   - caller: How the audit log names the caller (`serve:<token id>`, `mcp:…`, `explorer:…`).
    /// - Throws: `api.forbidden` when the scope does not allow the action; `policy.denied` when the
    ///   policy does not (after recording an audit event); `project.invalid_config`.
    public func authorize(
        _ request: ProjectPolicy.Request, principal: Principal, scope: ServeTokens.Scope, caller: String
    ) async throws {
        guard scope.actions.contains(request.action) else {
            let needed = ServeTokens.Scope.narrowest(allowing: request.action)
            throw MaxError(
                .apiForbidden,
                "the token's scope (\(scope.rawValue)) does not allow \(request.action.rawValue); it needs \(needed.rawValue)",
                hint: "create a token with \"max serve tokens create --scope \(needed.rawValue)\"",
                context: ["action": request.action.rawValue])
        }
        guard let policy = try policy() else { return }
        var request = request
        if request.connectorType == nil, let installation = request.installation {
            // The connector's name, without the version it was installed at (`acme@1.0.0`).
            request.connectorType = (try? workspace.record(installation).connector)
                .map { String($0.split(separator: "@").first ?? Substring($0)) }
        }
        let decision = policy.decide(request, for: principal)
        guard !decision.allowed else { return }
        let target =
            (request.operation.map { "\($0) of " } ?? "") + (request.installation ?? "the project")
        let error = MaxError(
            .policyDenied,
            "\(principal.description) may not \(request.action.rawValue) on \(target): \(decision.rule)",
            hint: decision.rule.hasPrefix("tenancy")
                ? "only members of the installation's group reach it (its \"group\" in max.json); \"max policy check\" explains a decision"
                : "a grant in max.json's \"policy\" must give it; \"max policy check\" explains a decision",
            context: [
                "action": request.action.rawValue, "rule": decision.rule, "user": principal.user,
                "installation": request.installation ?? "",
            ])
        var context: [String: JSONValue] = [
            "user": .string(principal.user),
            "groups": .array(policy.groups(of: principal).sorted().map(JSONValue.string)),
            "project": .string(workspace.project.root.lastPathComponent), "action": .string(request.action.rawValue),
            "rule": .string(decision.rule),
        ]
        context["installation"] = request.installation.map(JSONValue.string)
        context["connectorType"] = request.connectorType.map(JSONValue.string)
        context["operation"] = request.operation.map(JSONValue.string)
        context["mode"] = request.mode.map(JSONValue.string)
        let requestID = "deny_" + String(UInt64.random(in: .min ... .max), radix: 16)
        var event = AuditLog.Event(
            requestID: requestID, correlationID: requestID, caller: caller,
            installation: request.installation ?? "", operation: request.operation ?? request.action.rawValue,
            mode: request.mode ?? "policy", outcome: "denied", durationMs: 0,
            errorCode: MaxError.Code.policyDenied.description)
        event.context = JSONValue.object(context).jsonText
        await AuditLog(project: workspace.project).record(event)
        throw error
    }
}

extension AccessControl {
    /// Allows a call of `endpoint` with `arguments` (its installation, operation and mode read
    /// from them), or throws as ``authorize(_:principal:scope:caller:)``.
    ///
    /// Listing the installations is allowed to anyone some grant lets read an installation; the
    /// list is then cut to what they may read (``visible(_:to:)``). A SQL statement needs a grant
    /// on each installation it names. Every other call without an installation is about the whole
    /// project and needs a grant on every installation.
    public func authorize(
        _ endpoint: Endpoint, arguments: JSONValue, principal: Principal, scope: ServeTokens.Scope, caller: String
    ) async throws {
        let installation = arguments["installation"]?.stringValue
        if endpoint == .installations, let policy = try policy(), policy.mayEver(.catalogRead, principal),
            scope.actions.contains(.catalogRead)
        {
            return
        }
        if endpoint == .sql, let names = arguments["installations"]?.stringValue {
            // A statement reads every installation it names: each must be readable.
            for name in SQLRequest(installations: [names], query: "").installationNames {
                try await authorize(
                    ProjectPolicy.Request(action: endpoint.action, installation: name), principal: principal,
                    scope: scope, caller: caller)
            }
            return
        }
        try await authorize(
            ProjectPolicy.Request(
                action: endpoint.action, installation: installation, operation: arguments["operation"]?.stringValue,
                mode: endpoint == .invoke ? (arguments["async"]?.boolValue == true ? "async" : "sync") : nil),
            principal: principal, scope: scope, caller: caller)
    }

    /// The installations of `list` that `principal` may read (all of them without a policy).
    ///
    /// - Throws: `project.invalid_config` for a malformed policy.
    public func visible(_ list: InstallationList, to principal: Principal) throws -> InstallationList {
        guard let policy = try policy() else { return list }
        var visible = list
        visible.installations = list.installations.filter {
            policy.decide(ProjectPolicy.Request(action: .catalogRead, installation: $0.name), for: principal).allowed
        }
        return visible
    }
}

extension MaxError.Code {
    /// The project's policy does not grant what was asked.
    public static let policyDenied = Self(domain: "policy", name: "denied", category: .policyDenied)
}
