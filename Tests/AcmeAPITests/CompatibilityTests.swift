import AcmeAPI
import Foundation
import MaxConnector
import MaxCore
import Testing

/// The documented request and response shapes of the Acme API, asserted over real HTTP.
struct CompatibilityTests {
    @Test func healthAndMetaNeedNoKey() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready)
            let health = try await api.call(.get, "/api/health", key: .none)
            #expect(health.status == 200)
            #expect(health.json == ["status": "ok", "tenant": "default"])
            let meta = try await api.call(.get, "/api/meta", key: .none)
            #expect(meta.json == ["tenant": "default", "apiKey": .string(ready.apiKey)])
            #expect(isAcmeID(.string(ready.apiKey), "acme_"))
        }
    }

    @Test func aMissingKeyIs401AndAWrongOneIs403() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready)
            for path in ["/api/workspaces", "/api/tasks", "/api/changes", "/api/stats", "/api/tasks/x/history"] {
                let missing = try await api.call(.get, path, key: .none)
                #expect(missing.status == 401)
                #expect(missing.json == ["error": "Missing API key"])
                let wrong = try await api.call(.get, path, key: .custom("acme_" + String(repeating: "0", count: 32)))
                #expect(wrong.status == 403)
                #expect(wrong.json == ["error": "Invalid API key"])
            }
        }
    }

    @Test func defaultSeedingHasTheDocumentedShapeAndCounts() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready)
            let stats = try await api.get("/api/stats")
            #expect(
                stats == [
                    "workspaces": 1, "users": 6, "projects": 3, "tasks": 30, "files": 15, "changelogSize": 0,
                    "webhooks": 0, "requests": [:], "requestsPerSecond": [:],
                    "oauth": ["exchanges": 0, "refreshes": 0, "revocations": 0],
                ])
            let workspaces = try #require(try await api.get("/api/workspaces").arrayValue)
            #expect(workspaces.count == 1)
            let workspace = workspaces[0]
            #expect(Set(workspace.objectValue?.keys ?? [:].keys) == ["id", "name", "createdAt", "updatedAt"])
            #expect(isAcmeID(workspace["id"], "ws_"))
            #expect(isTimestamp(workspace["createdAt"]))

            let users = try #require(
                try await api.get("/api/users?workspaceId=\(workspace["id"]!.stringValue!)").arrayValue)
            #expect(users.count == 6)
            let system = try #require(users.first { $0["email"] == "system@acme.local" })
            #expect(system["displayName"] == "Acme System")
            #expect(system["role"] == "admin")
            #expect(
                Set(users[0].objectValue?.keys ?? [:].keys)
                    == ["id", "workspaceId", "email", "displayName", "role", "active", "createdAt", "updatedAt"])
            #expect(
                users.allSatisfy {
                    isAcmeID($0["id"], "usr_") && ["admin", "member", "viewer"].contains($0["role"]?.stringValue ?? "")
                })

            let projects = try #require(try await api.get("/api/projects").arrayValue)
            #expect(
                Set(projects[0].objectValue?.keys ?? [:].keys)
                    == ["id", "workspaceId", "name", "description", "status", "ownerId", "createdAt", "updatedAt"])

            let tasks = try #require(try await api.get("/api/tasks").arrayValue)
            #expect(tasks.count == 30)
            #expect(
                Set(tasks[0].objectValue?.keys ?? [:].keys) == [
                    "id", "projectId", "title", "description", "status", "priority", "assigneeId", "createdById",
                    "lastModifiedById", "dueDate", "tags", "completedAt", "createdAt", "updatedAt",
                ])
            #expect(tasks.contains { $0["assigneeId"] == .null }, "nullable fields are present as null")
            #expect(
                tasks.allSatisfy {
                    ["todo", "in_progress", "in_review", "done", "cancelled"].contains($0["status"]?.stringValue ?? "")
                })
            #expect(tasks.allSatisfy { ($0["status"] == "done") == ($0["completedAt"] != .null) })
            #expect(tasks.allSatisfy { $0["tags"]?.arrayValue != nil })

            let files = try #require(try await api.get("/api/files").arrayValue)
            #expect(files.count == 15)
            #expect(
                Set(files[0].objectValue?.keys ?? [:].keys) == [
                    "id", "projectId", "name", "mimeType", "sizeBytes", "createdById", "lastModifiedById", "createdAt",
                    "updatedAt",
                ])
        }
    }

    @Test func unknownIdsAndRoutesAre404WithTheDocumentedBody() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready)
            for path in ["/api/tasks/tsk_nope", "/api/users/usr_nope", "/api/workspaces/x", "/api/nothing-here"] {
                let reply = try await api.call(.get, path)
                #expect(reply.status == 404)
                #expect(reply.json == ["error": "Not found"])
            }
            #expect(try await api.call(.delete, "/api/files/fil_nope").status == 404)
            #expect(try await api.call(.patch, "/api/projects/prj_nope", body: ["name": "x"]).status == 404)
        }
    }

    @Test func createUpdateDeleteFollowTheContract() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready)
            let project = try #require(try await api.get("/api/projects").arrayValue?.first)
            let user = try #require(try await api.get("/api/users").arrayValue?.first)
            let created = try await api.call(
                .post, "/api/tasks",
                body: ["projectId": project["id"]!, "title": "New task", "createdById": user["id"]!, "tags": ["x"]])
            #expect(created.status == 201)
            #expect(created.json["title"] == "New task")
            #expect(created.json["status"] == "todo")
            #expect(created.json["completedAt"] == .null)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(isAcmeID(.string(id), "tsk_"))

            let missingModifier = try await api.call(.patch, "/api/tasks/\(id)", body: ["status": "done"])
            #expect(missingModifier.status == 400)
            #expect(missingModifier.json["error"] == "lastModifiedById is required")

            let done = try await api.call(
                .patch, "/api/tasks/\(id)", body: ["status": "done", "lastModifiedById": user["id"]!])
            #expect(done.status == 200)
            #expect(done.json["status"] == "done")
            #expect(isTimestamp(done.json["completedAt"]))

            let badStatus = try await api.call(
                .patch, "/api/tasks/\(id)", body: ["status": "finished", "lastModifiedById": user["id"]!])
            #expect(badStatus.status == 400)

            let deleted = try await api.call(.delete, "/api/tasks/\(id)")
            #expect(deleted.json == ["ok": true])
            #expect(try await api.call(.get, "/api/tasks/\(id)").status == 404)
            #expect(try await api.get("/api/tasks").arrayValue?.contains { $0["id"] == .string(id) } == false)
            #expect(try await api.get("/api/stats")["tasks"] == 30)

            let noTitle = try await api.call(
                .post, "/api/tasks", body: ["projectId": project["id"]!, "createdById": user["id"]!])
            #expect(noTitle.status == 400)
            #expect(noTitle.json["error"] == "title is required")
            let notJSON = try await api.call(.post, "/api/workspaces", headers: [])
            #expect(notJSON.status == 400)
        }
    }

    @Test func theChangeLogFollowsItsPayloadRules() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready)
            let project = try #require(try await api.get("/api/projects").arrayValue?.first)
            let user = try #require(try await api.get("/api/users").arrayValue?.first)
            let task = try await api.call(
                .post, "/api/tasks", body: ["projectId": project["id"]!, "title": "Logged", "createdById": user["id"]!]
            ).json
            _ = try await api.call(
                .patch, "/api/tasks/\(task["id"]!.stringValue!)",
                body: ["title": "Renamed", "lastModifiedById": user["id"]!])
            let file = try await api.call(
                .post, "/api/files", body: ["projectId": project["id"]!, "name": "a.txt", "createdById": user["id"]!]
            ).json
            _ = try await api.call(.patch, "/api/files/\(file["id"]!.stringValue!)", body: ["name": "b.txt"])
            _ = try await api.call(.delete, "/api/files/\(file["id"]!.stringValue!)")

            let log = try await api.get("/api/changes?since=0")
            let events = try #require(log["events"]?.arrayValue)
            #expect(
                events.map { "\($0["entityType"]!.stringValue!).\($0["action"]!.stringValue!)" } == [
                    "task.create", "task.update", "file.create", "file.update", "file.delete",
                ])
            #expect(events.map { $0["sequence"]?.intValue ?? 0 } == [1, 2, 3, 4, 5])
            #expect(events[0]["payload"] == task, "a create carries every field")
            #expect(events[1]["payload"] == ["title": "Renamed"], "a task update carries only the changed fields")
            #expect(events[3]["payload"] == .null, "a file update carries null")
            #expect(events[4]["payload"] == .null, "a delete carries null")
            #expect(events.allSatisfy { isTimestamp($0["timestamp"]) })
            #expect(log["nextCursor"] == .null)

            let page = try await api.get("/api/changes?since=1&limit=2")
            #expect(page["events"]?.arrayValue?.map { $0["sequence"] } == [2, 3])
            #expect(page["nextCursor"] == 3)
            #expect(try await api.call(.get, "/api/changes?limit=0").status == 400)
        }
    }

    @Test func taskHistoryIsNewestFirstWithBeforeAndAfter() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready)
            let task = try #require(try await api.get("/api/tasks").arrayValue?.first)
            let user = try #require(try await api.get("/api/users").arrayValue?.last)
            let id = task["id"]!.stringValue!
            for priority in ["low", "high", "critical"] {
                _ = try await api.call(
                    .patch, "/api/tasks/\(id)", body: ["priority": .string(priority), "lastModifiedById": user["id"]!])
            }
            let history = try await api.get("/api/tasks/\(id)/history?limit=2")
            let entries = try #require(history["entries"]?.arrayValue)
            #expect(entries.count == 2)
            #expect(entries[0]["changes"]?["priority"] == ["before": "high", "after": "critical"])
            #expect(entries[1]["changes"]?["priority"] == ["before": "low", "after": "high"])
            #expect(entries[0]["changedById"] == user["id"])
            let cursor = try #require(history["nextCursor"]?.stringValue)
            let older = try await api.get("/api/tasks/\(id)/history?limit=2&before=\(cursor)")
            #expect(older["entries"]?.arrayValue?.count == 1)
            #expect(older["nextCursor"] == .null)
        }
    }

    @Test func listsPaginateByIdStrictlyAfterTheCursor() async throws {
        try await AcmeServer.withRunning(.test()) { ready in
            let api = AcmeHarness(ready)
            let all = try #require(try await api.get("/api/tasks").arrayValue).compactMap { $0["id"]?.stringValue }
            #expect(all == all.sorted())
            var paged: [String] = []
            var after: String?
            repeat {
                let page = try #require(
                    try await api.get("/api/tasks?limit=7" + (after.map { "&after=\($0)" } ?? "")).arrayValue)
                #expect(page.count <= 7)
                paged += page.compactMap { $0["id"]?.stringValue }
                after = page.count == 7 ? page.last?["id"]?.stringValue : nil
            } while after != nil
            #expect(paged == all)
            #expect(try await api.call(.get, "/api/tasks?limit=abc").status == 400)
        }
    }
}
