import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

/// The policy engine on its own: three users in two groups, four installations, two templates and
/// an operation allowlist, every action decided as the matrix written out below says.
struct ProjectPolicyTests {
    static let policy = PolicyFixture.policy
    static let expected = PolicyFixture.expected

    static let ann = Principal(user: "ann", groups: ["support"])
    static let bob = Principal(user: "bob", groups: ["ops", "support"])
    static let cai = Principal(user: "cai", groups: [])

    /// The letters of the actions allowed; `c` is catalog read alone (without operation read).
    static func letters(_ allowed: Set<PolicyAction>) -> String {
        var text = ""
        if allowed.contains(.catalogRead) && allowed.contains(.operationRead) {
            text += "R"
        } else if allowed.contains(.catalogRead) {
            text += "c"
        } else if allowed.contains(.operationRead) {
            text += "r"
        }
        if allowed.contains(.operationInvoke) { text += "I" }
        if allowed.contains(.instanceManage) { text += "M" }
        if allowed.contains(.credentialManage) { text += "C" }
        return text
    }

    /// Expects `policy` to decide every action of each user on each installation (and the whole
    /// project, `*`), with `createTask` as the operation, as `expected` writes out.
    static func expect(_ policy: ProjectPolicy, decides expected: [String: [String: String]]) {
        for (name, principal) in [("ann", Self.ann), ("bob", Self.bob), ("cai", Self.cai)] {
            for installation in ["acme", "beta", "gamma", "delta", "*"] {
                let allowed = Set(
                    PolicyAction.allCases.filter { action in
                        policy.decide(
                            ProjectPolicy.Request(
                                action: action, installation: installation == "*" ? nil : installation,
                                operation: "createTask"),
                            for: principal
                        ).allowed
                    })
                #expect(Self.letters(allowed) == expected[name]?[installation], "\(name) on \(installation)")
            }
        }
    }

    @Test func everyDecisionIsTheMatrixs() throws {
        let policy = try ProjectPolicy(json: Self.policy)
        Self.expect(policy, decides: Self.expected)
        // The allowlist: ann may invoke createTask on delta, nothing else there.
        let other = policy.decide(
            ProjectPolicy.Request(action: .operationInvoke, installation: "delta", operation: "deleteTask"),
            for: Self.ann)
        #expect(!other.allowed && other.rule == "default deny")
        let allowed = policy.decide(
            ProjectPolicy.Request(action: .operationInvoke, installation: "delta", operation: "createTask"),
            for: Self.ann)
        #expect(allowed.allowed && allowed.rule == "grant ann-notifies")
        #expect(policy.mayEver(.catalogRead, Self.ann) && !policy.mayEver(.catalogRead, Self.cai))
    }

    /// Tenancy over the same grants.
    ///
    /// `gamma` belongs to `ops` and `acme` to `support`; `cai` is in
    /// `ops` through `"groups"`. A grant never reaches across a group, and a whole-project request
    /// needs every group.
    @Test func tenancyComesBeforeEveryGrant() throws {
        var members = Self.policy.objectValue ?? [:]
        members["grants"] = .array(
            (members["grants"]?.arrayValue ?? []) + [["name": "cai-admin", "users": ["cai"], "template": "admin"]])
        members["groups"] = ["ops": ["cai"]]
        let json = JSONValue.object(members)
        let policy = try ProjectPolicy(json: json, tenants: ["gamma": "ops", "acme": "support"])
        let expected: [String: [String: String]] = [
            // ann is not in ops: gamma is out of reach, and so is the whole project.
            "ann": ["acme": "R", "beta": "R", "gamma": "", "delta": "cI", "*": ""],
            "bob": ["acme": "R", "beta": "R", "gamma": "RIM", "delta": "", "*": ""],
            // cai's admin grant covers everything, but acme belongs to support, which cai is not in.
            "cai": ["acme": "", "beta": "RIMC", "gamma": "RIMC", "delta": "RIMC", "*": ""],
        ]
        Self.expect(policy, decides: expected)
        let denied = policy.decide(ProjectPolicy.Request(action: .catalogRead, installation: "acme"), for: Self.cai)
        #expect(denied.rule == "tenancy: acme belongs to group support")
        let whole = policy.decide(ProjectPolicy.Request(action: .operationRead), for: Self.cai)
        #expect(whole.rule == "tenancy: the project holds installations of group support")
        #expect(policy.groups(of: Self.cai) == ["ops"])

        // Without "policy", tenancy alone decides: the rest is the token's scope's.
        let bare = ProjectPolicy(tenants: ["gamma": "ops"])
        #expect(
            bare.decide(ProjectPolicy.Request(action: .operationInvoke, installation: "acme"), for: Self.cai).allowed)
        #expect(!bare.decide(ProjectPolicy.Request(action: .catalogRead, installation: "gamma"), for: Self.ann).allowed)
        #expect(bare.decide(ProjectPolicy.Request(action: .catalogRead, installation: "gamma"), for: Self.bob).allowed)
        #expect(bare.mayEver(.catalogRead, Self.ann))
    }

    static let malformed: [(JSONValue, String)] = [
        (JSONValue.array([]), "policy. must be an object"),
        (["grant": []], "policy.grant is not a policy key"),
        (["grants": [["name": "x", "users": ["a"]]]], "policy.grants[0].template is required"),
        (["grants": [["users": ["a"], "template": "root"]]], #"names "root", which is no template"#),
        (["grants": [["template": "admin"]]], "names no users and no groups"),
        (["grants": [["users": "ann", "template": "admin"]]], "policy.grants[0].users must be an array of names"),
        (["templates": ["x": ["connector.everything"]]], #"names "connector.everything", which is not an action"#),
        (["templates": ["admin": []]], "redefines a built-in template"),
        (["groups": ["ops": "cai"]], "policy.groups.ops must be an array of names"),
        (["groups": ["a b": ["cai"]]], "policy.groups.a b is not a group name"),
    ]

    @Test(arguments: Self.malformed)
    func aMalformedPolicyNamesTheKey(policy: JSONValue, message: String) {
        #expect(throws: MaxError.self) { try ProjectPolicy(json: policy) }
        do {
            _ = try ProjectPolicy(json: policy)
        } catch let error as MaxError {
            #expect(error.code == .invalidProjectFile)
            #expect(error.message.contains(message), "\(error.message)")
        } catch {
            Issue.record("\(error)")
        }
    }
}
