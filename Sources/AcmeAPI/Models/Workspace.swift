import GRDB

/// `{id, name, createdAt, updatedAt}`.
struct Workspace: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "workspaces"
    var id: String
    var name: String
    var createdAt: String
    var updatedAt: String
    var deletedAt: String?

    private enum CodingKeys: String, CodingKey { case id, name, createdAt, updatedAt, deletedAt }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["name"] = name
        container["createdAt"] = createdAt
        container["updatedAt"] = updatedAt
        container["deletedAt"] = deletedAt
    }
}
