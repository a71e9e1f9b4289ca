import GRDB

/// `{id, workspaceId, name, description|null, status, ownerId, createdAt, updatedAt}`.
struct Project: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "projects"
    static let statuses = ["active", "paused", "completed", "archived"]
    var id: String
    var workspaceId: String
    var name: String
    var description: String?
    var status: String
    var ownerId: String
    var createdAt: String
    var updatedAt: String
    var deletedAt: String?

    private enum CodingKeys: String, CodingKey {
        case id, workspaceId, name, description, status, ownerId, createdAt, updatedAt, deletedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(workspaceId, forKey: .workspaceId)
        try container.encode(name, forKey: .name)
        try container.encode(description, forKey: .description)
        try container.encode(status, forKey: .status)
        try container.encode(ownerId, forKey: .ownerId)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["workspaceId"] = workspaceId
        container["name"] = name
        container["description"] = description
        container["status"] = status
        container["ownerId"] = ownerId
        container["createdAt"] = createdAt
        container["updatedAt"] = updatedAt
        container["deletedAt"] = deletedAt
    }
}
