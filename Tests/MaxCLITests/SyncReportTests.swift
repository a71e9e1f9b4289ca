import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// What `max sync` says: a partial sync is not reported as done, and `--progress ndjson` always
/// ends with an event that says how the sync ended.
struct SyncReportTests {
    /// The JSON events among the lines of stderr.
    static func events(_ stderr: String) -> [JSONValue] {
        stderr.split(separator: "\n").compactMap { line in
            guard let json = try? JSONValue(parsing: String(line)), json["event"] != nil else { return nil }
            return json
        }
    }

    @Test func aCompleteSyncEndsWithAFinishedEvent() async throws {
        let fixture = try await BadInputTests.Fixture()
        let outcome = try await runMax([
            "-C", fixture.directory.path, "sync", "acme", "--full", "--progress", "ndjson",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.hasPrefix("Synced acme in "))
        let last = try #require(Self.events(outcome.stderr).last)
        #expect(last["event"] == "finished")
        #expect(last["status"] == "completed")
        #expect((last["entities"]?.intValue ?? 0) > 0)
        #expect(last["tasksFailed"] == 0)
    }

    @Test func aSyncWithFailedTasksSaysItIsIncomplete() async throws {
        // With one worker the sync asks for the workspace (start), the change log's position,
        // then one task's page after another: the first two must be served, the third fail.
        let chosen = acmeSeed(failRate: 0.5, requests: 1...3) { $0 == 3 }
        let seed = try #require(chosen)
        let healthy = try AcmeProcess(arguments: ["--seed", "\(seed)"])
        let failing = try AcmeProcess(arguments: ["--seed", "\(seed)", "--fail-rate", "0.5"])
        try #require(healthy.apiKey == failing.apiKey, "the same seed makes the same key")
        let folder = try await ResilienceProcessTests.connectedProject(healthy)
        // Point the installation at the failing server, and turn its retries off, so the injected
        // failure ends the task.
        try setInstallationKeys(in: folder.url, baseURL: failing.url, ["retry": ["maxAttempts": 1]])

        // One worker, so the requests reach the server in a known order.
        let outcome = try await runMax([
            "-C", folder.url.path, "sync", "acme", "--concurrency", "1", "--progress", "ndjson",
        ])
        #expect(outcome.status == 3, "\(outcome.output)")
        #expect(!outcome.stdout.contains("Synced"), "\(outcome.stdout)")
        #expect(outcome.stdout.hasPrefix("Sync of acme incomplete after "), "\(outcome.stdout)")
        #expect(outcome.stderr.contains(#"run "max sync acme --resume" to retry the failed tasks"#))
        let last = try #require(Self.events(outcome.stderr).last)
        #expect(last["event"] == "finished")
        #expect(last["status"] == "partial")
        #expect((last["tasksFailed"]?.intValue ?? 0) > 0)
        #expect(!outcome.output.contains(healthy.apiKey))
        // The history says why, as for a failed run.
        let runs = try JSONValue(
            parsing: try await runMax(["-C", folder.url.path, "runs", "acme", "-o", "json"]).stdout)
        let error = runs.arrayValue?.first?["error"]?.stringValue ?? ""
        #expect(error.hasPrefix("1 task failed; first: http."), "\(runs)")
    }

    @Test func aSyncThatCannotStartEndsWithAFailedEvent() async throws {
        let fixture = try await BadInputTests.Fixture()
        let file = fixture.directory.appendingPathComponent("max.json")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: fixture.acme.url, with: "http://127.0.0.1:9")
        try Data(text.utf8).write(to: file)
        let outcome = try await runMax(["-C", fixture.directory.path, "sync", "acme", "--progress", "ndjson"])
        #expect(outcome.status == 1)
        let last = try #require(Self.events(outcome.stderr).last)
        #expect(last["event"] == "failed")
        #expect(last["code"] == "http.unreachable")
    }
}
