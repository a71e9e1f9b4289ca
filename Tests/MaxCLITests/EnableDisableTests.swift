import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// `max disable` and `max enable` through the `max` executable.
struct EnableDisableTests {
    @Test func aDisabledInstallationIsNotSyncedButAnswersQueries() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        let first = try await runMax(["-C", path, "sync", "acme"])
        try #require(first.status == 0, "\(first.output)")

        let disabled = try await runMax(["-C", path, "disable", "acme"])
        #expect(disabled.status == 0, "\(disabled.output)")
        #expect(disabled.stdout.hasPrefix("Disabled acme"), "\(disabled.stdout)")
        let config = try JSONValue(parsing: String(contentsOf: folder.file("max.json"), encoding: .utf8))
        #expect(config["installations"]?["acme"]?["disabled"] == true)
        let again = try await runMax(["-C", path, "disable", "acme"])
        #expect(again.stdout.contains("already disabled"))

        let refused = try await runMax(["-C", path, "sync", "acme"])
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.stderr.contains("error[installation.disabled]: acme is disabled"), "\(refused.stderr)")
        #expect(refused.stderr.contains("max enable acme"), "\(refused.stderr)")
        let listed = try await runMax(["-C", path, "ls", "-o", "json"])
        #expect(try JSONValue(parsing: listed.stdout).arrayValue?.first?["status"] == "disabled")
        let count = try await runMax(["-C", path, "count", "acme", "AcmeTask"])
        #expect(count.status == 0 && count.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "30")

        // A config its connector rejects keeps it disabled, with the reason.
        try editInstallations(in: folder.url) { installations in
            var record = installations["acme"]?.objectValue ?? [:]
            var settings = record["config"]?.objectValue ?? [:]
            settings["baseURL"] = .int(5)
            record["config"] = .object(settings)
            installations["acme"] = .object(record)
        }
        let rejected = try await runMax(["-C", path, "enable", "acme"])
        #expect(rejected.status == 2, "\(rejected.output)")
        #expect(rejected.stderr.contains("acme stays disabled"), "\(rejected.stderr)")
        #expect(rejected.stderr.contains("baseURL"), "\(rejected.stderr)")

        try config.jsonText.write(to: folder.file("max.json"), atomically: true, encoding: .utf8)
        let enabled = try await runMax(["-C", path, "enable", "acme"])
        #expect(enabled.status == 0 && enabled.stdout.hasPrefix("Enabled acme"), "\(enabled.output)")
        let synced = try await runMax(["-C", path, "sync", "acme"])
        #expect(synced.status == 0, "\(synced.output)")
        let audit = try await runMax(["-C", path, "audit", "acme", "-o", "ndjson", "--limit", "100"])
        let operations = audit.stdout.split(separator: "\n").compactMap {
            try? JSONValue(parsing: String($0))["operation"]?.stringValue
        }
        #expect(operations.filter { $0 == "disable" || $0 == "enable" }.count == 2, "\(operations)")
    }
}
