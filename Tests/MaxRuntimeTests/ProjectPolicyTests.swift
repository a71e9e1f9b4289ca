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

    @Test func everyDecisionIsTheMatrixs() throws {
        let policy = try ProjectPolicy(json: Self.policy)
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
                #expect(Self.letters(allowed) == Self.expected[name]?[installation], "\(name) on \(installation)")
            }
        }
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

    static let malformed: [(JSONValue, String)] = [
        (JSONValue.array([]), "policy. must be an object"),
        (["grant": []], "policy.grant is not a policy key"),
        (["grants": [["name": "x", "users": ["a"]]]], "policy.grants[0].template is required"),
        (["grants": [["users": ["a"], "template": "root"]]], #"names "root", which is no template"#),
        (["grants": [["template": "admin"]]], "names no users and no groups"),
        (["grants": [["users": "ann", "template": "admin"]]], "policy.grants[0].users must be an array of names"),
        (["templates": ["x": ["connector.everything"]]], #"names "connector.everything", which is not an action"#),
        (["templates": ["admin": []]], "redefines a built-in template"),
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
