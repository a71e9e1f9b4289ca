import Foundation
import MaxConnector
import MaxCore
import MaxRuntime
import MaxServer
import MaxTestSupport
import Synchronization
import Testing

/// Health checks kept: by `max status`, and by `max serve`'s monitor on a manual clock.
struct HealthHistoryTests {
    @Test func statusKeepsEachCheckAndListsThemNewestFirst() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        let empty = try await runMax(["-C", path, "status", "--history"])
        #expect(empty.stderr.contains("No health checks kept yet"), "\(empty.output)")
        let listedFresh = try await runMax(["-C", path, "ls", "-o", "json"])
        let fresh = try #require(try JSONValue(parsing: listedFresh.stdout).arrayValue?.first)
        #expect(fresh["state"] == "provisioning", "\(fresh)")
        #expect(fresh["stateReason"] == "never synced: max sync acme")
        #expect(fresh["connectorVersion"] == "1.0.0" && fresh["configVersion"] == 1)
        #expect(try await runMax(["-C", path, "sync", "acme"]).status == 0)
        let healthy = try await runMax(["-C", path, "status"])
        #expect(healthy.status == 0, "\(healthy.output)")
        #expect(healthy.stdout.contains("healthy  active"), "\(healthy.stdout)")
        try setInstallationKeys(in: folder.url, baseURL: "http://127.0.0.1:9", [:])
        let down = try await runMax(["-C", path, "status", "--timeout", "5"])
        #expect(down.status == 1, "\(down.output)")

        let history = try await runMax(["-C", path, "status", "--history", "-o", "json"])
        let events = try #require(try JSONValue(parsing: history.stdout).arrayValue)
        #expect(
            events.map { "\($0["kind"]?.stringValue ?? "") \($0["status"]?.stringValue ?? "")" } == [
                "health unhealthy", "health healthy", "full sync completed",
            ], "\(history.stdout)")
        #expect(events.first?["reason"]?.stringValue?.isEmpty == false)
        let listed = try await runMax(["-C", path, "ls", "-o", "json"])
        let row = try #require(try JSONValue(parsing: listed.stdout).arrayValue?.first)
        #expect(row["health"] == "unhealthy")
        #expect(row["state"] == "degraded", "\(row)")
        #expect(row["lastError"]?.stringValue?.isEmpty == false, "\(row)")
        #expect(row["healthCheckedAt"] != nil && row["healthCheckedAt"] != .null, "\(row)")
    }

    @Test func theMonitorChecksEnabledLocalInstallationsEveryInterval() async throws {
        let folder = try TemporaryDirectory(prefix: "health-monitor")
        let project = try Project.initialise(at: folder.url).project
        try project.update { file in
            for name in ["alpha", "beta", "gamma", "remote"] {
                var record = InstallationRecord(
                    id: name, connector: "acme@1.0.0", connectedAt: "2026-12-06T00:00:00Z", config: [:])
                if name == "gamma" { record.otherKeys["disabled"] = true }
                if name == "remote" {
                    record.provider = "remote"
                    record.otherKeys["location"] = ["url": "http://127.0.0.1:9/v1/installations/x"]
                }
                file.installations[name] = record
            }
        }
        let clock = ManualClock()
        let checks = Mutex<[(String, Duration)]>([])
        let monitor = HealthMonitor(
            workspace: MaxWorkspace(project: project, registry: ConnectorRegistry(local: [:])), clock: clock,
            every: .seconds(300)
        ) { name in checks.withLock { $0.append((name, clock.now.offset)) } }
        try await withThrowingTaskGroup { group in
            group.addTask { try await monitor.run() }
            for _ in 0..<3 {
                try await SyncSchedulerTests.settle(clock, sleepers: 1)
                clock.advance(by: .seconds(300))
            }
            try await SyncSchedulerTests.settle(clock, sleepers: 1)
            group.cancelAll()
        }
        let seen = checks.withLock { $0 }.map { "\($0.0)@\($0.1.components.seconds)" }.sorted()
        #expect(
            seen == ["alpha@0", "alpha@300", "alpha@600", "alpha@900", "beta@0", "beta@300", "beta@600", "beta@900"],
            "disabled and remote installations are not checked here")
    }
}
