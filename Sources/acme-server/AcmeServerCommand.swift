import AcmeAPI
import ArgumentParser
import Foundation
import Logging

/// `acme-server`: runs the Acme sample SaaS.
///
/// Prints one JSON line on stdout when it is ready (`{"url":…,"apiKey":…,"tenant":…}`), then logs to stderr; stops on
/// SIGTERM or SIGINT.
@main
struct AcmeServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acme-server",
        abstract: "Run Acme, the sample project-management API that Max syncs from.",
        discussion: """
            Seeds deterministic data (the same options give the same ids and values), then serves
            the Acme HTTP API. With --port 0 a free port is chosen; the ready line on stdout says
            which:
              {"url":"http://127.0.0.1:4567","apiKey":"acme_…","tenant":"default"}
            """
    )

    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on; 0 picks a free one.") var port = 4567
    @Option(help: "A SQLite file to keep data in, or 'memory'.") var data = "memory"
    @Option(help: "The seed every generated id and value derives from.") var seed: UInt64 = 42
    @Option(help: "Workspaces to seed.") var workspaces = 1
    @Option(help: "Users per workspace (besides the system user).") var usersPerWorkspace = 5
    @Option(help: "Projects per workspace.") var projectsPerWorkspace = 3
    @Option(help: "Tasks per project.") var tasksPerProject = 10
    @Option(help: "Files per project.") var filesPerProject = 5
    @Option(help: "Answer 429 to more than this many requests a second from one key.") var rateLimit: Int?
    @Option(help: "Fail this fraction (0…1) of authenticated requests with 500 or 503.") var failRate = 0.0
    @Option(help: "Add this many milliseconds to every authenticated request.") var latencyMs = 0
    @Flag(help: "Hold every authenticated request that writes (not GET) until POST /api/holds/release.")
    var holdWrites = false
    @Option(help: "After this many authenticated reads (GET), hold every further one until POST /api/holds/release.")
    var holdReadsAfter: Int?
    @Option(help: "How long OAuth access tokens live, in seconds.") var tokenTtl = 3600
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "notice"

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard (0...1).contains(failRate) else { throw ValidationError("--fail-rate must be from 0 to 1") }
        guard rateLimit.map({ $0 > 0 }) ?? true else { throw ValidationError("--rate-limit must be positive") }
        guard latencyMs >= 0, tokenTtl > 0 else {
            throw ValidationError("--latency-ms and --token-ttl must not be negative")
        }
        let counts = [workspaces, usersPerWorkspace, projectsPerWorkspace, tasksPerProject, filesPerProject]
        guard counts.allSatisfy({ $0 >= 0 }) else { throw ValidationError("seeding counts must not be negative") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var options = AcmeOptions()
        options.host = host
        options.port = port
        options.dataPath = data == "memory" ? nil : data
        options.seed = seed
        options.seeding = .init(
            workspaces: workspaces, usersPerWorkspace: usersPerWorkspace, projectsPerWorkspace: projectsPerWorkspace,
            tasksPerProject: tasksPerProject, filesPerProject: filesPerProject)
        options.rateLimit = rateLimit
        options.failRate = failRate
        options.latencyMilliseconds = latencyMs
        options.holdWrites = holdWrites
        options.holdReadsAfter = holdReadsAfter
        options.tokenTTL = tokenTtl
        var logger = Logger(label: "acme")
        logger.logLevel = level
        try await AcmeServer(options: options, logger: logger).run(handlingSignals: true) { ready in
            FileHandle.standardOutput.write(Data((ready.readyLine + "\n").utf8))
        }
    }
}
