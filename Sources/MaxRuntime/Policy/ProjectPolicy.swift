public import MaxCore

/// Who may do what in a project: the rules of `max.json`'s `"policy"`, evaluated by one engine for
/// every front end (`max serve`, MCP over HTTP, the explorer).
///
/// ```json
/// "policy": {
///   "templates": {"notifier": ["connector.catalog.read", "connector.operation.invoke"]},
///   "grants": [
///     {"name": "support-reads", "groups": ["support"], "template": "read-only"},
///     {"name": "ann-acme", "users": ["ann"], "template": "operator", "installations": ["acme"],
///      "operations": ["createTask"]}
///   ]
/// }
/// ```
///
/// A grant gives its template's actions to its users and groups, on its installations (every one
/// when it names none) and, for running and reading operations, on its operations (every one when
/// it names none). Anything no grant gives is denied. The built-in templates are `read-only`
/// (catalog and operation read), `operator` (read, invoke, manage) and `admin` (everything). A
/// project without `"policy"` has none: a token's scope alone decides, as before.
///
/// `"groups": {"sales": ["ann", "bob"]}` puts users in groups besides those their token names
/// (the local user of `max mcp` has no token).
///
/// Tenancy comes before any grant: an installation with a `"group"` in `max.json` is reached only
/// by principals in that group, and a request about the whole project only by principals in the
/// group of every such installation. This holds in a project without `"policy"` too.
public struct ProjectPolicy: Sendable, Hashable {
    /// One grant.
    public struct Grant: Sendable, Hashable {
        /// Its name, which decisions cite.
        public var name: String
        /// The users it is for.
        public var users: [String]
        /// The groups it is for.
        public var groups: [String]
        /// The template it names.
        public var template: String
        /// The actions of that template.
        public var actions: Set<PolicyAction>
        /// The installations it covers; `nil` for all.
        public var installations: [String]?
        /// The operations it covers (for invoking and reading operations); `nil` for all.
        public var operations: [String]?
    }

    /// The built-in templates.
    public static let builtInTemplates: [String: Set<PolicyAction>] = [
        "read-only": [.catalogRead, .operationRead],
        "operator": [.catalogRead, .operationRead, .operationInvoke, .instanceManage],
        "admin": Set(PolicyAction.allCases),
    ]

    /// The grants, in `max.json`'s order.
    public var grants: [Grant]
    /// Whether `max.json` has a `"policy"`: without one, grants do not decide (tenancy alone
    /// does, and the token's scope).
    public var hasRules: Bool
    /// The members `"groups"` names, by group.
    public var members: [String: [String]]
    /// The group of each installation scoped to one, by installation name.
    public var tenants: [String: String]

    /// The policy of a project without `"policy"`: tenancy alone.
    public init(tenants: [String: String]) {
        self.grants = []
        self.hasRules = false
        self.members = [:]
        self.tenants = tenants
    }

    /// The policy of `max.json`'s `"policy"` value.
    ///
    /// - Throws: `project.invalid_config` naming the key at fault: an unknown template or action,
    ///   a grant for no one, a value of the wrong type.
    public init(json: JSONValue, tenants: [String: String] = [:], path: String = "max.json") throws {
        func invalid(_ key: String, _ problem: String) -> MaxError {
            MaxError(
                .invalidProjectFile, "\(path): policy.\(key) \(problem)",
                hint: "see the policy section of the README", context: ["key": "policy.\(key)"])
        }
        guard let object = json.objectValue else { throw invalid("", "must be an object") }
        for key in object.keys where !["templates", "grants", "groups"].contains(key) {
            throw invalid(key, "is not a policy key (templates, grants, groups)")
        }
        var templates = Self.builtInTemplates
        for (name, value) in object["templates"]?.objectValue ?? [:] {
            guard Self.builtInTemplates[name] == nil else {
                throw invalid("templates.\(name)", "redefines a built-in template")
            }
            guard let names = value.arrayValue?.compactMap(\.stringValue), names.count == value.arrayValue?.count else {
                throw invalid("templates.\(name)", "must be an array of actions")
            }
            var actions: Set<PolicyAction> = []
            for action in names {
                guard let parsed = PolicyAction(rawValue: action) else {
                    throw invalid(
                        "templates.\(name)",
                        "names \"\(action)\", which is not an action (\(PolicyAction.allCases.map(\.rawValue).joined(separator: ", ")))"
                    )
                }
                actions.insert(parsed)
            }
            templates[name] = actions
        }
        func strings(_ value: JSONValue?, _ key: String) throws -> [String]? {
            guard let value else { return nil }
            guard let array = value.arrayValue, case let names = array.compactMap(\.stringValue),
                names.count == array.count
            else { throw invalid(key, "must be an array of names") }
            return names
        }
        var grants: [Grant] = []
        for (index, value) in (object["grants"]?.arrayValue ?? []).enumerated() {
            let key = "grants[\(index)]"
            guard let grant = value.objectValue else { throw invalid(key, "must be an object") }
            for field in grant.keys
            where !["name", "users", "groups", "template", "installations", "operations"].contains(field) {
                throw invalid(
                    "\(key).\(field)", "is not a grant key (name, users, groups, template, installations, operations)")
            }
            let name = grant["name"]?.stringValue ?? key
            guard let template = grant["template"]?.stringValue else { throw invalid("\(key).template", "is required") }
            guard let actions = templates[template] else {
                throw invalid(
                    "\(key).template",
                    "names \"\(template)\", which is no template (\(templates.keys.sorted().joined(separator: ", ")))")
            }
            let users = try strings(grant["users"], "\(key).users") ?? []
            let groups = try strings(grant["groups"], "\(key).groups") ?? []
            guard !users.isEmpty || !groups.isEmpty else { throw invalid(key, "names no users and no groups") }
            grants.append(
                Grant(
                    name: name, users: users, groups: groups, template: template, actions: actions,
                    installations: try strings(grant["installations"], "\(key).installations"),
                    operations: try strings(grant["operations"], "\(key).operations")))
        }
        var members: [String: [String]] = [:]
        for (group, value) in object["groups"]?.objectValue ?? [:] {
            guard Principal.isName(group) else { throw invalid("groups.\(group.prefix(80))", "is not a group name") }
            members[group] = try strings(value, "groups.\(group)")
        }
        if let groups = object["groups"], groups.objectValue == nil {
            throw invalid("groups", "must be an object of group names to arrays of users")
        }
        self.grants = grants
        self.hasRules = true
        self.members = members
        self.tenants = tenants
    }

