import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// `storage` in `max.json` and the commands that need PostgreSQL, given what they cannot use: each
/// refused with what is wrong, where, and what to do, and a password never echoed.
struct SharedStorageInputTests {
    static func project(storage: JSONValue?) async throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix: "storage")
        _ = try await runMax(["init", folder.url.path])
        if let storage { try editProjectFile(in: folder.url) { $0["storage"] = storage } }
        return folder
    }

    @Test func aPasswordWrittenOutIsRefusedWithoutEchoingIt() async throws {
        let canary = "pg-canary-7f3a9c"
        let folder = try await Self.project(storage: [
            "postgres": ["host": "127.0.0.1", "database": "max", "user": "max", "password": .string(canary)]
        ])
        for arguments in [["ls"], ["worker"], ["validate"]] {
            let outcome = try await runMax(["-C", folder.url.path] + arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.output)")
            #expect(outcome.output.contains("credentials.literal_secret"), "\(arguments): \(outcome.output)")
            #expect(outcome.output.contains(#""password": "env:PGPASSWORD""#), "the hint says what to write")
            #expect(!outcome.output.contains(canary), "\(arguments) echoed the password")
        }
    }

    static let malformed: [(JSONValue, String)] = [
        (["postgres": ["database": "max"]], "storage.postgres.user is missing"),
        (["postgres": ["database": "max", "user": "u", "port": 70000]], "storage.postgres.port must be a port number"),
        (
            ["postgres": ["database": "max", "user": "u", "hostname": "db"]],
            "storage.postgres.hostname is not a setting"
        ),
        (["mysql": [:]], "storage.mysql is not a storage: use sqlite or postgres"),
        (
            ["postgres": ["database": "max", "user": "u", "sslmode": "prefer"]],
            "sslmode must be disable, require or verify-full"
        ),
        ("postgres", #"storage must be {"sqlite": {}} or {"postgres": {…}}"#),
    ]

    @Test(arguments: Self.malformed)
    func aMalformedStorageNamesTheKey(storage: JSONValue, message: String) async throws {
        let folder = try await Self.project(storage: storage)
        let outcome = try await runMax(["-C", folder.url.path, "ls"])
        #expect(outcome.status == 2, "\(outcome.output)")
        #expect(outcome.stderr.contains("error[project.invalid_config]"), "\(outcome.stderr)")
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
    }

    @Test func workersAndDetachedSyncsNeedPostgres() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let worker = try await runMax(["-C", folder.url.path, "worker"])
        #expect(worker.status == 2, "\(worker.output)")
        #expect(worker.stderr.contains("error[storage.shared_storage_required]: this project stores in SQLite"))
        #expect(worker.stderr.contains(#"hint: use "max sync""#), "\(worker.stderr)")
        let detached = try await runMax(["-C", folder.url.path, "sync", "acme", "--detach"])
        #expect(detached.status == 2, "\(detached.output)")
        #expect(detached.stderr.contains("error[storage.shared_storage_required]"), "\(detached.stderr)")
        #expect(try await runMax(["-C", folder.url.path, "worker", "--lease", "1"]).status == 2)
    }

    @Test func anUnreachableServerSaysWhichAndWhatToCheck() async throws {
        let acme = try AcmeProcess()
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        // A port nothing listens on.
        try editProjectFile(in: folder.url) {
            $0["storage"] = ["postgres": ["host": "127.0.0.1", "port": 1, "database": "max", "user": "max"]]
        }
        let outcome = try await runMax(["-C", folder.url.path, "sync", "acme"])
        #expect(outcome.status == 1, "\(outcome.output)")
        #expect(
            outcome.stderr.contains("error[storage.postgres_unreachable]: the PostgreSQL store at 127.0.0.1:1/max"),
            "\(outcome.stderr)")
        #expect(outcome.stderr.contains("hint: check storage.postgres in max.json"), "\(outcome.stderr)")
    }
}
