import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// The built `max` and `acme-server` binaries, as a person or a script would run them.
@Suite(.serialized)
struct EndToEndTests {
    /// The API's JSON for an entity, turned into what `max search -o ndjson` prints for it.
    static func expected(_ type: String, _ json: JSONValue) -> JSONValue {
        guard var object = json.objectValue else { return json }
        let renames: [String: String] = [
            "id": "_id", "workspaceId": "workspace", "ownerId": "owner", "projectId": "project",
            "assigneeId": "assignee",
            "createdById": "createdBy", "lastModifiedById": "lastModifiedBy",
        ]
        for (from, to) in renames {
            if let value = object.removeValue(forKey: from) { object[to] = value }
        }
        return .object(object.filter { $0.value != .null })
    }

    static func apiList(_ acme: AcmeProcess, _ path: String) async throws -> [JSONValue] {
        let response = try await ConnectorHTTPClient.shared.send(
            .init(.get, acme.url + path, headers: [("Authorization", "Bearer \(acme.apiKey)")]))
        return try JSONValue(parsing: String(decoding: try response.requireSuccess().body, as: UTF8.self)).arrayValue
            ?? []
    }

    static func api(_ acme: AcmeProcess, _ method: ConnectorHTTPClient.Method, _ path: String, _ body: JSONValue)
        async throws -> JSONValue
    {
        let response = try await ConnectorHTTPClient.shared.send(
            .init(
                method, acme.url + path,
                headers: [("Authorization", "Bearer \(acme.apiKey)"), ("Content-Type", "application/json")],
                body: Data(body.jsonText.utf8)))
        return try JSONValue(parsing: String(decoding: try response.requireSuccess().body, as: UTF8.self))
    }

    func search(_ directory: URL, _ type: String, _ extra: [String] = []) async throws -> [JSONValue] {
        let outcome = try await runMax(["-C", directory.path, "search", "acme", type, "-a", "-o", "ndjson"] + extra)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return try outcome.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
    }

    @Test func initConnectSyncSearchMatchesTheAPIRecordByRecord() async throws {
        let acme = try AcmeProcess(arguments: [
            "--seed", "11", "--projects-per-workspace", "3", "--tasks-per-project", "120",
        ])
        let folder = try TemporaryDirectory(prefix: "e2e")
        let directory = folder.url
        var outputs: [String] = []

        let initialised = try await runMax(["init", directory.path])
        #expect(initialised.status == 0)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("max.json").path))
        #expect(
            try String(contentsOf: directory.appendingPathComponent(".gitignore"), encoding: .utf8).contains(".max/"))

        let connected = try await runMax(
            [
                "-C", directory.path, "connect", "acme", "--config", "baseURL=\(acme.url)", "--credential",
                "api_token=env:ACME_TOKEN",
            ],
            environment: ["ACME_TOKEN": acme.apiKey])
        #expect(connected.status == 0, "\(connected.stderr)")
        #expect(connected.stdout.hasPrefix("Connected acme as acme ("))
        outputs.append(connected.output)

        let synced = try await runMax(["-C", directory.path, "sync", "acme"])
        #expect(synced.status == 0, "\(synced.stderr)")
        #expect(synced.stdout.hasPrefix("Synced acme in "))
        #expect(synced.stderr.isEmpty, "no progress bar when not on a terminal: \(synced.stderr)")
        outputs.append(synced.output)

        let paths = [
            ("AcmeWorkspace", "/api/workspaces"), ("AcmeUser", "/api/users"), ("AcmeProject", "/api/projects"),
            ("AcmeTask", "/api/tasks"), ("AcmeFile", "/api/files"),
        ]
        var before: [String: [JSONValue]] = [:]
        for (type, path) in paths {
            let synced = try await search(directory, type)
            let expected = try await Self.apiList(acme, path).map { Self.expected(type, $0) }
            #expect(synced.count == expected.count, "\(type)")
            #expect(synced == expected, "\(type) differs from the API")
            before[type] = synced
        }
        let stats = try await Self.api(acme, .get, "/api/stats", .null)
        for (type, key) in [
            ("AcmeTask", "tasks"), ("AcmeFile", "files"), ("AcmeUser", "users"), ("AcmeProject", "projects"),
        ] {
            let counted = try await runMax(["-C", directory.path, "count", "acme", type])
            #expect(counted.stdout == "\(stats[key]?.intValue ?? -1)\n", "\(type)")
        }

