import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// The master key decides who can read the sealed credentials, across processes.
struct MasterKeyProcessTests {
    @Test func rotateKeySealsUnderANewKeyAndSyncsKeepWorking() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "1"])
        let folder = try await ResilienceProcessTests.connectedProject(acme)
        let credentials = folder.url.appendingPathComponent(".max/installations/acme/credentials.json")
        let sealedBefore = try String(contentsOf: credentials, encoding: .utf8)
        let rotated = try await runMax(["-C", folder.url.path, "credentials", "rotate-key"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(rotated.stdout.hasPrefix("Master key now file:") && rotated.stdout.contains("sealed again: acme"))
        let sealedAfter = try String(contentsOf: credentials, encoding: .utf8)
        #expect(sealedAfter != sealedBefore)
        let newID = try #require(JSONValue(parsing: sealedAfter)["masterKey"]?.stringValue)
        #expect(rotated.stdout.contains(newID))
        let synced = try await runMax(["-C", folder.url.path, "sync", "acme"])
        #expect(synced.status == 0, "\(synced.stderr)")
        for outcome in [rotated, synced] { #expect(!outcome.output.contains(acme.apiKey)) }
        #expect(!sealedAfter.contains(acme.apiKey))
    }

    @Test func aSyncUnderAnotherMasterKeyFailsClearlyAndLeaksNothing() async throws {
        let acme = try AcmeProcess(arguments: ["--projects-per-workspace", "1"])
        let folder = try TemporaryDirectory(prefix: "master-key")
        let first = Data((0..<32).map { UInt8($0) }).base64EncodedString()
        let second = Data((0..<32).map { UInt8(255 - $0) }).base64EncodedString()
        _ = try await runMax(["init", folder.url.path])
        let connected = try await runMax(
            [
                "-C", folder.url.path, "connect", "acme", "--config", "baseURL=\(acme.url)", "--credential",
                "api_token=env:T",
            ], environment: ["T": acme.apiKey, "MAX_MASTER_KEY": first])
        try #require(connected.status == 0, "\(connected.stderr)")

        let same = try await runMax(["-C", folder.url.path, "sync", "acme"], environment: ["MAX_MASTER_KEY": first])
        #expect(same.status == 0, "\(same.stderr)")
        let other = try await runMax(["-C", folder.url.path, "sync", "acme"], environment: ["MAX_MASTER_KEY": second])
        #expect(other.status == 1)
        #expect(other.stderr.contains("error[credentials.wrong_master_key]"), "\(other.stderr)")
        let malformed = try await runMax(
            ["-C", folder.url.path, "sync", "acme"], environment: ["MAX_MASTER_KEY": "not-a-key"])
        #expect(malformed.status == 2)
        #expect(malformed.stderr.contains("error[credentials.invalid_master_key]"), "\(malformed.stderr)")
        // Listing reads no value, so it needs no key (here, the wrong one).
        let listed = try await runMax(
            ["-C", folder.url.path, "credentials", "ls", "acme", "-o", "json"], environment: ["MAX_MASTER_KEY": second])
        #expect(listed.status == 0, "\(listed.stderr)")
        let rows = try #require(try JSONValue(parsing: listed.stdout).arrayValue)
        #expect(rows.count == 1 && rows[0]["key"] == "api_token" && rows[0]["source"] == "stored")
        #expect(rows[0]["setAt"]?.stringValue.flatMap(ISO8601.parse) != nil)
        // Nor does max ls, whose state says which credentials are there from the listing.
        let states = try await runMax(
            ["-C", folder.url.path, "ls", "-o", "json"], environment: ["MAX_MASTER_KEY": second])
        #expect(states.status == 0, "\(states.stderr)")
        let row = try JSONValue(parsing: states.stdout).arrayValue?.first
        // Its state is the last sync's (under the malformed key), not a failure to open with this one.
        #expect(row?["state"] == "error", "\(states.stdout)")
        #expect(row?["stateReason"]?.stringValue?.hasPrefix("credentials.invalid_master_key") == true)
        // Every write and every opening from disk is a line in the installation's log; no value.
        let log = try String(contentsOf: folder.url.appendingPathComponent(".max/logs/acme.log"), encoding: .utf8)
        let lines = log.split(separator: "\n")
        for operation in ["set", "open"] {
            #expect(
                lines.contains {
                    $0.contains("credential.keys=api_token") && $0.hasSuffix(": credentials \(operation)")
                },
                "\(log)")
        }
        #expect(!log.contains(acme.apiKey))
        for outcome in [connected, same, other, malformed, listed, states] {
            #expect(!outcome.output.contains(acme.apiKey) && !outcome.output.contains(first))
            #expect(!outcome.output.contains(second) && !outcome.output.contains("not-a-key"))
        }
    }
}
