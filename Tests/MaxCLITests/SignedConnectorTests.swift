import Foundation
import MaxCore
import MaxTestSupport
import Testing

/// Signed connectors (SPEC-hardening §13): `max connector keygen`, `sign` and `approve`, and
/// `max install` refusing a manifest that is tampered with, unsigned, signed by someone the project
/// does not trust, or not approved, and installing one that is signed and approved.
struct SignedConnectorTests {
    @Test func aTamperedSignedManifestIsRefusedAndAnApprovedSignedOneInstalls() async throws {
        let folder = try TemporaryDirectory(prefix: "signed")
        let path = folder.url.path
        _ = try await runMax(["init", path])
        let made = try await runMax(["-C", path, "connector", "new", "api", "--manifest"])
        try #require(made.status == 0, "\(made.output)")
        #expect(made.stderr.contains("trusted api unsigned"), "a connector of your own is trusted unsigned")
        #expect(try await runMax(["-C", path, "install"]).status == 0)

        // A publisher's key, and another one's.
        let keys = try TemporaryDirectory(prefix: "keys")
        func keygen(_ signer: String) async throws -> (file: String, publicKey: String) {
            let file = keys.file("\(signer).key").path
            let made = try await runMax(["keygen", "--out", file, "--signer", signer].withConnector)
            try #require(made.status == 0, "\(made.output)")
            return (file, made.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let publisher = try await keygen("acme-corp")
        let stranger = try await keygen("mallory")
        let attributes = try FileManager.default.attributesOfItem(atPath: publisher.file)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let privateKey = try String(contentsOfFile: publisher.file, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)

        // The project trusts acme-corp alone, and requires approval.
        try editProjectFile(in: folder.url) { file in
            file["trust"] = [
                "signers": ["acme-corp": .string(publisher.publicKey)], "requireApproval": true,
            ]
        }
        let manifest = folder.file("connectors/api.yaml")
        func install() async throws -> Outcome { try await runMax(["-C", path, "install"]) }

        let unsigned = try await install()
        #expect(unsigned.status != 0 && unsigned.stderr.contains("error[connector.unsigned]"), "\(unsigned.output)")

        var outputs = [unsigned]
        func sign(_ key: (file: String, publicKey: String), as signer: String) async throws {
            let signed = try await runMax(
                ["-C", path, "connector", "sign", manifest.path, "--key", key.file, "--signer", signer])
            outputs.append(signed)
            try #require(signed.status == 0, "\(signed.output)")
        }
        try await sign(publisher, as: "acme-corp")
        #expect(FileManager.default.fileExists(atPath: manifest.path + ".max-signature.json"))

        // Signed, but not approved at its version.
        let unapproved = try await install()
        outputs.append(unapproved)
        #expect(unapproved.stderr.contains("error[connector.not_approved]: the api connector 0.1.0 is not approved"))
        #expect(unapproved.stderr.contains("max connector approve api@0.1.0"))
        #expect(try await runMax(["-C", path, "connector", "approve", "api@0.1.0"]).status == 0)
        let installed = try await install()
        outputs.append(installed)
        #expect(installed.status == 0, "\(installed.output)")
        #expect(installed.stderr.contains("api 0.1.0: signed by acme-corp"), "\(installed.stderr)")

        // Tampered with: one byte more.
        let original = try Data(contentsOf: manifest)
        try (original + Data("# an extra line\n".utf8)).write(to: manifest)
        let tampered = try await install()
        outputs.append(tampered)
        #expect(tampered.stderr.contains("error[connector.signature_invalid]"), "\(tampered.output)")
        #expect(tampered.stderr.contains("its files changed after acme-corp signed them"))
        try original.write(to: manifest)
        #expect(try await install().status == 0)

        // Signed by someone the project does not trust, or passed off as acme-corp.
        try await sign(stranger, as: "mallory")
        let strange = try await install()
        #expect(strange.stderr.contains("signed by mallory, who is not a trusted signer"), "\(strange.output)")
        try await sign(stranger, as: "acme-corp")
        let forged = try await install()
        #expect(forged.stderr.contains("it is not acme-corp's signature"), "\(forged.output)")
        outputs += [strange, forged]

        // The private key never shows, nor its file's content.
        for outcome in outputs { #expect(!outcome.output.contains(privateKey)) }
        #expect(!(try String(contentsOf: folder.file("max.json"), encoding: .utf8)).contains(privateKey))
    }

    @Test func malformedTrustNamesTheKey() async throws {
        let folder = try TemporaryDirectory(prefix: "trust")
        _ = try await runMax(["init", folder.url.path])
        try editProjectFile(in: folder.url) { $0["trust"] = ["signers": ["x": "not a key"]] }
        let refused = try await runMax(["-C", folder.url.path, "ls"])
        #expect(refused.status == 2, "\(refused.output)")
        #expect(refused.stderr.contains("trust.signers.x must be an Ed25519 public key"), "\(refused.stderr)")
    }
}

extension [String] {
    /// `max connector <self…>`.
    fileprivate var withConnector: [String] { ["connector"] + self }
}
