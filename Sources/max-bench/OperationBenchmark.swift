import AcmeAPI
import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import MaxRuntime

/// `max-bench ops`: what the operation invoker costs on top of the HTTP call it makes.
struct OperationBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract:
            "Time createTask through the invoker (plain, with a fresh idempotency key, replayed) against the bare POST.",
        discussion: """
            Runs Acme in this process on a loopback port and a Max project in a temporary folder,
            then makes N sequential calls of each kind, reporting p50, p95 and calls a second. The
            bare POST is the floor: the same request sent with the connector HTTP client alone.
            """)

    @Option(help: "Calls of each kind.") var calls = 300

    func validate() throws {
        guard calls > 0 else { throw ValidationError("--calls must be positive") }
    }

    func run() async throws {
        var options = AcmeOptions()
        options.port = 0
        let calls = calls
        try await AcmeServer.withRunning(options) { ready in
            try await BenchProject.withConnectedAcme(ready, label: "ops") { workspace in
                let http = ConnectorHTTPClient.shared
                let auth = [("Authorization", "Bearer \(ready.apiKey)"), ("Content-Type", "application/json")]
                let projects = try await http.send(.init(.get, ready.url + "/api/projects", headers: auth))
                let users = try await http.send(.init(.get, ready.url + "/api/users", headers: auth))
                let project = try JSONValue(parsing: String(decoding: projects.body, as: UTF8.self)).arrayValue?.first?[
                    "id"]
                let user = try JSONValue(parsing: String(decoding: users.body, as: UTF8.self)).arrayValue?.first?["id"]
                func input(_ index: Int) -> JSONValue {
                    ["projectId": project ?? .null, "title": .string("Bench \(index)"), "createdById": user ?? .null]
                }
                let invoker = OperationInvoker(workspace: workspace, caller: "bench")
                print("max-bench ops: \(calls) sequential calls of each kind, Acme in process")
                print("| kind | p50 | p95 | calls/s |")
                print("|---|---:|---:|---:|")
                func measure(_ label: String, _ body: (Int) async throws -> Void) async throws {
                    var latencies: [Double] = []
                    let started = ContinuousClock.now
                    for index in 0..<calls {
                        let callStarted = ContinuousClock.now
                        try await body(index)
                        latencies.append(Measurements.seconds(since: callStarted))
                    }
                    let elapsed = Measurements.seconds(since: started)
                    print(
                        "| \(label) | \(Measurements.milliseconds(Measurements.percentile(latencies, 0.5))) | \(Measurements.milliseconds(Measurements.percentile(latencies, 0.95))) | \(Measurements.rate(calls, elapsed)) |"
                    )
                }
                try await measure("bare POST /api/tasks") { index in
                    _ = try await http.send(
                        .init(.post, ready.url + "/api/tasks", headers: auth, body: Data(input(index).jsonText.utf8))
                    )
                    .requireSuccess()
                }
                try await measure("invoke createTask") { index in
                    _ = try await invoker.invoke(
                        .init(installation: "acme", operation: "createTask", input: input(index)))
                }
                try await measure("invoke createTask, fresh idempotency key") { index in
                    _ = try await invoker.invoke(
                        .init(
                            installation: "acme", operation: "createTask", input: input(index),
                            idempotencyKey: "k-\(index)"
                        ))
                }
                try await measure("invoke createTask, replayed key") { _ in
                    _ = try await invoker.invoke(
                        .init(installation: "acme", operation: "createTask", input: input(0), idempotencyKey: "k-0"))
                }
            }
        }
    }
}
