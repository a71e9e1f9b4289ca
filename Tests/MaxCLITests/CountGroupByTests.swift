import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// `max count --group-by` through the `max` executable against a synced Acme: each group's count
/// is what a filter on its values counts, refs are followed, and a wrong field is bad input.
struct CountGroupByTests {
    @Test func groupsEqualTheFiltersCountsAndFollowRefs() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        let synced = try await runMax(["-C", path, "sync", "acme"])
        try #require(synced.status == 0, "\(synced.output)")

        let total = try await runMax(["-C", path, "count", "acme", "AcmeTask"])
        let grouped = try await runMax(["-C", path, "count", "acme", "AcmeTask", "--group-by", "status", "-o", "json"])
        #expect(grouped.status == 0, "\(grouped.output)")
        let answer = try JSONValue(parsing: grouped.stdout)
        let groups = try #require(answer["groups"]?.arrayValue)
        #expect(groups.count >= 2, "\(grouped.stdout)")
        #expect(answer["count"]?.intValue == Int(total.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        for group in groups {
            let status = try #require(group["values"]?["status"]?.stringValue)
            let filtered = try await runMax([
                "-C", path, "count", "acme", "AcmeTask", "--filter", "status = \"\(status)\"",
            ])
            #expect(
                Int(filtered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) == group["count"]?.intValue,
                "\(status)")
        }
        let counts = groups.compactMap { $0["count"]?.intValue }
        #expect(counts == counts.sorted(by: >), "most first")

        // Through a ref, as a table; a filter applies first.
        let byAssignee = try await runMax(
            [
                "-C", path, "count", "acme", "AcmeTask", "--group-by", "assignee.displayName", "--filter",
                "priority IS NOT NULL",
            ],
            environment: ["COLUMNS": "200"])
        #expect(byAssignee.status == 0, "\(byAssignee.output)")
        let lines = byAssignee.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("assignee.displayName") == true && lines.first?.hasSuffix("count") == true)
        let summed = lines.dropFirst().compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        let filtered = try await runMax(["-C", path, "count", "acme", "AcmeTask", "--filter", "priority IS NOT NULL"])
        #expect(summed == Int(filtered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(byAssignee.stdout)")

        let unknown = try await runMax(["-C", path, "count", "acme", "AcmeTask", "--group-by", "stauts"])
        #expect(unknown.status == 2 && unknown.stderr.contains("error[search.unknown_field]"), "\(unknown.output)")
        let empty = try await runMax(["-C", path, "count", "acme", "AcmeTask", "--group-by", "status,"])
        #expect(empty.status == 2 && empty.stderr.contains("error[search.invalid_group_by]"), "\(empty.output)")
    }
}
