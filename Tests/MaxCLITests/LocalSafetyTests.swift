import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// Hostile names and links never lead `max` outside the project; what it keeps is private; a
/// first sync may race another; one broken installation does not hide the others.
struct LocalSafetyTests {
    /// A folder holding a project and, beside it, a victim folder that must never be touched.
    struct Scene {
        let root: TemporaryDirectory
        var project: URL { root.url.appendingPathComponent("proj", isDirectory: true) }
        var victim: URL { root.url.appendingPathComponent("victim", isDirectory: true) }

        init() async throws {
            root = try TemporaryDirectory(prefix: "traversal")
            try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
            try Data("precious\n".utf8).write(to: victim.appendingPathComponent("precious.txt"))
            try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
            let initialised = try await runMax(["init", project.path])
            precondition(initialised.status == 0, initialised.stderr)
        }

        func install(named name: String) throws {
            let key = JSONValue.string(name).jsonText
            let text = """
                {"installations": {\(key): {"connector": "acme@1.0.0", "connectedAt": "2026-11-24T07:22:09.355Z",
                  "id": "cfcd0df9-60e7-40ea-89ba-1a30015d21b9",
                  "config": {"baseURL": "http://127.0.0.1:1", "workspaceId": "ws_x"}}}}
                """
            try Data(text.utf8).write(to: project.appendingPathComponent("max.json"))
        }

        func victimIsUntouched() throws -> Bool {
            let names = try FileManager.default.contentsOfDirectory(atPath: victim.path)
            let text = try String(contentsOf: victim.appendingPathComponent("precious.txt"), encoding: .utf8)
            return names == ["precious.txt"] && text == "precious\n"
        }

        static func commands(for name: String) -> [[String]] {
            [
                ["count", name, "AcmeTask"], ["search", name, "AcmeTask", "-o", "ndjson"], ["sync", name],
                ["sync", name, "--resume"], ["disconnect", name, "--yes"],
                ["disconnect", name, "--keep-data", "--yes"],
                ["ls"], ["ls", "-o", "json"], ["status"], ["status", name], ["schema", name],
            ]
        }
    }

    @Test func hostileNamesInMaxJSONAreRefusedByEveryCommand() async throws {
        let scene = try await Scene()
        for name in ["../../../victim", scene.victim.path, "../victim", ".."] {
            try scene.install(named: name)
            let before = try Data(contentsOf: scene.project.appendingPathComponent("max.json"))
            for command in Scene.commands(for: name) {
                let outcome = try await runMax(["-C", scene.project.path] + command)
                #expect(outcome.status == 2, "\(command): \(outcome.stderr)")
                #expect(outcome.stderr.contains("error[project.invalid_config]"), "\(command): \(outcome.stderr)")
                #expect(try scene.victimIsUntouched(), "\(command) touched the folder outside the project")
            }
            #expect(try Data(contentsOf: scene.project.appendingPathComponent("max.json")) == before)
        }
        let connect = try await runMax([
            "-C", scene.project.path, "connect", "acme", "--name", "../../../victim", "--config",
            "baseURL=http://127.0.0.1:1", "--credential", "api_token=env:T",
        ])
        #expect(connect.status == 2)
        #expect(try scene.victimIsUntouched())
    }

