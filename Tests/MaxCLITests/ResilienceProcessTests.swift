import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// Syncs against an API that fails and rate-limits, with the real processes: retries and waits make
/// them complete, and the store ends equal to the API record for record.
struct ResilienceProcessTests {
    static let paths = [
        ("AcmeWorkspace", "/api/workspaces"), ("AcmeUser", "/api/users"), ("AcmeProject", "/api/projects"),
        ("AcmeTask", "/api/tasks"), ("AcmeFile", "/api/files"),
    ]

    /// Inits and connects a project to `acme`.
    static func connectedProject(_ acme: AcmeProcess, connector: String = "acme") async throws
        -> TemporaryDirectory
    {
        let folder = try TemporaryDirectory(prefix: "resilience")
        _ = try await runMax(["init", folder.url.path])
        let connected = try await runMax(
            [
                "-C", folder.url.path, "connect", connector, "--config", "baseURL=\(acme.url)", "--credential",
                "api_token=env:T",
            ], environment: ["T": acme.apiKey])
        try #require(connected.status == 0, "\(connected.stderr)")
        return folder
    }

    /// Connects `acme` once more to the project in `folder`, as the installation `name`.
    static func connectAnother(_ acme: AcmeProcess, named name: String, in folder: TemporaryDirectory) async throws {
        let connected = try await runMax(
            [
                "-C", folder.url.path, "connect", "acme", "--name", name, "--config", "baseURL=\(acme.url)",
                "--credential", "api_token=env:T",
            ], environment: ["T": acme.apiKey])
        try #require(connected.status == 0, "\(connected.output)")
    }

