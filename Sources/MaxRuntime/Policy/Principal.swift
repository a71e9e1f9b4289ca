/// Who is asking: a user, the groups they are in, and the token they came with.
///
/// A serve token belongs to a principal (`max serve tokens create --user ann --group support`);
/// a token made without one is its own principal, `token:<id>`. MCP over stdio runs as the local
/// user.
public struct Principal: Sendable, Hashable, Codable {
    /// The user's name.
    public var user: String
    /// The groups they are in.
    public var groups: [String]

    /// A principal.
    public init(user: String, groups: [String] = []) {
        self.user = user
        self.groups = groups
    }

    /// How audit events and messages name them: `ann (support, ops)`.
    public var description: String {
        groups.isEmpty ? user : "\(user) (\(groups.joined(separator: ", ")))"
    }
}
