public import MaxCore

/// A project policy and what it allows, written out, for the tests that check the policy engine
/// alone and through every front end: three users in two groups, four installations, two
/// templates (one built in, one the project's) and an operation allowlist.
public enum PolicyFixture {
    /// `max.json`'s `"policy"`.
    public static let policy: JSONValue = [
        "templates": ["notifier": ["connector.catalog.read", "connector.operation.invoke"]],
        "grants": [
            [
                "name": "support-reads", "groups": ["support"], "template": "read-only",
                "installations": ["acme", "beta"],
            ],
            ["name": "ops-runs", "groups": ["ops"], "template": "operator", "installations": ["gamma"]],
            [
                "name": "ann-notifies", "users": ["ann"], "template": "notifier", "installations": ["delta"],
                "operations": ["createTask"],
            ],
        ],
    ]

    /// The users: name and groups.
    public static let users: [(name: String, groups: [String])] = [
        ("ann", ["support"]), ("bob", ["ops", "support"]), ("cai", []),
    ]

    /// What each user may do on each installation, with `createTask` as the operation, and on the
    /// whole project (`*`): `R` catalog and operation read, `c` catalog read alone, `I` invoke,
    /// `M` manage, `C` credentials.
    public static let expected: [String: [String: String]] = [
        "ann": ["acme": "R", "beta": "R", "gamma": "", "delta": "cI", "*": ""],
        "bob": ["acme": "R", "beta": "R", "gamma": "RIM", "delta": "", "*": ""],
        "cai": ["acme": "", "beta": "", "gamma": "", "delta": "", "*": ""],
    ]
}