    static func expectStoreEqualsTheAPI(_ folder: TemporaryDirectory, _ acme: AcmeProcess) async throws {
        for (type, path) in paths {
            let outcome = try await runMax(["-C", folder.url.path, "search", "acme", type, "-a", "-o", "ndjson"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let stored = try outcome.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            let expected = try await EndToEndTests.apiList(acme, path).map { EndToEndTests.expected(type, $0) }
            #expect(stored.count == expected.count, "\(type)")
            #expect(stored == expected, "\(type) differs from the API")
        }
    }

    @Test func aSyncAgainstAFailingAPICompletesAndMatchesIt() async throws {
        let acme = try AcmeProcess(arguments: ["--fail-rate", "0.2", "--projects-per-workspace", "20", "--seed", "7"])
        let folder = try await Self.connectedProject(acme)
        let outcome = try await runMax(["-C", folder.url.path, "sync", "acme", "--progress", "ndjson"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let events = SyncReportTests.events(outcome.stderr)
        let retries = events.filter { $0["event"] == "retry" }
        #expect(retries.count > 5, "a fifth of the requests failed and were retried")
        #expect(retries.allSatisfy { $0["code"] == "http.server_error" })
        #expect(outcome.stdout.contains("retries"), "\(outcome.stdout)")
        #expect(events.last?["event"] == "finished")
        #expect(!outcome.output.contains(acme.apiKey))
        try await Self.expectStoreEqualsTheAPI(folder, acme)

        let runs = try await runMax(["-C", folder.url.path, "runs", "acme", "-o", "json"])
        #expect(runs.status == 0, "\(runs.stderr)")
        let latest = try #require(try JSONValue(parsing: runs.stdout).arrayValue?.first)
        #expect(latest["kind"] == "full")
        #expect(latest["status"] == "completed")
        #expect(latest["retries"]?.intValue == retries.count, "the run keeps the retries the events showed")
        #expect((latest["requests"]?.intValue ?? 0) > retries.count)
        #expect(latest["tasksFailed"] == 0)

        // The installation's log: one line per attempt, the retries' classification and wait, no
        // secret and no query string.
        let log = try String(contentsOf: folder.file(".max/logs/acme.log"), encoding: .utf8)
        let lines = log.split(separator: "\n").filter { $0.contains("http.request=") }
        #expect(lines.count == latest["requests"]?.intValue, "one line per attempt")
        #expect(log.contains(": sync started"))
        #expect(log.contains("sync.status=completed") && log.contains(": sync finished"))
        #expect(lines.contains { $0.contains("http.status=200") && $0.contains("http.request=GET http://127.0.0.1:") })
        #expect(lines.contains { $0.contains("error.code=") || $0.contains("http.status=5") })
        #expect(lines.filter { $0.contains("retry.wait_ms=") }.count == retries.count)
        #expect(!log.contains(acme.apiKey))
        #expect(!log.contains("projectId="), "no query string")
        let mode =
            try FileManager.default.attributesOfItem(atPath: folder.file(".max/logs/acme.log").path)[
                .posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func aSyncAgainstARateLimitedAPIWaitsAndMatchesIt() async throws {
        let acme = try AcmeProcess(arguments: ["--rate-limit", "20", "--projects-per-workspace", "30"])
        let folder = try await Self.connectedProject(acme)
        let outcome = try await runMax(["-C", folder.url.path, "sync", "acme", "--progress", "ndjson"])
        #expect(outcome.status == 0, "\(outcome.output)")
        let limited = SyncReportTests.events(outcome.stderr).filter { $0["event"] == "rate_limited" }
        #expect(!limited.isEmpty, "about 70 requests at 20 a second meet the limit")
        #expect(limited.allSatisfy { $0["waitMs"] == 1000 }, "Retry-After: 1 is honoured")
        let rates = limited.compactMap { $0["rate"]?.doubleValue }
        #expect(rates.allSatisfy { $0 < 1000 }, "each 429 lowers the rate: \(rates)")
        try await Self.expectStoreEqualsTheAPI(folder, acme)
        let runs = try await runMax(["-C", folder.url.path, "runs", "acme"])
        #expect(runs.status == 0)
        #expect(runs.stdout.hasPrefix("STARTED"), "\(runs.stdout)")
        let json = try await runMax(["-C", folder.url.path, "runs", "acme", "-o", "ndjson"])
        let latest = try JSONValue(parsing: String(json.stdout.split(separator: "\n").first ?? ""))
        #expect(latest["rateLimited"]?.intValue == limited.count)
        let csv = try await runMax(["-C", folder.url.path, "runs", "acme", "-o", "csv"])
        let csvLines = csv.stdout.split(separator: "\n")
        #expect(csvLines.first?.hasPrefix("id,startedAt,finishedAt,kind,status") == true)
        #expect(csvLines.count == 2)
    }

    @Test func aDeclaredLimitKeepsEverySecondWithinIt() async throws {
        let acme = try AcmeProcess(arguments: ["--rate-limit", "20", "--projects-per-workspace", "30"])
        let folder = try await Self.connectedProject(acme)
        try setInstallationKeys(in: folder.url, ["rateLimit": ["rate": 18, "burst": 2, "concurrency": 4]])
        try await Task.sleep(for: .seconds(1.1))  // the connect's requests are in a past second
        let before = try await EndToEndTests.api(acme, .get, "/api/stats", .null)["requestsPerSecond"]?.objectValue
        let outcome = try await runMax(["-C", folder.url.path, "sync", "acme", "--progress", "ndjson"])
        let after = try await EndToEndTests.api(acme, .get, "/api/stats", .null)["requestsPerSecond"]?.objectValue
        #expect(outcome.status == 0, "\(outcome.output)")
        var perSecond: [Int] = []
        for (second, count) in after ?? [:] {
            perSecond.append((count.intValue ?? 0) - (before?[second]?.intValue ?? 0))
        }
        #expect(perSecond.reduce(0, +) > 60, "the sync made its ~70 requests")
        #expect(perSecond.allSatisfy { $0 <= 20 }, "no second above the rate plus the burst: \(perSecond)")
        #expect(!SyncReportTests.events(outcome.stderr).contains { $0["event"] == "rate_limited" })
    }

    @Test func connectSurvivesAnInjectedServerError() async throws {
        // A seed under which the first authenticated request fails and the next few are served.
        let chosen = acmeSeed(failRate: 0.3, requests: 1...8) { $0 == 1 }
        let seed = try #require(chosen)
        let acme = try AcmeProcess(arguments: ["--seed", "\(seed)", "--fail-rate", "0.3"])
        _ = try await Self.connectedProject(acme)
    }

    @Test func anInvalidOverrideNamesTheKeyAndNothingRuns() async throws {
        let acme = try AcmeProcess()
        let folder = try await Self.connectedProject(acme)
        try setInstallationKeys(in: folder.url, ["retry": ["maxAttempts": 0]])

        let outcome = try await runMax(["-C", folder.url.path, "sync", "acme"])
        #expect(outcome.status == 2)
        #expect(
            outcome.stderr.contains(
                "error[connector.invalid_policy]: 'installations.acme.retry.maxAttempts' must be a whole number from 1 to 50"
            ),
            "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file(".max/installations/acme/data.db").path))
    }
}

/// A source that is down opens the installation's circuit breaker, and the sync stops in bounded time.
struct CircuitBreakerProcessTests {
    @Test func aDeadSourceOpensTheBreakerAndTheSyncStopsWithinItsBound() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        try setInstallationKeys(
            in: folder.url, baseURL: "http://127.0.0.1:9",
            [
                "retry": ["maxAttempts": 50, "baseDelay": 0.05, "maxDelay": 0.2, "maxElapsed": 120],
                "circuitBreaker": ["coolDown": 0.5, "maximumOpen": 3],
            ])
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = try await runMax(["-C", folder.url.path, "sync", "acme", "--progress", "ndjson"])
        let elapsed = clock.now - started
        #expect(outcome.status == 1, "\(outcome.output)")
        #expect(outcome.stderr.contains("error[sync.circuit_open]: 127.0.0.1 kept failing"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains("last errors: http.unreachable"))
        #expect(elapsed < .seconds(20), "bounded by maximumOpen (3 s) plus the time to open: \(elapsed)")
        let states = SyncReportTests.events(outcome.stderr).filter { $0["event"] == "breaker" }.compactMap {
            $0["state"]?.stringValue
        }
        #expect(states.first == "open")
        #expect(states.contains("half_open"))
        #expect(try await RunLifecycleTests.latestStatus(folder) == "degraded")
        let status = try await runMax(["-C", folder.url.path, "status", "-o", "json", "--timeout", "5"])
        let row = try #require(try JSONValue(parsing: status.stdout).arrayValue?.first)
        #expect(row["sync"] == "degraded", "max status shows the stored state too: \(row)")
        #expect(row["status"] == "unhealthy")
        #expect(row["lastError"]?.stringValue?.hasPrefix("sync.circuit_open: ") == true)

        try setInstallationKeys(in: folder.url, baseURL: acme.url, [:])
        let healed = try await runMax(["-C", folder.url.path, "sync", "acme"])
        #expect(healed.status == 0, "\(healed.output)")
        #expect(try await RunLifecycleTests.latestStatus(folder) == "active")
    }
}
