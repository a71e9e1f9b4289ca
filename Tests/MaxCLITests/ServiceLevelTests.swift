import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// `max status --slo`: each connector type's service levels from the audit log, against
/// `max.json`'s objectives, with the burn rate of the error budget.
struct ServiceLevelTests {
    @Test func statusSloReportsCallsErrorsLatencyAndBurnAgainstTheObjective() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "1"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let path = folder.url.path
        for _ in 0..<2 { #expect(try await runMax(["-C", path, "sync", "acme"]).status == 0) }
        let created = try await runMax([
            "-C", path, "invoke", "acme", "createTask", "--input",
            try await OperationProcessTests.taskInput(acme, title: "Measured"),
        ])
        #expect(created.status == 0, "\(created.output)")
        let missing = try await runMax([
            "-C", path, "invoke", "acme", "deleteTask", "--input", #"{"id": "tsk_00000000000000000000000000000000"}"#,
        ])
        #expect(missing.status != 0, "the source refuses: an error of the connector's")
        // A caller's mistake is not the connector's: it does not count.
        let invalid = try await runMax(["-C", path, "invoke", "acme", "createTask", "--input", "{}"])
        #expect(invalid.stderr.contains("operation.invalid_input"))

        func report(_ objective: JSONValue) async throws -> (status: Int32, level: JSONValue?) {
            try editProjectFile(in: folder.url) { $0["slo"] = ["acme": objective] }
            let outcome = try await runMax(["-C", path, "status", "--slo", "-o", "json"])
            let level = try JSONValue(parsing: outcome.stdout).arrayValue?.first { $0["connector"] == "acme" }
            return (outcome.status, level)
        }
        // 4 calls (2 syncs, 2 operation calls), 1 error: a 25 % error rate.
        let strict = try await report(["availability": 0.9, "latencyP95Seconds": 60, "window": "7d"])
        #expect(strict.level?["calls"] == 4 && strict.level?["errors"] == 1, "\(String(describing: strict.level))")
        #expect(strict.level?["errorRate"]?.doubleValue == 0.25)
        #expect(abs((strict.level?["burn"]?.doubleValue ?? 0) - 2.5) < 1e-9, "0.25 over a 10 % budget")
        #expect(strict.level?["met"] == false && strict.status == 1, "a breached objective exits 1")
        #expect((strict.level?["p95Seconds"]?.doubleValue ?? -1) >= (strict.level?["p50Seconds"]?.doubleValue ?? 0))
        let lenient = try await report(["availability": 0.5])
        #expect(lenient.level?["burn"]?.doubleValue == 0.5 && lenient.level?["met"] == true && lenient.status == 0)
        let tight = try await report(["latencyP95Seconds": 0.000001])
        #expect(tight.level?["met"] == false, "no call is that fast")

        let table = try await runMax(["-C", path, "status", "--slo"], environment: ["COLUMNS": "200"])
        #expect(table.stdout.contains("acme") && table.stdout.contains("25.00%"), "\(table.stdout)")
        try editProjectFile(in: folder.url) { $0["slo"] = ["acme": ["availability": 1.5]] }
        let malformed = try await runMax(["-C", path, "status", "--slo"])
        #expect(malformed.status == 2 && malformed.stderr.contains("slo.acme.availability must be a share"))
    }
}
