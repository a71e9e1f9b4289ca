import Foundation
import GRDB

/// `{id, projectId, title, description|null, status, priority, assigneeId|null, createdById,
/// lastModifiedById, dueDate|null, tags, completedAt|null, createdAt, updatedAt}`.
struct AcmeTask: Codable, Sendable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "tasks"
    static let statuses = ["todo", "in_progress", "in_review", "done", "cancelled"]
    static let priorities = ["critical", "high", "medium", "low", "none"]
    var id: String
    var projectId: String
    var title: String
    var description: String?
    var status: String
    var priority: String
    var assigneeId: String?
    var createdById: String
    var lastModifiedById: String
    var dueDate: String?
    var tags: [String]
    var completedAt: String?
    var createdAt: String
    var updatedAt: String
    var deletedAt: String?

    init(
        id: String, projectId: String, title: String, description: String?, status: String, priority: String,
        assigneeId: String?, createdById: String, lastModifiedById: String, dueDate: String?, tags: [String],
        completedAt: String?, createdAt: String, updatedAt: String, deletedAt: String? = nil
    ) {
        self.id = id
        self.projectId = projectId
        self.title = title
        self.description = description
        self.status = status
        self.priority = priority
        self.assigneeId = assigneeId
        self.createdById = createdById
        self.lastModifiedById = lastModifiedById
        self.dueDate = dueDate
        self.tags = tags
        self.completedAt = completedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deletedAt = deletedAt
    }

    /// Reads a row directly: lists decode thousands of rows, and the `Decodable` path costs several
    /// times as much.
    init(row: Row) {
        id = row["id"]
        projectId = row["projectId"]
        title = row["title"]
        description = row["description"]
        status = row["status"]
        priority = row["priority"]
        assigneeId = row["assigneeId"]
        createdById = row["createdById"]
        lastModifiedById = row["lastModifiedById"]
        dueDate = row["dueDate"]
        let tagText: String = row["tags"]
        tags = (try? JSONDecoder().decode([String].self, from: Data(tagText.utf8))) ?? []
        completedAt = row["completedAt"]
        createdAt = row["createdAt"]
        updatedAt = row["updatedAt"]
        deletedAt = row["deletedAt"]
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, projectId, title, description, status, priority, assigneeId, createdById, lastModifiedById, dueDate,
            tags, completedAt, createdAt, updatedAt, deletedAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(projectId, forKey: .projectId)
        try container.encode(title, forKey: .title)
        try container.encode(description, forKey: .description)
        try container.encode(status, forKey: .status)
        try container.encode(priority, forKey: .priority)
        try container.encode(assigneeId, forKey: .assigneeId)
        try container.encode(createdById, forKey: .createdById)
        try container.encode(lastModifiedById, forKey: .lastModifiedById)
        try container.encode(dueDate, forKey: .dueDate)
        try container.encode(tags, forKey: .tags)
        try container.encode(completedAt, forKey: .completedAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["projectId"] = projectId
        container["title"] = title
        container["description"] = description
        container["status"] = status
        container["priority"] = priority
        container["assigneeId"] = assigneeId
        container["createdById"] = createdById
        container["lastModifiedById"] = lastModifiedById
        container["dueDate"] = dueDate
        container["tags"] = String(decoding: (try? JSONEncoder().encode(tags)) ?? Data("[]".utf8), as: UTF8.self)
        container["completedAt"] = completedAt
        container["createdAt"] = createdAt
        container["updatedAt"] = updatedAt
        container["deletedAt"] = deletedAt
    }
}
