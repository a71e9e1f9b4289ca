import GRDB

/// `{id, projectId, name, mimeType, sizeBytes, createdById, lastModifiedById, createdAt, updatedAt}`.
struct AcmeFile: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "files"
    var id: String
    var projectId: String
    var name: String
    var mimeType: String
    var sizeBytes: Int
    var createdById: String
    var lastModifiedById: String
    var createdAt: String
    var updatedAt: String
    var deletedAt: String?

    private enum CodingKeys: String, CodingKey {
        case id, projectId, name, mimeType, sizeBytes, createdById, lastModifiedById, createdAt, updatedAt, deletedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(projectId, forKey: .projectId)
        try container.encode(name, forKey: .name)
        try container.encode(mimeType, forKey: .mimeType)
        try container.encode(sizeBytes, forKey: .sizeBytes)
        try container.encode(createdById, forKey: .createdById)
        try container.encode(lastModifiedById, forKey: .lastModifiedById)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["projectId"] = projectId
        container["name"] = name
        container["mimeType"] = mimeType
        container["sizeBytes"] = sizeBytes
        container["createdById"] = createdById
        container["lastModifiedById"] = lastModifiedById
        container["createdAt"] = createdAt
        container["updatedAt"] = updatedAt
        container["deletedAt"] = deletedAt
    }
}
