import Foundation
import MaxCore

/// The API's JSON shapes, decoded as they come and turned into entity inputs.
enum AcmeDTO {
    struct Workspace: Decodable, Identifiable {
        let id: String
        let name: String
        let createdAt: String
        let updatedAt: String
    }

    struct User: Decodable, Identifiable {
        let id: String
        let workspaceId: String
        let email: String
        let displayName: String
        let role: String
        let active: Bool
        let createdAt: String
        let updatedAt: String
    }

    struct Project: Decodable, Identifiable {
        let id: String
        let workspaceId: String
        let name: String
        let description: String?
        let status: String
        let ownerId: String
        let createdAt: String
        let updatedAt: String
    }

    struct Task: Decodable, Identifiable {
        let id: String
        let projectId: String
        let title: String
        let description: String?
        let status: String
        let priority: String
        let assigneeId: String?
        let createdById: String
        let lastModifiedById: String
        let dueDate: String?
        let tags: [String]
        let completedAt: String?
        let createdAt: String
        let updatedAt: String
    }

    struct File: Decodable, Identifiable {
        let id: String
        let projectId: String
        let name: String
        let mimeType: String
        let sizeBytes: Int
        let createdById: String
        let lastModifiedById: String
        let createdAt: String
        let updatedAt: String
    }
}

extension FieldValue {
    /// A date from the API's ISO-8601 text; text that is not a date is kept as null rather than
    /// failing the whole page.
    static func acmeDate(_ text: String?) -> FieldValue {
        guard let text, let date = ISO8601.parse(text) else { return .null }
        return .date(date)
    }

    static func text(_ value: String?) -> FieldValue { value.map(FieldValue.string) ?? .null }

    static func ref(_ type: EntityType, _ id: String?) -> FieldValue { id.map { .ref(Ref(type, $0)) } ?? .null }
}

extension AcmeDTO.Workspace {
    var input: EntityInput {
        EntityInput(
            "AcmeWorkspace", id: id,
            fields: ["name": .string(name), "createdAt": .acmeDate(createdAt), "updatedAt": .acmeDate(updatedAt)])
    }
}

extension AcmeDTO.User {
    var input: EntityInput {
        EntityInput(
            "AcmeUser", id: id,
            fields: [
                "email": .string(email), "displayName": .string(displayName), "role": .string(role),
                "active": .bool(active),
                "workspace": .ref("AcmeWorkspace", workspaceId), "createdAt": .acmeDate(createdAt),
                "updatedAt": .acmeDate(updatedAt),
            ])
    }
}

extension AcmeDTO.Project {
    var input: EntityInput {
        EntityInput(
            "AcmeProject", id: id,
            fields: [
                "name": .string(name), "description": .text(description), "status": .string(status),
                "owner": .ref("AcmeUser", ownerId), "workspace": .ref("AcmeWorkspace", workspaceId),
                "createdAt": .acmeDate(createdAt), "updatedAt": .acmeDate(updatedAt),
            ])
    }
}

extension AcmeDTO.Task {
    var input: EntityInput {
        EntityInput(
            "AcmeTask", id: id,
            fields: [
                "title": .string(title), "description": .text(description), "status": .string(status),
                "priority": .string(priority), "assignee": .ref("AcmeUser", assigneeId),
                "project": .ref("AcmeProject", projectId),
                "createdBy": .ref("AcmeUser", createdById), "lastModifiedBy": .ref("AcmeUser", lastModifiedById),
                "tags": .json(.array(tags.map(JSONValue.string))), "dueDate": .acmeDate(dueDate),
                "completedAt": .acmeDate(completedAt), "createdAt": .acmeDate(createdAt),
                "updatedAt": .acmeDate(updatedAt),
            ])
    }
}

extension AcmeDTO.File {
    var input: EntityInput {
        EntityInput(
            "AcmeFile", id: id,
            fields: [
                "name": .string(name), "mimeType": .string(mimeType), "sizeBytes": .int(sizeBytes),
                "project": .ref("AcmeProject", projectId), "createdBy": .ref("AcmeUser", createdById),
                "lastModifiedBy": .ref("AcmeUser", lastModifiedById), "createdAt": .acmeDate(createdAt),
                "updatedAt": .acmeDate(updatedAt),
            ])
    }
}
