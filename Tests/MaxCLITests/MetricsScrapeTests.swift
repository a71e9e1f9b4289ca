import Foundation
import MaxConnector
import MaxCore
import MaxTestSupport
import Testing

/// `/metrics` read as Prometheus reads it: with the Prometheus Python client's parser
/// (`Tests/Scripts/parse_metrics.py`), scraped while syncs meet injected faults (a source failing
/// a third of its requests, and one that is down), and after.
struct MetricsScrapeTests {
    /// One parsed sample.
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    static let parser = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Scripts/parse_metrics.py")

    /// The samples of `text`, parsed by prometheus_client.
    static func parse(_ text: String) throws -> [Sample] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", parser.path]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(
            process.terminationStatus == 0,
            "the Prometheus parser refused /metrics (pip install prometheus_client if it is missing): \(problems)")
        return try (JSONValue(parsing: String(decoding: data, as: UTF8.self)).arrayValue ?? []).map { sample in
            Sample(
                name: sample["name"]?.stringValue ?? "",
                labels: (sample["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
                value: sample["value"]?.doubleValue ?? .nan)
        }
    }

    /// The sum of the samples named `name` whose labels include `labels`.
    static func total(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }.reduce(0) { $0 + $1.value }
    }

    @Test func retriesAndBreakerTripsMoveDuringSyncsWithInjectedFaults() async throws {
        let acme = try AcmeProcess(arguments: ["--fail-rate", "0.3", "--projects-per-workspace", "4"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let connected = try await runMax(
            [
                "-C", folder.url.path, "connect", "acme", "--name", "dead", "--config", "baseURL=\(acme.url)",
                "--credential", "api_token=env:T",
            ], environment: ["T": acme.apiKey])
        try #require(connected.status == 0, "\(connected.output)")
        try setInstallationKeys(in: folder.url, of: "acme", ["retry": ["maxAttempts": 10, "baseDelay": 0.01]])
        try setInstallationKeys(
            in: folder.url, of: "dead", baseURL: "http://127.0.0.1:9",
            [
                "retry": ["maxAttempts": 50, "baseDelay": 0.05, "maxDelay": 0.2, "maxElapsed": 120],
                "circuitBreaker": ["coolDown": 0.5, "maximumOpen": 3],
            ])
        let token = try await createServeToken(folder.url, scope: "operate")
        let (server, base) = try await startServe(folder.url)
        try #require(base.hasPrefix("http://"), "\(server.stderrSoFar)")
        func scrape() async throws -> [Sample] {
            try Self.parse(try await ServeProcessTests.get(base + "/metrics", token: token).text)
        }
        let before = try await scrape()
        #expect(Self.total(before, "max_connector_retries_total") == 0)

        // The syncs run while /metrics is scraped.
        let http = ConnectorHTTPClient(timeout: .seconds(120))
        var scrapes: [[Sample]] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in ["acme", "dead"] {
                group.addTask {
                    _ = try await http.send(
                        .init(
                            .post, base + "/v1/installations/\(name)/sync",
                            headers: [("Authorization", "Bearer \(token)")]))
                }
            }
            for _ in 0..<3 { scrapes.append(try await scrape()) }
            try await group.waitForAll()
        }
        let after = try await scrape()
        server.send(SIGTERM)
        _ = try await server.outcome()

        // Counters only grow, scrape after scrape; retries and a breaker trip happened.
        for name in ["max_connector_retries_total", "max_connector_breaker_trips_total", "max_source_retries_total"] {
            let values = ([before] + scrapes + [after]).map { Self.total($0, name) }
            #expect(values == values.sorted(), "\(name) never goes down: \(values)")
        }
        #expect(Self.total(after, "max_source_retries_total", ["installation": "acme"]) > 0, "the 5xx were retried")
        #expect(Self.total(after, "max_connector_retries_total", ["connector": "acme"]) > 0)
        #expect(
            Self.total(after, "max_connector_breaker_trips_total", ["connector": "acme"]) >= 1, "dead's breaker opened")
        #expect(
            after.contains { $0.name == "max_circuit_breaker_state" && $0.labels["installation"] == "dead" },
            "the breaker's state is a gauge per installation and host")
        #expect(Self.total(after, "max_connector_calls_total", ["connector": "acme", "outcome": "ok"]) == 1)
        #expect(Self.total(after, "max_connector_calls_total", ["connector": "acme", "outcome": "error"]) == 1)
        #expect(Self.total(after, "max_connector_call_duration_seconds_count", ["kind": "sync"]) == 2)
    }
}