    /// The groups `principal` is in: its token's, and those `"groups"` lists it in.
    public func groups(of principal: Principal) -> Set<String> {
        Set(principal.groups).union(members.filter { $0.value.contains(principal.user) }.keys)
    }

    /// What a request asks: an action, on an installation (none for the project's own listings),
    /// of an operation (for invoking and reading one).
    public struct Request: Sendable, Hashable {
        /// The action.
        public var action: PolicyAction
        /// The installation, if the request is about one.
        public var installation: String?
        /// Its connector type, for the audit context.
        public var connectorType: String?
        /// The operation, if the request is about one.
        public var operation: String?
        /// `sync` or `async`, for an operation call.
        public var mode: String?

        /// A request.
        public init(
            action: PolicyAction, installation: String? = nil, connectorType: String? = nil, operation: String? = nil,
            mode: String? = nil
        ) {
            self.action = action
            self.installation = installation
            self.connectorType = connectorType
            self.operation = operation
            self.mode = mode
        }
    }

    /// A decision and why.
    public struct Decision: Sendable, Hashable {
        /// Whether the request is allowed.
        public var allowed: Bool
        /// The grant that allowed it, or `default deny`.
        public var rule: String
    }

    /// Decides `request` for `principal`: denied when tenancy keeps it out; then allowed by the
    /// first grant that covers it, else denied (without `"policy"`, allowed).
    public func decide(_ request: Request, for principal: Principal) -> Decision {
        let groups = groups(of: principal)
        if let installation = request.installation {
            if let group = tenants[installation], !groups.contains(group) {
                return Decision(allowed: false, rule: "tenancy: \(installation) belongs to group \(group)")
            }
        } else if let outside = tenants.values.sorted().first(where: { !groups.contains($0) }) {
            return Decision(
                allowed: false, rule: "tenancy: the project holds installations of group \(outside)")
        }
        guard hasRules else { return Decision(allowed: true, rule: "no policy: the token's scope decides") }
        for grant in grants where covers(grant, request, principal, groups) {
            return Decision(allowed: true, rule: "grant \(grant.name)")
        }
        return Decision(allowed: false, rule: "default deny")
    }

    /// Whether some grant gives `action` to `principal` on some installation: enough to list the
    /// ones it may see.
    public func mayEver(_ action: PolicyAction, _ principal: Principal) -> Bool {
        guard hasRules else { return true }
        let groups = groups(of: principal)
        return grants.contains { grant in grant.actions.contains(action) && applies(grant, to: principal, groups) }
    }

    private func applies(_ grant: Grant, to principal: Principal, _ groups: Set<String>) -> Bool {
        grant.users.contains(principal.user) || !groups.isDisjoint(with: grant.groups)
    }

    private func covers(_ grant: Grant, _ request: Request, _ principal: Principal, _ groups: Set<String>) -> Bool {
        guard grant.actions.contains(request.action), applies(grant, to: principal, groups) else { return false }
        if let installations = grant.installations {
            // A project-wide request (no installation) needs a grant on every installation.
            guard let installation = request.installation, installations.contains(installation) else { return false }
        }
        if let operations = grant.operations, let operation = request.operation,
            [.operationInvoke, .operationRead].contains(request.action)
        {
            return operations.contains(operation)
        }
        return true
    }
}