    @Test func aLinkedInstallationFolderIsRefusedByEveryCommand() async throws {
        let scene = try await Scene()
        try scene.install(named: "x")
        let installations = scene.project.appendingPathComponent(".max/installations", isDirectory: true)
        try FileManager.default.createDirectory(at: installations, withIntermediateDirectories: true)
        let link = installations.appendingPathComponent("x")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: scene.victim)
        // `schema x` reads only the connector's declaration, nothing under .max/, so it answers.
        let touching = Scene.commands(for: "x").filter { !["status", "schema"].contains($0[0]) }
        for command in touching {
            let outcome = try await runMax(["-C", scene.project.path] + command)
            #expect(outcome.status == 2, "\(command): \(outcome.stderr)")
            #expect(outcome.stderr.contains("error[project.unsafe_path]"), "\(command): \(outcome.stderr)")
            #expect(try scene.victimIsUntouched(), "\(command) followed the link")
        }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == scene.victim.path)
        // `status` reads the credentials through the same checked path.
        let status = try await runMax(["-C", scene.project.path, "status", "-o", "json"])
        #expect(status.status == 2, "\(status.stderr)")
        #expect(status.stdout.contains("project.unsafe_path"))
        #expect(try scene.victimIsUntouched())
    }

    @Test func nothingUnderDotMaxIsReadableByOthersAndLooseSecretsAreRefused() async throws {
        let fixture = try await BadInputTests.Fixture()
        let runtime = fixture.directory.appendingPathComponent(".max")
        var checked = 0
        let enumerator = FileManager.default.enumerator(atPath: runtime.path)
        var paths = [runtime.path]
        while let relative = enumerator?.nextObject() as? String { paths.append(runtime.path + "/" + relative) }
        for path in paths {
            let mode = try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
            #expect(mode & 0o077 == 0, "\(path) has mode \(String(mode, radix: 8))")
            checked += 1
        }
        #expect(checked >= 4, "at least .max, installations, acme, data.db and credentials.json: \(paths)")

        let credentials = runtime.appendingPathComponent("installations/acme/credentials.json")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: credentials.path)
        let sync = try await runMax(["-C", fixture.directory.path, "sync", "acme"])
        #expect(sync.status == 2)
        #expect(sync.stderr.contains("error[credentials.insecure_file]"))
        #expect(sync.stderr.contains("hint: make it private to you: chmod 600 \(credentials.path)"))
        #expect(!sync.output.contains(fixture.acme.apiKey))
    }

    @Test func tenSimultaneousFirstSyncsAndReadsNeverRace() async throws {
        let acme = try AcmeProcess()
        let folder = try TemporaryDirectory(prefix: "race")
        var projects: [URL] = []
        for index in 0..<10 {
            let project = folder.url.appendingPathComponent("p\(index)", isDirectory: true)
            _ = try await runMax(["init", project.path])
            let connected = try await runMax(
                [
                    "-C", project.path, "connect", "acme", "--config", "baseURL=\(acme.url)", "--credential",
                    "api_token=env:T",
                ], environment: ["T": acme.apiKey])
            try #require(connected.status == 0, "\(connected.stderr)")
            projects.append(project)
        }
        for project in projects {
            // Two writers and a reader at once on a project that has no database yet: one writer
            // runs, the other is refused by the writer lock, and the reader sees an empty or a
            // prepared store, never a half-created one.
            async let first = runMax(["-C", project.path, "sync", "acme"])
            async let second = runMax(["-C", project.path, "sync", "acme"])
            async let reader = runMax(["-C", project.path, "count", "acme", "AcmeTask"])
            let outcomes = try await [first, second]
            #expect(outcomes.contains { $0.status == 0 }, "\(outcomes.map(\.stderr))")
            for outcome in outcomes where outcome.status != 0 {
                #expect(outcome.status == 1)
                #expect(outcome.stderr.contains("error[sync.already_running]"), "\(outcome.stderr)")
            }
            let read = try await reader
            #expect(read.status == 0, "\(read.stderr)")
            let count = try await runMax(["-C", project.path, "count", "acme", "AcmeTask"])
            #expect(count.stdout == "30\n")
        }
    }

    @Test func oneBrokenInstallationDoesNotHideTheOthers() async throws {
        let fixture = try await BadInputTests.Fixture()
        let path = fixture.directory.path
        let second = try await runMax(
            [
                "-C", path, "connect", "acme", "--name", "broken", "--config", "baseURL=\(fixture.acme.url)",
                "--credential", "api_token=env:T",
            ], environment: ["T": fixture.acme.apiKey])
        try #require(second.status == 0, "\(second.stderr)")
        _ = try await runMax(["-C", path, "sync", "broken"])
        let database = fixture.directory.appendingPathComponent(".max/installations/broken/data.db")
        try Data(repeating: 0x5A, count: 8192).write(to: database)

        let listed = try await runMax(["-C", path, "ls"])
        #expect(listed.status == 1, "\(listed.output)")
        let lines = listed.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("acme ") && $0.contains("active") }, "\(listed.stdout)")
        #expect(lines.contains { $0.hasPrefix("broken ") && $0.contains("error") }, "\(listed.stdout)")
        #expect(listed.stderr.contains("error[storage.database_error]"))

        let ndjson = try await runMax(["-C", path, "ls", "-o", "ndjson"])
        let objects = try ndjson.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
        #expect(objects.count == 2, "one object per line: \(ndjson.stdout)")
        #expect(objects.allSatisfy { $0.objectValue != nil })
        let json = try await runMax(["-C", path, "ls", "-o", "json"])
        #expect(json.status == 1)
        let rows = try #require(try JSONValue(parsing: json.stdout).arrayValue)
        #expect(rows.count == 2)
        #expect(rows.first { $0["name"] == "broken" }?["error"]?["code"] == "storage.database_error")
        #expect((rows.first { $0["name"] == "acme" }?["entities"]?.intValue ?? 0) > 0)

        // An installation of a connector this build does not know.
        try editInstallations(in: fixture.directory) { installations in
            installations["ghost"] = [
                "id": "g1", "connector": "nope@1.0.0", "connectedAt": "2026-01-01T00:00:00.000Z", "config": [:],
            ]
            installations["broken"] = nil
        }
        let status = try await runMax(["-C", path, "status"])
        #expect(status.status == 4, "\(status.output)")
        #expect(status.stdout.contains("acme") && status.stdout.contains("healthy"), "\(status.stdout)")
        #expect(status.stdout.contains("ghost") && status.stdout.contains("error"), "\(status.stdout)")
        // Below the table, whose cells may be cut, the whole reason.
        #expect(status.stdout.contains("\nghost: there is no connector named 'nope'"), "\(status.stdout)")
    }

    @Test(arguments: [
        (["sync", "acme", "--concurrency", "100000"], "--concurrency must be between 1 and 64"),
        (["sync", "acme", "--concurrency", "0"], "--concurrency must be between 1 and 64"),
        (["status", "--timeout", "0"], "--timeout must be between 1 and 300"),
        (["status", "--timeout", "99999999"], "--timeout must be between 1 and 300"),
        (["search", "acme", "AcmeTask", "--limit", "0"], "--limit must be between 1 and 100000"),
        (["search", "acme", "AcmeTask", "--limit", "100000000"], "--limit must be between 1 and 100000"),
        (["demo", "--projects", "0"], "--projects must be between 1 and 100"),
        (["demo", "--tasks-per-project", "10000000"], "--tasks-per-project must be between 1 and 10000"),
        (["ls", "-o", "csv"], "max ls cannot print -o csv; use text, json, ndjson"),
        (["status", "-o", "csv"], "max status cannot print -o csv; use text, json, ndjson"),
        (["schema", "acme", "-o", "csv"], "max schema cannot print -o csv; use text, json, ndjson"),
        (["connectors", "-o", "csv"], "max connectors cannot print -o csv; use text, json, ndjson"),
        (["runs", "acme", "--limit", "0"], "--limit must be between 1 and 1000"),
    ])
    func optionsAreBoundedAndFormatsChecked(_ arguments: [String], _ message: String) async throws {
        let folder = try TemporaryDirectory(prefix: "bounds")
        _ = try await runMax(["init", folder.url.path])
        let outcome = try await runMax(["-C", folder.url.path] + arguments)
        #expect(outcome.status == 2, "\(outcome.output)")
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
    }
}
