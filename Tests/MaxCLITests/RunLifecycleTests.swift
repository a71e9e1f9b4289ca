import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// One writer per installation, clean interruption, and resumption after a crash, with real processes.
struct RunLifecycleTests {
    /// An Acme slow enough (latency on every request) that a sync lasts a few seconds.
    static func slowAcme(projects: Int = 40, tasks: Int = 100, latency: Int = 15) throws -> AcmeProcess {
        try AcmeProcess(arguments: [
            "--projects-per-workspace", "\(projects)", "--tasks-per-project", "\(tasks)", "--latency-ms", "\(latency)",
        ])
    }

    /// Waits until the sync has written entities (its ndjson progress says so).
    static func waitForProgress(_ sync: MaxProcess) async throws {
        for _ in 0..<400 where sync.isRunning {
            if sync.stderrSoFar.contains(#""event":"entities""#) { return }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    static func latestStatus(_ folder: TemporaryDirectory) async throws -> String? {
        let listed = try await runMax(["-C", folder.url.path, "ls", "-o", "json"])
        return try JSONValue(parsing: listed.stdout).arrayValue?.first?["status"]?.stringValue
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalCancelsTheRunAndARerunCompletesIt(signal: Int32) async throws {
        // Acme holds every read after the first 12 until the test releases them: the sync has
        // written entities and is certainly still running when the signal comes, however loaded
        // the machine is.
        let acme = try AcmeProcess(arguments: [
            "--projects-per-workspace", "40", "--tasks-per-project", "100", "--hold-reads-after", "12",
        ])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let sync = try MaxProcess(["-C", folder.url.path, "sync", "acme", "--progress", "ndjson"])
        try await Self.waitForProgress(sync)
        sync.send(signal)
        let outcome = try await sync.outcome()
        _ = try await EndToEndTests.api(acme, .post, "/api/holds/release", .null)
        #expect(outcome.status == 130, "\(outcome.output)")
        #expect(outcome.stderr.contains("Sync of acme interrupted"), "\(outcome.stderr)")
        #expect(SyncReportTests.events(outcome.stderr).last?["event"] == "cancelled")
        let runs = try await runMax(["-C", folder.url.path, "runs", "acme", "-o", "json"])
        #expect(try await Self.latestStatus(folder) == "cancelled", "\(outcome.stderr)\n\(runs.stdout)")

        let rerun = try await runMax(["-C", folder.url.path, "sync", "acme"])
        #expect(rerun.status == 0, "\(rerun.output)")
        #expect(rerun.stderr.contains("Resuming the unfinished sync of acme"))
        #expect(try await Self.latestStatus(folder) == "active")
        try await ResilienceProcessTests.expectStoreEqualsTheAPI(folder, acme)
    }

    @Test func oneWriterAtATimeAndReadersNeverWait() async throws {
        // One worker over 400 ms requests: a sync of a minute or more, far longer than the checks below
        // take even on a loaded machine. The test ends it with a signal instead of waiting for it.
        let acme = try Self.slowAcme(projects: 60, tasks: 10, latency: 400)
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        let first = try MaxProcess(["-C", path, "sync", "acme", "--concurrency", "1", "--progress", "ndjson"])
        try await Self.waitForProgress(first)

        let count = try await runMax(["-C", path, "count", "acme", "AcmeTask"])
        #expect(count.status == 0, "\(count.stderr)")
        #expect(try await Self.latestStatus(folder) == "syncing")

        let second = try await runMax(["-C", path, "sync", "acme"])
        #expect(second.status == 1)
        #expect(
            second.stderr.contains(
                "error[sync.already_running]: cannot sync acme: another Max process is syncing it (pid "),
            "\(second.stderr)")
        let resume = try await runMax(["-C", path, "sync", "acme", "--resume"])
        #expect(resume.status == 1)
        let disconnect = try await runMax(["-C", path, "disconnect", "acme", "--yes"])
        #expect(disconnect.status == 1)
        #expect(disconnect.stderr.contains("cannot disconnect acme"))
        #expect(first.isRunning, "all of the above answered while the sync was still running")

        first.send(SIGINT)
        let finished = try await first.outcome()
        #expect(finished.status == 130, "\(finished.stderr)")
        #expect(try await Self.latestStatus(folder) == "cancelled")
        let countAfter = try await runMax(["-C", path, "count", "acme", "AcmeTask"])
        #expect(countAfter.status == 0, "the lock is released and the store readable: \(countAfter.stderr)")
    }

    @Test func killedAtRandomMomentsASyncResumesToExactlyTheAPIsData() async throws {
        let acme = try Self.slowAcme(projects: 30, tasks: 150)
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        var rng = SplitMix64(seed: 20_261_124)
        for round in 0..<10 {
            let sync = try MaxProcess(["-C", folder.url.path, "sync", "acme", "--progress", "ndjson"])
            // A random moment in the sync of another process (the test's point: a kill at any time
            // loses nothing), seeded so a failing round can be replayed.
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...1500, using: &rng)))
            sync.send(SIGKILL)
            let killed = try await sync.outcome()
            #expect([0, 137].contains(killed.status), "round \(round): \(killed.stderr)")
            // A run its dead process left never shows as running (it may not have begun, or have ended).
            let status = try await Self.latestStatus(folder)
            #expect(["interrupted", "active", "never synced"].contains(status), "round \(round): \(status ?? "-")")
            let resumed = try await runMax(["-C", folder.url.path, "sync", "acme"])
            #expect(resumed.status == 0, "round \(round): \(resumed.output)")
            try await ResilienceProcessTests.expectStoreEqualsTheAPI(folder, acme)
        }
    }
}
