import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// Bad input gets its error code and exit code, and nothing is written.
@Suite(.serialized)
struct BadInputTests {
    /// A project connected to a running Acme, for the tests that need data.
    final class Fixture: @unchecked Sendable {
        // Unchecked: built once in init, then only read.
        let acme: AcmeProcess
        let folder: TemporaryDirectory
        var directory: URL { folder.url }

        init() async throws {
            acme = try AcmeProcess()
            folder = try TemporaryDirectory(prefix: "bad-input")
            _ = try await runMax(["init", folder.url.path])
            let connected = try await runMax(
                [
                    "-C", folder.url.path, "connect", "acme", "--config", "baseURL=\(acme.url)", "--credential",
                    "api_token=-",
                ],
                input: acme.apiKey + "\n")
            precondition(connected.status == 0, connected.stderr)
            _ = try await runMax(["-C", folder.url.path, "sync", "acme"])
        }
    }

    static func snapshot(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            if url.hasDirectoryPath || url.path.contains("data.db") { continue }
            files[url.path] = try Data(contentsOf: url)
        }
        return files
    }

    @Test func aMalformedProjectFileIsReportedAndNeverOverwritten() async throws {
        let folder = try TemporaryDirectory(prefix: "malformed")
        _ = try await runMax(["init", folder.url.path])
        let file = folder.url.appendingPathComponent("max.json")
        let broken = Data(#"{"installations": {"acme": {"id": 1,}}"#.utf8)
        try broken.write(to: file)
        let outcome = try await runMax(
            [
                "-C", folder.url.path, "connect", "acme", "--config", "baseURL=http://127.0.0.1:9", "--credential",
                "api_token=env:X",
            ],
            environment: ["X": "acme_x"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("error[project.invalid_config]"))
        #expect(outcome.stderr.contains(file.path))
        #expect(try Data(contentsOf: file) == broken)
        let listed = try await runMax(["-C", folder.url.path, "ls"])
        #expect(listed.status == 2)
    }

    @Test func outsideAProjectIsNotFound() async throws {
        let folder = try TemporaryDirectory(prefix: "outside")
        let outcome = try await runMax(["ls"], in: folder.url)
        #expect(outcome.status == 4)
        #expect(outcome.stderr.contains("error[project.not_found]"))
        #expect(outcome.stderr.contains(#"hint: run "max init""#))
    }

    @Test func queriesReportTheirErrors() async throws {
        let fixture = try await Fixture()
        let path = fixture.directory.path
        let before = try Self.snapshot(fixture.directory)

        let unknownInstallation = try await runMax(["-C", path, "search", "nope", "AcmeTask"])
        #expect(unknownInstallation.status == 4)
        #expect(unknownInstallation.stderr.contains("error[installation.not_found]"))
        #expect(unknownInstallation.stderr.contains("installations: acme"))

        let unknownType = try await runMax(["-C", path, "search", "acme", "AcmeThing"])
        #expect(unknownType.status == 4)
        #expect(unknownType.stderr.contains("error[schema.unknown_entity_type]"))

        let badFilter = try await runMax([
            "-C", path, "search", "acme", "AcmeTask", "--filter", #"status = "todo" AND priority >="#,
        ])
        #expect(badFilter.status == 2)
        #expect(badFilter.stderr.contains("error[search.invalid_filter]: expected a value after '>=' at column 32"))
        #expect(badFilter.stderr.contains("\n" + String(repeating: " ", count: 33) + "^"))

        let jsonError = try await runMax(["-C", path, "count", "acme", "AcmeTask", "-f", "nope = 1"])
        #expect(jsonError.status == 2)
        #expect(jsonError.stderr.contains("error[search.unknown_field]"))

        let allAsJSON = try await runMax(["-C", path, "search", "acme", "AcmeTask", "--all", "-o", "json"])
        #expect(allAsJSON.status == 2)
        #expect(allAsJSON.stderr.contains("-o ndjson"))

        let ndjsonError = try await runMax([
            "-C", path, "search", "acme", "AcmeTask", "-f", "title > 3", "-o", "ndjson",
        ])
        #expect(ndjsonError.status == 2)
        let last = try #require(ndjsonError.stderr.split(separator: "\n").last)
        #expect(try JSONValue(parsing: String(last))["error"]?["code"] == "search.type_mismatch")

        let unknownFlag = try await runMax(["-C", path, "search", "acme", "AcmeTask", "--colour"])
        #expect(unknownFlag.status == 2)

        #expect(try Self.snapshot(fixture.directory) == before)
    }

    @Test func connectingReportsItsErrorsAndWritesNothing() async throws {
        let fixture = try await Fixture()
        let path = fixture.directory.path
        let before = try Self.snapshot(fixture.directory)

        let unknownConnector = try await runMax(["-C", path, "connect", "jira"])
        #expect(unknownConnector.status == 4)
        #expect(unknownConnector.stderr.contains("error[connector.not_found]"))

        let literal = try await runMax(
            [
                "-C", path, "connect", "acme", "--name", "two", "--config", "baseURL=\(fixture.acme.url)",
                "--credential",
                "api_token=\(fixture.acme.apiKey)",
            ])
        #expect(literal.status == 2)
        #expect(literal.stderr.contains("error[credentials.literal_secret]"))
        #expect(!literal.output.contains(fixture.acme.apiKey), "the literal secret is not echoed")

        let missing = try await runMax(["-C", path, "connect", "acme", "--name", "two"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("error[onboarding.missing_input]"))
        #expect(missing.stderr.contains("baseURL (--config baseURL=…)"))
        #expect(missing.stderr.contains("api_token (--credential api_token=env:VAR|file:PATH|-)"))

        let canary = "acme_canary0000000000000000000000ff"
        let rejected = try await runMax(
            [
                "-C", path, "connect", "acme", "--name", "two", "--config", "baseURL=\(fixture.acme.url)",
                "--credential",
                "api_token=env:CANARY",
            ], environment: ["CANARY": canary])
        #expect(rejected.status == 2)
        #expect(rejected.stderr.contains("the API token was rejected"))
        #expect(!rejected.output.contains(canary))

        let unreachable = try await runMax(
            [
                "-C", path, "connect", "acme", "--name", "two", "--config", "baseURL=http://127.0.0.1:9",
                "--credential",
                "api_token=env:CANARY",
            ], environment: ["CANARY": canary])
        #expect(unreachable.status == 2)
        #expect(unreachable.stderr.contains("http://127.0.0.1:9 is unreachable"))

        let taken = try await runMax(
            [
                "-C", path, "connect", "acme", "--name", "acme", "--config", "baseURL=\(fixture.acme.url)",
                "--credential",
                "api_token=env:T",
            ], environment: ["T": fixture.acme.apiKey])
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("error[installation.exists]"))

        #expect(try Self.snapshot(fixture.directory) == before, "nothing was written")
        #expect(
            !FileManager.default.fileExists(
                atPath: fixture.directory.appendingPathComponent(".max/installations/two").path))
    }

    @Test func aSyncAgainstADeadServerFailsWithACode() async throws {
        let fixture = try await Fixture()
        let path = fixture.directory.path
        // Point the installation at a port where nothing listens.
        let file = fixture.directory.appendingPathComponent("max.json")
        let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: fixture.acme.url, with: "http://127.0.0.1:9")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let outcome = try await runMax(["-C", path, "sync", "acme"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("error[http.unreachable]"))
        #expect(outcome.stderr.contains("(after 6 attempts)"), "the standard policy retried first: \(outcome.stderr)")
        #expect(!outcome.output.contains(fixture.acme.apiKey))
    }
}
