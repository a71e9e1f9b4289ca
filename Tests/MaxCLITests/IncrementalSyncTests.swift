import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// After a full sync, `max sync` applies only what changed, deletions included, with requests in
/// proportion to the changes; `--full` reads everything again.
struct IncrementalSyncTests {
    static func requests(_ acme: AcmeProcess) async throws -> [String: Int] {
        let stats = try await EndToEndTests.api(acme, .get, "/api/stats", .null)
        return (stats["requests"]?.objectValue ?? [:]).compactMapValues(\.intValue)
    }

    @Test func afterAThousandChangesOnlyTheChangesAreRead() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "10", "--tasks-per-project", "60"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let full = try await runMax(["-C", folder.url.path, "sync", "acme"])
        #expect(full.status == 0, "\(full.output)")
        #expect(full.stdout.hasPrefix("Synced acme in "))

        // 1,000 changes through the API: 400 creates, 400 updates, 200 deletes.
        let projects = try await EndToEndTests.apiList(acme, "/api/projects").compactMap { $0["id"]?.stringValue }
        let users = try await EndToEndTests.apiList(acme, "/api/users").compactMap { $0["id"]?.stringValue }
        let tasks = try await EndToEndTests.apiList(acme, "/api/tasks").compactMap { $0["id"]?.stringValue }
        try #require(tasks.count == 600 && !users.isEmpty)
        for index in 0..<400 {
            _ = try await EndToEndTests.api(
                acme, .post, "/api/tasks",
                [
                    "projectId": .string(projects[index % projects.count]), "title": .string("Created \(index)"),
                    "createdById": .string(users[0]),
                ])
        }
        for index in 0..<400 {
            _ = try await EndToEndTests.api(
                acme, .patch, "/api/tasks/\(tasks[index])",
                [
                    "title": .string("Renamed \(index)"), "status": "done",
                    "lastModifiedById": .string(users[1 % users.count]),
                ])
        }
        for index in 400..<600 {
            _ = try await EndToEndTests.api(acme, .delete, "/api/tasks/\(tasks[index])", .null)
        }
        // Two renamed files: a file's update event carries no fields, so those are read back.
        let taskRows = try await EndToEndTests.apiList(acme, "/api/tasks")
        let files = try await EndToEndTests.apiList(acme, "/api/files").compactMap { $0["id"]?.stringValue }
        for file in files.prefix(2) {
            _ = try await EndToEndTests.api(
                acme, .patch, "/api/files/\(file)", ["name": "renamed.txt", "lastModifiedById": .string(users[0])])
        }

        let before = try await Self.requests(acme)
        let incremental = try await runMax(["-C", folder.url.path, "sync", "acme", "--progress", "ndjson"])
        #expect(incremental.status == 0, "\(incremental.output)")
        #expect(incremental.stdout.hasPrefix("Synced acme (changes only) in "), "\(incremental.stdout)")
        let after = try await Self.requests(acme)
        var made: [String: Int] = [:]
        for (route, count) in after where count != before[route, default: 0] {
            made[route] = count - before[route, default: 0]
        }
        let total = made.values.reduce(0, +)
        #expect(made["GET /api/tasks"] == nil, "no list was read again: \(made)")
        // Creates carry the whole task and task updates their changed fields: nothing is read back.
        #expect(made["GET /api/tasks/:id"] == nil, "no task read back: \(made)")
        #expect(made["GET /api/files/:id"] == 2, "file updates read back: \(made)")
        #expect(total <= 7, "the change log's pages and little else: \(made)")
        try await ResilienceProcessTests.expectStoreEqualsTheAPI(folder, acme)
        // An update's changed fields name no project: the renamed task stays in its project.
        let project = try #require(taskRows.first { $0["id"]?.stringValue == tasks[1] }?["projectId"]?.stringValue)
        let holders = try await runMax([
            "-C", folder.url.path, "search", "acme", "AcmeProject", "-f", #"tasks = "\#(tasks[1])""#, "--fields", "_id",
            "-o", "ndjson",
        ])
        #expect(holders.stdout.hasPrefix(#"{"_id":"\#(project)"}"# + "\n{\"_meta\""), "\(holders.output)")

        let hidden = try await runMax(["-C", folder.url.path, "count", "acme", "AcmeTask"])
        let all = try await runMax(["-C", folder.url.path, "count", "acme", "AcmeTask", "--include-deleted"])
        #expect(hidden.stdout == "800\n")
        #expect(all.stdout == "1000\n", "the 200 deleted tasks stay as tombstones")
        let deleted = try await runMax([
            "-C", folder.url.path, "search", "acme", "AcmeTask", "--include-deleted", "-f", "_deleted_at IS NOT NULL",
            "--fields", "_id", "-a", "-o", "ndjson",
        ])
        #expect(
            Set(deleted.stdout.split(separator: "\n").map(String.init))
                == Set(tasks[400...].map { #"{"_id":"\#($0)"}"# }))

        let again = try await runMax(["-C", folder.url.path, "sync", "acme", "--full"])
        #expect(again.status == 0, "\(again.output)")
        #expect(again.stdout.hasPrefix("Synced acme in "))
        try await ResilienceProcessTests.expectStoreEqualsTheAPI(folder, acme)
    }
}
