import Foundation
import MaxConnector
import MaxCore

/// Acme's operations: create, update and delete tasks, create projects, register webhooks.
///
/// Each goes through the installation's `AcmeClient` (so the shared HTTP client's retries, rate
/// limit and breaker), and those that return a task or a project write it through to the local
/// store.
enum AcmeOperations {
    /// Every operation, in the order `max ops` lists them.
    static let all: [OperationDef<AcmeContext>] = {
        do {
            return [try createTask(), try updateTask(), try deleteTask(), try createProject(), try registerWebhook()]
        } catch {
            preconditionFailure("Acme's operation declarations are malformed: \(error)")
        }
    }()

    static let taskStatuses: [JSONValue] = ["todo", "in_progress", "in_review", "done", "cancelled"]
    static let priorities: [JSONValue] = ["critical", "high", "medium", "low", "none"]
    static let projectStatuses: [JSONValue] = ["active", "paused", "completed", "archived"]

    static func id(_ prefix: String) -> JSONValue {
        ["type": "string", "pattern": .string("^\(prefix)[0-9a-f]{32}$")]
    }

    static func nullableID(_ prefix: String) -> JSONValue {
        ["anyOf": [["type": "null"], id(prefix)]]
    }

    static let nullableDate: JSONValue = ["anyOf": [["type": "null"], ["type": "string", "format": "date-time"]]]

    /// A task as the API returns it.
    static let task: JSONValue = [
        "type": "object",
        "required": ["id", "projectId", "title", "status", "priority", "createdAt", "updatedAt"],
        "properties": [
            "id": id("tsk_"), "projectId": id("prj_"), "title": ["type": "string"],
            "description": ["type": ["string", "null"]], "status": ["enum": .array(taskStatuses)],
            "priority": ["enum": .array(priorities)], "assigneeId": nullableID("usr_"), "createdById": id("usr_"),
            "lastModifiedById": id("usr_"), "dueDate": nullableDate,
            "tags": ["type": "array", "items": ["type": "string"]],
            "completedAt": nullableDate, "createdAt": ["type": "string", "format": "date-time"],
            "updatedAt": ["type": "string", "format": "date-time"],
        ],
    ]

    /// A project as the API returns it.
    static let project: JSONValue = [
        "type": "object", "required": ["id", "workspaceId", "name", "status", "ownerId", "createdAt", "updatedAt"],
        "properties": [
            "id": id("prj_"), "workspaceId": id("ws_"), "name": ["type": "string"],
            "description": ["type": ["string", "null"]], "status": ["enum": .array(projectStatuses)],
            "ownerId": id("usr_"), "createdAt": ["type": "string", "format": "date-time"],
            "updatedAt": ["type": "string", "format": "date-time"],
        ],
    ]

    /// The fields of a task a caller may set.
    static let taskFields: [String: JSONValue] = [
        "title": ["type": "string", "minLength": 1, "maxLength": 500],
        "description": ["type": ["string", "null"], "maxLength": 20_000],
        "status": ["enum": .array(taskStatuses)], "priority": ["enum": .array(priorities)],
        "assigneeId": nullableID("usr_"), "dueDate": nullableDate,
        "tags": ["type": "array", "items": ["type": "string", "minLength": 1, "maxLength": 64], "maxItems": 50],
    ]

    static func createTask() throws -> OperationDef<AcmeContext> {
        var properties = taskFields
        properties["projectId"] = id("prj_")
        properties["createdById"] = id("usr_")
        let info = try OperationInfo(
            "createTask", displayName: "Create a task",
            description: "Creates a task in a project; it is in the local store at once.",
            input: [
                "type": "object", "required": ["projectId", "title", "createdById"], "properties": .object(properties),
                "additionalProperties": false,
            ], output: task, mutating: true, maxTimeout: .seconds(30), writeThrough: "AcmeTask")
        return OperationDef(info) { call, context in
            let response = try await context.client.send(.post, "/api/tasks", body: call.input).requireSuccess()
            return try entityOutput(response, shape: .task)
        }
    }

