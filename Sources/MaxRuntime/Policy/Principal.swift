import Foundation

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

    /// Whether `name` is a valid user or group name: 1 to 64 letters, digits, `.`, `_`, `-` and `@`.
    public static func isName(_ name: String) -> Bool {
        (1...64).contains(name.count)
            && name.unicodeScalars.allSatisfy {
                CharacterSet.alphanumerics.contains($0) || ".-_@".unicodeScalars.contains($0)
            }
    }

    /// How audit events and messages name them: `ann (support, ops)`.
    public var description: String {
        groups.isEmpty ? user : "\(user) (\(groups.joined(separator: ", ")))"
    }
}
