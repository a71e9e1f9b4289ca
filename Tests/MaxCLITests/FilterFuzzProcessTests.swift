import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// Random and adversarial filters through the real `max` process: every one exits 0 or 2 (a clear
/// error on stderr), never a signal and never 1.
struct FilterFuzzProcessTests {
    static let taskFields = [
        "title", "description", "status", "priority", "assignee", "project", "createdBy", "lastModifiedBy", "tags",
        "dueDate", "completedAt", "createdAt", "updatedAt",
    ]

    @Test func everyFilterExitsZeroOrTwo() async throws {
        let fixture = try await BadInputTests.Fixture()
        var fuzzer = FilterFuzzer(fields: Self.taskFields, seed: 20_261_124)
        var exits: [Int32: Int] = [:]
        var run = 0
        while run < 300 {
            let expression = fuzzer.next()
            // What a shell can pass at all: no NUL byte, and one argument below Linux's 128 KiB.
            guard !expression.contains("\u{0}"), expression.utf8.count < 120_000 else { continue }
            run += 1
            // `--filter=…` passes a filter that starts with '-' as a value, not as an option.
            let command =
                run % 2 == 0
                ? ["count", "acme", "AcmeTask", "--filter=\(expression)"]
                : ["search", "acme", "AcmeTask", "--filter=\(expression)", "--limit", "3", "-o", "ndjson"]
            let outcome = try await runMax(["-C", fixture.directory.path] + command)
            exits[outcome.status, default: 0] += 1
            #expect(
                outcome.status == 0 || outcome.status == 2,
                "exit \(outcome.status) for \(String(expression.prefix(200)).debugDescription): \(outcome.stderr.prefix(500))"
            )
            if outcome.status == 2 {
                // A filter error, or argument-parser's usage error for an empty `--filter=`.
                let explained = outcome.stderr.contains("error[search.") || outcome.stderr.hasPrefix("Error: ")
                #expect(explained, "\(outcome.stderr.prefix(300))")
            }
        }
        #expect(exits[0, default: 0] >= 5, "some fuzzed filters are valid and answered: \(exits)")
    }
}