    static func updateTask() throws -> OperationDef<AcmeContext> {
        var properties = taskFields
        properties["id"] = id("tsk_")
        properties["lastModifiedById"] = id("usr_")
        let info = try OperationInfo(
            "updateTask", displayName: "Update a task",
            description: "Changes the given fields of a task (the others stay); lastModifiedById says who.",
            input: [
                "type": "object", "required": ["id", "lastModifiedById"], "properties": .object(properties),
                "additionalProperties": false,
            ], output: task, mutating: true, maxTimeout: .seconds(30), writeThrough: "AcmeTask")
        return OperationDef(info) { call, context in
            var body = call.input.objectValue ?? [:]
            let id = body.removeValue(forKey: "id")?.stringValue ?? ""
            let response = try await context.client.send(.patch, "/api/tasks/\(id)", body: .object(body))
                .requireSuccess()
            return try entityOutput(response, shape: .task)
        }
    }

    static func deleteTask() throws -> OperationDef<AcmeContext> {
        let info = try OperationInfo(
            "deleteTask", displayName: "Delete a task",
            description: "Deletes a task; it is hidden from local searches at once.",
            input: [
                "type": "object", "required": ["id"], "properties": ["id": id("tsk_")], "additionalProperties": false,
            ],
            output: [
                "type": "object", "required": ["id", "deleted"],
                "properties": ["id": id("tsk_"), "deleted": ["const": true]],
            ], mutating: true, maxTimeout: .seconds(30), writeThrough: "AcmeTask")
        return OperationDef(info) { call, context in
            let id = call.input["id"]?.stringValue ?? ""
            let response = try await context.client.send(.delete, "/api/tasks/\(id)").requireSuccess()
            return OperationOutput(
                data: ["id": .string(id), "deleted": true], providerStatus: response.status,
                deletes: [Ref("AcmeTask", id)])
        }
    }

    static func createProject() throws -> OperationDef<AcmeContext> {
        let info = try OperationInfo(
            "createProject", displayName: "Create a project", description: "Creates a project in a workspace.",
            input: [
                "type": "object", "required": ["workspaceId", "name", "ownerId"],
                "properties": [
                    "workspaceId": id("ws_"), "name": ["type": "string", "minLength": 1, "maxLength": 200],
                    "description": ["type": ["string", "null"], "maxLength": 20_000],
                    "status": ["enum": .array(projectStatuses)], "ownerId": id("usr_"),
                ],
                "additionalProperties": false,
            ], output: project, mutating: true, maxTimeout: .seconds(30), writeThrough: "AcmeProject")
        return OperationDef(info) { call, context in
            let response = try await context.client.send(.post, "/api/projects", body: call.input).requireSuccess()
            return try entityOutput(response, shape: .project)
        }
    }

    static func registerWebhook() throws -> OperationDef<AcmeContext> {
        let info = try OperationInfo(
            "registerWebhook", displayName: "Register a webhook",
            description:
                "Asks Acme to send change events to a URL. The signing secret Acme returns once is kept in the installation's credentials (webhook_secret_<id>), never shown.",
            input: [
                "type": "object", "required": ["url"],
                "properties": ["url": ["type": "string", "format": "uri", "pattern": "^https?://"]],
                "additionalProperties": false,
            ],
            output: [
                "type": "object", "required": ["id", "url", "createdAt", "active"],
                "properties": [
                    "id": ["type": "string", "pattern": "^wh_"], "url": ["type": "string"],
                    "createdAt": ["type": "string", "format": "date-time"], "active": ["type": "boolean"],
                    "secret": ["type": "string"],
                ],
            ], mutating: true, maxTimeout: .seconds(30), redactions: ["/secret"])
        return OperationDef(info) { call, context in
            let response = try await context.client.send(.post, "/api/webhooks", body: call.input).requireSuccess()
            let data = try JSONValue(parsing: String(decoding: response.body, as: UTF8.self))
            if let id = data["id"]?.stringValue, let secret = data["secret"]?.stringValue {
                try await context.client.credentials.setSecret(Secret(secret), named: "webhook_secret_\(id)")
            }
            return OperationOutput(data: data, providerStatus: response.status)
        }
    }

    /// The output of a call that returns one entity: the JSON, and the entity to write through.
    static func entityOutput(_ response: ConnectorHTTPClient.Response, shape: AcmeEntityShape) throws -> OperationOutput
    {
        let data = try JSONValue(parsing: String(decoding: response.body, as: UTF8.self))
        var reader = JSONReader(response.body)
        let entity = try shape.read(&reader)
        return OperationOutput(data: data, providerStatus: response.status, writes: [entity])
    }
}
