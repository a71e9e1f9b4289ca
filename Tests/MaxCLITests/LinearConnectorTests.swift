import Foundation
import MaxCore
import MaxTestSupport
import SourceSimulators
import Testing

/// The bundled linear manifest against the Linear simulator, through the `max` executable.
struct LinearConnectorTests {
    static let key = LinearSimulator.Options().apiKey

    static func connected(_ url: String) async throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix: "linear")
        _ = try await runMax(["init", folder.url.path])
        let connected = try await runMax(
            [
                "-C", folder.url.path, "connect", "linear", "--config", "apiURL=\(url)/graphql", "--credential",
                "api_key=env:K",
            ], environment: ["K": key])
        try #require(connected.status == 0, "\(connected.output)")
        return folder
    }

    static let types: [(type: String, connection: String, fields: [String])] = [
        ("LinearTeam", "teams", ["name", "key"]), ("LinearUser", "users", ["email", "active"]),
        ("LinearProject", "projects", ["name", "state", "lead"]), ("LinearCycle", "cycles", ["number", "team"]),
        (
            "LinearIssue", "issues",
            ["title", "priority", "stateType", "assignee", "team", "project", "cycle", "parent", "updatedAt"]
        ),
        ("LinearComment", "comments", ["body", "issue", "user"]),
    ]

    /// What the store must hold of a record: the source's fields, refs by id.
    static func expected(_ record: JSONValue, _ fields: [String]) -> JSONValue {
        var object: [String: JSONValue] = [:]
        for field in fields {
            let value: JSONValue? =
                switch field {
                case "stateType": record["state"]?["type"]
                case "assignee", "team", "project", "cycle", "parent", "lead", "issue", "user": record[field]?["id"]
                default: record[field]
                }
            if let value, value != .null { object[field] = StoredRecords.normalised(value) }
        }
        return .object(object)
    }

    static func expectStoreEqualsTheSimulator(_ folder: TemporaryDirectory, _ simulator: LinearSimulator) async throws {
        for (type, connection, fields) in types {
            let stored = try await StoredRecords.of(folder, "linear", type, fields)
            var wanted: [String: JSONValue] = [:]
            for record in simulator.records(connection)
            where record["archivedAt"] == nil || record["archivedAt"] == .null {
                wanted[record["id"]?.stringValue ?? ""] = expected(record, fields)
            }
            StoredRecords.expectSame(type, stored: stored, wanted: wanted)
        }
    }

    @Test func aSyncEqualsTheSourceAndAnIncrementalOneReadsOnlyTheChanges() async throws {
        var options = LinearSimulator.Options()
        options.issues = 230
        options.comments = 120
        let simulator = LinearSimulator(options)
        let issueCount = options.issues
        try await SimulatorServer.withRunning(simulator) { url in
            let folder = try await Self.connected(url)
            let full = try await runMax(["-C", folder.url.path, "sync", "linear"])
            #expect(full.status == 0, "\(full.output)")
            try await Self.expectStoreEqualsTheSimulator(folder, simulator)
            // Relay pages of 100: 230 issues take three; a full sync asks since 1970, never null.
            let fullReads = simulator.log.filter { $0.operation == "issues" }
            #expect(fullReads.count == 3)
            #expect(fullReads.allSatisfy { $0.variables["since"] == "1970-01-01T00:00:00.000Z" })
            let urgent = try await runMax([
                "-C", folder.url.path, "count", "linear", "LinearIssue", "--filter", "priority = 1",
            ])
            let atSource = simulator.records("issues").filter { $0["priority"] == 1 }.count
            #expect(urgent.stdout == "\(atSource)\n", "\(urgent.output)")

            simulator.change(creates: 6, updates: 5, deletes: 4)
            let before = simulator.log.count
            let incremental = try await runMax(["-C", folder.url.path, "sync", "linear"])
            #expect(incremental.status == 0, "\(incremental.output)")
            #expect(incremental.stdout.hasPrefix("Synced linear (changes only) in "), "\(incremental.stdout)")
            let requests = simulator.log.dropFirst(before)
            let issueReads = requests.filter { $0.operation == "issues" }
            #expect(
                issueReads.allSatisfy { ($0.variables["since"]?.stringValue).flatMap(ISO8601.parse) != nil },
                "issues asked since a time")
            let read: Int = issueReads.map(\.records).reduce(0, +)
            #expect(read == 12, "the 3 created, 5 updated and 4 archived issues: \(read)")
            try await Self.expectStoreEqualsTheSimulator(folder, simulator)
            let deleted = try await runMax([
                "-C", folder.url.path, "count", "linear", "LinearIssue", "--include-deleted",
            ])
            #expect(deleted.stdout == "\(issueCount + 3)\n", "archived issues are kept as tombstones")
        }
    }

    @Test func aRateLimitedAnswerIsWaitedOutAndTheWindowObeyed() async throws {
        var options = LinearSimulator.Options()
        options.issues = 450
        options.requestsPerWindow = 4
        options.windowMilliseconds = 700
        // The third request is answered RATELIMITED (with HTTP 200) as if the window were spent.
        // The 700 ms windows pass in real time: the `max` process reads the reset as a wall-clock
        // epoch millisecond. The assertions count requests in spent windows, not durations.
        options.rateLimitedOn = [3]
        let simulator = LinearSimulator(options)
        try await SimulatorServer.withRunning(simulator) { url in
            let folder = try await Self.connected(url)
            let sync = try await runMax(["-C", folder.url.path, "sync", "linear"])
            #expect(sync.status == 0, "\(sync.output)")
            #expect(simulator.log.count > 8, "more requests than two windows allow")
            #expect(simulator.violations == 0, "no request arrived during a spent window")
            let limited = simulator.log.filter { $0.operation == "?" }.count
            #expect(limited == 1, "the RATELIMITED answer was waited out and the request sent again")
            try await Self.expectStoreEqualsTheSimulator(folder, simulator)
        }
    }

    @Test func aRejectedKeyAndOperations() async throws {
        let simulator = LinearSimulator()
        try await SimulatorServer.withRunning(simulator) { url in
            let folder = try TemporaryDirectory(prefix: "linear")
            _ = try await runMax(["init", folder.url.path])
            let refused = try await runMax(
                [
                    "-C", folder.url.path, "connect", "linear", "--config", "apiURL=\(url)/graphql", "--credential",
                    "api_key=env:K",
                ], environment: ["K": "lin_api_wrong_key_000000"])
            #expect(refused.status != 0, "\(refused.output)")
            #expect(refused.stderr.contains("refused the credentials"), "\(refused.stderr)")
            #expect(!refused.output.contains("lin_api_wrong_key"))

            let connected = try await Self.connected(url)
            #expect(try await runMax(["-C", connected.url.path, "sync", "linear"]).status == 0)
            let team = try #require(simulator.records("teams").first?["id"]?.stringValue)
            let created = try await runMax([
                "-C", connected.url.path, "invoke", "linear", "createIssue", "--input",
                #"{"teamId": "\#(team)", "title": "From Max", "priority": 2}"#, "-o", "json",
            ])
            #expect(created.status == 0, "\(created.output)")
            let id = try #require(try JSONValue(parsing: created.stdout)["data"]?["id"]?.stringValue)
            let updated = try await runMax([
                "-C", connected.url.path, "invoke", "linear", "updateIssue", "--input",
                #"{"id": "\#(id)", "priority": 1}"#,
            ])
            #expect(updated.status == 0, "\(updated.output)")
            let stored = try await runMax([
                "-C", connected.url.path, "search", "linear", "LinearIssue", "--filter", #"title = "From Max""#, "-o",
                "ndjson", "--fields", "_id,priority,team",
            ])
            #expect(stored.stdout.hasPrefix(#"{"_id":"\#(id)","priority":1,"team":"\#(team)"}"#), "\(stored.output)")
        }
    }
}
