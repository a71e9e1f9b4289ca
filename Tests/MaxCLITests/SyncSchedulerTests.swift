import Foundation
import Logging
import MaxConnector
import MaxCore
import MaxRuntime
import MaxServer
import MaxTestSupport
import Synchronization
import Testing

/// The scheduler of `max serve` on a manual clock, with the syncs it starts recorded instead of
/// run; and once for real, through `max serve` and Acme.
struct SyncSchedulerTests {
    /// What the fake syncs saw.
    final class Syncs: Sendable {
        struct State {
            var started: [(name: String, full: Bool, at: Duration)] = []
            var running: Set<String> = []
            var overlapped = false
            var failing: Set<String> = []
        }

        let state = Mutex(State())
        let clock: ManualClock

        init(clock: ManualClock) { self.clock = clock }

        func run(_ name: String, _ full: Bool) async throws {
            let fail = state.withLock { state in
                if state.running.contains(name) { state.overlapped = true }
                state.running.insert(name)
                state.started.append((name, full, clock.now.offset))
                return state.failing.contains(name)
            }
            // A sync that takes one second of the clock.
            defer { _ = state.withLock { $0.running.remove(name) } }
            try await clock.sleep(for: .seconds(1))
            if fail { throw MaxError(.httpServerError, "the source failed") }
        }

        func times(_ name: String) -> [Int64] {
            state.withLock { $0.started.filter { $0.name == name }.map(\.at.components.seconds) }
        }
    }

    /// Lets every task that can run do so, until `count` of them sleep on the clock.
    static func settle(_ clock: ManualClock, sleepers count: Int) async throws {
        for _ in 0..<10_000_000 {
            if clock.sleeperCount >= count { return }
            await Task.yield()
        }
        Issue.record("the clock has \(clock.sleeperCount) sleepers, not \(count)")
    }

    @Test func schedulesRunOnTimeBackOffAfterFailuresAndSkipDisabledOnes() async throws {
        let folder = try TemporaryDirectory(prefix: "schedules")
        let project = try Project.initialise(at: folder.url).project
        try project.update { file in
            for name in ["alpha", "beta", "gamma"] {
                var record = InstallationRecord(
                    id: name, connector: "acme@1.0.0", connectedAt: "2026-12-06T00:00:00Z", config: [:])
                record.otherKeys["sync"] = ["every": "2s"]
                if name == "gamma" { record.otherKeys["disabled"] = true }
                file.installations[name] = record
            }
            var unscheduled = InstallationRecord(
                id: "delta", connector: "acme@1.0.0", connectedAt: "2026-12-06T00:00:00Z", config: [:])
            unscheduled.otherKeys = [:]
            file.installations["delta"] = unscheduled
        }
        let workspace = MaxWorkspace(project: project, registry: ConnectorRegistry(local: [:]))
        let clock = ManualClock()
        let syncs = Syncs(clock: clock)
        syncs.state.withLock { $0.failing = ["beta"] }
        let scheduler = SyncScheduler(
            workspace: workspace, clock: clock, refresh: .seconds(3600), logger: Logger(label: "test"),
            sync: syncs.run)
        try await withThrowingTaskGroup { group in
            group.addTask { try await scheduler.run() }
            // Four sleepers when all is settled: the refresh, and alpha's, beta's and gamma's
            // loops (waiting for their next run, or in a one-second sync).
            for second in 0..<41 {
                try await Self.settle(clock, sleepers: 4)
                if second == 20 { syncs.state.withLock { $0.failing = [] } }
                clock.advance(by: .seconds(1))
            }
            group.cancelAll()
        }
        // alpha: at once, then 2 s after each one-second sync ended.
        #expect(syncs.times("alpha") == Array(stride(from: 0, through: 39, by: 3)))
        // beta fails until second 20: 4, then 8, then 16 seconds after each failed sync ended;
        // its sync at 31 succeeds, and the interval is back to 2 s.
        #expect(syncs.times("beta") == [0, 5, 14, 31, 34, 37, 40])
        #expect(syncs.times("gamma").isEmpty, "disabled")
        #expect(syncs.times("delta").isEmpty, "no schedule")
        #expect(!syncs.state.withLock { $0.overlapped }, "never two syncs of one installation at once")
    }
}

/// A schedule run for real: `max serve` and Acme, in processes.
struct ScheduleProcessTests {
    @Test func maxServeSyncsOnTheSchedule() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        try setInstallationKeys(in: folder.url, ["sync": ["every": "2s"]])
        let listed = try await runMax(["-C", path, "ls"])
        #expect(listed.stdout.contains("NEXT SYNC"), "\(listed.output)")

        let (server, url) = try await startServe(folder.url)
        try #require(url.hasPrefix("http://"), "\(server.stderrSoFar)")
        // Wait (at most a minute, polling) for two scheduled runs: the first full, then one of the
        // changes, two seconds after it.
        var runs: [JSONValue] = []
        for _ in 0..<240 {
            let outcome = try await runMax(["-C", path, "runs", "acme", "-o", "json"])
            runs = (try? JSONValue(parsing: outcome.stdout).arrayValue) ?? []
            if runs.filter({ $0["status"] == "completed" }).count >= 2 { break }
            // A real wait: the server's schedule runs on its own real clock, in another process.
            try await Task.sleep(for: .milliseconds(250))
        }
        server.send(SIGTERM)
        _ = try await server.outcome()
        let completed = runs.filter { $0["status"] == "completed" }.reversed()
        try #require(completed.count >= 2, "\(runs)")
        #expect(completed.first?["kind"] == "full")
        #expect(completed.dropFirst().first?["kind"] == "incremental")
        let audit = try await runMax(["-C", path, "audit", "acme", "-o", "ndjson", "--limit", "100"])
        #expect(audit.stdout.contains(#""caller":"schedule""#), "\(audit.stdout.prefix(600))")
        try await ResilienceProcessTests.expectStoreEqualsTheAPI(folder, acme)
    }
}
