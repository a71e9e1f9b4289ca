import ArgumentParser
import Dispatch
import Foundation
import MaxCore
import SourceSimulators

/// `max-bench declarative`: full syncs through manifests beside the Swift Acme connector.
struct DeclarativeBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "declarative",
        abstract:
            "Time full syncs of the bundled manifests: acme-declarative beside acme, and github and linear against their simulators.",
        discussion: """
            Starts acme-server seeded with --projects × --tasks-per-project tasks and times `max sync` of
            the Swift acme connector and of the acme-declarative manifest on it, each into a fresh
            project (wall, entities/s, CPU, peak RSS). Then runs the GitHub simulator with --repositories ×
            --issues-per-repository issues (and a fifth as many comments) and the Linear simulator with
            --linear-issues issues in this process, and times `max sync github` and `max sync linear`
            against them. The simulators answer from memory, in this process, sharing the machine
            with max. Their installations get "rateLimit": {"rate": 10000, "burst": 1000} in max.json,
            so the figure is the engine's and not the manifests' declared rates (GitHub 10, Linear 20
            requests a second); they still send one request at a time. Build first:
            swift build -c release
            """)

    @Option(help: "Acme projects.") var projects = 100
    @Option(help: "Acme tasks per project.") var tasksPerProject = 1000
    @Option(help: "GitHub repositories.") var repositories = 20
    @Option(help: "GitHub issues per repository.") var issuesPerRepository = 5000
    @Option(help: "Linear issues.") var linearIssues = 100_000
    @Option(help: "Syncs of each to time.") var runs = 3

    func validate() throws {
        guard projects > 0, tasksPerProject > 0, repositories > 0, issuesPerRepository > 0, linearIssues > 0,
            (1...10).contains(runs)
        else { throw ValidationError("sizes must be positive and --runs from 1 to 10") }
    }

    func run() async throws {
        let binaries = try Binaries.locate()
        let server = try ChildProcess(
            binaries.acmeServer,
            ["--port", "0", "--projects-per-workspace", "\(projects)", "--tasks-per-project", "\(tasksPerProject)"])
        defer { server.terminate() }
        let ready = try await SyncBenchmark.readyLine(of: server)
        let url = try ready["url"]?.stringValue ?? { throw ValidationError("acme-server said no url") }()
        let apiKey = try ready["apiKey"]?.stringValue ?? { throw ValidationError("acme-server said no apiKey") }()
        print("max-bench declarative: \(runs) full syncs each, into fresh projects")
        print("connector | source | entities | wall | entities/s | CPU (user + sys) | peak RSS")
        for connector in ["acme", "acme-declarative"] {
            for _ in 1...runs {
                try await Self.time(
                    binaries, connector: connector, source: "acme-server, \(projects * tasksPerProject) tasks",
                    connect: ["--config", "baseURL=\(url)", "--credential", "api_token=env:TOKEN"], secret: apiKey)
            }
        }
        var github = GitHubSimulator.Options()
        github.repositories = repositories
        github.issuesPerRepository = issuesPerRepository
        github.pullRequestsPerRepository = issuesPerRepository / 10
        github.commentsPerRepository = issuesPerRepository / 5
        let githubSimulator = GitHubSimulator(github)
        let (owner, token) = (github.owner, github.token)
        try await SimulatorServer.withRunning(githubSimulator) { simulatorURL in
            for _ in 1...runs {
                try await Self.time(
                    binaries, connector: "github",
                    source: "GitHub simulator, \(repositories * issuesPerRepository) issues",
                    connect: [
                        "--config", "apiURL=\(simulatorURL)", "--config", "owner=\(owner)", "--credential",
                        "token=env:TOKEN",
                    ], secret: token, unthrottled: true)
            }
        }
        var linear = LinearSimulator.Options()
        linear.issues = linearIssues
        linear.comments = linearIssues / 5
        let linearSimulator = LinearSimulator(linear)
        let key = linear.apiKey
        try await SimulatorServer.withRunning(linearSimulator) { simulatorURL in
            for _ in 1...runs {
                try await Self.time(
                    binaries, connector: "linear", source: "Linear simulator, \(linearIssues) issues",
                    connect: ["--config", "apiURL=\(simulatorURL)/graphql", "--credential", "api_key=env:TOKEN"],
                    secret: key, unthrottled: true)
            }
        }
    }

    /// Connects `connector` in a fresh project and times its full sync.
    static func time(
        _ binaries: Binaries, connector: String, source: String, connect: [String], secret: String,
        unthrottled: Bool = false
    ) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "max-bench-manifest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for arguments in [["init", folder.path], ["-C", folder.path, "connect", connector] + connect] {
            let outcome = try await offThread {
                try ChildProcess.run(binaries.max, arguments, environment: ["TOKEN": secret])
            }
            guard outcome.status == 0 else {
                throw ValidationError(
                    "max \(arguments.joined(separator: " ")) failed (\(outcome.status)): \(outcome.stderr)")
            }
        }
        if unthrottled {
            // Far above what a sync sends: the figure is the engine's, not the declared rate's.
            try SyncBenchmark.setInstallationKey(
                "rateLimit", to: ["rate": 10000, "burst": 1000], of: connector, in: folder.path)
        }
        let sync = try await offThread {
            try ChildProcess.run(binaries.max, ["-C", folder.path, "sync", connector, "--progress", "none"])
        }
        guard sync.status == 0 else { throw ValidationError("max sync \(connector) failed: \(sync.stderr)") }
        let entities = SyncBenchmark.entitiesWritten(sync.stdout) ?? 0
        print(
            String(
                format: "%@ | %@ | %d | %.2f s | %.0f | %.2f + %.2f s | %@", connector, source, entities, sync.wall,
                Double(entities) / sync.wall, sync.user, sync.system, Measurements.megabytes(sync.peakResidentBytes)))
    }

    /// Runs a blocking child process off the cooperative pool, which the simulators' server shares.
    static func offThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
        }
    }
}
