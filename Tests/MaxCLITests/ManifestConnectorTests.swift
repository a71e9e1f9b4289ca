import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import SourceSimulators
import Testing

/// Declarative connectors through the `max` executable: the declarative Acme equals the Swift one,
/// a scaffolded manifest syncs with no code, and a broken manifest or source fails clearly.
struct ManifestConnectorTests {
    /// Every Acme type as `search -a -o ndjson` prints it, as parsed JSON.
    static func records(_ folder: TemporaryDirectory, _ installation: String) async throws -> [String: [JSONValue]] {
        var result: [String: [JSONValue]] = [:]
        for (type, _) in ResilienceProcessTests.paths {
            let outcome = try await runMax(["-C", folder.url.path, "search", installation, type, "-a", "-o", "ndjson"])
            try #require(outcome.status == 0, "\(outcome.stderr)")
            result[type] = try outcome.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        }
        return result
    }

    @Test func theDeclarativeAcmeEqualsTheSwiftOneRecordForRecord() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "4", "--tasks-per-project", "300"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let connected = try await runMax(
            [
                "-C", folder.url.path, "connect", "acme-declarative", "--config", "baseURL=\(acme.url)", "--credential",
                "api_token=env:T",
            ], environment: ["T": acme.apiKey])
        try #require(connected.status == 0, "\(connected.output)")
        for installation in ["acme", "acme-declarative"] {
            let sync = try await runMax(["-C", folder.url.path, "sync", installation])
            #expect(sync.status == 0, "\(sync.output)")
        }
        let swift = try await Self.records(folder, "acme")
        #expect(swift["AcmeTask"]?.count == 1200)
        #expect(try await Self.records(folder, "acme-declarative") == swift)
        // Byte for byte: the manifest's fields come out in the order it writes them, the Swift one's.
        let printed = try await runMax(["-C", folder.url.path, "search", "acme", "AcmeTask", "-o", "ndjson"])
        let declared = try await runMax([
            "-C", folder.url.path, "search", "acme-declarative", "AcmeTask", "-o", "ndjson",
        ])
        #expect(printed.stdout == declared.stdout && !printed.stdout.isEmpty)
        // The collections too: each project's tasks.
        func holders(_ installation: String) async throws -> Outcome {
            try await runMax([
                "-C", folder.url.path, "search", installation, "AcmeProject", "--fields", "_id,tasks,files", "-o",
                "ndjson",
            ])
        }
        let (left, right) = (try await holders("acme"), try await holders("acme-declarative"))
        #expect(left.stdout == right.stdout && left.stdout.contains("tsk_"))