        // A second sync changes nothing.
        #expect(try await runMax(["-C", directory.path, "sync", "acme"]).status == 0)
        for (type, _) in paths { #expect(try await search(directory, type) == before[type], "\(type) changed") }

        // Changes upstream show after the next sync: a create, an update and a delete.
        let project = try #require(before["AcmeProject"]?.first?["_id"])
        let user = try #require(before["AcmeUser"]?.first?["_id"])
        let created = try await Self.api(
            acme, .post, "/api/tasks",
            ["projectId": project, "title": "Made after the first sync", "createdById": user])
        let renamed = try #require(before["AcmeTask"]?[5]["_id"]?.stringValue)
        _ = try await Self.api(
            acme, .patch, "/api/tasks/\(renamed)", ["title": "Renamed upstream", "lastModifiedById": user])
        let doomed = try #require(before["AcmeFile"]?[2]["_id"]?.stringValue)
        _ = try await Self.api(acme, .delete, "/api/files/\(doomed)", .null)
        #expect(try await runMax(["-C", directory.path, "sync", "acme"]).status == 0)

        let tasks = try await search(directory, "AcmeTask")
        #expect(tasks.count == (before["AcmeTask"]?.count ?? 0) + 1)
        #expect(tasks.contains { $0["_id"] == created["id"] && $0["title"] == "Made after the first sync" })
        #expect(tasks.first { $0["_id"] == .string(renamed) }?["title"] == "Renamed upstream")
        let files = try await search(directory, "AcmeFile")
        #expect(!files.contains { $0["_id"] == .string(doomed) }, "a file deleted upstream is hidden")
        let withDeleted = try await search(directory, "AcmeFile", ["--include-deleted", "--fields", "_id,_deleted_at"])
        #expect(withDeleted.contains { $0["_id"] == .string(doomed) && $0["_deleted_at"] != nil })

        // The API token appears in no output and in no byte Max wrote: max.json, and every file
        // under .max/ (the credential file holds it sealed; the database, its WAL, the logs).
        for output in outputs { #expect(!output.contains(acme.apiKey)) }
        let ls = try await runMax(["-C", directory.path, "ls", "-o", "json"])
        #expect(!ls.output.contains(acme.apiKey))
        var written = [directory.appendingPathComponent("max.json").path]
        let runtime = directory.appendingPathComponent(".max").path
        let enumerator = FileManager.default.enumerator(atPath: runtime)
        while let relative = enumerator?.nextObject() as? String { written.append(runtime + "/" + relative) }
        #expect(written.contains { $0.hasSuffix("credentials.json") } && written.contains { $0.hasSuffix(".log") })
        for path in written {
            guard let bytes = FileManager.default.contents(atPath: path) else { continue }  // a folder
            #expect(bytes.range(of: Data(acme.apiKey.utf8)) == nil, "\(path) holds the token in clear")
        }
        let credentials = directory.appendingPathComponent(".max/installations/acme/credentials.json")
        let attributes = try FileManager.default.attributesOfItem(atPath: credentials.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func theDemoRunsEndToEnd() async throws {
        let folder = try TemporaryDirectory(prefix: "demo")
        let outcome = try await runMax([
            "demo", "--dir", folder.url.path, "--projects", "2", "--tasks-per-project", "100",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("Synced 2"))
        #expect(outcome.stdout.contains("title") && outcome.stdout.contains("priority"), "search results are printed")
        #expect(outcome.stdout.contains("Stopped Acme. Done."))
        let counted = try await runMax(["-C", folder.url.path, "count", "acme", "AcmeTask"])
        #expect(counted.stdout == "200\n", "the demo project stays queryable")
    }
}
