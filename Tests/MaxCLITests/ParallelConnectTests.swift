import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// `max.json` under parallel writers: every read-modify-write holds the project's lock, a new
/// installation's name is held while it is connected, and a folder left with no entry says how to
/// clear it.
struct ParallelConnectTests {
    static func installations(_ folder: TemporaryDirectory) throws -> [String] {
        let file = try JSONValue(parsing: String(contentsOf: folder.file("max.json"), encoding: .utf8))
        return (file["installations"]?.objectValue ?? [:]).keys.sorted()
    }

    static func folders(_ folder: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.file(".max/installations").path).sorted()
    }

    /// Six connects at once, named and by default, three rounds: all six are in `max.json`, each
    /// with its own folder.
    @Test(arguments: [true, false])
    func parallelConnectsAllLand(named: Bool) async throws {
        let repo = try GitConnectorTests.repository()
        for _ in 1...3 {
            let folder = try TemporaryDirectory(prefix: "parallel")
            _ = try await runMax(["init", folder.url.path])
            let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
                for index in 1...6 {
                    group.addTask {
                        try await runMax(
                            ["-C", folder.url.path, "connect", "git", "--config", "path=\(repo.url.path)"]
                                + (named ? ["--name", "repo-\(index)"] : []))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for outcome in outcomes { #expect(outcome.status == 0, "\(outcome.stderr)") }
            let expected =
                named ? (1...6).map { "repo-\($0)" } : ["git"] + (2...6).map { "git-\($0)" }
            #expect(try Self.installations(folder) == expected.sorted())
            #expect(try Self.folders(folder) == expected.sorted())
        }
    }

    @Test func aLeftoverFolderSaysHowToClearIt() async throws {
        let folder = try TemporaryDirectory(prefix: "leftover")
        _ = try await runMax(["init", folder.url.path])
        let connect = ["-C", folder.url.path, "connect", "notes", "--name", "notes", "--credential", "api_key=env:KEY"]
        try FileManager.default.createDirectory(
            at: folder.file(".max/installations/notes"), withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: folder.file(".max/installations/notes/credentials.json"))
        // What a connect killed after storing credentials leaves: a folder and no entry.
        var file =
            try JSONValue(parsing: String(contentsOf: folder.file("max.json"), encoding: .utf8)).objectValue ?? [:]
        file["connectors"] = ["notes": .string("file:" + SubprocessConnectorTests.notes.path)]
        try JSONValue.object(file).prettyJSONText.write(to: folder.file("max.json"), atomically: true, encoding: .utf8)

        let refused = try await runMax(connect, environment: ["KEY": "nk_test"])
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.stderr.contains("error[installation.leftover]"), "\(refused.stderr)")
        #expect(refused.stderr.contains(#"max disconnect notes --yes"#), "\(refused.stderr)")
        let listed = try await runMax(["-C", folder.url.path, "ls"])
        #expect(listed.stderr.contains(#"max disconnect notes --yes"#), "\(listed.stderr)")

        let cleared = try await runMax(["-C", folder.url.path, "disconnect", "notes", "--yes"])
        #expect(cleared.status == 0, "\(cleared.output)")
        #expect(cleared.stdout.contains("Removed the leftover folder of notes"), "\(cleared.stdout)")
        let connected = try await runMax(connect, environment: ["KEY": "nk_test"])
        #expect(connected.status == 0, "\(connected.output)")
        #expect(try Self.installations(folder) == ["notes"])
    }
}
