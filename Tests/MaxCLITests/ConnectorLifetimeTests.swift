import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// A subprocess connector that hangs and ignores SIGTERM, SIGINT and the end of its input (the
/// Python fixture's `stubborn` fault) never outlives the command that started it, and never keeps
/// that command from ending: Ctrl-C and SIGTERM end a sync, SIGKILL of Max takes the connector with
/// it, and `max status` ends one whose health check does not answer.
struct ConnectorLifetimeTests {
    /// A project with a `notes` installation that turns stubborn (writing its pid to `pidFile`)
    /// at its second page or its health check; its call timeout (10 min) never comes to the rescue.
    static func stubbornProject() async throws -> (folder: TemporaryDirectory, pidFile: URL) {
        let folder = try await SubprocessConnectorTests.notesProject()
        let pidFile = folder.file("connector.pid")
        let connected = try await SubprocessConnectorTests.connectNotes(
            folder, name: "notes", key: "nk_test", config: ["fault=stubborn:\(pidFile.path)"])
        try #require(connected.status == 0, "\(connected.stderr)")
        try setInstallationKeys(in: folder.url, of: "notes", ["limits": ["callTimeoutSeconds": 600]])
        return (folder, pidFile)
    }

    /// The pid the connector wrote once it turned stubborn, waiting for that file to appear (the
    /// connector's own signal that it has reached the point under test).
    static func connectorPID(_ pidFile: URL, of max: MaxProcess) async throws -> pid_t {
        for _ in 0..<3_000 {
            if let text = try? String(contentsOf: pidFile, encoding: .utf8), let pid = pid_t(text) { return pid }
            try #require(max.isRunning, "max ended before the connector hung: \(max.stderrSoFar)")
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the connector never wrote its pid")
        throw CancellationError()
    }

    /// Whether `pid` is a live process (a zombie not yet reaped counts as gone).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let status = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        // "<pid> (<comm>) <state> …": Z is a zombie.
        return !(status.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
    }

    /// Waits up to `limit` for `pid` to be gone; returns whether it went. (A process that is not
    /// our child sends no notice when it ends: polling its state is the only way to see it.)
    static func waitUntilGone(_ pid: pid_t, within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while isAlive(pid), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return !isAlive(pid)
    }

    /// The outcome of `max`, or a recorded issue and a SIGKILL if it has not ended within `limit`
    /// (the sleep is the bound on a hang, not a wait for something to happen).
    static func outcome(of max: MaxProcess, within limit: Duration) async throws -> Outcome? {
        try await withThrowingTaskGroup(of: Outcome?.self) { group in
            group.addTask { try await max.outcome() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            let first = try await group.next() ?? nil
            if first == nil {
                Issue.record("max did not end within \(limit): \(max.stderrSoFar)")
                max.send(SIGKILL)
            }
            group.cancelAll()
            return first
        }
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalEndsASyncWaitingOnAHungConnector(signal: Int32) async throws {
        let (folder, pidFile) = try await Self.stubbornProject()
        let sync = try MaxProcess(["-C", folder.url.path, "sync", "notes", "--progress", "none"])
        let pid = try await Self.connectorPID(pidFile, of: sync)
        sync.send(signal)
        // The bound: the call is cancelled at once, the connector gets 1 s after SIGTERM, then SIGKILL.
        let ended = try await Self.outcome(of: sync, within: .seconds(30))
        #expect(ended?.status == 130, "\(ended?.output ?? "")")
        #expect(ended?.stderr.contains("interrupted") == true, "\(ended?.stderr ?? "")")
        #expect(try await Self.waitUntilGone(pid, within: .seconds(5)), "the connector was ended with the sync")
        let runs = try JSONValue(
            parsing: try await runMax(["-C", folder.url.path, "runs", "notes", "-o", "json"]).stdout)
        #expect(runs.arrayValue?.first?["status"] == "cancelled", "\(runs)")
        // What the first page wrote is kept.
        let count = try await runMax(["-C", folder.url.path, "count", "notes", "Note"])
        #expect(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "10", "\(count.output)")
    }

    @Test func aConnectorDiesWithMaxEvenWhenMaxIsKilled() async throws {
        let (folder, pidFile) = try await Self.stubbornProject()
        let sync = try MaxProcess(["-C", folder.url.path, "sync", "notes", "--progress", "none"])
        let pid = try await Self.connectorPID(pidFile, of: sync)
        sync.send(SIGKILL)
        _ = try await sync.outcome()
        #expect(try await Self.waitUntilGone(pid, within: .seconds(5)), "the kernel ends it with its parent")
        // The run its dead process left shows as interrupted in the history too, as in max ls.
        let runs = try JSONValue(
            parsing: try await runMax(["-C", folder.url.path, "runs", "notes", "-o", "json"]).stdout)
        #expect(runs.arrayValue?.first?["status"] == "interrupted", "\(runs)")
        let listed = try JSONValue(parsing: try await runMax(["-C", folder.url.path, "ls", "-o", "json"]).stdout)
        #expect(listed.arrayValue?.first?["status"] == "interrupted", "\(listed)")
    }

    @Test func statusEndsAConnectorWhoseHealthCheckHangs() async throws {
        let (folder, pidFile) = try await Self.stubbornProject()
        // The health check's time limit also covers starting the connector (a Python process, slow
        // on a loaded machine), so it is long enough for the connector to reach the check first.
        let status = try MaxProcess(["-C", folder.url.path, "status", "notes", "--timeout", "10"])
        let ended = try await Self.outcome(of: status, within: .seconds(60))
        #expect(ended?.stdout.contains("no answer within 10 s") == true, "\(ended?.output ?? "")")
        let pid = try #require(pid_t(try String(contentsOf: pidFile, encoding: .utf8)), "the connector hung")
        #expect(!Self.isAlive(pid), "status ended the connector before it exited")
    }
}
