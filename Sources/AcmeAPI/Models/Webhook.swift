import GRDB

/// `{id, url, createdAt, active}`; the signing secret is returned once, at registration.
struct Webhook: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "webhooks"
    var id: String
    var url: String
    var secret: String
    var createdAt: String
    var active: Bool
    var deletedAt: String?

    private enum CodingKeys: String, CodingKey { case id, url, secret, createdAt, active, deletedAt }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(url, forKey: .url)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(active, forKey: .active)
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["url"] = url
        container["secret"] = secret
        container["createdAt"] = createdAt
        container["active"] = active
        container["deletedAt"] = deletedAt
    }
}

/// One entry of the forward change log.
struct ChangeEvent: Codable, Sendable, FetchableRecord {
    var sequence: Int
    var entityType: String
    var entityId: String
    var action: String
    var payload: String?
    var timestamp: String
}

/// One entry of a task's history.
struct HistoryEntry: Sendable, FetchableRecord {
    var id: String
    var taskId: String
    var changedById: String
    var changedAt: String
    var changes: String

    init(row: Row) {
        id = row["id"]
        taskId = row["taskId"]
        changedById = row["changedById"]
        changedAt = row["changedAt"]
        changes = row["changes"]
    }

    init(id: String, taskId: String, changedById: String, changedAt: String, changes: String) {
        self.id = id
        self.taskId = taskId
        self.changedById = changedById
        self.changedAt = changedAt
        self.changes = changes
    }
}
