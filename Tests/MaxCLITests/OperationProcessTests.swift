import Foundation
import MaxConnector
import MaxCore
import MaxStorage
import MaxStore
import MaxTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Operations with the real processes: `max invoke` against `acme-server`, idempotency across
/// processes, invalid input, write-through, jobs across restarts and the dead-letter list, audit.
struct OperationProcessTests {
    /// A project and a user of the Acme tenant, for task inputs.
    static func ids(_ acme: AcmeProcess) async throws -> (project: String, user: String) {
        let project = try await EndToEndTests.apiList(acme, "/api/projects").first?["id"]?.stringValue
        let user = try await EndToEndTests.apiList(acme, "/api/users").first?["id"]?.stringValue
        return (try #require(project), try #require(user))
    }

    static func taskInput(_ acme: AcmeProcess, title: String) async throws -> String {
        let (project, user) = try await ids(acme)
        return JSONValue.object([
            "projectId": .string(project), "title": .string(title), "createdById": .string(user),
        ]).jsonText
    }

    /// The tasks the API holds with `title`.
    static func tasks(_ acme: AcmeProcess, titled title: String) async throws -> Int {
        try await EndToEndTests.apiList(acme, "/api/tasks").filter { $0["title"]?.stringValue == title }.count
    }

    /// Every request the API answered so far.
    static func requestCount(_ acme: AcmeProcess) async throws -> Int {
        let stats = try await EndToEndTests.api(acme, .get, "/api/stats", .null)
        return stats["requests"]?.objectValue?.values.compactMap(\.intValue).reduce(0, +) ?? -1
    }

    static func invoke(
        _ folder: TemporaryDirectory, _ operation: String, _ input: String, key: String? = nil, extra: [String] = []
    ) async throws -> Outcome {
        try await runMax(
            ["-C", folder.url.path, "invoke", "acme", operation, "--input", input]
                + (key.map { ["--idempotency-key", $0] } ?? []) + extra)
    }

    @Test func twentyConcurrentCallsWithOneKeyCreateOneTask() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let input = try await Self.taskInput(acme, title: "Exactly once")
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for _ in 0..<20 {
                group.addTask { try await Self.invoke(folder, "createTask", input, key: "k-1", extra: ["-o", "json"]) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for outcome in outcomes { #expect(outcome.status == 0, "\(outcome.stderr)") }
        let envelopes = try outcomes.map { try JSONValue(parsing: $0.stdout) }
        #expect(Set(envelopes.map { $0["data"]?.jsonText ?? "" }).count == 1, "all print the same result")
        #expect(envelopes.filter { $0["metadata"]?["replayed"] == false }.count == 1, "one call reached Acme")
        #expect(try await Self.tasks(acme, titled: "Exactly once") == 1)

        // Written through: a search at once sees it.
        let found = try await runMax([
            "-C", folder.url.path, "count", "acme", "AcmeTask", "-f", #"title = "Exactly once""#,
        ])
        #expect(found.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(found.output)")

        // The same key with another input is a conflict.
        let other = try await Self.taskInput(acme, title: "Something else")
        let conflict = try await Self.invoke(folder, "createTask", other, key: "k-1")
        #expect(conflict.status == 2)
        #expect(conflict.stderr.contains("error[operation.conflict]"), "\(conflict.stderr)")
        #expect(try await Self.tasks(acme, titled: "Something else") == 0)

        // Within the TTL a key replays; after it, the key is free again. The TTL is enforced by
        // other `max` processes against the wall clock, which a test cannot advance: a long TTL
        // for the replay (two calls on a machine however busy take less than a minute), and a
        // one-second TTL, waited out after the call that stored it returned, for the expiry.
        try setInstallationKeys(in: folder.url, ["idempotency": ["ttlSeconds": 60]])
        let replayed = try await Self.taskInput(acme, title: "Replayed key")
        #expect(try await Self.invoke(folder, "createTask", replayed, key: "k-2").status == 0)
        #expect(try await Self.invoke(folder, "createTask", replayed, key: "k-2").status == 0)
        #expect(try await Self.tasks(acme, titled: "Replayed key") == 1, "replayed within the TTL")
        try setInstallationKeys(in: folder.url, ["idempotency": ["ttlSeconds": 1]])
        let short = try await Self.taskInput(acme, title: "Short-lived key")
        #expect(try await Self.invoke(folder, "createTask", short, key: "k-3").status == 0)
        try await Task.sleep(for: .milliseconds(1300))  // past the stored record's expiry
        let expired = try await Self.invoke(folder, "createTask", short, key: "k-3", extra: ["-o", "json"])
        #expect(expired.status == 0)
        #expect(try JSONValue(parsing: expired.stdout)["metadata"]?["replayed"] == false)
        #expect(try await Self.tasks(acme, titled: "Short-lived key") == 2, "the expired key ran again")
        try CanaryScan.expectNoSecret([acme.apiKey], in: folder.url, outputs: outcomes + [conflict, expired])
    }

    @Test func invalidInputNeverReachesTheAPIAndNamesThePath() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let before = try await Self.requestCount(acme)
        let invalid = try await Self.invoke(folder, "createTask", #"{"projectId": "prj_nope", "title": 7}"#)
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("error[operation.invalid_input]"))
        #expect(invalid.stderr.contains("/title: expected a string, not a number"), "\(invalid.stderr)")
        #expect(invalid.stderr.contains("/createdById: is required"))
        #expect(invalid.stderr.contains("/projectId: must match the pattern"))
        let notJSON = try await Self.invoke(folder, "createTask", "{title:")
        #expect(notJSON.status == 2)
        #expect(notJSON.stderr.contains("is not JSON"))
        let unknown = try await Self.invoke(folder, "launchRocket", "{}")
        #expect(unknown.status == 4)
        #expect(unknown.stderr.contains("operations: createTask, updateTask, deleteTask"))
        #expect(try await Self.requestCount(acme) == before, "nothing was sent")

        let ops = try await runMax(["-C", folder.url.path, "ops", "acme", "-o", "json"])
        let declared = try JSONValue(parsing: ops.stdout)["operations"]?.arrayValue?.compactMap {
            $0["id"]?.stringValue
        }
        #expect(declared == ["createTask", "updateTask", "deleteTask", "createProject", "registerWebhook"])

        // A webhook's signing secret is kept as a credential and never shown.
        let webhook = try await Self.invoke(
            folder, "registerWebhook", #"{"url": "http://127.0.0.1:9/hook"}"#, extra: ["-o", "json"])
        #expect(webhook.status == 0, "\(webhook.stderr)")
        let envelope = try JSONValue(parsing: webhook.stdout)
        #expect(envelope["data"]?["secret"] == "[redacted]")
        #expect(envelope["redactionsApplied"] == ["/secret"])
        #expect(!webhook.output.contains("whsec_"))
        let keys = try await runMax(["-C", folder.url.path, "credentials", "ls", "acme"])
        #expect(keys.stdout.contains("webhook_secret_wh_"))
    }

    /// Lets the writes Acme holds through; with `keep`, later ones are held too.
    static func release(_ acme: AcmeProcess, keep: Bool = false) async throws {
        _ = try await EndToEndTests.api(acme, .post, "/api/holds/release" + (keep ? "?keep=true" : ""), .null)
    }

    @Test func aJobWhoseRunnerDiesIsSettledAndCanBeRetried() async throws {
        // Acme holds every write until the test releases it: the attempt stays at the source for
        // as long as the test needs, however busy the machine is.
        let acme = try AcmeProcess(arguments: ["--hold-writes"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let input = try await Self.taskInput(acme, title: "Survives")
        let queued = try await Self.invoke(folder, "createTask", input, extra: ["--async"])
        #expect(queued.status == 0, "\(queued.output)")
        let id = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.hasPrefix("job_"))
        // Wait for the background runner to start the attempt, then kill it as a crash would.
        var state: String?
        for _ in 0..<100 where state != "running" {
            try await Task.sleep(for: .milliseconds(50))
            state = try JSONValue(parsing: try await runMax(["jobs", "show", id, "-C", folder.url.path]).stdout)[
                "state"]?
                .stringValue
        }
        #expect(state == "running")
        let runners = Self.processes(matching: ["jobs", "work", folder.url.path])
        #expect(!runners.isEmpty, "a runner was started in the background")
        for pid in runners { kill(pid, SIGKILL) }
        // Polls: the runner is another process, gone once the kernel has reaped it.
        let deadline = ContinuousClock.now + .seconds(10)
        while runners.contains(where: ConnectorLifetimeTests.isAlive), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Self.release(acme, keep: true)
        // Its request was at the source: whether the task was made is unknown, so the job is not
        // run again blindly; it fails, dead-lettered, as soon as anyone looks, instead of showing
        // running forever.
        let stale = try JSONValue(parsing: try await runMax(["jobs", "show", id, "-C", folder.url.path]).stdout)
        #expect(stale["state"] == "failed", "\(stale)")
        #expect(stale["error"]?.stringValue?.hasPrefix("operation.outcome_unknown") == true, "\(stale)")

        // Someone checked the source and sends it again (this time Acme lets it through).
        try await Self.release(acme)
        let retried = try await runMax(["jobs", "retry", id, "-C", folder.url.path])
        #expect(retried.status == 0, "\(retried.output)")
        // A runner (the one retry starts, or this one) runs it.
        let resumed = try await runMax(["jobs", "work", "-C", folder.url.path])
        #expect(resumed.status == 0, "\(resumed.output)")
        // The job's state, read until the runner records its success (a poll: the runner is
        // another process and tells no one).
        var done = JSONValue.null
        for _ in 0..<400 where done["state"] != "succeeded" {
            done = try JSONValue(parsing: try await runMax(["jobs", "show", id, "-C", folder.url.path]).stdout)
            if done["state"] != "succeeded" { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(done["state"] == "succeeded", "\(done)")
        #expect(done["result"]?["data"]?["title"] == "Survives")

        // A running job (held at Acme again) is canceled at its runner's next check.
        try await Self.release(acme, keep: true)
        let second = try await Self.invoke(folder, "createTask", input, extra: ["--async"])
        let secondID = second.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for _ in 0..<100 {
            let shown = try await runMax(["jobs", "show", secondID, "-C", folder.url.path])
            if try JSONValue(parsing: shown.stdout)["state"] == "running" { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let cancel = try await runMax(["jobs", "cancel", secondID, "-C", folder.url.path])
        #expect(cancel.status == 0, "\(cancel.output)")
        var final: JSONValue = .null
        for _ in 0..<60 where final["state"] != "canceled" {
            try await Task.sleep(for: .milliseconds(100))
            final = try JSONValue(parsing: try await runMax(["jobs", "show", secondID, "-C", folder.url.path]).stdout)
        }
        #expect(final["state"] == "canceled", "\(final)")
        let again = try await runMax(["jobs", "cancel", secondID, "-C", folder.url.path])
        #expect(again.status == 1, "a canceled job cannot be canceled again")
        let missing = try await runMax(["-C", folder.url.path, "jobs", "show", "job_nope"])
        #expect(missing.status == 4)
    }

    @Test func aJobThatFailsItsRetriesIsDeadUntilRetried() async throws {
        // The same port each time, so the installation's baseURL stays right: healthy, failing, healthy.
        var acme: AcmeProcess? = try AcmeProcess()
        let url = try #require(acme?.url)
        let port = try #require(URL(string: url)?.port)
        let folder = try await ResilienceProcessTests.connectedProject(try #require(acme))
        let input = try await Self.taskInput(try #require(acme), title: "Eventually")
        try setInstallationKeys(in: folder.url, ["retry": ["maxAttempts": 1]])
        acme = nil  // stops it
        acme = try AcmeProcess(arguments: ["--port", "\(port)", "--fail-rate", "1"])

        let queued = try await Self.invoke(folder, "createTask", input, extra: ["--async"])
        let id = queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var dead: [JSONValue] = []
        for _ in 0..<150 where dead.isEmpty {
            try await Task.sleep(for: .milliseconds(100))
            let listed = try await runMax(["-C", folder.url.path, "jobs", "dead", "-o", "json"])
            dead = try JSONValue(parsing: listed.stdout).arrayValue ?? []
        }
        #expect(dead.first?["id"]?.stringValue == id, "the job is in the dead-letter list")
        #expect(dead.first?["attempts"] == 3)
        #expect(dead.first?["error"]?.stringValue?.hasPrefix("http.server_error") == true, "\(dead)")

        acme = nil
        acme = try AcmeProcess(arguments: ["--port", "\(port)"])
        let retried = try await runMax(["jobs", "retry", id, "--wait", "-C", folder.url.path])
        #expect(retried.status == 0, "\(retried.output)")
        #expect(try JSONValue(parsing: retried.stdout)["state"] == "succeeded")
        let empty = try await runMax(["-C", folder.url.path, "jobs", "-o", "json"])
        #expect(try JSONValue(parsing: empty.stdout).arrayValue?.first?["dead"] == false, "max jobs lists by default")
        withExtendedLifetime(acme) {}
    }

    @Test func everyPathLeavesAnAuditEvent() async throws {
        let acme = try AcmeProcess(arguments: ["--rate-limit", "1", "--latency-ms", "300"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        try await Task.sleep(for: .seconds(1.1))  // the connect's requests are in a past second
        let first = try await Self.taskInput(acme, title: "Audited")
        #expect(try await Self.invoke(folder, "createTask", first, key: "a-1").status == 0)
        // Three at once against one request a second: some are answered 429 and retried. The inputs
        // are read first, so the three calls start together even on a busy machine.
        var inputs: [String] = []
        for index in 0..<3 { inputs.append(try await Self.taskInput(acme, title: "Crowd \(index)")) }
        let crowd = try await withThrowingTaskGroup(of: Int32.self) { group in
            for input in inputs {
                group.addTask { try await Self.invoke(folder, "createTask", input).status }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(crowd == [0, 0, 0])
        #expect(try await Self.invoke(folder, "createTask", first, key: "a-1").status == 0)  // replayed
        let other = try await Self.taskInput(acme, title: "Other")
        #expect(try await Self.invoke(folder, "createTask", other, key: "a-1").status == 2)  // conflict
        #expect(try await Self.invoke(folder, "createTask", #"{"title": 1}"#).status == 2)  // invalid
        try setInstallationKeys(in: folder.url, ["operations": ["timeoutSeconds": 0.2]])
        let slow = try await Self.taskInput(acme, title: "Too slow")
        let timedOut = try await Self.invoke(folder, "createTask", slow)
        #expect(timedOut.status == 1)
        #expect(timedOut.stderr.contains("error[operation.timeout]"), "\(timedOut.stderr)")

        let audit = try await runMax(["-C", folder.url.path, "audit", "acme", "-o", "ndjson", "--limit", "100"])
        #expect(audit.status == 0, "\(audit.output)")
        let events = try audit.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        let outcomes = events.compactMap { $0["outcome"]?.stringValue }
        #expect(outcomes.filter { $0 == "succeeded" }.count == 4, "\(outcomes)")
        for outcome in ["replayed", "conflict", "invalid_input", "timeout"] {
            #expect(outcomes.contains(outcome), "\(outcome) in \(outcomes)")
        }
        #expect(events.contains { ($0["retryCount"]?.intValue ?? 0) >= 1 }, "a retried call says so")
        #expect(events.allSatisfy { $0["requestId"]?.stringValue?.hasPrefix("req_") == true })
        #expect(events.filter { $0["outcome"] == "succeeded" }.allSatisfy { $0["providerStatus"] == 201 })
        let timeouts = try await runMax(["-C", folder.url.path, "audit", "-f", #"outcome = "timeout""#, "-o", "ndjson"])
        #expect(timeouts.stdout.split(separator: "\n").count == 1, "\(timeouts.output)")
        let badFilter = try await runMax(["-C", folder.url.path, "audit", "-f", "outcome ="])
        #expect(badFilter.status == 2)
    }

    @Test func parallelCallsAreBoundedAndQueuedOrRejectedAsConfigured() async throws {
        let acme = try AcmeProcess(arguments: ["--latency-ms", "1500"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let input = try await Self.taskInput(acme, title: "Bounded")
        func three() async throws -> [Outcome] {
            try await withThrowingTaskGroup(of: Outcome.self) { group in
                for _ in 0..<3 { group.addTask { try await Self.invoke(folder, "createTask", input) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        try setInstallationKeys(in: folder.url, ["operations": ["maxParallel": 1, "whenBusy": "reject"]])
        let rejected = try await three()
        #expect(rejected.filter { $0.status == 0 }.count == 1, "\(rejected.map(\.stderr))")
        #expect(rejected.filter { $0.status == 1 && $0.stderr.contains("error[operation.busy]") }.count == 2)

        try setInstallationKeys(in: folder.url, ["operations": ["maxParallel": 1, "whenBusy": "queue", "queue": 2]])
        let started = ContinuousClock.now
        let queued = try await three()
        #expect(queued.allSatisfy { $0.status == 0 }, "\(queued.map(\.stderr))")
        #expect(ContinuousClock.now - started > .seconds(4), "one at a time")

        try setInstallationKeys(in: folder.url, ["operations": ["maxParallel": 1, "queue": 0]])
        let full = try await three()
        #expect(full.filter { $0.status == 0 }.count == 1)
        #expect(full.filter { $0.stderr.contains("wait already") }.count == 2)

        try setInstallationKeys(in: folder.url, ["operations": ["maxParallel": 0]])
        let invalid = try await Self.invoke(folder, "createTask", input)
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("operations.maxParallel must be a whole number from 1 to 64"))
    }

    /// The ids of processes whose arguments contain every one of `parts`.
    static func processes(matching parts: [String]) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { return nil }
            let arguments = String(decoding: data, as: UTF8.self).split(separator: "\0").map(String.init)
            return parts.allSatisfy(arguments.contains) ? pid : nil
        }
    }

    /// POST requests Acme has received so far (counted as they arrive, before its latency).
    static func posts(_ acme: AcmeProcess) async throws -> Int {
        let stats = try await EndToEndTests.api(acme, .get, "/api/stats", .null)
        return (stats["requests"]?.objectValue ?? [:]).filter { $0.key.hasPrefix("POST") }.values
            .compactMap(\.intValue).reduce(0, +)
    }

    /// Polls `condition` every 20 ms until it holds, at most 10 s (Acme's answer to the test is
    /// the signal waited for).
    static func waitFor(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<500 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    /// A call killed while its request is at the source is never sent again blindly: the next call
    /// with its key is `operation.outcome_unknown` and its lost attempt is audited; a job whose
    /// runner is killed at that point fails with that code (dead-lettered) as soon as anyone looks.
    @Test func aCallKilledAtTheSourceIsNotSentAgain() async throws {
        // Acme holds every write (after counting it) until the test releases it: Max is killed
        // while its request is certainly at the source.
        let acme = try AcmeProcess(arguments: ["--hold-writes"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let input = try await Self.taskInput(acme, title: "Sent once")
        let before = try await Self.posts(acme)
        let first = try MaxProcess(
            ["-C", folder.url.path, "invoke", "acme", "createTask", "--input", input, "--idempotency-key", "k-lost"])
        #expect(try await Self.waitFor { try await Self.posts(acme) > before }, "the request reached Acme")
        first.send(SIGKILL)
        _ = try await first.outcome()
        try await Self.release(acme, keep: true)
        #expect(try await Self.waitFor { try await Self.tasks(acme, titled: "Sent once") == 1 })

        let again = try await Self.invoke(folder, "createTask", input, key: "k-lost")
        #expect(again.status == 1, "\(again.output)")
        #expect(again.stderr.contains("error[operation.outcome_unknown]"), "\(again.stderr)")
        #expect(again.stderr.contains("use a new idempotency key"), "\(again.stderr)")
        let audit = try await runMax(["-C", folder.url.path, "audit", "acme", "-o", "ndjson"])
        let outcomes = audit.stdout.split(separator: "\n").compactMap { try? JSONValue(parsing: String($0)) }
            .filter { $0["idempotencyKey"] == "k-lost" }.compactMap { $0["outcome"]?.stringValue }
        #expect(outcomes.filter { $0 == "unknown" }.count == 2, "the lost attempt and the refused one: \(outcomes)")

        // The same for a job: its runner is killed while the request is at the source.
        let jobInput = try await Self.taskInput(acme, title: "Job sent once")
        let postsBeforeJob = try await Self.posts(acme)
        let enqueued = try await Self.invoke(folder, "createTask", jobInput, extra: ["--async", "-o", "json"])
        try #require(enqueued.status == 0, "\(enqueued.output)")
        let jobID = try #require(try JSONValue(parsing: enqueued.stdout)["id"]?.stringValue, "\(enqueued.stdout)")
        #expect(
            try await Self.waitFor { try await Self.posts(acme) > postsBeforeJob }, "the job's request reached Acme")
        let store = try OperationStore.open(at: folder.file(".max/operations.db"))
        let holder = try #require(try await store.job(jobID)?.holder, "a runner holds the job")
        kill(try #require(Int32(holder), "a SQLite store's holder is a process id: \(holder)"), SIGKILL)
        try await Self.release(acme)
        #expect(try await Self.waitFor { try await Self.tasks(acme, titled: "Job sent once") == 1 })
        let show = try await runMax(["-C", folder.url.path, "jobs", "show", jobID])
        try #require(show.status == 0, "\(show.output)")
        let shown = try JSONValue(parsing: show.stdout)
        #expect(shown["state"] == "failed", "\(shown)")
        #expect(shown["dead"] == true)
        #expect(shown["error"]?.stringValue?.hasPrefix("operation.outcome_unknown") == true, "\(shown)")
        let postsAfter = try await Self.posts(acme)
        let work = try await runMax(["-C", folder.url.path, "jobs", "work"])
        #expect(work.status == 0, "\(work.output)")
        #expect(try await Self.posts(acme) == postsAfter, "nothing was sent again")
        #expect(try await Self.tasks(acme, titled: "Job sent once") == 1)
    }
}
