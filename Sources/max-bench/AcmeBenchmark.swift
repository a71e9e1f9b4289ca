import AcmeAPI
import ArgumentParser
import Foundation
import MaxConnector
import MaxCore
import Synchronization

/// `max-bench acme`: how fast Acme seeds, and how many paginated list requests it serves a second.
struct AcmeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acme",
        abstract: "Seed an Acme server with N tasks, then measure paginated task-list requests per second.",
        discussion: """
            Runs the server in this process on a free loopback port and drives it over real HTTP with
            the connector HTTP client, so client and server share the machine's cores.
            """
    )

    @Option(help: "Projects in the seeded workspace.") var projects = 100
    @Option(help: "Tasks per project (projects × tasks = the total).") var tasksPerProject = 10_000
    @Option(help: "A SQLite file for the server's data (default: in memory).") var data: String?
    @Option(help: "Items per list request.") var pageSize = 100
    @Option(help: "Concurrent clients.") var concurrency = 4
    @Option(help: "Seconds to run the list load.") var seconds = 10

    func validate() throws {
        guard projects > 0, tasksPerProject >= pageSize, pageSize > 0, concurrency > 0, seconds > 0 else {
            throw ValidationError("counts must be positive and --tasks-per-project at least --page-size")
        }
    }

    func run() async throws {
        var options = AcmeOptions()
        options.port = 0
        options.dataPath = data
        options.seeding = .init(
            workspaces: 1, usersPerWorkspace: 20, projectsPerWorkspace: projects, tasksPerProject: tasksPerProject,
            filesPerProject: 5)
        if let data, FileManager.default.fileExists(atPath: data) {
            throw ValidationError("\(data) exists; give a new file so seeding is measured")
        }
        let total = projects * tasksPerProject
        print("max-bench acme: \(total) tasks (\(projects) projects × \(tasksPerProject)), data \(data ?? "in memory")")
        let started = ContinuousClock.now
        let concurrency = concurrency
        let pageSize = pageSize
        let duration = Duration.seconds(seconds)
        try await AcmeServer.withRunning(options) { ready in
            let seeded = Measurements.seconds(since: started)
            print(
                "seeded and listening in \(String(format: "%.1f", seeded)) s (\(Measurements.rate(total, seeded)) tasks)"
            )
            let http = ConnectorHTTPClient.shared
            let auth = [("Authorization", "Bearer \(ready.apiKey)")]
            let projectsResponse = try await http.send(.init(.get, ready.url + "/api/projects", headers: auth))
            let projectIDs =
                try JSONValue(parsing: String(decoding: projectsResponse.body, as: UTF8.self)).arrayValue?
                .compactMap { $0["id"]?.stringValue } ?? []

            let tally = Tally()
            let deadline = ContinuousClock.now + duration
            let loadStarted = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<concurrency {
                    group.addTask {
                        var index = worker
                        var after: String?
                        var local: [Double] = []
                        while ContinuousClock.now < deadline {
                            let project = projectIDs[index % max(projectIDs.count, 1)]
                            var url = ready.url + "/api/tasks?projectId=\(project)&limit=\(pageSize)"
                            if let after { url += "&after=\(after)" }
                            let requestStarted = ContinuousClock.now
                            let response = try await http.send(.init(.get, url, headers: auth))
                            local.append(Measurements.seconds(since: requestStarted))
                            guard response.status == 200 else {
                                tally.failures.withLock { $0 += 1 }
                                continue
                            }
                            // Walk the project's pages, then move to another project.
                            let page =
                                try JSONValue(parsing: String(decoding: response.body, as: UTF8.self)).arrayValue ?? []
                            after = page.count == pageSize ? page.last?["id"]?.stringValue : nil
                            if after == nil { index += concurrency }
                        }
                        let finished = local
                        tally.latencies.withLock { $0 += finished }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = Measurements.seconds(since: loadStarted)
            let all = tally.latencies.withLock { $0 }
            print("list requests (\(pageSize) tasks each, \(concurrency) concurrent clients, \(Int(elapsed)) s):")
            print("| requests | rate | p50 | p95 | p99 | failures |")
            print("|---:|---:|---:|---:|---:|---:|")
            print(
                "| \(all.count) | \(Measurements.rate(all.count, elapsed)) | \(Measurements.milliseconds(Measurements.percentile(all, 0.5))) | \(Measurements.milliseconds(Measurements.percentile(all, 0.95))) | \(Measurements.milliseconds(Measurements.percentile(all, 0.99))) | \(tally.failures.withLock { $0 }) |"
            )
            print(
                "peak resident memory (server and client): \(Measurements.megabytes(Measurements.peakResidentBytes()))")
        }
    }
}

/// What the load workers measured.
private final class Tally: Sendable {
    let latencies = Mutex<[Double]>([])
    let failures = Mutex(0)
}
