import Foundation
import MaxCore
import MaxRuntime
import MaxTestSupport
import Testing

/// `max validate` through the `max` executable.
struct ValidateTests {
    /// Thirteen different mistakes, over six installations.
    static let mistaken = """
        {
          "installations": {
            "a-unknown": {"id": "1", "connector": "nosuch@1.0.0", "connectedAt": "2026-12-06T00:00:00Z", "config": {}},
            "b-config": {
              "id": "2", "connector": "acme@1.0.0", "connectedAt": "2026-12-06T00:00:00Z", "config": {},
              "sync": {"every": "0s"}, "disabled": "yes"
            },
            "c-types": {
              "id": "3", "connector": "acme@1.0.0", "connectedAt": "2026-12-06T00:00:00Z",
              "config": {"baseURL": 42, "tenant": "x"}, "sync": {"every": "1m", "often": true},
              "credentials": {"api_token": "env:MAX_TEST_UNSET_TOKEN"}
            },
            "d-policies": {
              "id": "4", "connector": "acme@1.0.0", "connectedAt": "2026-12-06T00:00:00Z",
              "config": {"baseURL": "http://127.0.0.1:9", "workspaceId": "ws_1"}, "retry": {"maxAttempts": -1},
              "rateLimit": {"rate": "fast"}, "circuitBreaker": {"bogus": 1}, "timeout": 0, "tls": {"bogus": 1},
              "credentials": {"api_token": "env:MAX_TEST_SET_TOKEN"}
            },
            "e-postgres": {
              "id": "5", "connector": "postgres@1.0.0", "connectedAt": "2026-12-06T00:00:00Z",
              "config": {"host": "db", "database": "d", "user": "u", "sslmode": "prefer"},
              "credentials": {"password": "env:MAX_TEST_SET_TOKEN"}
            },
            "f-newer": {
              "id": "6", "connector": "acme@3.0.0", "connectedAt": "2026-12-06T00:00:00Z",
              "config": {"baseURL": "http://127.0.0.1:9", "workspaceId": "ws_1"},
              "credentials": {"api_token": "env:MAX_TEST_SET_TOKEN"}
            }
          }
        }
        """

    @Test func everyMistakeIsReportedWithItsPathAndNothingChanges() async throws {
        let folder = try TemporaryDirectory(prefix: "validate")
        _ = try await runMax(["init", folder.url.path])
        try Self.mistaken.write(to: folder.file("max.json"), atomically: true, encoding: .utf8)
        let before = try Self.snapshot(folder.url)

        let outcome = try await runMax(
            ["-C", folder.url.path, "validate", "-o", "json"], environment: ["MAX_TEST_SET_TOKEN": "x"])
        #expect(outcome.status == 2, "\(outcome.output)")
        let problems = try #require(try JSONValue(parsing: outcome.stdout).arrayValue)
        let found = problems.map { "\($0["path"]?.stringValue ?? "") \($0["code"]?.stringValue ?? "")" }
        #expect(
            found == [
                "installations.a-unknown.connector connector.not_found",
                "installations.b-config.disabled project.invalid_config",
                "installations.b-config.sync.every project.invalid_config",
                "installations.b-config.config.baseURL connector.invalid_config",
                "installations.b-config.config.workspaceId connector.invalid_config",
                "installations.b-config.credentials.api_token credentials.missing",
                "installations.c-types.sync.often project.invalid_config",
                "installations.c-types.config.workspaceId connector.invalid_config",
                "installations.c-types.config.baseURL connector.invalid_config",
                "installations.c-types.config.tenant connector.invalid_config",
                "installations.c-types.credentials.api_token credentials.missing",
                "installations.d-policies.retry.maxAttempts connector.invalid_policy",
                "installations.d-policies.rateLimit.rate connector.invalid_policy",
                "installations.d-policies.tls project.invalid_config",
                "installations.d-policies.timeout connector.invalid_policy",
                "installations.d-policies.circuitBreaker.bogus connector.invalid_policy",
                "installations.e-postgres.config.sslmode connector.invalid_config",
                "installations.f-newer.connector connector.not_installed",
            ], "\(outcome.stdout)")
        #expect(try Self.snapshot(folder.url) == before, "validate changes nothing")

        let text = try await runMax(["-C", folder.url.path, "validate"], environment: ["MAX_TEST_SET_TOKEN": "x"])
        #expect(text.status == 2)
        #expect(text.stdout.hasPrefix("max.json: 18 problems"), "\(text.stdout)")
        #expect(text.stdout.contains("export MAX_TEST_UNSET_TOKEN=…"), "\(text.stdout)")
        #expect(text.stdout.contains("installations.c-types.config.baseURL must be a string, not a number"))
        #expect(text.stdout.contains("acme@3.0.0 is not installed"), "\(text.stdout)")
    }

    @Test func aSoundProjectIsValid() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let outcome = try await runMax(["-C", folder.url.path, "validate"])
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(outcome.stdout.hasPrefix("max.json is valid: 1 installation"), "\(outcome.stdout)")
        let broken = try await runMax(["-C", folder.url.path, "validate", "-o", "csv"])
        #expect(broken.status == 2, "\(broken.output)")
    }

    /// Every file under `folder` with its content.
    static func snapshot(_ folder: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            guard (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true else { continue }
            files[url.path] = try Data(contentsOf: url)
        }
        return files
    }

    @Test func connectTakesTheSchemasOtherKeysAndRefusesUnknownOnes() async throws {
        let folder = try TemporaryDirectory(prefix: "connect-config")
        _ = try await runMax(["init", folder.url.path])
        let notes = try TemporaryDirectory(prefix: "notes")
        let path = folder.url.path
        let unknown = try await runMax(
            ["-C", path, "connect", "files", "--config", "path=\(notes.url.path)", "--config", "maxBytes=9"])
        #expect(unknown.status == 2, "\(unknown.output)")
        #expect(unknown.stderr.contains("--config maxBytes: the files config has no key maxBytes"), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("its keys: exclude, include, maxTextBytes, path"), "\(unknown.stderr)")
        let mistyped = try await runMax(
            ["-C", path, "connect", "files", "--config", "path=\(notes.url.path)", "--config", "maxTextBytes=lots"])
        #expect(mistyped.status == 2, "\(mistyped.output)")
        #expect(mistyped.stderr.contains("maxTextBytes takes integer"), "\(mistyped.stderr)")
        let connected = try await runMax(
            ["-C", path, "connect", "files", "--config", "path=\(notes.url.path)", "--config", "maxTextBytes=4096"])
        #expect(connected.status == 0, "\(connected.output)")
        let record = try #require(try Project.find(from: folder.url).load().installations["files"])
        #expect(record.config["maxTextBytes"] == 4096, "typed as the schema says: \(record.config)")
        #expect(record.configVersion == 1)
    }
}
