import AcmeConnector
import ArgumentParser
import Foundation
import MaxConnector
import MaxCore

/// `max-bench sync`: `max sync` as a separate process against `acme-server` as another, next to the
/// fetch floor (the same list requests from a client that discards the bodies).
struct SyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Time `max sync` from a local acme-server against the fetch floor, and an incremental sync.",
        discussion: """
            Starts acme-server (seeded to the given size) and, for each run: makes the same list
            requests Max makes, discarding the bodies (the fetch floor); then times `max sync` in a
            fresh project (wall, CPU, peak RSS, and the server's CPU meanwhile). Finally it changes
            --changes tasks through the API and times the incremental sync that reads them.
            With --provider subprocess the installation runs Acme out of process (`max connector
            host acme`, the connector protocol over pipes), as `"provider": "subprocess"` does.
            Build first: swift build -c release
            """
    )

    @Option(help: "Projects in the workspace.") var projects = 100
    @Option(help: "Tasks per project.") var tasksPerProject = 1000
    @Option(help: "Files per project.") var filesPerProject = 5
    @Option(help: "Users in the workspace.") var users = 20
    @Option(help: "Full syncs to time, each into a fresh project.") var runs = 3
    @Option(help: "Tasks to change before the incremental sync (0 for none).") var changes = 1000
    @Option(help: "Keep the last project in this new folder (for max-bench query).") var keep: String?
    @Option(help: "Where the connector runs: in-process or subprocess.") var provider = "in-process"

    func validate() throws {
        guard projects > 0, tasksPerProject > 0, filesPerProject >= 0, users > 0, (1...20).contains(runs),
            changes >= 0
        else { throw ValidationError("sizes must be positive and --runs between 1 and 20") }
        guard ["in-process", "subprocess"].contains(provider) else {
            throw ValidationError("--provider must be in-process or subprocess, not \(provider)")
        }
        if let keep, FileManager.default.fileExists(atPath: keep) {
            throw ValidationError("\(keep) exists; --keep wants a new folder")
        }
    }

    func run() async throws {
        let binaries = try Binaries.locate()
        let server = try ChildProcess(
            binaries.acmeServer,
            [
                "--port", "0", "--projects-per-workspace", "\(projects)", "--tasks-per-project", "\(tasksPerProject)",
                "--files-per-project", "\(filesPerProject)", "--users-per-workspace", "\(users)",
            ])
        defer { server.terminate() }
        let ready = try await Self.readyLine(of: server)
        let url = try ready["url"]?.stringValue ?? { throw ValidationError("acme-server said no url") }()
        let apiKey = try ready["apiKey"]?.stringValue ?? { throw ValidationError("acme-server said no apiKey") }()
        let tasks = projects * tasksPerProject
        print(
            "max-bench sync: \(tasks) tasks (\(projects) projects × \(tasksPerProject)), \(filesPerProject) files per project, \(users) users; page size \(AcmeLoaders.pageSize); connector \(provider)"
        )
        print(
            "run | fetch floor | max sync | ratio | entities/s | max CPU (user + sys) | peak RSS | server CPU | store")
        var project: String?
        for run in 1...runs {
            let floor = try await FetchFloor(baseURL: url, apiKey: apiKey, pageSize: AcmeLoaders.pageSize).run()
            if let project { try? FileManager.default.removeItem(atPath: project) }
            let folder = try Self.connectedProject(binaries, url: url, apiKey: apiKey)
            if provider != "in-process" {
                try Self.setInstallationKey("provider", to: .string(provider), of: "acme", in: folder)
            }
            project = folder
            let serverBefore = server.cpuSecondsSoFar ?? 0
            let sync = try ChildProcess.run(binaries.max, ["-C", folder, "sync", "acme", "--progress", "none"])
            let serverCPU = (server.cpuSecondsSoFar ?? 0) - serverBefore
            guard sync.status == 0 else { throw ValidationError("max sync failed (\(sync.status)): \(sync.stderr)") }
            let stored = try Self.count(binaries, in: folder)
            guard stored == tasks else { throw ValidationError("max stored \(stored) tasks, not \(tasks)") }
            let entities = Self.entitiesWritten(sync.stdout) ?? tasks
            print(
                String(
                    format: "%d | %.2f s (%d requests) | %.2f s | %.2f× | %.0f | %.2f + %.2f s | %@ | %.2f s | %@", run,
                    floor.wall, floor.requests, sync.wall, sync.wall / floor.wall, Double(entities) / sync.wall,
                    sync.user, sync.system, Measurements.megabytes(sync.peakResidentBytes), serverCPU,
                    Measurements.megabytes(Self.storeBytes(in: folder))))
        }
        guard let project else { return }
        if changes > 0 {
            let changed = try await Self.changeTasks(changes, baseURL: url, apiKey: apiKey)
            let sync = try ChildProcess.run(binaries.max, ["-C", project, "sync", "acme", "--progress", "none"])
            guard sync.status == 0 else { throw ValidationError("max sync failed (\(sync.status)): \(sync.stderr)") }
            print(
                String(
                    format: "incremental: %d tasks changed; max sync %.2f s, CPU %.2f + %.2f s, peak RSS %@: %@",
                    changed, sync.wall, sync.user, sync.system, Measurements.megabytes(sync.peakResidentBytes),
                    sync.stdout.split(separator: "\n").first.map(String.init) ?? ""))
        }
        if let keep {
            try FileManager.default.moveItem(atPath: project, toPath: keep)
            print("kept the project in \(keep) (its acme-server is gone: queries only)")
        } else {
            try? FileManager.default.removeItem(atPath: project)
        }
    }

    /// The bytes of the installation's store: `data.db` and its write-ahead log.
    static func storeBytes(in project: String) -> Int {
        let data = URL(fileURLWithPath: project).appendingPathComponent(".max/installations/acme/data.db").path
        return [data, data + "-wal"].reduce(0) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
    }

    /// Waits for acme-server's ready line (seeding a million tasks takes a while).
    static func readyLine(of server: ChildProcess) async throws -> JSONValue {
        for _ in 0..<6000 {
            let output = server.stdoutSoFar
            if let line = output.split(separator: "\n").first, output.contains("\n") {
                return try JSONValue(parsing: String(line))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("acme-server did not get ready in 10 minutes")
    }

    /// A new project folder with acme connected to `url`.
    static func connectedProject(_ binaries: Binaries, url: String, apiKey: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "max-bench-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for arguments in [
            ["init", folder.path],
            [
                "-C", folder.path, "connect", "acme", "--config", "baseURL=\(url)", "--credential",
                "api_token=env:MAX_BENCH_ACME_TOKEN",
            ],
        ] {
            let outcome = try ChildProcess.run(
                binaries.max, arguments, environment: ["MAX_BENCH_ACME_TOKEN": apiKey])
            guard outcome.status == 0 else {
                throw ValidationError(
                    "max \(arguments.joined(separator: " ")) failed (\(outcome.status)): \(outcome.stderr)")
            }
        }
        return folder.path
    }

    /// Sets `key` of installation `name` in the project's max.json (its `provider`, its `rateLimit`).
    static func setInstallationKey(_ key: String, to value: JSONValue, of name: String, in project: String) throws {
        let file = URL(fileURLWithPath: project).appendingPathComponent("max.json")
        var root = try JSONValue(parsing: String(decoding: try Data(contentsOf: file), as: UTF8.self))
        guard case .object(var top) = root, case .object(var installations)? = top["installations"],
            case .object(var record)? = installations[name]
        else { throw ValidationError("\(file.path) has no \(name) installation") }
        record[key] = value
        installations[name] = .object(record)
        top["installations"] = .object(installations)
        root = .object(top)
        try Data(root.jsonText.utf8).write(to: file)
    }

    static func count(_ binaries: Binaries, in project: String) throws -> Int {
        let outcome = try ChildProcess.run(binaries.max, ["-C", project, "count", "acme", "AcmeTask"])
        return Int(outcome.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// The entity count in `max sync`'s summary line ("…: 100,622 entities (…").
    static func entitiesWritten(_ stderr: String) -> Int? {
        guard let range = stderr.range(of: #"[0-9,]+ entities"#, options: .regularExpression) else { return nil }
        return Int(stderr[range].split(separator: " ")[0].replacingOccurrences(of: ",", with: ""))
    }

    /// Retitles `count` tasks through the API (eight requests at a time); returns how many changed.
    static func changeTasks(_ count: Int, baseURL: String, apiKey: String) async throws -> Int {
        let http = {
            var http = ConnectorHTTPClient.shared
            http.retryPolicy = .none
            return http
        }()
        let headers = [("Authorization", "Bearer \(apiKey)")]
        let projects = try await http.send(.init(.get, baseURL + "/api/projects", headers: headers)).requireSuccess()
        var targets: [(id: String, user: String)] = []
        for project in try JSONValue(parsing: String(decoding: projects.body, as: UTF8.self)).arrayValue ?? [] {
            guard targets.count < count, let id = project["id"]?.stringValue else { break }
            let url = baseURL + "/api/tasks?projectId=\(id)&limit=\(min(10_000, count - targets.count))"
            let page = try await http.send(.init(.get, url, headers: headers)).requireSuccess()
            for task in try JSONValue(parsing: String(decoding: page.body, as: UTF8.self)).arrayValue ?? [] {
                if let id = task["id"]?.stringValue, let user = task["createdById"]?.stringValue {
                    targets.append((id, user))
                }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, target) in targets.enumerated() {
                if index >= 8 { try await group.next() }
                group.addTask {
                    let body = JSONValue.object([
                        "title": .string("Changed by max-bench \(index)"), "lastModifiedById": .string(target.user),
                    ])
                    _ = try await http.send(
                        .init(
                            .patch, baseURL + "/api/tasks/\(target.id)",
                            headers: headers + [("Content-Type", "application/json")], body: Data(body.jsonText.utf8))
                    ).requireSuccess()
                }
            }
            try await group.waitForAll()
        }
        return targets.count
    }
}

/// The `max` and `acme-server` executables next to this one.
struct Binaries {
    let max: String
    let acmeServer: String

    static func locate() throws -> Binaries {
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent()
        let binaries = Binaries(
            max: folder.appendingPathComponent("max").path,
            acmeServer: folder.appendingPathComponent("acme-server").path)
        for path in [binaries.max, binaries.acmeServer] where !FileManager.default.isExecutableFile(atPath: path) {
            throw ValidationError(
                "\(path) is missing; build it first: swift build -c release")
        }
        return binaries
    }
}
