import GRDB

/// `{id, workspaceId, email, displayName, role, active, createdAt, updatedAt}`.
struct User: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "users"
    static let roles = ["admin", "member", "viewer"]
    var id: String
    var workspaceId: String
    var email: String
    var displayName: String
    var role: String
    var active: Bool
    var createdAt: String
    var updatedAt: String
    var deletedAt: String?

    private enum CodingKeys: String, CodingKey {
        case id, workspaceId, email, displayName, role, active, createdAt, updatedAt, deletedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(workspaceId, forKey: .workspaceId)
        try container.encode(email, forKey: .email)
        try container.encode(displayName, forKey: .displayName)
        try container.encode(role, forKey: .role)
        try container.encode(active, forKey: .active)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["workspaceId"] = workspaceId
        container["email"] = email
        container["displayName"] = displayName
        container["role"] = role
        container["active"] = active
        container["createdAt"] = createdAt
        container["updatedAt"] = updatedAt
        container["deletedAt"] = deletedAt
    }
}
