import MaxCore
import MaxCredentials
import MaxPostgresStore
import Testing

@testable import MaxRuntime

/// `storage` in `max.json`: SQLite by default, PostgreSQL settings read with secure defaults.
struct ProjectStorageTests {
    @Test func noKeyIsSQLite() throws {
        #expect(try ProjectStorage(json: nil, path: "max.json") == .sqlite)
        #expect(try ProjectStorage(json: ["sqlite": [:]], path: "max.json") == .sqlite)
    }

    @Test(arguments: [
        ("127.0.0.1", nil, "disable"), ("localhost", nil, "disable"), ("db.internal", nil, "verify-full"),
        ("db.internal", "require", "require"), ("127.0.0.1", "verify-full", "verify-full"),
    ])
    func encryptionDefaultsToVerifiedOffThisMachine(host: String, sslmode: String?, expected: String) throws {
        var settings: [String: JSONValue] = ["host": .string(host), "database": "max", "user": "max"]
        if let sslmode { settings["sslmode"] = .string(sslmode) }
        let storage = try #require(try ProjectStorage(json: ["postgres": .object(settings)], path: "max.json").postgres)
        let tls = try storage.settings(for: "acme").tls
        switch (tls, expected) {
        case (.disable, "disable"), (.require, "require"), (.verifyFull(rootCertificates: nil), "verify-full"): break
        default: Issue.record("\(host) with \(sslmode ?? "no sslmode") gives \(tls), not \(expected)")
        }
    }

    @Test func thePasswordIsReadFromItsReferenceOnlyWhenAStoreOpens() throws {
        let storage = try #require(
            try ProjectStorage(
                json: ["postgres": ["database": "max", "user": "max", "password": "env:MAX_STORAGE_TEST_UNSET"]],
                path: "max.json"
            ).postgres)
        #expect(storage.password == .environment("MAX_STORAGE_TEST_UNSET"))
        let error = #expect(throws: MaxError.self) { try storage.settings(for: "acme") }
        #expect(error?.code == .credentialSourceUnreadable)
        #expect(error?.message.contains("MAX_STORAGE_TEST_UNSET") == true)
    }
}