        // Creates, updates and deletes, read from Acme's change log by both.
        let projects = try await EndToEndTests.apiList(acme, "/api/projects").compactMap { $0["id"]?.stringValue }
        let users = try await EndToEndTests.apiList(acme, "/api/users").compactMap { $0["id"]?.stringValue }
        let tasks = try await EndToEndTests.apiList(acme, "/api/tasks").compactMap { $0["id"]?.stringValue }
        for index in 0..<5 {
            _ = try await EndToEndTests.api(
                acme, .post, "/api/tasks",
                [
                    "projectId": .string(projects[index % projects.count]), "title": .string("New \(index)"),
                    "createdById": .string(users[0]),
                ])
            _ = try await EndToEndTests.api(
                acme, .patch, "/api/tasks/\(tasks[index])", ["status": "done", "lastModifiedById": .string(users[0])])
            _ = try await EndToEndTests.api(acme, .delete, "/api/tasks/\(tasks[100 + index])", .null)
        }
        for installation in ["acme", "acme-declarative"] {
            let sync = try await runMax(["-C", folder.url.path, "sync", installation])
            #expect(sync.stdout.hasPrefix("Synced \(installation) (changes only)"), "\(sync.output)")
        }
        let after = try await Self.records(folder, "acme")
        #expect(after["AcmeTask"]?.count == 1200)
        #expect(try await Self.records(folder, "acme-declarative") == after)
        try await ResilienceProcessTests.expectStoreEqualsTheAPI(folder, acme)
    }

    @Test func theDeclarativeAcmeSyncsPastAcmesRateLimit() async throws {
        // Over 4 requests a second from one key, Acme answers 429 with Retry-After: a limit the sync
        // exceeds however loaded the machine (at 15 a second, a busy machine's slower requests
        // sometimes stayed under it).
        let acme = try AcmeProcess(arguments: ["--rate-limit", "4", "--projects-per-workspace", "6"])
        let folder = try await ResilienceProcessTests.connectedProject(acme, connector: "acme-declarative")
        let sync = try await runMax(["-C", folder.url.path, "sync", "acme-declarative", "--progress", "ndjson"])
        #expect(sync.status == 0, "\(sync.output)")
        let limited = SyncReportTests.events(sync.stderr).filter { $0["event"] == "rate_limited" }
        #expect(!limited.isEmpty, "Acme's limit was met and waited out: \(sync.stderr.suffix(400))")
        let tasks = try await runMax(["-C", folder.url.path, "count", "acme-declarative", "AcmeTask"])
        #expect(tasks.stdout == "60\n", "\(tasks.output)")
    }

    @Test func theDeclarativeAcmeSignsInWithOAuthAndRefreshesItsTokens() async throws {
        let acme = try AcmeProcess(arguments: ["--token-ttl", "1", "--projects-per-workspace", "6"])
        let folder = try TemporaryDirectory(prefix: "manifest-oauth")
        _ = try await runMax(["init", folder.url.path])
        let connected = try await OAuthProcessTests.completeAuthorization(
            try MaxProcess([
                "-C", folder.url.path, "connect", "acme-declarative", "--config", "baseURL=\(acme.url)", "--config",
                "auth=oauth",
            ]))
        try #require(connected.status == 0, "\(connected.output)")
        let listed = try await runMax(["-C", folder.url.path, "credentials", "ls", "acme-declarative", "-o", "json"])
        let keys = try JSONValue(parsing: listed.stdout).arrayValue?.compactMap { $0["key"]?.stringValue }
        #expect(keys == ["access_token", "refresh_token"], "no API token was asked for")
        // Fifteen requests at ten a second take 1.4 s: the one-second access token lapses during the sync.
        try setInstallationKeys(
            in: folder.url, of: "acme-declarative", ["rateLimit": ["rate": 10, "burst": 1, "concurrency": 1]])
        let sync = try await runMax(["-C", folder.url.path, "sync", "acme-declarative"])
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try await OAuthProcessTests.oauthCount(acme, "refreshes") >= 1, "tokens were refreshed")
        let tasks = try await runMax(["-C", folder.url.path, "count", "acme-declarative", "AcmeTask"])
        #expect(tasks.stdout == "60\n", "\(tasks.output)")
    }

    @Test func aScaffoldedManifestPointedAtAcmeSyncsWithNoCode() async throws {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "manifest")
        _ = try await runMax(["init", folder.url.path])
        let created = try await runMax(["-C", folder.url.path, "connector", "new", "demo", "--manifest"])
        #expect(created.status == 0, "\(created.output)")
        let file = folder.url.appendingPathComponent("connectors/demo.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        // The edit a user makes: the list endpoint of the API.
        try text.replacingOccurrences(of: "/records", with: "/api/tasks").write(
            to: file, atomically: true, encoding: .utf8)
        let valid = try await runMax(["-C", folder.url.path, "connector", "validate", "connectors/demo.yaml"])
        #expect(valid.status == 0 && valid.stdout.contains("a valid manifest for demo"), "\(valid.output)")
        let connected = try await runMax(
            [
                "-C", folder.url.path, "connect", "demo", "--config", "baseURL=\(acme.url)", "--credential",
                "token=env:T",
            ],
            environment: ["T": acme.apiKey])
        #expect(connected.status == 0, "\(connected.output)")
        let sync = try await runMax(["-C", folder.url.path, "sync", "demo"])
        #expect(sync.status == 0 && sync.stdout.contains("DemoRecord 30"), "\(sync.output)")
        let count = try await runMax(["-C", folder.url.path, "count", "demo", "DemoRecord", "--filter", "name IS NULL"])
        #expect(count.stdout == "30\n", "a task has a title, not a name: \(count.output)")
        #expect(!(created.output + connected.output + sync.output).contains(acme.apiKey))

        // The table's key and the manifest's name must agree.
        try editProjectFile(in: folder.url) {
            $0["connectors"] = ["demo": "file:./connectors/demo.yaml", "other": "file:./connectors/demo.yaml"]
        }
        let mismatch = try await runMax(["-C", folder.url.path, "connect", "other", "--config", "baseURL=\(acme.url)"])
        #expect(mismatch.status == 2, "\(mismatch.output)")
        #expect(mismatch.stderr.contains("whose name is 'demo'"), "\(mismatch.stderr)")
    }

    @Test func aMalformedManifestIsExplainedWithItsPaths() async throws {
        let folder = try TemporaryDirectory(prefix: "manifest")
        let yaml = folder.url.appendingPathComponent("broken.yaml")
        try "name: broken\nstreams: [\n  - oops".write(to: yaml, atomically: true, encoding: .utf8)
        let syntax = try await runMax(["connector", "validate", yaml.path])
        #expect(syntax.status == 2, "\(syntax.output)")
        #expect(syntax.stderr.contains("error[manifest.invalid]") && syntax.stderr.contains("not valid YAML"))
        #expect(syntax.stderr.contains("line"), "the parser's position: \(syntax.stderr)")

        let json = folder.url.appendingPathComponent("wrong.json")
        try #"""
        {"name": "wrong", "displayName": "Wrong", "description": "d", "version": "1.0", "base": "{{config.url}}",
         "streams": [{"name": "items", "entity": "Item", "parent": "nothing", "request": {"path": "/{{confg.x}}"},
                      "pagination": {"type": "cursor"}, "fields": {"owner": {"type": "ref", "to": "Person"}}}]}
        """#.write(to: json, atomically: true, encoding: .utf8)
        let shape = try await runMax(["connector", "validate", json.path])
        #expect(shape.status == 2)
        #expect(shape.stderr.contains("version: must match the pattern"), "\(shape.stderr)")
        let fixed = try String(contentsOf: json, encoding: .utf8).replacingOccurrences(of: "\"1.0\"", with: "\"1.0.0\"")
        try fixed.write(to: json, atomically: true, encoding: .utf8)
        let meaning = try await runMax(["connector", "validate", json.path, "-o", "json"])
        #expect(meaning.status == 2)
        for problem in [
            "streams[0].parent: 'nothing' is not a stream", "streams[0].request.path: '/{{confg.x}}' reads 'confg.x'",
            "streams[0].pagination: cursor pagination needs 'path'",
            "streams[0].fields.owner.to: 'Person' is not an entity type",
        ] {
            #expect(meaning.stderr.contains(problem), "\(problem) in \(meaning.stderr)")
        }
        #expect(meaning.stderr.contains(#""code":"manifest.invalid""#), "the JSON error line: \(meaning.stderr)")
    }

    /// A source whose answers a test chooses: pages that never end, bodies that are not JSON.
    struct Misbehaving: SimulatedService {
        func respond(to request: SimulatedRequest, at now: Date) -> SimulatedResponse {
            switch request.path {
            case "/loop": SimulatedResponse(json: ["items": [["id": "a"]], "next": "same"])
            case "/html":
                SimulatedResponse(status: 200, json: nil, headers: [("Content-Type", "text/html")]).with(
                    body: "<html>hi</html>")
            case "/elsewhere": SimulatedResponse(json: ["data": ["things": [["id": "a"]]]])
            case "/echo":
                // A next link that echoes the query, key included, and never moves on.
                SimulatedResponse(
                    json: [["id": "a"]],
                    headers: [
                        (
                            "Link",
                            "<http://\(request.headers["host"] ?? "")/echo?"
                                + request.query.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                                    separator: "&") + ">; rel=\"next\""
                        )
                    ])
            default: SimulatedResponse(json: ["items": [["id": "a"], ["id": "b"]]])
            }
        }
    }

    static func manifest(path: String, records: String, pagination: String) -> String {
        """
        name: odd
        displayName: Odd
        description: A source that misbehaves
        version: 1.0.0
        config:
          - key: url
        base: "{{config.url}}"
        streams:
          - name: items
            entity: OddItem
            request: {path: \(path)}
            records: \(records)
            pagination: \(pagination)
            fields:
              name: {type: string}
        """
    }

    @Test(arguments: [
        ("/loop", "items", "{type: cursor, path: next, param: after}", "manifest.pagination_loop", "repeats"),
        ("/elsewhere", "items", "{type: none}", "manifest.no_records", "the records path 'items' matches nothing"),
        ("/html", "items", "{type: none}", "http.invalid_response", "not JSON (text/html)"),
    ])
    func aMisbehavingSourceFailsTheSyncNamingTheStreamAndTheManifest(
        path: String, records: String, pagination: String, code: String, detail: String
    ) async throws {
        try await SimulatorServer.withRunning(Misbehaving()) { url in
            let folder = try TemporaryDirectory(prefix: "manifest")
            _ = try await runMax(["init", folder.url.path])
            let file = folder.url.appendingPathComponent("connectors/odd.yaml")
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Self.manifest(path: path, records: records, pagination: pagination).write(
                to: file, atomically: true, encoding: .utf8)
            try editProjectFile(in: folder.url) { $0["connectors"] = ["odd": "file:./connectors/odd.yaml"] }
            let connected = try await runMax(["-C", folder.url.path, "connect", "odd", "--config", "url=\(url)"])
            try #require(connected.status == 0, "\(connected.output)")
            let sync = try await runMax(["-C", folder.url.path, "sync", "odd"])
            #expect(sync.status == 3, "the sync is incomplete, not complete: \(sync.output)")
            #expect(sync.stdout.contains("incomplete"), "\(sync.stdout)")
            #expect(sync.output.contains("error[\(code)]"), "\(sync.output)")
            #expect(sync.output.contains("stream 'items' of the odd manifest (\(file.path))"), "\(sync.output)")
            #expect(sync.output.contains(detail), "\(sync.output)")
            let runs = try await runMax(["-C", folder.url.path, "runs", "odd", "-o", "json"])
            let latest = try #require(try JSONValue(parsing: runs.stdout).arrayValue?.first)
            #expect(latest["status"] != "completed", "\(latest.jsonText)")
        }
    }
}

extension ManifestConnectorTests {
    @Test func aKeyInTheQueryStaysOutOfMessagesAndLogs() async throws {
        let key = "canary-key-0000000000000000000000000000"
        try await SimulatorServer.withRunning(Misbehaving()) { url in
            let folder = try TemporaryDirectory(prefix: "manifest-canary")
            _ = try await runMax(["init", folder.url.path])
            let file = folder.url.appendingPathComponent("connectors/odd.yaml")
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            let manifest = Self.manifest(path: "/echo", records: "\"\"", pagination: "{type: link}")
                .replacingOccurrences(
                    of: "base: \"{{config.url}}\"",
                    with:
                        "credentials:\n  - key: key\nauth: {type: query, name: api_key, credential: key}\nbase: \"{{config.url}}\""
                )
            try manifest.write(to: file, atomically: true, encoding: .utf8)
            try editProjectFile(in: folder.url) { $0["connectors"] = ["odd": "file:./connectors/odd.yaml"] }
            let connected = try await runMax(
                ["-C", folder.url.path, "connect", "odd", "--config", "url=\(url)", "--credential", "key=env:K"],
                environment: ["K": key])
            try #require(connected.status == 0, "\(connected.output)")
            let sync = try await runMax(["-C", folder.url.path, "sync", "odd", "--progress", "ndjson"])
            #expect(sync.status == 3 && sync.output.contains("error[manifest.pagination_loop]"), "\(sync.output)")
            #expect(!sync.output.contains(key), "the key the source echoed is not in the error")
            let log = try String(contentsOf: folder.file(".max/logs/odd.log"), encoding: .utf8)
            #expect(log.contains("http.request=") && !log.contains(key), "nor in the log")
            let runs = try await runMax(["-C", folder.url.path, "runs", "odd", "-o", "json"])
            #expect(!runs.stdout.contains(key), "nor in the run's record")
        }
    }
}

extension SimulatedResponse {
    /// This answer with a body that is not JSON.
    func with(body: String) -> SimulatedResponse {
        var copy = self
        copy.body = body
        return copy
    }
}
