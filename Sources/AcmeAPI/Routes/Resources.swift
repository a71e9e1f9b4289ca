import Foundation
import GRDB

/// The five resources: how each is created and updated from a request body.
enum Resources {
    static let workspaces = ResourceRoutes<Workspace>(
        path: "workspaces", entityType: "workspace", idPrefix: "ws_", parentFilter: nil, updatePayload: .changedFields,
        create: { body, id, now, _ in
            Workspace(id: id, name: try body.requiredString("name"), createdAt: now, updatedAt: now)
        },
        update: { workspace, body, _, _ in
            if let name = try body.string("name") { workspace.name = name }
        })

    static let users = ResourceRoutes<User>(
        path: "users", entityType: "user", idPrefix: "usr_", parentFilter: "workspaceId", updatePayload: .changedFields,
        create: { body, id, now, db in
            let workspaceId = try body.requiredString("workspaceId")
            try db.requireLive("workspaces", id: workspaceId, field: "workspaceId")
            return User(
                id: id, workspaceId: workspaceId, email: try body.requiredString("email"),
                displayName: try body.requiredString("displayName"),
                role: try body.oneOf("role", User.roles) ?? "member",
                active: try body.bool("active") ?? true, createdAt: now, updatedAt: now)
        },
        update: { user, body, _, _ in
            if let email = try body.string("email") { user.email = email }
            if let name = try body.string("displayName") { user.displayName = name }
            if let role = try body.oneOf("role", User.roles) { user.role = role }
            if let active = try body.bool("active") { user.active = active }
        })

    static let projects = ResourceRoutes<Project>(
        path: "projects", entityType: "project", idPrefix: "prj_", parentFilter: "workspaceId",
        updatePayload: .changedFields,
        create: { body, id, now, db in
            let workspaceId = try body.requiredString("workspaceId")
            try db.requireLive("workspaces", id: workspaceId, field: "workspaceId")
            let ownerId = try body.requiredString("ownerId")
            try db.requireLive("users", id: ownerId, field: "ownerId")
            return Project(
                id: id, workspaceId: workspaceId, name: try body.requiredString("name"),
                description: try body.string("description"),
                status: try body.oneOf("status", Project.statuses) ?? "active", ownerId: ownerId, createdAt: now,
                updatedAt: now)
        },
        update: { project, body, _, db in
            if let name = try body.string("name") { project.name = name }
            if body.has("description") { project.description = try body.string("description") }
            if let status = try body.oneOf("status", Project.statuses) { project.status = status }
            if let ownerId = try body.string("ownerId") {
                try db.requireLive("users", id: ownerId, field: "ownerId")
                project.ownerId = ownerId
            }
        })

    static let tasks: ResourceRoutes<AcmeTask> = {
        var routes = ResourceRoutes<AcmeTask>(
            path: "tasks", entityType: "task", idPrefix: "tsk_", parentFilter: "projectId",
            updatePayload: .changedFields,
            create: { body, id, now, db in
                let projectId = try body.requiredString("projectId")
                try db.requireLive("projects", id: projectId, field: "projectId")
                let createdById = try body.requiredString("createdById")
                try db.requireLive("users", id: createdById, field: "createdById")
                let assigneeId = try body.string("assigneeId")
                if let assigneeId { try db.requireLive("users", id: assigneeId, field: "assigneeId") }
                let status = try body.oneOf("status", AcmeTask.statuses) ?? "todo"
                return AcmeTask(
                    id: id, projectId: projectId, title: try body.requiredString("title"),
                    description: try body.string("description"), status: status,
                    priority: try body.oneOf("priority", AcmeTask.priorities) ?? "none", assigneeId: assigneeId,
                    createdById: createdById, lastModifiedById: createdById, dueDate: try body.date("dueDate"),
                    tags: try body.strings("tags") ?? [], completedAt: status == "done" ? now : nil, createdAt: now,
                    updatedAt: now)
            },
            update: { task, body, now, db in
                let modifier = try body.requiredString("lastModifiedById")
                try db.requireLive("users", id: modifier, field: "lastModifiedById")
                if let title = try body.string("title") { task.title = title }
                if body.has("description") { task.description = try body.string("description") }
                if let priority = try body.oneOf("priority", AcmeTask.priorities) { task.priority = priority }
                if body.has("assigneeId") {
                    let assigneeId = try body.string("assigneeId")
                    if let assigneeId { try db.requireLive("users", id: assigneeId, field: "assigneeId") }
                    task.assigneeId = assigneeId
                }
                if body.has("dueDate") { task.dueDate = try body.date("dueDate") }
                if let tags = try body.strings("tags") { task.tags = tags }
                if let status = try body.oneOf("status", AcmeTask.statuses), status != task.status {
                    task.status = status
                    task.completedAt = status == "done" ? now : nil
                }
                task.lastModifiedById = modifier
            })
        routes.afterUpdate = { _, after, changes, _, db in
            var random = SystemRandomNumberGenerator()
            let id = "hst_" + AcmeRandom.hex(random.next()) + AcmeRandom.hex(random.next())
            let diff = changes.filter { $0.key != "lastModifiedById" }.mapValues { ["before": $0.0, "after": $0.1] }
            try db.execute(
                sql: "INSERT INTO history (id, taskId, changedById, changedAt, changes) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, after.id, after.lastModifiedById, after.updatedAt, Reply.text(diff)])
        }
        return routes
    }()

    static let files = ResourceRoutes<AcmeFile>(
        path: "files", entityType: "file", idPrefix: "fil_", parentFilter: "projectId", updatePayload: .none,
        create: { body, id, now, db in
            let projectId = try body.requiredString("projectId")
            try db.requireLive("projects", id: projectId, field: "projectId")
            let createdById = try body.requiredString("createdById")
            try db.requireLive("users", id: createdById, field: "createdById")
            return AcmeFile(
                id: id, projectId: projectId, name: try body.requiredString("name"),
                mimeType: try body.string("mimeType") ?? "application/octet-stream",
                sizeBytes: try body.int("sizeBytes") ?? 0,
                createdById: createdById, lastModifiedById: createdById, createdAt: now, updatedAt: now)
        },
        update: { file, body, _, db in
            if let name = try body.string("name") { file.name = name }
            if let mimeType = try body.string("mimeType") { file.mimeType = mimeType }
            if let size = try body.int("sizeBytes") { file.sizeBytes = size }
            if let modifier = try body.string("lastModifiedById") {
                try db.requireLive("users", id: modifier, field: "lastModifiedById")
                file.lastModifiedById = modifier
            }
        })
}
