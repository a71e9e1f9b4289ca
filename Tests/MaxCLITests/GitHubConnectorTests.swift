import Foundation
import MaxCore
import MaxTestSupport
import SourceSimulators
import Testing

/// The bundled github manifest against the GitHub simulator, through the `max` executable: connect,
/// sync, search, count; an incremental sync that reads only what changed; the documented rate
/// limits obeyed; operations.
struct GitHubConnectorTests {
    static let token = GitHubSimulator.Options().token

    /// A project with `github` connected to the simulator at `url`.
    static func connected(_ url: String, extra: [String] = []) async throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix: "github")
        _ = try await runMax(["init", folder.url.path])
        let connected = try await runMax(
            [
                "-C", folder.url.path, "connect", "github", "--config", "apiURL=\(url)", "--config", "owner=octo-org",
                "--credential", "token=env:T",
            ] + extra, environment: ["T": token])
        try #require(connected.status == 0, "\(connected.output)")
        return folder
    }

    /// The stored records of `type`, by id, with `fields`.
    static func stored(_ folder: TemporaryDirectory, _ type: String, _ fields: [String]) async throws
        -> [String: JSONValue]
    {
        try await StoredRecords.of(folder, "github", type, fields)
    }

    static func object(_ fields: [String: JSONValue?]) -> JSONValue {
        .object(fields.compactMapValues { $0 }.filter { $0.value != .null }.mapValues(StoredRecords.normalised))
    }

    /// What the store must hold, from the simulator's own data.
    static func expected(_ simulator: GitHubSimulator) -> [String: [String: JSONValue]] {
        var result: [String: [String: JSONValue]] = [:]
        for repository in simulator.repositories {
            let id = repository["full_name"]?.stringValue ?? ""
            result["GitHubRepository", default: [:]][id] = object([
                "name": repository["name"], "private": repository["private"], "owner": repository["owner"]?["login"],
                "updatedAt": repository["updated_at"],
            ])
        }
        for (repository, label) in simulator.records("labels") {
            result["GitHubLabel", default: [:]][SourceText.of(label["id"])] = object([
                "name": label["name"], "repository": .string(repository),
            ])
        }
        for (repository, milestone) in simulator.records("milestones") {
            result["GitHubMilestone", default: [:]][SourceText.of(milestone["id"])] = object([
                "title": milestone["title"], "state": milestone["state"], "repository": .string(repository),
            ])
        }
        for (repository, issue) in simulator.records("issues") {
            let number = issue["number"]?.intValue ?? 0
            result["GitHubIssue", default: [:]]["\(repository)/issues/\(number)"] = object([
                "title": issue["title"], "state": issue["state"], "author": issue["user"]?["login"],
                "updatedAt": issue["updated_at"],
                "milestone": issue["milestone"]?["id"].map { .string(SourceText.of($0)) },
                "labels": .array((issue["labels"]?.arrayValue ?? []).map { .string(SourceText.of($0["id"])) }),
                "repository": .string(repository),
            ])
        }
        for (repository, pull) in simulator.records("pulls") {
            let number = pull["number"]?.intValue ?? 0
            result["GitHubPullRequest", default: [:]]["\(repository)/pulls/\(number)"] = object([
                "title": pull["title"], "state": pull["state"], "headRef": pull["head"]?["ref"],
                "updatedAt": pull["updated_at"],
            ])
        }
        for (_, comment) in simulator.records("comments") {
            let issue = (comment["issue_url"]?.stringValue ?? "").split(separator: "/").suffix(4).joined(separator: "/")
            result["GitHubComment", default: [:]][SourceText.of(comment["id"])] = object([
                "body": comment["body"], "issue": .string(issue), "updatedAt": comment["updated_at"],
            ])
        }
        return result
    }

    static let fields: [String: [String]] = [
        "GitHubRepository": ["name", "private", "owner", "updatedAt"], "GitHubLabel": ["name", "repository"],
        "GitHubMilestone": ["title", "state", "repository"],
        "GitHubIssue": ["title", "state", "author", "updatedAt", "milestone", "labels", "repository"],
        "GitHubPullRequest": ["title", "state", "headRef", "updatedAt"],
        "GitHubComment": ["body", "issue", "updatedAt"],
    ]

    static func expectStoreEqualsTheSimulator(_ folder: TemporaryDirectory, _ simulator: GitHubSimulator) async throws {
        let expected = Self.expected(simulator)
        for (type, fields) in Self.fields.sorted(by: { $0.key < $1.key }) {
            let stored = try await Self.stored(folder, type, fields)
            StoredRecords.expectSame(type, stored: stored, wanted: expected[type] ?? [:])
        }
    }

    @Test func aSyncEqualsTheSourceAndAnIncrementalOneReadsOnlyTheChanges() async throws {
        var options = GitHubSimulator.Options()
        options.repositories = 3
        options.issuesPerRepository = 40
        options.pullRequestsPerRepository = 6
        options.commentsPerRepository = 50
        let simulator = GitHubSimulator(options)
        try await SimulatorServer.withRunning(simulator) { url in
            let folder = try await Self.connected(url)
            let full = try await runMax(["-C", folder.url.path, "sync", "github"])
            #expect(full.status == 0, "\(full.output)")
            try await Self.expectStoreEqualsTheSimulator(folder, simulator)

            // Pull requests in the issues listing are not issues.
            let issues = try await runMax(["-C", folder.url.path, "count", "github", "GitHubIssue"])
            #expect(issues.stdout == "\(simulator.records("issues").count)\n", "\(issues.output)")
            let open = try await runMax([
                "-C", folder.url.path, "search", "github", "GitHubIssue", "--filter", #"state = "open""#, "-o",
                "ndjson",
                "--fields", "_id",
            ])
            let openAtSource = simulator.records("issues").filter { $0.record["state"] == "open" }.count
            #expect(open.stdout.split(separator: "\n").filter { !$0.contains("_meta") }.count == openAtSource)
            // Authors and assignees are users, by login.
            let users = try await runMax(["-C", folder.url.path, "count", "github", "GitHubUser"])
            #expect(Int(users.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 2, "\(users.output)")

            let changedAfter = Date().addingTimeInterval(-1)
            let changes = simulator.change(creates: 6, updates: 9, deletes: 3)
            #expect(changes.created == 6 && changes.updated == 9 && changes.deleted == 3)
            // Issues and pull requests (the issues listing returns both) changed since the full
            // sync: the edited ones, and those whose label or milestone was deleted.
            let changed = (simulator.records("issues") + simulator.records("pulls")).filter {
                ($0.record["updated_at"]?.stringValue).flatMap(ISO8601.parse).map { $0 >= changedAfter } ?? false
            }.count
            let before = simulator.log.count
            let incremental = try await runMax(["-C", folder.url.path, "sync", "github"])
            #expect(incremental.status == 0, "\(incremental.output)")
            #expect(incremental.stdout.hasPrefix("Synced github (changes only) in "), "\(incremental.stdout)")
            let requests = simulator.log.dropFirst(before)
            #expect(requests.contains { $0.status == 304 }, "the repositories listed again were not modified: 304")
            let issueReads = requests.filter { $0.route == "GET /repos/:owner/:repo/issues" }
            #expect(!issueReads.isEmpty && issueReads.allSatisfy { $0.query["since"] != nil }, "issues asked since")
            let read = issueReads.map(\.records).reduce(0, +)
            #expect(read == changed, "only the changed issues were read: \(read) of \(changed)")
            let commentReads = requests.filter { $0.route == "GET /repos/:owner/:repo/issues/comments" }
            #expect(commentReads.allSatisfy { $0.query["since"] != nil })
            let comments = commentReads.map(\.records).reduce(0, +)
            #expect(comments > 0 && comments <= changes.created + changes.updated, "\(comments) comments read")
            try await Self.expectStoreEqualsTheSimulator(folder, simulator)
            #expect(simulator.violations == 0)
        }
    }

    @Test func thePrimaryAndSecondaryRateLimitsAreObeyed() async throws {
        var options = GitHubSimulator.Options()
        options.repositories = 2
        options.issuesPerRepository = 150
        options.commentsPerRepository = 10
        // Five requests a one-second window, and the fourth request meets a secondary limit. The
        // windows pass in real time (about two seconds here): the `max` process reads GitHub's
        // reset as a wall-clock epoch second, which no clock of this test can move. The assertions
        // count requests in spent windows, so a slow machine makes the test slower, never flaky.
        options.requestsPerWindow = 5
        options.windowSeconds = 1
        options.secondaryLimitOn = [4]
        let simulator = GitHubSimulator(options)
        try await SimulatorServer.withRunning(simulator) { url in
            let folder = try await Self.connected(url)
            let sync = try await runMax(["-C", folder.url.path, "sync", "github"])
            #expect(sync.status == 0, "\(sync.output)")
            #expect(simulator.log.count > 10, "more requests than one window allows")
            #expect(simulator.violations == 0, "no request after remaining 0 before the reset")
            #expect(simulator.secondaryViolations == 0, "no request before the secondary limit's retry-after passed")
            try await Self.expectStoreEqualsTheSimulator(folder, simulator)
        }
    }

    @Test func operationsCreateCommentAndCloseThroughTheAPIAndTheStore() async throws {
        var options = GitHubSimulator.Options()
        options.repositories = 1
        let simulator = GitHubSimulator(options)
        try await SimulatorServer.withRunning(simulator) { url in
            // The owner is an organisation: its repositories are listed under /orgs.
            let folder = try await Self.connected(url, extra: ["--config", "ownerKind=orgs"])
            #expect(try await runMax(["-C", folder.url.path, "sync", "github"]).status == 0)
            #expect(simulator.log.contains { $0.route == "GET /orgs/:owner/repos" })
            let created = try await runMax([
                "-C", folder.url.path, "invoke", "github", "createIssue", "--input",
                #"{"repository": "octo-org/repo-1", "title": "From Max", "labels": ["bug"]}"#, "-o", "json",
            ])
            #expect(created.status == 0, "\(created.output)")
            let number = try #require(try JSONValue(parsing: created.stdout)["data"]?["number"]?.intValue)
            let id = "octo-org/repo-1/issues/\(number)"
            let stored = try await Self.stored(folder, "GitHubIssue", ["title", "state", "repository"])
            #expect(stored[id]?["title"] == "From Max" && stored[id]?["repository"] == "octo-org/repo-1")

            let comment = try await runMax([
                "-C", folder.url.path, "invoke", "github", "commentOnIssue", "--input",
                #"{"repository": "octo-org/repo-1", "number": \#(number), "body": "Looks right"}"#,
            ])
            #expect(comment.status == 0, "\(comment.output)")
            let closed = try await runMax([
                "-C", folder.url.path, "invoke", "github", "closeIssue", "--input",
                #"{"repository": "octo-org/repo-1", "number": \#(number)}"#,
            ])
            #expect(closed.status == 0, "\(closed.output)")
            #expect(try await Self.stored(folder, "GitHubIssue", ["state"])[id]?["state"] == "closed")
            let comments = try await Self.stored(folder, "GitHubComment", ["body", "issue"])
            #expect(comments.values.contains { $0["body"] == "Looks right" && $0["issue"] == .string(id) })

            let refused = try await runMax([
                "-C", folder.url.path, "invoke", "github", "createIssue", "--input",
                #"{"repository": "octo-org/repo-1"}"#,
            ])
            #expect(refused.status != 0 && refused.stderr.contains("title"), "\(refused.output)")
            #expect(!(created.output + comment.output + refused.output).contains(Self.token))
            // The health request: healthy, then refused once the token is revoked.
            let healthy = try await runMax(["-C", folder.url.path, "status", "github", "-o", "json"])
            #expect(
                try JSONValue(parsing: healthy.stdout).arrayValue?.first?["status"] == "healthy", "\(healthy.output)")
            simulator.revokeToken()
            let revoked = try await runMax(["-C", folder.url.path, "status", "github", "-o", "json"])
            #expect(revoked.status == 1, "\(revoked.output)")
            #expect(try JSONValue(parsing: revoked.stdout).arrayValue?.first?["status"] == "credential_expired")
            // Canary: the token is in no output and no file of the project (logs, audit, max.json).
            let log = try String(contentsOf: folder.file(".max/logs/github.log"), encoding: .utf8)
            #expect(log.contains("http.request="), "the log was written")
            try CanaryScan.expectNoSecret(
                [Self.token], in: folder.url, outputs: [created, comment, closed, refused, healthy, revoked])
        }
    }
}

/// A source value as text, as a manifest's placeholder renders an id.
enum SourceText {
    static func of(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: text
        case .int(let number)?: String(number)
        case .double(let number)?: String(number)
        case .bool(let flag)?: String(flag)
        default: ""
        }
    }
}
