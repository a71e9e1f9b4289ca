import Foundation
import MaxTestSupport
import Testing

/// The master key decides who can read the sealed credentials, across processes.
struct MasterKeyProcessTests {
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
        for outcome in [connected, same, other, malformed] {
            #expect(!outcome.output.contains(acme.apiKey) && !outcome.output.contains(first))
            #expect(!outcome.output.contains(second) && !outcome.output.contains("not-a-key"))
        }
    }
}
